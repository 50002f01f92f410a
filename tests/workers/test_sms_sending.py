"""SMS through the real broker to a real HTTP provider (the fake Aliyun server), on both backends."""

from __future__ import annotations

import logging
import threading
import time

from app.sms.models import SmsStatus
from app.sms.providers import ConsoleProvider
from app.sms.sending import SendResult, claim, send_outbox_message
from app.sms.service import queue_sms
from app.sms.templates import SmsTemplate
from tests.fakes.aliyun_sms import ACCEPT_THEN_HANG, TEMPLATE_CODES
from tests.sms_support import make_sms, outbox, wait_for, wait_until_settled


def test_messages_reach_the_provider_once_each_and_are_marked_sent(sms_workers, fake_aliyun):
    stack = sms_workers()
    ids = [stack.queue_sms(f"1380013800{i}", params={"name": f"学员{i}", "session": "2026年第一期"})
           for i in range(3)]

    rows = wait_until_settled(stack.database, ids)

    assert sorted(fake_aliyun.accepted_out_ids()) == sorted(str(i) for i in ids)
    assert fake_aliyun.rejected_signatures == 0
    by_out_id = {a.out_id: a for a in fake_aliyun.accepted}
    for message_id, row in rows.items():
        accepted = by_out_id[str(message_id)]
        assert row.status == SmsStatus.SENT and row.attempts == 1 and row.sent_at is not None
        assert row.provider == "aliyun" and row.provider_message_id == accepted.biz_id
        assert accepted.template_code == TEMPLATE_CODES["TRAINING_OPENED"]
        assert accepted.params == row.params and accepted.phone == row.phone


def test_throttling_and_server_errors_are_retried_with_growing_backoff(sms_workers, fake_aliyun):
    stack = sms_workers(sms_retry_first_seconds=0.2)
    fake_aliyun.script("isv.BUSINESS_LIMIT_CONTROL", 500, "Throttling.User", "OK")
    message_id = stack.queue_sms()

    row = wait_until_settled(stack.database, [message_id])[message_id]

    assert row.status == SmsStatus.SENT and row.attempts == 4
    assert fake_aliyun.accepted_out_ids() == [str(message_id)]
    tries = [a.at for a in fake_aliyun.send_attempts(str(message_id))]
    gaps = [later - earlier for earlier, later in zip(tries, tries[1:], strict=False)]
    assert len(gaps) == 3
    # 0.2 s, 0.4 s, 0.8 s (plus up to 20% jitter): each wait at least doubles the first
    assert gaps[0] >= 0.2 and gaps[1] >= 0.4 and gaps[2] >= 0.8, gaps


def test_a_refused_number_fails_at_once_with_the_reason_in_chinese(sms_workers, fake_aliyun):
    stack = sms_workers()
    fake_aliyun.script("isv.MOBILE_NUMBER_ILLEGAL")
    message_id = stack.queue_sms()

    row = wait_until_settled(stack.database, [message_id])[message_id]
    time.sleep(0.5)  # longer than any retry would wait

    assert row.status == SmsStatus.FAILED and row.attempts == 1
    assert "手机号码格式不正确" in row.last_error and "不再重试" in row.last_error
    assert len(fake_aliyun.send_attempts()) == 1 and fake_aliyun.accepted == []


def test_an_unconfigured_template_is_a_permanent_failure(sms_workers, fake_aliyun):
    stack = sms_workers(sms_aliyun_template_codes={})
    message_id = stack.queue_sms()

    row = wait_until_settled(stack.database, [message_id])[message_id]

    assert row.status == SmsStatus.FAILED and "SMS_ALIYUN_TEMPLATE_CODES" in row.last_error
    assert fake_aliyun.send_attempts() == []


