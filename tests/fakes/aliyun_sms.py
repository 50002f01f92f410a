"""A stand-in for Alibaba Cloud SMS (dysmsapi 2017-05-25): a real HTTP server on 127.0.0.1.

It checks every request the way the real service does (AccessKeyId, the
signature version 1.0, a fresh nonce, a recent timestamp, the sign name and
template code), answers SendSms and SendBatchSms (up to 100 numbers, aligned
JSON arrays of numbers, sign names and template parameters, one OutId and one
BizId for the batch) as scripted (OK, an error code, an HTTP status, or "accept
and then hang"), records every message it accepted, and answers
QuerySendDetails from those records, so the outbox sweeper can be tested
against the same questions it asks in production.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import itertools
import json
import threading
import time
from collections import deque
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qsl, quote, urlsplit
from zoneinfo import ZoneInfo

CHINA = ZoneInfo("Asia/Shanghai")
ACCESS_KEY_ID = "LTAI5tFakeKeyForTests"
ACCESS_KEY_SECRET = "fake-secret-for-tests"
SIGN_NAME = "广西行政执法培训"
TEMPLATE_CODES = {
    "TRAINING_OPENED": "SMS_480010001", "UNIT_REGISTERED": "SMS_480010002",
    "UNIT_REQUEST_APPROVED": "SMS_480010003", "UNIT_REQUEST_REJECTED": "SMS_480010004",
    "REVIEW_REMINDER": "SMS_480010005",
}
# A scripted SendSms outcome that accepts the message and then answers too late for the client.
ACCEPT_THEN_HANG = "ACCEPT_THEN_HANG"
SEND_ACTIONS = ("SendSms", "SendBatchSms")
BATCH_LIMIT = 100


@dataclass(frozen=True)
class Accepted:
    out_id: str
    phone: str
    template_code: str
    params: dict[str, Any]
    biz_id: str
    at: datetime


@dataclass(frozen=True)
class Attempt:
    action: str
    out_id: str | None
    outcome: str
    at: float  # time.monotonic()
    phones: tuple[str, ...] = ()


def _encode(value: str) -> str:
    return quote(value, safe="-_.~")


def expected_signature(method: str, params: dict[str, str], secret: str) -> str:
    pairs = sorted((k, v) for k, v in params.items() if k != "Signature")
    canonical = "&".join(f"{_encode(k)}={_encode(v)}" for k, v in pairs)
    string_to_sign = "&".join((method, _encode("/"), _encode(canonical)))
    return base64.b64encode(hmac.new(f"{secret}&".encode(), string_to_sign.encode(), hashlib.sha1).digest()).decode()


class FakeAliyunSms:
    def __init__(self, *, delay: float = 0.0, hang: float = 5.0) -> None:
        self.delay = delay  # seconds each SendSms or SendBatchSms takes after it is recorded
        self.hang = hang  # seconds an ACCEPT_THEN_HANG answer is held back
        self.accepted: list[Accepted] = []
        self.attempts: list[Attempt] = []
        self.rejected_signatures = 0
        self._script: deque[str | int] = deque()
        self._query_script: deque[str | int] = deque()
        self._nonces: set[str] = set()
        self._biz = itertools.count(900001)
        self._lock = threading.Lock()
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self._server.daemon_threads = True
        self._thread = threading.Thread(target=self._server.serve_forever, name="fake-aliyun", daemon=True)

    # -- test side --------------------------------------------------------
    @property
    def url(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}"

    def script(self, *outcomes: str | int) -> None:
        """Next SendSms or SendBatchSms answers, in order: "OK", an error Code, an HTTP status, or ACCEPT_THEN_HANG."""
        with self._lock:
            self._script.extend(outcomes)

    def script_queries(self, *outcomes: str | int) -> None:
        with self._lock:
            self._query_script.extend(outcomes)

    def accepted_out_ids(self) -> list[str]:
        with self._lock:
            return [a.out_id for a in self.accepted]

    def accepted_phones(self) -> list[str]:
        with self._lock:
            return [a.phone for a in self.accepted]

    def send_attempts(self, out_id: str | None = None) -> list[Attempt]:
        with self._lock:
            return [a for a in self.attempts if a.action in SEND_ACTIONS and (out_id is None or a.out_id == out_id)]

    def __enter__(self) -> FakeAliyunSms:
        self._thread.start()
        return self

    def __exit__(self, *_: object) -> None:
        self._server.shutdown()
        self._server.server_close()

    # -- server side ------------------------------------------------------
    def _handler(self) -> type[BaseHTTPRequestHandler]:
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:  # noqa: N802
                fake._serve(self, "GET", dict(parse_qsl(urlsplit(self.path).query, keep_blank_values=True)))

            def do_POST(self) -> None:  # noqa: N802
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length).decode()
                fake._serve(self, "POST", dict(parse_qsl(body, keep_blank_values=True)))

            def log_message(self, *_: object) -> None:
                pass

        return Handler

    def _serve(self, request: BaseHTTPRequestHandler, method: str, params: dict[str, str]) -> None:
        status, body, delay = self._answer(method, params)
        if delay:
            time.sleep(delay)
        payload = json.dumps(body, ensure_ascii=False).encode()
        try:
            request.send_response(status)
            request.send_header("Content-Type", "application/json;charset=utf-8")
            request.send_header("Content-Length", str(len(payload)))
            request.end_headers()
            request.wfile.write(payload)
        except OSError:
            pass  # the client gave up (timeout) or was killed; what was recorded stands

    def _answer(self, method: str, params: dict[str, str]) -> tuple[int, dict[str, Any], float]:
        problem = self._check_common(method, params)
        if problem:
            return problem[0], {"Code": problem[1], "Message": problem[2], "RequestId": "fake"}, 0
        action = params["Action"]
        if action == "SendSms":
            return self._send(params)
        if action == "SendBatchSms":
            return self._send_batch(params)
        if action == "QuerySendDetails":
            return self._query(params)
        return 404, {"Code": "InvalidAction.NotFound", "Message": action, "RequestId": "fake"}, 0

    def _check_common(self, method: str, params: dict[str, str]) -> tuple[int, str, str] | None:
        for name in ("AccessKeyId", "Action", "Format", "SignatureMethod", "SignatureNonce", "SignatureVersion",
                     "Timestamp", "Version", "Signature"):
            if not params.get(name):
                return 400, "MissingParameter", f"{name} is mandatory"
        if params["Version"] != "2017-05-25" or params["SignatureMethod"] != "HMAC-SHA1" \
                or params["SignatureVersion"] != "1.0":
            return 400, "InvalidParameter", "version or signature method"
        if params["AccessKeyId"] != ACCESS_KEY_ID:
            return 404, "InvalidAccessKeyId.NotFound", "Specified access key is not found."
        if params["Signature"] != expected_signature(method, params, ACCESS_KEY_SECRET):
            with self._lock:
                self.rejected_signatures += 1
            return 400, "SignatureDoesNotMatch", "Specified signature is not matched with our calculation."
        stamp = datetime.strptime(params["Timestamp"], "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=UTC)
        if abs(datetime.now(UTC) - stamp) > timedelta(minutes=15):
            return 400, "InvalidTimeStamp.Expired", "Specified time stamp or date value is expired."
        with self._lock:
            if params["SignatureNonce"] in self._nonces:
                return 400, "SignatureNonceUsed", "Specified signature nonce was used already."
            self._nonces.add(params["SignatureNonce"])
        return None

    def _send(self, params: dict[str, str]) -> tuple[int, dict[str, Any], float]:
        out_id = params.get("OutId")
        with self._lock:
            outcome = self._script.popleft() if self._script else "OK"
            self.attempts.append(Attempt("SendSms", out_id, str(outcome), time.monotonic()))
            if isinstance(outcome, int):
                return outcome, {"Code": "InternalError", "Message": "fake outage", "RequestId": "fake"}, 0
            if outcome not in ("OK", ACCEPT_THEN_HANG):
                return 200, {"Code": outcome, "Message": "scripted refusal", "RequestId": "fake"}, 0
            phone, code = params.get("PhoneNumbers", ""), params.get("TemplateCode", "")
            if not (len(phone) == 11 and phone.isdigit()):
                return 200, {"Code": "isv.MOBILE_NUMBER_ILLEGAL", "Message": phone, "RequestId": "fake"}, 0
            if params.get("SignName") != SIGN_NAME:
                return 200, {"Code": "isv.SMS_SIGNATURE_ILLEGAL", "Message": "sign", "RequestId": "fake"}, 0
            if code not in TEMPLATE_CODES.values():
                return 200, {"Code": "isv.SMS_TEMPLATE_ILLEGAL", "Message": code, "RequestId": "fake"}, 0
            biz_id = f"{next(self._biz)}^0"
            self.accepted.append(Accepted(out_id=out_id or "", phone=phone, template_code=code,
                                          params=json.loads(params.get("TemplateParam") or "{}"),
                                          biz_id=biz_id, at=datetime.now(UTC)))
        delay = self.hang if outcome == ACCEPT_THEN_HANG else self.delay
        return 200, {"Code": "OK", "Message": "OK", "BizId": biz_id, "RequestId": "fake"}, delay

    def _send_batch(self, params: dict[str, str]) -> tuple[int, dict[str, Any], float]:
        out_id = params.get("OutId")
        try:
            phones = json.loads(params.get("PhoneNumberJson") or "[]")
            signs = json.loads(params.get("SignNameJson") or "[]")
            values = json.loads(params.get("TemplateParamJson") or "[]")
        except ValueError:
            return 200, {"Code": "isv.INVALID_JSON_PARAM", "Message": "JSON", "RequestId": "fake"}, 0
        with self._lock:
            outcome = self._script.popleft() if self._script else "OK"
            self.attempts.append(Attempt("SendBatchSms", out_id, str(outcome), time.monotonic(), tuple(phones)))
            if isinstance(outcome, int):
                return outcome, {"Code": "InternalError", "Message": "fake outage", "RequestId": "fake"}, 0
            if outcome not in ("OK", ACCEPT_THEN_HANG):
                return 200, {"Code": outcome, "Message": "scripted refusal", "RequestId": "fake"}, 0
            code = params.get("TemplateCode", "")
            if not phones or len(phones) > BATCH_LIMIT:
                return 200, {"Code": "isv.MOBILE_COUNT_OVER_LIMIT", "Message": str(len(phones)), "RequestId": "fake"}, 0
            if not (len(signs) == len(phones) == len(values)):
                return 200, {"Code": "isv.INVALID_PARAMETERS", "Message": "lengths", "RequestId": "fake"}, 0
            # One bad number refuses the whole request: nothing of it is sent.
            for phone in phones:
                if not (isinstance(phone, str) and len(phone) == 11 and phone.isdigit()):
                    return 200, {"Code": "isv.MOBILE_NUMBER_ILLEGAL", "Message": str(phone), "RequestId": "fake"}, 0
            if any(sign != SIGN_NAME for sign in signs):
                return 200, {"Code": "isv.SMS_SIGNATURE_ILLEGAL", "Message": "sign", "RequestId": "fake"}, 0
            if code not in TEMPLATE_CODES.values():
                return 200, {"Code": "isv.SMS_TEMPLATE_ILLEGAL", "Message": code, "RequestId": "fake"}, 0
            biz_id = f"{next(self._biz)}^0"
            at = datetime.now(UTC)
            self.accepted.extend(Accepted(out_id=out_id or "", phone=phone, template_code=code, params=value,
                                          biz_id=biz_id, at=at) for phone, value in zip(phones, values, strict=True))
        delay = self.hang if outcome == ACCEPT_THEN_HANG else self.delay
        return 200, {"Code": "OK", "Message": "OK", "BizId": biz_id, "RequestId": "fake"}, delay

    def _query(self, params: dict[str, str]) -> tuple[int, dict[str, Any], float]:
        with self._lock:
            outcome = self._query_script.popleft() if self._query_script else "OK"
            self.attempts.append(Attempt("QuerySendDetails", None, str(outcome), time.monotonic()))
            if isinstance(outcome, int):
                return outcome, {"Code": "InternalError", "Message": "fake outage", "RequestId": "fake"}, 0
            if outcome != "OK":
                return 200, {"Code": outcome, "Message": "scripted refusal", "RequestId": "fake"}, 0
            size, page = int(params["PageSize"]), int(params["CurrentPage"])
            if not 1 <= size <= 50 or page < 1:
                return 200, {"Code": "isv.INVALID_PARAMETERS", "Message": "page", "RequestId": "fake"}, 0
            matches = [a for a in self.accepted if a.phone == params["PhoneNumber"]
                       and a.at.astimezone(CHINA).strftime("%Y%m%d") == params["SendDate"]
                       and params.get("BizId") in (None, "", a.biz_id)]
        chosen = matches[(page - 1) * size: page * size]
        return 200, {"Code": "OK", "Message": "OK", "RequestId": "fake", "TotalCount": len(matches),
                     "SmsSendDetailDTOs": {"SmsSendDetailDTO": [_detail(a) for a in chosen]}}, 0


def _detail(a: Accepted) -> dict[str, Any]:
    local = a.at.astimezone(CHINA).strftime("%Y-%m-%d %H:%M:%S")
    return {"PhoneNum": a.phone, "SendStatus": 3, "ErrCode": "DELIVERED", "TemplateCode": a.template_code,
            "Content": json.dumps(a.params, ensure_ascii=False), "SendDate": local, "ReceiveDate": local,
            "OutId": a.out_id}
