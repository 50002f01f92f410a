"""SMS actors: send one outbox row, or up to 100 in one provider call; sweep the outbox for lost and abandoned rows."""

from __future__ import annotations

import dramatiq
import sqlalchemy as sa

from app.db import Database
from app.sms import batches, sending, sweeping
from app.sms.providers import provider_from_settings
from app.sms.rules import OutboxPolicy
from app.sms.service import BATCH_ACTOR, SEND_ACTOR


def register(broker: dramatiq.Broker, database: Database) -> None:
    settings = database.settings
    provider = provider_from_settings(settings)
    policy = OutboxPolicy.from_settings(settings)
    # Attempts are counted on the row; the broker's own limit only backs that up.
    max_retries = policy.max_attempts + 3

    def retry_when(retries: int, error: BaseException) -> bool:
        # Scheduled retries, and a database that went away mid-message; anything else is a bug
        # whose row the sweeper finds later.
        return retries < max_retries and isinstance(error, dramatiq.Retry | sa.exc.OperationalError)

    def send_sms(message_id: int) -> None:
        try:
            sending.send_outbox_message(database, message_id, provider, policy=policy)
        except sending.RetryLater as later:
            raise dramatiq.Retry(str(later), delay=int(later.delay.total_seconds() * 1000)) from later

    def send_sms_batch(message_ids: list[int]) -> None:
        report = batches.send_outbox_batch(database, message_ids, provider, policy=policy)
        if report.retry_in is not None:
            # Rows already sent or failed are skipped when the message comes back.
            raise dramatiq.Retry(f"{report.retrying} SMS to retry", delay=int(report.retry_in.total_seconds() * 1000))

    def sweep_sms_outbox() -> None:
        sweeping.sweep_outbox(database, provider, policy=policy)

    dramatiq.actor(
        send_sms, actor_name=SEND_ACTOR, broker=broker, max_retries=max_retries, retry_when=retry_when,
        min_backoff=int(policy.retry_first.total_seconds() * 1000),
        max_backoff=int(policy.retry_longest.total_seconds() * 1000),
    )
    dramatiq.actor(
        send_sms_batch, actor_name=BATCH_ACTOR, broker=broker, max_retries=max_retries, retry_when=retry_when,
        min_backoff=int(policy.retry_first.total_seconds() * 1000),
        max_backoff=int(policy.retry_longest.total_seconds() * 1000),
    )
    # A failed sweep is simply run again in the next slot.
    dramatiq.actor(sweep_sms_outbox, actor_name=sweeping.SWEEP_ACTOR, broker=broker, max_retries=0)
