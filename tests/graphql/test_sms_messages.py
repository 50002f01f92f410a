"""Operators read the SMS outbox and resend what failed; nobody else sees it."""

from __future__ import annotations

from app.accounts.models import Role
from app.sms.models import SmsStatus
from app.sms.templates import SmsTemplate
from tests.api import Api, error_codes
from tests.factories import PASSWORD, make_unit, make_user
from tests.sms_support import make_sms, wait_until_settled

SMS_MESSAGES = """
query Outbox($status: SmsStatus, $phone: String, $first: Int, $after: String) {
  smsMessages(status: $status, phone: $phone, first: $first, after: $after) {
    totalCount
    edges { node { id phone template text status attempts lastError createdAt sentAt } }
    pageInfo { hasNextPage endCursor }
  }
}"""
RESEND = """
mutation Resend($id: ID!) {
  resendSmsMessage(id: $id) { smsMessage { id status attempts lastError } errors { code field message } }
}"""


def _operator(backend) -> tuple[Api, str]:  # noqa: ANN001
    api = Api(backend.client)
    operator = make_user(backend.database, role=Role.SUPERADMIN)
    return api, api.login(operator.username, PASSWORD)


def test_operators_page_through_the_outbox_with_masked_phones(backend):
    api, token = _operator(backend)
    failed = make_sms(backend.database, status=SmsStatus.FAILED, phone="13800138000", attempts=1,
                      last_error="短信平台拒绝发送，不再重试：手机号码格式不正确")
    for i in range(3):
        make_sms(backend.database, status=SmsStatus.SENT, phone=f"1390013900{i}",
                 template=SmsTemplate.REVIEW_REMINDER, params={"count": str(i + 1), "due": "6月3日"})

    page = api.data(SMS_MESSAGES, {"first": 2}, token=token)["smsMessages"]
    rest = api.data(SMS_MESSAGES, {"first": 2, "after": page["pageInfo"]["endCursor"]}, token=token)["smsMessages"]

    assert page["totalCount"] == 4 and page["pageInfo"]["hasNextPage"] and not rest["pageInfo"]["hasNextPage"]
    nodes = [e["node"] for e in page["edges"] + rest["edges"]]
    assert [n["id"] for n in nodes] == sorted((n["id"] for n in nodes), key=int, reverse=True)  # newest first
    assert all("****" in n["phone"] for n in nodes)
    reminder = nodes[0]
    assert reminder["template"] == "REVIEW_REMINDER" and reminder["text"].startswith("【广西行政执法培训】您有3条")
    oldest = nodes[-1]
    assert oldest == {**oldest, "id": str(failed.id), "phone": "138****8000", "status": "FAILED", "attempts": 1,
                      "lastError": "短信平台拒绝发送，不再重试：手机号码格式不正确", "sentAt": None}

    only_failed = api.data(SMS_MESSAGES, {"status": "FAILED"}, token=token)["smsMessages"]
    assert [e["node"]["id"] for e in only_failed["edges"]] == [str(failed.id)]
    by_phone = api.data(SMS_MESSAGES, {"phone": "13900139001"}, token=token)["smsMessages"]
    assert by_phone["totalCount"] == 1 and by_phone["edges"][0]["node"]["phone"] == "139****9001"


def test_only_operators_see_the_outbox(backend):
    api = Api(backend.client)
    unit = make_unit(backend.database)
    admin = make_user(backend.database, role=Role.UNIT_ADMIN, unit=unit)
    reviewer = make_user(backend.database, role=Role.CITY_REVIEWER, division="450100")
    make_sms(backend.database)

    for user in (admin, reviewer):
        token = api.login(user.username, PASSWORD)
        assert error_codes(api.run(SMS_MESSAGES, token=token)) == ["FORBIDDEN"]
        assert error_codes(api.run(RESEND, {"id": "1"}, token=token)) == ["FORBIDDEN"]
    assert error_codes(api.run(SMS_MESSAGES)) == ["UNAUTHENTICATED"]


def test_an_operator_resends_a_failed_message_but_not_a_sent_one(backend):
    api, token = _operator(backend)
    failed = make_sms(backend.database, status=SmsStatus.FAILED, attempts=3, last_error="已尝试发送3次仍未成功")
    sent = make_sms(backend.database, status=SmsStatus.SENT, attempts=1)

    resent = api.data(RESEND, {"id": str(failed.id)}, token=token)["resendSmsMessage"]
    refused = api.data(RESEND, {"id": str(sent.id)}, token=token)["resendSmsMessage"]
    missing = api.data(RESEND, {"id": "999999"}, token=token)["resendSmsMessage"]

    assert resent["errors"] == [] and resent["smsMessage"] == {
        "id": str(failed.id), "status": "PENDING", "attempts": 0, "lastError": None}
    assert [e["code"] for e in refused["errors"]] == ["INVALID_STATE"] and refused["smsMessage"] is None
    assert [e["code"] for e in missing["errors"]] == ["NOT_FOUND"]
    # the embedded console channel picks it up again
    row = wait_until_settled(backend.database, [failed.id])[failed.id]
    assert row.status == SmsStatus.SENT and row.attempts == 1


def test_operators_never_read_a_one_time_password_in_the_outbox(backend):
    api, token = _operator(backend)
    make_sms(backend.database, status=SmsStatus.SENT, template=SmsTemplate.UNIT_REGISTERED,
             params={"unit": "南宁市司法局", "username": "韦东19800101", "password": "Kq7xT2pa"})

    node = api.data(SMS_MESSAGES, token=token)["smsMessages"]["edges"][0]["node"]

    assert "Kq7xT2pa" not in node["text"] and "初始密码：******" in node["text"] and "韦东19800101" in node["text"]
