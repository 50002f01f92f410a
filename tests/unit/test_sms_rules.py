"""Pure SMS rules: the Aliyun signature, response-code mapping, backoff, settings checks."""

from __future__ import annotations

from datetime import timedelta

import pytest
from pydantic import ValidationError

from app.settings import Settings
from app.sms.providers import PermanentSmsError, TransientSmsError
from app.sms.providers.aliyun import classify, percent_encode, sign
from app.sms.rules import OutboxPolicy, clip, is_due, retry_delay


def test_signature_matches_alibaba_clouds_published_sms_example():
    # The worked example of Alibaba Cloud SMS's "HTTP protocol and signature" document.
    params = {
        "AccessKeyId": "testId", "Action": "SendSms", "Format": "XML", "OutId": "123",
        "PhoneNumbers": "15300000001", "RegionId": "cn-hangzhou", "SignName": "阿里云短信测试专用",
        "SignatureMethod": "HMAC-SHA1", "SignatureNonce": "45e25e9b-0a6f-4070-8c85-2956eda1b466",
        "SignatureVersion": "1.0", "TemplateCode": "SMS_71390007", "TemplateParam": '{"customer":"test"}',
        "Timestamp": "2017-07-12T02:42:19Z", "Version": "2017-05-25",
    }
    assert sign("GET", params, "testSecret") == "zJDF+Lrzhj/ThnlvIToysFRq6t4="


def test_signature_matches_the_rpc_signature_documents_example():
    params = {
        "AccessKeyId": "testid", "Action": "DescribeRegions", "Format": "XML", "SignatureMethod": "HMAC-SHA1",
        "SignatureNonce": "3ee8c1b8-83d3-44af-a94f-4e0ad82fd6cf", "SignatureVersion": "1.0",
        "Timestamp": "2016-02-23T12:46:24Z", "Version": "2014-05-26",
    }
    assert sign("GET", params, "testsecret") == "OLeaidS1JvxuMvnyHOwuJ+uX5qY="


def test_percent_encoding_follows_rfc_3986():
    assert percent_encode("a b*c~d/e+") == "a%20b%2Ac~d%2Fe%2B"
    assert percent_encode("阿") == "%E9%98%BF"


@pytest.mark.parametrize("code, kind", [
    ("isv.BUSINESS_LIMIT_CONTROL", TransientSmsError),
    ("Throttling.User", TransientSmsError),
    ("Throttling.Api", TransientSmsError),
    ("isp.SYSTEM_ERROR", TransientSmsError),
    ("isv.SOMETHING_NEW", TransientSmsError),
    ("isv.MOBILE_NUMBER_ILLEGAL", PermanentSmsError),
    ("isv.SMS_TEMPLATE_ILLEGAL", PermanentSmsError),
    ("isv.TEMPLATE_MISSING_PARAMETERS", PermanentSmsError),
    ("SignatureDoesNotMatch", PermanentSmsError),
])
def test_response_codes_map_to_retry_or_give_up(code, kind):
    error = classify(code, "message")
    assert type(error) is kind and error.code == code and code in str(error)


def test_backoff_doubles_from_the_first_delay_up_to_the_longest():
    policy = OutboxPolicy(retry_first=timedelta(seconds=15), retry_longest=timedelta(minutes=10))
    assert [retry_delay(n, policy, jitter=lambda: 0).total_seconds() for n in range(1, 8)] == [
        15, 30, 60, 120, 240, 480, 600]
    assert retry_delay(1, policy, jitter=lambda: 1).total_seconds() == 18  # at most 20% later
    assert retry_delay(500, policy, jitter=lambda: 0) == timedelta(minutes=10)


def test_due_allows_for_a_little_clock_skew_and_long_errors_are_clipped():
    from app.clock import now

    at = now()
    assert is_due(None, at) and is_due(at + timedelta(seconds=1), at) and not is_due(at + timedelta(seconds=5), at)
    assert len(clip("错" * 600)) == 500


def test_aliyun_needs_its_credentials_and_the_lease_must_outlast_a_call():
    with pytest.raises(ValidationError, match="SMS_ALIYUN_ACCESS_KEY_ID"):
        Settings(_env_file=None, sms_provider="aliyun", sms_aliyun_sign_name="签名")
    with pytest.raises(ValidationError, match="console or aliyun"):
        Settings(_env_file=None, sms_provider="tencent")
    with pytest.raises(ValidationError, match="SMS_SENDING_LEASE_SECONDS"):
        Settings(_env_file=None, sms_request_timeout_seconds=10, sms_sending_lease_seconds=30)
    settings = Settings(_env_file=None, sms_provider="aliyun", sms_aliyun_access_key_id="id",
                        sms_aliyun_access_key_secret="Kq9-private-value", sms_aliyun_sign_name="签名",
                        sms_aliyun_template_codes={"TRAINING_OPENED": "SMS_1"})
    assert "Kq9-private-value" not in repr(settings)


def test_template_codes_and_intervals_are_read_as_json_from_the_environment(monkeypatch):
    monkeypatch.setenv("SMS_ALIYUN_TEMPLATE_CODES", '{"TRAINING_OPENED": "SMS_480010001"}')
    monkeypatch.setenv("PERIODIC_INTERVALS", '{"sweep_sms_outbox": 5}')
    settings = Settings(_env_file=None)
    assert settings.sms_aliyun_template_codes == {"TRAINING_OPENED": "SMS_480010001"}
    assert settings.periodic_intervals == {"sweep_sms_outbox": 5.0}
    # docker compose passes an unset variable as an empty string
    monkeypatch.setenv("SMS_ALIYUN_TEMPLATE_CODES", "")
    monkeypatch.setenv("PERIODIC_INTERVALS", " ")
    settings = Settings(_env_file=None)
    assert settings.sms_aliyun_template_codes == {} and settings.periodic_intervals == {}


def test_the_console_channel_masks_phones_always_and_passwords_in_production(caplog):
    import logging

    from app.sms.providers import ConsoleProvider, OutgoingSms
    from app.sms.templates import SmsTemplate

    caplog.set_level(logging.INFO, logger="examreg")
    message = OutgoingSms(id=7, phone="13800138000", template=SmsTemplate.UNIT_REGISTERED,
                          params={"unit": "南宁市司法局", "username": "韦东19800101", "password": "Kq7xT2pa"})

    ConsoleProvider(reveal_secrets=True).send(message)  # a laptop: the log is the phone
    ConsoleProvider(reveal_secrets=False).send(message)  # production

    laptop, production = (r.getMessage() for r in caplog.records)
    assert "138****8000" in laptop and "Kq7xT2pa" in laptop
    assert "138****8000" in production and "Kq7xT2pa" not in production and "******" in production
    assert "13800138000" not in caplog.text
