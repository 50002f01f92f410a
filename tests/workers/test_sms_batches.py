"""Many SMS in few provider calls (SendBatchSms), each outbox row still sent at most once, on both backends."""

from __future__ import annotations

import time
from collections import Counter
from datetime import timedelta

import sqlalchemy as sa

from app.accounts.models import Role
from app.registrations.models import RegistrationStatus
from app.reviews.service import open_training
from app.sms.batches import Pending, claim_batches, provider_batches, send_outbox_batch
from app.sms.models import SmsMessage, SmsStatus
from app.sms.providers import AliyunSmsProvider
from app.sms.rules import OutboxPolicy
from app.sms.sending import outgoing
from app.sms.service import BATCH_ACTOR, record_sms, send_in_batches
from app.sms.sweeping import sweep_outbox
from app.sms.templates import SmsTemplate
from tests.factories import make_exam_session, make_registration, make_unit, make_user
from tests.fakes import aliyun_sms
from tests.fakes.aliyun_sms import ACCEPT_THEN_HANG
from tests.sms_support import ago, make_sms, outbox, wait_for, wait_until_settled

POLICY = OutboxPolicy(retry_first=timedelta(milliseconds=50), sending_lease=timedelta(seconds=5))


def _queue_batches(stack, phones: list[str], *, template: SmsTemplate = SmsTemplate.TRAINING_OPENED) -> list[int]:  # noqa: ANN001
    """Outbox rows for `phones` and one send_sms_batch message per 100 of them, as openTraining writes them."""
    with stack.database.transaction() as session:
        ids = [record_sms(session, phone=phone, template=template,
                          params={"name": f"学员{n}", "session": "2026年第一期"}).id for n, phone in enumerate(phones)]
        send_in_batches(session, ids)
    return ids


def _batch_calls(fake) -> list:  # noqa: ANN001
    return [a for a in fake.send_attempts() if a.action == "SendBatchSms"]


def _aliyun(fake) -> AliyunSmsProvider:  # noqa: ANN001
    return AliyunSmsProvider(
        endpoint=fake.url, access_key_id=aliyun_sms.ACCESS_KEY_ID, access_key_secret=aliyun_sms.ACCESS_KEY_SECRET,
        sign_name=aliyun_sms.SIGN_NAME, template_codes=aliyun_sms.TEMPLATE_CODES, timeout=2,
    )


def test_opening_training_texts_every_candidate_once_in_calls_of_a_hundred(backend, sms_workers, fake_aliyun):
    stack = sms_workers()
    unit = make_unit(backend.database)
    exam = make_exam_session(backend.database)
    operator = make_user(backend.database, role=Role.TRAINING_OPERATOR)
    ids = [make_registration(backend.database, unit=unit, exam=exam, status=RegistrationStatus.APPROVED,
                             phone=f"1370000{n:04d}").id for n in range(150)]

    with stack.database.transaction() as session:
        outcomes = open_training(session, user=operator, ids=ids)
    assert all(o.ok for o in outcomes)
    with stack.database.session() as session:
        message_ids = list(session.scalars(sa.select(SmsMessage.id)))
    rows = wait_until_settled(stack.database, message_ids)

    assert len(rows) == 150 and {m.status for m in rows.values()} == {SmsStatus.SENT}
    assert {m.attempts for m in rows.values()} == {1}
    calls = _batch_calls(fake_aliyun)
    assert sorted(len(c.phones) for c in calls) == [50, 100] and len(fake_aliyun.send_attempts()) == 2
    assert Counter(fake_aliyun.accepted_phones()) == Counter(m.phone for m in rows.values())  # each exactly once
    accepted = {a.phone: a for a in fake_aliyun.accepted}
    for row in rows.values():
        # every row carries its batch's BizId and key (the call's OutId), and its own name went with its number
        assert row.provider_message_id == accepted[row.phone].biz_id
        assert row.batch_key == accepted[row.phone].out_id and row.batch_key
        assert accepted[row.phone].params == row.params
    assert len({m.batch_key for m in rows.values()}) == 2


