"""SMS providers behind one small interface, chosen by settings (SMS_PROVIDER)."""

from __future__ import annotations

from app.settings import Settings
from app.sms.providers.aliyun import AliyunSmsProvider
from app.sms.providers.base import (
    Delivery,
    Lookup,
    OutgoingSms,
    PermanentSmsError,
    SmsError,
    SmsOutcomeUnknown,
    SmsProvider,
    TransientSmsError,
)
from app.sms.providers.console import ConsoleProvider


def provider_from_settings(settings: Settings) -> SmsProvider:
    if settings.sms_provider == "aliyun":
        return AliyunSmsProvider(
            endpoint=settings.sms_aliyun_endpoint,
            access_key_id=settings.sms_aliyun_access_key_id,
            access_key_secret=settings.sms_aliyun_access_key_secret.get_secret_value(),
            sign_name=settings.sms_aliyun_sign_name,
            template_codes=settings.sms_aliyun_template_codes,
            region=settings.sms_aliyun_region,
            timeout=settings.sms_request_timeout_seconds,
        )
    return ConsoleProvider(reveal_secrets=not settings.production)


__all__ = [
    "AliyunSmsProvider", "ConsoleProvider", "Delivery", "Lookup", "OutgoingSms", "PermanentSmsError",
    "SmsError", "SmsOutcomeUnknown", "SmsProvider", "TransientSmsError", "provider_from_settings",
]
