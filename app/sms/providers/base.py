"""What every SMS provider offers: send a message, and say later whether it got one."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import Protocol

from app.sms.templates import SmsTemplate, render


@dataclass(frozen=True)
class OutgoingSms:
    """One outbox row as a provider sees it; `out_id` travels as the provider's OutId."""

    id: int
    phone: str
    template: SmsTemplate
    params: dict[str, str] = field(default_factory=dict)
    # When the worker claimed the row: the provider's records are kept by send date.
    claimed_at: datetime | None = None
    # The key of the batch the row was claimed in (one OutId for all its numbers); None: the row id.
    batch_key: str | None = None

    @property
    def out_id(self) -> str:
        return self.batch_key or str(self.id)

    @property
    def text(self) -> str:
        return render(self.template, self.params)

    def text_for_logs(self, *, reveal_secrets: bool) -> str:
        return render(self.template, self.params, reveal_secrets=reveal_secrets)


class SmsError(Exception):
    """A provider failure; the message is in Chinese, for operators reading the outbox."""

    def __init__(self, message: str, *, code: str | None = None) -> None:
        super().__init__(message)
        self.code = code


class TransientSmsError(SmsError):
    """The provider did not take the message but may later: throttling, 5xx, no connection."""


class PermanentSmsError(SmsError):
    """The provider refused the message for good: a bad number, a refused template or signature."""


class SmsOutcomeUnknown(SmsError):
    """The request left but no answer came back (read timeout, dropped connection): it may have been sent."""


class Delivery(StrEnum):
    RECEIVED = "RECEIVED"  # the provider has a record of this message
    NOT_RECEIVED = "NOT_RECEIVED"  # the provider's records say it never got it
    UNKNOWABLE = "UNKNOWABLE"  # this provider keeps no records we can ask


@dataclass(frozen=True)
class Lookup:
    delivery: Delivery
    provider_message_id: str | None = None


class SmsProvider(Protocol):
    name: str
    # The most numbers send_batch takes in one call.
    max_batch: int

    def send(self, message: OutgoingSms) -> str:
        """Hand the message over; return the provider's message id.

        Raises TransientSmsError, PermanentSmsError or SmsOutcomeUnknown.
        """

    def send_batch(self, messages: Sequence[OutgoingSms]) -> str:
        """Hand over up to max_batch messages of one template, to distinct numbers, sharing one out_id, in
        one call; return the provider's id of the batch. Raises as send does, for the whole batch.
        """

    def lookup(self, message: OutgoingSms) -> Lookup:
        """Whether the provider got this message; raises TransientSmsError when the query fails."""