def test_copies_of_one_batch_message_send_each_row_once(backend, sms_workers, fake_aliyun):
    fake_aliyun.delay = 0.3  # every copy arrives while the first call is still in flight
    stack = sms_workers(threads=4)
    ids = _queue_batches(stack, [f"1390000{n:04d}" for n in range(30)])
    for _ in range(3):
        stack.queue.send(BATCH_ACTOR, {"message_ids": ids})

    rows = wait_until_settled(stack.database, ids)
    stack.queue.send(BATCH_ACTOR, {"message_ids": ids})  # a late redelivery after they were sent
    time.sleep(0.3)

    assert {m.status for m in rows.values()} == {SmsStatus.SENT} and {m.attempts for m in rows.values()} == {1}
    assert len(fake_aliyun.send_attempts()) == 1
    assert sorted(fake_aliyun.accepted_phones()) == sorted(m.phone for m in rows.values())


def test_a_batch_refused_for_one_bad_number_sends_the_others_and_fails_that_one(backend, sms_workers, fake_aliyun):
    stack = sms_workers()
    phones = ["13800000001", "13800000002", "1380000000", "13800000004"]
    ids = _queue_batches(stack, phones)

    rows = wait_until_settled(stack.database, ids)

    by_phone = {m.phone: m for m in rows.values()}
    bad = by_phone.pop("1380000000")
    assert bad.status == SmsStatus.FAILED and "手机号码格式不正确" in bad.last_error
    assert {m.status for m in by_phone.values()} == {SmsStatus.SENT}
    # the refused batch, then each message on its own
    assert [a.action for a in fake_aliyun.send_attempts()] == ["SendBatchSms"] + ["SendSms"] * 4
    assert Counter(fake_aliyun.accepted_phones()) == Counter(by_phone.keys())
    assert fake_aliyun.accepted_out_ids() == [str(m.id) for m in sorted(by_phone.values(), key=lambda m: m.id)]


def test_a_throttled_batch_is_tried_again_whole(backend, sms_workers, fake_aliyun):
    stack = sms_workers(sms_retry_first_seconds=0.2)
    fake_aliyun.script("Throttling.User")
    ids = _queue_batches(stack, [f"1350000{n:04d}" for n in range(10)])

    rows = wait_until_settled(stack.database, ids)

    assert {m.status for m in rows.values()} == {SmsStatus.SENT} and {m.attempts for m in rows.values()} == {2}
    calls = _batch_calls(fake_aliyun)
    assert [c.outcome for c in calls] == ["Throttling.User", "OK"] and calls[1].at - calls[0].at >= 0.2
    assert sorted(fake_aliyun.accepted_phones()) == sorted(m.phone for m in rows.values())


def test_one_message_with_two_texts_to_one_number_sends_them_in_separate_calls(backend, sms_workers, fake_aliyun):
    stack = sms_workers()
    ids = _queue_batches(stack, ["13700000001", "13700000001", "13700000002"])

    rows = wait_until_settled(stack.database, ids)

    assert {m.status for m in rows.values()} == {SmsStatus.SENT} and {m.attempts for m in rows.values()} == {1}
    assert [(a.action, len(a.phones)) for a in fake_aliyun.send_attempts()] == [("SendBatchSms", 2), ("SendSms", 0)]
    first, second, third = (rows[i] for i in ids)
    assert first.batch_key == third.batch_key and first.batch_key and second.batch_key is None
    assert sorted(fake_aliyun.accepted_phones()) == ["13700000001", "13700000001", "13700000002"]


