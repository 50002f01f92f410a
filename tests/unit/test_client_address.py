"""Which address a request comes from: X-Forwarded-For only through a trusted proxy."""

from __future__ import annotations

from app.audit.addresses import client_address
from app.audit.service import scrub


def test_the_socket_peer_unless_a_trusted_proxy_forwarded_the_request():
    assert client_address("203.0.113.9", "198.51.100.1", []) == "203.0.113.9"
    assert client_address("203.0.113.9", "198.51.100.1", ["10.0.0.0/8"]) == "203.0.113.9"
    assert client_address("10.1.2.3", "198.51.100.1", ["10.0.0.0/8"]) == "198.51.100.1"
    assert client_address("10.1.2.3", None, ["10.0.0.0/8"]) == "10.1.2.3"
    assert client_address(None, "198.51.100.1", ["*"]) is None


def test_a_client_cannot_forge_its_address_past_the_nearest_untrusted_hop():
    # the client wrote "1.1.1.1"; the trusted proxies appended what they saw
    assert client_address("10.0.0.5", "1.1.1.1, 198.51.100.7, 10.0.0.4", ["10.0.0.0/8"]) == "198.51.100.7"
    assert client_address("10.0.0.5", "10.0.0.3, 10.0.0.4", ["10.0.0.0/8"]) == "10.0.0.3"
    assert client_address("::1", "2001:db8::7", ["::1"]) == "2001:db8::7"


def test_audit_text_never_keeps_a_full_id_number_or_mobile():
    assert scrub("450102198001010011", 64) == "4501**********0011"
    assert scrub("韦45010219800101001x登录", 64) == "韦4501**********001x登录"
    assert scrub("13800138000", 64) == "138****8000"
    assert scrub("张三19780509", 64) == "张三19780509"
    assert scrub("x" * 100, 64) == "x" * 64