def test_retries_stop_at_the_attempt_limit(sms_workers, fake_aliyun):
    stack = sms_workers(sms_max_attempts=3)
    fake_aliyun.script(*["isv.BUSINESS_LIMIT_CONTROL"] * 10)
    message_id = stack.queue_sms()

    row = wait_until_settled(stack.database, [message_id])[message_id]
    time.sleep(0.5)

    assert row.status == SmsStatus.FAILED and row.attempts == 3
    assert row.last_error.startswith("已尝试发送3次仍未成功") and "流控" in row.last_error
    assert len(fake_aliyun.send_attempts()) == 3 and fake_aliyun.accepted == []


def test_redelivered_and_concurrent_messages_for_one_row_send_it_once(sms_workers, fake_aliyun):
    fake_aliyun.delay = 0.3  # every copy arrives while the first call is still in flight
    stack = sms_workers(threads=4)
    message_id = stack.queue_sms()
    for _ in range(3):
        stack.send_again(message_id)

    row = wait_until_settled(stack.database, [message_id])[message_id]
    stack.send_again(message_id)  # a late redelivery after it was sent
    time.sleep(0.3)

    assert row.status == SmsStatus.SENT and row.attempts == 1
    assert fake_aliyun.accepted_out_ids() == [str(message_id)]
    assert len(fake_aliyun.send_attempts()) == 1
    assert send_outbox_message(stack.database, message_id, ConsoleProvider()) == SendResult.SKIPPED


def test_only_one_of_many_simultaneous_claims_wins(backend):
    message = make_sms(backend.database)
    start = threading.Barrier(8)
    wins: list[bool] = []

    def contend() -> None:
        start.wait()
        wins.append(claim(backend.database, message.id, provider_name="aliyun") is not None)

    threads = [threading.Thread(target=contend) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert sorted(wins) == [False] * 7 + [True]
    row = outbox(backend.database, [message.id])[message.id]
    assert row.status == SmsStatus.SENDING and row.attempts == 1 and row.claimed_at is not None


def test_a_row_not_yet_due_is_left_for_its_retry(backend):
    from tests.sms_support import ago

    later = make_sms(backend.database, next_attempt_at=ago(seconds=-60))
    assert send_outbox_message(backend.database, later.id, ConsoleProvider()) == SendResult.SKIPPED
    assert outbox(backend.database, [later.id])[later.id].status == SmsStatus.PENDING


def test_a_timeout_after_the_provider_accepted_is_reconciled_not_resent(sms_workers, fake_aliyun):
    fake_aliyun.hang = 2.0
    stack = sms_workers(sms_request_timeout_seconds=0.3, sms_sending_lease_seconds=1.0,
                        periodic_intervals={"sweep_sms_outbox": 0.3})
    fake_aliyun.script(ACCEPT_THEN_HANG)
    message_id = stack.queue_sms()

    unknown = wait_for(lambda: (m := outbox(stack.database, [message_id])[message_id]).last_error and m,
                       what="the timeout to be recorded")
    assert unknown.status == SmsStatus.SENDING and "发送结果未知" in unknown.last_error
    row = wait_until_settled(stack.database, [message_id])[message_id]

    assert row.status == SmsStatus.SENT and row.attempts == 1 and row.last_error is None
    assert fake_aliyun.accepted_out_ids() == [str(message_id)]
    assert len(fake_aliyun.send_attempts()) == 1


def test_the_console_provider_logs_a_masked_phone_only(backend, caplog):
    caplog.set_level(logging.INFO, logger="examreg")
    with backend.database.transaction() as session:
        message = queue_sms(session, phone="13800138000", template=SmsTemplate.UNIT_REQUEST_REJECTED,
                            params={"unit": "南宁市市场监督管理局", "kind": "单位注册", "reason": "材料不全"})

    row = wait_until_settled(backend.database, [message.id])[message.id]

    assert row.status == SmsStatus.SENT and row.provider == "console"
    console = [r.getMessage() for r in caplog.records if r.name == "examreg.sms.console"]
    assert any("138****8000" in line and "材料不全" in line for line in console), console
    assert "13800138000" not in caplog.text
