"""Alibaba Cloud SMS (dysmsapi 2017-05-25) over its RPC-style HTTP API, signature version 1.0."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import logging
import uuid
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import quote

import httpx

from app.clock import CHINA, now
from app.registrations.masking import mask_phone
from app.sms.providers.base import (
    Delivery,
    Lookup,
    OutgoingSms,
    PermanentSmsError,
    SmsOutcomeUnknown,
    TransientSmsError,
)

log = logging.getLogger("examreg.sms.aliyun")

API_VERSION = "2017-05-25"
QUERY_PAGE_SIZE = 50
QUERY_MAX_PAGES = 20

# Codes for which sending the same request again cannot succeed, with what operators should know.
PERMANENT_CODES: dict[str, str] = {
    "isv.MOBILE_NUMBER_ILLEGAL": "手机号码格式不正确",
    "isv.MOBILE_COUNT_OVER_LIMIT": "手机号码数量超过限制",
    "isv.DOMESTIC_NUMBER_NOT_SUPPORTED": "该签名或模板不支持国内号码",
    "isv.CUSTOMER_REFUSED": "用户已退订或拒收短信",
    "isv.SMS_TEMPLATE_ILLEGAL": "短信模板不存在或未审核通过",
    "isv.SMS_SIGNATURE_ILLEGAL": "短信签名不存在或未审核通过",
    "isv.SMS_SIGN_ILLEGAL": "短信签名不合法",
    "isv.SMS_SIGNATURE_SCENE_ILLEGAL": "短信签名与模板的使用场景不匹配",
    "isv.SMS_CONTENT_ILLEGAL": "短信内容包含禁止发送的内容",
    "isv.TEMPLATE_MISSING_PARAMETERS": "短信模板缺少变量",
    "isv.TEMPLATE_PARAMS_ILLEGAL": "短信模板变量不合规",
    "isv.INVALID_JSON_PARAM": "短信模板变量不是合法的 JSON",
    "isv.INVALID_PARAMETERS": "请求参数不合法",
    "isv.PARAM_LENGTH_LIMIT": "模板变量超过长度限制",
    "isv.PARAM_NOT_SUPPORT_URL": "模板变量中不允许包含网址",
    "isv.BLACK_KEY_CONTROL_LIMIT": "模板变量中包含禁用词",
    "isv.EXTEND_CODE_ERROR": "扩展码使用错误",
    "isv.SMS_TEST_NUMBER_LIMIT": "测试签名只能发给已绑定的测试号码",
    "isv.ACCOUNT_NOT_EXISTS": "阿里云账户不存在",
    "isv.ACCOUNT_ABNORMAL": "阿里云账户异常",
    "isv.PRODUCT_UN_SUBSCRIPT": "阿里云账户未开通短信服务",
    "isv.PRODUCT_UNSUBSCRIBE": "阿里云账户未开通短信服务",
    "isp.RAM_PERMISSION_DENY": "AccessKey 没有发送短信的权限",
    "InvalidAccessKeyId.NotFound": "AccessKey ID 不存在，请检查短信配置",
    "InvalidAccessKeyId.Inactive": "AccessKey 已停用，请检查短信配置",
    "SignatureDoesNotMatch": "请求签名不正确，请检查 AccessKey Secret",
}
# Codes that mean "not now": flow control, balance, the provider's own trouble.
TRANSIENT_CODES: dict[str, str] = {
    "isv.BUSINESS_LIMIT_CONTROL": "触发短信平台流控（同一号码发送过于频繁）",
    "isv.DAY_LIMIT_CONTROL": "触发短信平台日发送量限制",
    "isv.AMOUNT_NOT_ENOUGH": "阿里云账户余额不足",
    "isv.OUT_OF_SERVICE": "阿里云账户已停机（可能欠费）",
    "isp.SYSTEM_ERROR": "短信平台系统错误",
    "ServiceUnavailable": "短信平台暂时不可用",
    "InternalError": "短信平台内部错误",
    "SignatureNonceUsed": "请求随机数重复",
    "InvalidTimeStamp.Expired": "请求时间戳过期（请检查服务器时钟）",
}


def percent_encode(value: str) -> str:
    """RFC 3986 encoding as Alibaba Cloud signs it: space is %20, * is %2A, ~ stays."""
    return quote(value, safe="~")


def sign(method: str, params: Mapping[str, str], secret: str) -> str:
    """Signature version 1.0: HMAC-SHA1 over METHOD&%2F&encoded(canonical query), key secret + "&"."""
    canonical = "&".join(f"{percent_encode(k)}={percent_encode(params[k])}" for k in sorted(params))
    string_to_sign = f"{method}&{percent_encode('/')}&{percent_encode(canonical)}"
    digest = hmac.new(f"{secret}&".encode(), string_to_sign.encode(), hashlib.sha1).digest()
    return base64.b64encode(digest).decode()


def classify(code: str, message: str) -> TransientSmsError | PermanentSmsError:
    """Map a response code other than OK to our two kinds of failure."""
    if code in PERMANENT_CODES:
        return PermanentSmsError(f"{PERMANENT_CODES[code]}（{code}：{message}）", code=code)
    if code.startswith("Throttling"):
        return TransientSmsError(f"短信平台限流（{code}：{message}）", code=code)
    reason = TRANSIENT_CODES.get(code, "短信平台返回未知错误")
    # Unknown codes are retried: bounded by the attempt limit, never a silent loss.
    return TransientSmsError(f"{reason}（{code}：{message}）", code=code)


class AliyunSmsProvider:
    name = "aliyun"
    max_batch = 100  # SendBatchSms takes at most 100 numbers a call

    def __init__(
        self, *, endpoint: str, access_key_id: str, access_key_secret: str, sign_name: str,
        template_codes: Mapping[str, str], region: str = "cn-hangzhou", timeout: float = 10.0,
    ) -> None:
        self.endpoint = endpoint.rstrip("/") + "/"
        self.access_key_id = access_key_id
        self.access_key_secret = access_key_secret
        self.sign_name = sign_name
        self.template_codes = dict(template_codes)
        self.region = region
        self.client = httpx.Client(timeout=timeout)

    def send(self, message: OutgoingSms) -> str:
        body = self._call("SendSms", {
            "PhoneNumbers": message.phone,
            "SignName": self.sign_name,
            "TemplateCode": self._template_code(message),
            "TemplateParam": _json(message.params),
            "OutId": message.out_id,
        }, may_have_sent=True)
        log.info("SMS %s to %s accepted by Aliyun as %s", message.id, mask_phone(message.phone), body.get("BizId"))
        return str(body.get("BizId") or "")

    def send_batch(self, messages: Sequence[OutgoingSms]) -> str:
        """SendBatchSms: numbers, sign names and template parameters as aligned JSON arrays, one OutId."""
        body = self._call("SendBatchSms", {
            "PhoneNumberJson": _json([m.phone for m in messages]),
            "SignNameJson": _json([self.sign_name] * len(messages)),
            "TemplateCode": self._template_code(messages[0]),
            "TemplateParamJson": _json([m.params for m in messages]),
            "OutId": messages[0].out_id,
        }, may_have_sent=True)
        log.info("%d SMS (%s..%s) accepted by Aliyun as %s", len(messages), messages[0].id, messages[-1].id,
                 body.get("BizId"))
        return str(body.get("BizId") or "")

    def lookup(self, message: OutgoingSms) -> Lookup:
        """QuerySendDetails by phone and send date, matched on OutId (the worker died before any BizId)."""
        out_id = message.out_id
        for send_date in _send_dates(message.claimed_at):
            for page in range(1, QUERY_MAX_PAGES + 1):
                body = self._call("QuerySendDetails", {
                    "PhoneNumber": message.phone, "SendDate": send_date,
                    "PageSize": str(QUERY_PAGE_SIZE), "CurrentPage": str(page),
                }, may_have_sent=False)
                records = (body.get("SmsSendDetailDTOs") or {}).get("SmsSendDetailDTO") or []
                for record in records:
                    if str(record.get("OutId") or "") == out_id:
                        return Lookup(Delivery.RECEIVED, record.get("BizId"))
                if not records or page * QUERY_PAGE_SIZE >= int(body.get("TotalCount") or 0):
                    break
        return Lookup(Delivery.NOT_RECEIVED)

    def _template_code(self, message: OutgoingSms) -> str:
        template_code = self.template_codes.get(message.template.value)
        if not template_code:
            raise PermanentSmsError(
                f"未配置短信模板 {message.template.value} 对应的阿里云模板代码（SMS_ALIYUN_TEMPLATE_CODES）"
            )
        return template_code

    def close(self) -> None:
        self.client.close()

    def _call(self, action: str, params: dict[str, str], *, may_have_sent: bool) -> dict[str, Any]:
        signed = self._signed(action, params)
        try:
            response = self.client.post(self.endpoint, data=signed)
        except (httpx.ConnectError, httpx.ConnectTimeout, httpx.PoolTimeout) as exc:
            raise TransientSmsError(f"无法连接短信平台：{exc!r}") from exc
        except httpx.TransportError as exc:
            # The request may have reached Alibaba Cloud: only its records can tell.
            if may_have_sent:
                raise SmsOutcomeUnknown(f"短信平台未应答：{exc!r}") from exc
            raise TransientSmsError(f"查询短信平台失败：{exc!r}") from exc
        if response.status_code >= 500:
            raise TransientSmsError(f"短信平台暂时不可用（HTTP {response.status_code}）", code=str(response.status_code))
        try:
            body = response.json()
        except ValueError as exc:
            raise TransientSmsError(f"短信平台应答无法解析（HTTP {response.status_code}）") from exc
        code = str(body.get("Code") or "")
        if code == "OK":
            return body
        raise classify(code or f"HTTP{response.status_code}", str(body.get("Message") or ""))

    def _signed(self, action: str, params: dict[str, str]) -> dict[str, str]:
        common = {
            "Action": action,
            "Version": API_VERSION,
            "Format": "JSON",
            "RegionId": self.region,
            "AccessKeyId": self.access_key_id,
            "SignatureMethod": "HMAC-SHA1",
            "SignatureVersion": "1.0",
            "SignatureNonce": uuid.uuid4().hex,
            "Timestamp": datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
        }
        request = {**common, **params}
        return {**request, "Signature": sign("POST", request, self.access_key_secret)}


def _json(value: object) -> str:
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"))


def _send_dates(claimed_at: datetime | None) -> list[str]:
    """Send dates (China time) to search: the claim's day, and the next one if the call may have crossed midnight."""
    start = claimed_at or now()
    days = {start.astimezone(CHINA).date(), (start + timedelta(minutes=5)).astimezone(CHINA).date()}
    return [d.strftime("%Y%m%d") for d in sorted(days)]
