"""The outbox sweeper: lost broker messages and abandoned provider calls, on both backends."""

from __future__ import annotations

from datetime import timedelta

from app.sms.models import SmsStatus
from app.sms.providers import AliyunSmsProvider, ConsoleProvider
from app.sms.rules import OutboxPolicy
from app.sms.sweeping import sweep_outbox
from tests.fakes import aliyun_sms
from tests.sms_support import ago, make_sms, outbox, wait_until_settled

SWEEP_OFTEN = {"sweep_sms_outbox": 0.3}
POLICY = OutboxPolicy(sending_lease=timedelta(seconds=5), reconcile_give_up=timedelta(minutes=30))


def test_the_sweeper_resends_a_pending_row_whose_broker_message_was_lost(backend, sms_workers, fake_aliyun):
    # Written, committed, and its broker message never sent (e.g. the API died right after commit).
    lost = make_sms(backend.database, phone="13900139000", created_at=ago(minutes=5))
    recent = make_sms(backend.database, phone="13900139001")

    stack = sms_workers(periodic_intervals=SWEEP_OFTEN, sms_pending_grace_seconds=60)
    row = wait_until_settled(stack.database, [lost.id])[lost.id]

    assert row.status == SmsStatus.SENT and row.attempts == 1
    assert fake_aliyun.accepted_out_ids() == [str(lost.id)]
    # a row still inside its grace period is left to the broker message that is presumably on its way
    assert outbox(backend.database, [recent.id])[recent.id].status == SmsStatus.PENDING


def test_the_sweeper_puts_back_an_abandoned_row_the_provider_never_got(backend, sms_workers, fake_aliyun):
    # The worker died after claiming the row and before its request left.
    abandoned = make_sms(backend.database, status=SmsStatus.SENDING, attempts=1, provider="aliyun",
                         claimed_at=ago(seconds=30), created_at=ago(seconds=31))

    stack = sms_workers(periodic_intervals=SWEEP_OFTEN)
    row = wait_until_settled(stack.database, [abandoned.id])[abandoned.id]

    assert row.status == SmsStatus.SENT and row.attempts == 2
    assert fake_aliyun.accepted_out_ids() == [str(abandoned.id)]
    queried_first = [a.action for a in fake_aliyun.attempts]
    assert queried_first[0] == "QuerySendDetails" and queried_first.count("SendSms") == 1


def test_the_sweeper_confirms_an_abandoned_row_the_provider_did_get(backend, fake_aliyun):
    # The worker died after Alibaba Cloud accepted the message and before it recorded SENT.
    abandoned = make_sms(backend.database, status=SmsStatus.SENDING, attempts=1, provider="aliyun",
                         claimed_at=ago(seconds=30))
    provider = _aliyun(fake_aliyun)
    from app.sms.sending import outgoing

    provider.send(outgoing(abandoned))

    report = sweep_outbox(backend.database, provider, policy=POLICY)

    row = outbox(backend.database, [abandoned.id])[abandoned.id]
    assert report.confirmed == 1 and row.status == SmsStatus.SENT and row.sent_at is not None
    assert len(fake_aliyun.send_attempts()) == 1


def test_a_failed_provider_query_is_asked_again_until_it_is_too_old(backend, fake_aliyun):
    other_channel = make_sms(backend.database, status=SmsStatus.SENDING, attempts=1, provider="console",
                             claimed_at=ago(seconds=30))
    young = make_sms(backend.database, status=SmsStatus.SENDING, attempts=1, provider="aliyun",
                     phone="13900139002", claimed_at=ago(seconds=30))
    old = make_sms(backend.database, status=SmsStatus.SENDING, attempts=1, provider="aliyun",
                   phone="13900139003", claimed_at=ago(hours=2))
    live = make_sms(backend.database, status=SmsStatus.SENDING, attempts=1, provider="aliyun",
                    phone="13900139004", claimed_at=ago(seconds=1))
    fake_aliyun.script_queries(500, "Throttling.User")

    report = sweep_outbox(backend.database, _aliyun(fake_aliyun), policy=POLICY)

    rows = outbox(backend.database)
    assert rows[other_channel.id].status == SmsStatus.UNCERTAIN and "console" in rows[other_channel.id].last_error
    assert rows[young.id].status == SmsStatus.SENDING  # asked again at the next sweep
    assert rows[old.id].status == SmsStatus.UNCERTAIN and "查询短信平台发送记录失败" in rows[old.id].last_error
    assert rows[live.id].status == SmsStatus.SENDING and rows[live.id].last_error is None  # a live worker's claim
    assert (report.uncertain, report.unresolved, report.confirmed, report.returned) == (2, 1, 0, 0)
    assert fake_aliyun.send_attempts() == []


def test_the_console_channel_cannot_vouch_so_its_abandoned_rows_become_uncertain(backend):
    abandoned = make_sms(backend.database, status=SmsStatus.SENDING, attempts=1, provider="console",
                         claimed_at=ago(seconds=30))

    report = sweep_outbox(backend.database, ConsoleProvider(), policy=POLICY)

    row = outbox(backend.database, [abandoned.id])[abandoned.id]
    assert report.uncertain == 1 and row.status == SmsStatus.UNCERTAIN and row.attempts == 1
    assert "无法查询是否已发出" in row.last_error and "重新发送" in row.last_error


def _aliyun(fake) -> AliyunSmsProvider:  # noqa: ANN001
    return AliyunSmsProvider(
        endpoint=fake.url, access_key_id=aliyun_sms.ACCESS_KEY_ID, access_key_secret=aliyun_sms.ACCESS_KEY_SECRET,
        sign_name=aliyun_sms.SIGN_NAME, template_codes=aliyun_sms.TEMPLATE_CODES, timeout=2,
    )