def test_rows_of_one_failed_batch_retry_or_give_up_by_their_own_attempts(backend, fake_aliyun):
    policy = OutboxPolicy(max_attempts=3, retry_first=timedelta(milliseconds=50))
    spent = make_sms(backend.database, phone="13600000001", attempts=2)
    fresh = make_sms(backend.database, phone="13600000002")
    fake_aliyun.script(500)

    report = send_outbox_batch(backend.database, [spent.id, fresh.id], _aliyun(fake_aliyun), policy=policy)

    rows = outbox(backend.database)
    assert (report.failed, report.retrying, report.sent) == (1, 1, 0) and report.retry_in is not None
    assert rows[spent.id].status == SmsStatus.FAILED and rows[spent.id].last_error.startswith("已尝试发送3次仍未成功")
    assert rows[fresh.id].status == SmsStatus.PENDING and rows[fresh.id].next_attempt_at is not None
    assert fake_aliyun.accepted == []

    time.sleep(report.retry_in.total_seconds())
    again = send_outbox_batch(backend.database, [spent.id, fresh.id], _aliyun(fake_aliyun), policy=policy)

    rows = outbox(backend.database)
    assert (again.sent, again.skipped) == (1, 1) and rows[fresh.id].status == SmsStatus.SENT
    assert rows[fresh.id].attempts == 2 and fake_aliyun.accepted_phones() == ["13600000002"]


def test_a_batch_whose_answer_never_came_is_confirmed_by_the_sweeper_not_resent(backend, sms_workers, fake_aliyun):
    fake_aliyun.hang = 2.0
    stack = sms_workers(sms_request_timeout_seconds=0.3, sms_sending_lease_seconds=1.0,
                        periodic_intervals={"sweep_sms_outbox": 0.3})
    fake_aliyun.script(ACCEPT_THEN_HANG)
    ids = _queue_batches(stack, [f"1330000{n:04d}" for n in range(5)])

    unknown = wait_for(lambda: (rows := outbox(stack.database, ids)) and all(m.last_error for m in rows.values())
                       and rows, what="the timeout to be recorded")
    assert {m.status for m in unknown.values()} == {SmsStatus.SENDING}
    rows = wait_until_settled(stack.database, ids)

    assert {m.status for m in rows.values()} == {SmsStatus.SENT} and {m.attempts for m in rows.values()} == {1}
    assert len(fake_aliyun.send_attempts()) == 1 and len(fake_aliyun.accepted) == 5


def test_the_sweeper_settles_batches_a_dead_worker_left_in_flight(backend, fake_aliyun):
    provider = _aliyun(fake_aliyun)
    delivered = [make_sms(backend.database, phone=f"1320000{n:04d}").id for n in range(3)]
    lost = [make_sms(backend.database, phone=f"1310000{n:04d}").id for n in range(3)]
    # Two batches claimed; the provider got the first one's call; the worker died before recording either.
    [first] = claim_batches(backend.database, delivered, provider_name="aliyun", size=100)
    [second] = claim_batches(backend.database, lost, provider_name="aliyun", size=100)
    provider.send_batch([outgoing(m) for m in first])
    # a number of the second batch got another SMS, under another OutId: that one does not count
    provider.send(outgoing(make_sms(backend.database, phone="13100000000", status=SmsStatus.SENT)))
    with backend.database.transaction() as session:
        session.execute(sa.update(SmsMessage).where(SmsMessage.id.in_(delivered + lost))
                        .values(claimed_at=ago(seconds=30)))

    report = sweep_outbox(backend.database, provider, policy=POLICY)

    assert (report.confirmed, report.returned) == (3, 3)
    rows = outbox(backend.database, delivered)
    assert {m.status for m in rows.values()} == {SmsStatus.SENT} and {m.attempts for m in rows.values()} == {1}
    # the others were queued again (and sent by the backend's own console channel), never confirmed
    resent = wait_until_settled(backend.database, lost)
    assert {m.attempts for m in resent.values()} == {2} and {m.provider for m in resent.values()} == {"console"}
    assert len({m.batch_key for m in first + second}) == 2 and len(fake_aliyun.accepted) == 4


def test_provider_batches_keep_one_template_and_distinct_numbers():
    rows = [Pending(n, phone, template) for n, (phone, template) in enumerate([
                ("13800000001", "TRAINING_OPENED"), ("13800000002", "TRAINING_OPENED"),
                ("13800000001", "TRAINING_OPENED"), ("13800000003", "REVIEW_REMINDER"),
                ("13800000004", "TRAINING_OPENED")], start=1)]

    batches = provider_batches(rows, size=2)

    assert [[m.id for m in batch] for batch in batches] == [[1, 2], [3, 5], [4]]
