"""Fixtures for the SMS worker tests: the fake provider and worker stacks bound to it."""

from __future__ import annotations

from collections.abc import Callable, Iterator

import pytest

from tests.fakes.aliyun_sms import FakeAliyunSms
from tests.sms_support import SmsStack, start_sms_stack


@pytest.fixture
def fake_aliyun() -> Iterator[FakeAliyunSms]:
    with FakeAliyunSms() as fake:
        yield fake


@pytest.fixture
def sms_workers(backend, fake_aliyun) -> Iterator[Callable[..., SmsStack]]:  # noqa: ANN001
    """start(**settings) -> a worker stack on the backend's database whose provider is the fake."""
    stacks: list[SmsStack] = []

    def start(**overrides) -> SmsStack:  # noqa: ANN003
        stack = start_sms_stack(backend.settings, fake_aliyun, **overrides)
        stacks.append(stack)
        return stack

    yield start
    for stack in stacks:
        stack.close()
