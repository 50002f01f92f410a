"""The embedded default: SMS written to the log, with the phone number masked."""

from __future__ import annotations

import logging
from collections.abc import Sequence

from app.registrations.masking import mask_phone
from app.sms.providers.base import Delivery, Lookup, OutgoingSms

log = logging.getLogger("examreg.sms.console")


class ConsoleProvider:
    name = "console"
    max_batch = 100

    def __init__(self, *, reveal_secrets: bool = True) -> None:
        # On a laptop the log is the only way to read an initial password; in production it must not be.
        self.reveal_secrets = reveal_secrets

    def send(self, message: OutgoingSms) -> str:
        text = message.text_for_logs(reveal_secrets=self.reveal_secrets)
        log.info("SMS %s to %s: %s", message.id, mask_phone(message.phone), text)
        return f"console-{message.id}"

    def send_batch(self, messages: Sequence[OutgoingSms]) -> str:
        for message in messages:
            self.send(message)
        return f"console-batch-{messages[0].out_id}"

    def lookup(self, message: OutgoingSms) -> Lookup:
        return Lookup(Delivery.UNKNOWABLE)
