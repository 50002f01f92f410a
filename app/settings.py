"""Typed settings read from the environment (and an optional .env file)."""

from __future__ import annotations

import json
from functools import cached_property
from pathlib import Path
from typing import Annotated, Any

from pydantic import Field, SecretStr, field_validator, model_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

DEVELOPMENT_SECRET = "examreg-development-secret-change-me"


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_file=".env", env_file_encoding="utf-8", extra="ignore")

    environment: str = Field("development", description="development | production")
    database_url: str = "sqlite:///./examreg.db"
    redis_url: str = Field("", description="empty: in-process broker inside the API process")
    broker_namespace: str = "examreg"
    # Uploaded files: "local" (a directory or shared volume, STORAGE_DIR) or "s3" (S3-compatible object storage).
    storage_backend: str = Field("local", description="local | s3")
    storage_dir: Path = Path("./storage")
    storage_s3_endpoint_url: str = Field("", description="empty: Amazon S3; e.g. http://minio:9000")
    storage_s3_region: str = ""
    storage_s3_bucket: str = ""
    storage_s3_prefix: str = ""
    storage_s3_access_key_id: str = ""
    storage_s3_secret_access_key: SecretStr = SecretStr("")
    storage_s3_addressing_style: str = Field("path", description="path | virtual | auto")
    secret_key: str = DEVELOPMENT_SECRET
    token_ttl_hours: float = 8.0
    login_max_failures: int = 5
    login_lock_minutes: int = 15
    # A token not used for this long is refused (its last use is recorded at most once a minute).
    token_idle_minutes: float = Field(30.0, gt=0)
    # Per client address, in the `limits` notation ("20/minute", "5/hour"); empty turns a limit off.
    login_rate_limit: str = "20/minute"
    unit_application_rate_limit: str = "5/hour"
    # Proxies whose X-Forwarded-For is believed (comma-separated addresses or networks, "*" for any);
    # empty: the client address is the socket peer.
    trusted_proxies: Annotated[list[str], NoDecode] = Field(default_factory=list)
    # GraphQL documents refused before anything runs (see schema/limits.py); introspection is off in production.
    graphql_max_depth: int = Field(10, ge=1)
    graphql_max_aliases: int = Field(10, ge=0)
    graphql_max_tokens: int = Field(3000, ge=100)
    graphql_max_cost: int = Field(5000, ge=1)
    # Queries executing at once, each in a worker thread (see schema/execution.py); more wait their turn.
    graphql_query_threads: int = Field(4, ge=1)
    # Request bodies, counted while they arrive (app/body_limits.py): multipart uploads, and anything else.
    http_max_upload_bytes: int = Field(1024 * 1024 * 1024 + 16 * 1024 * 1024, ge=1)
    http_max_body_bytes: int = Field(2 * 1024 * 1024, ge=1)
    in_process_worker_threads: int = 2
    initial_password: str = "8888"
    sql_echo: bool = False
    # A RUNNING job without a heartbeat this long lost its worker; a QUEUED one this old lost its message.
    job_stale_seconds: float = 120
    job_lost_seconds: float = 300
    # Photo and proof PDF checks: a PENDING check whose last claim is this old lost its message or its
    # worker and is sent again; one claimed this many times without a verdict is rejected (a file that
    # kills the worker every time must not be re-sent forever).
    document_check_lost_seconds: float = Field(300.0, gt=0)
    document_check_max_attempts: int = Field(3, ge=1)

    # SMS: "console" logs messages (embedded default), "aliyun" sends through Alibaba Cloud SMS.
    sms_provider: str = Field("console", description="console | aliyun")
    sms_aliyun_endpoint: str = "https://dysmsapi.aliyuncs.com"
    sms_aliyun_region: str = "cn-hangzhou"
    sms_aliyun_access_key_id: str = ""
    sms_aliyun_access_key_secret: SecretStr = SecretStr("")
    sms_aliyun_sign_name: str = ""
    # JSON object: our template name -> the provider's template code, e.g. {"TRAINING_OPENED": "SMS_123"}.
    sms_aliyun_template_codes: Annotated[dict[str, str], NoDecode] = Field(default_factory=dict)
    sms_request_timeout_seconds: float = 10.0
    sms_max_attempts: int = Field(8, ge=1)
    sms_retry_first_seconds: float = Field(15.0, gt=0)
    sms_retry_longest_seconds: float = Field(3600.0, gt=0)
    # The sweeper re-sends a PENDING row this long after it was due (a lost broker message).
    sms_pending_grace_seconds: float = Field(120.0, gt=0)
    # A SENDING row older than this belongs to a dead worker; the sweeper asks the provider about it.
    sms_sending_lease_seconds: float = Field(300.0, gt=0)
    # How long the sweeper keeps asking a provider whose query fails before it flags the row UNCERTAIN.
    sms_reconcile_give_up_seconds: float = Field(3600.0, gt=0)

    # Periodic tasks (see workers/periodic.py): JSON object of actor name -> seconds; 0 turns one off.
    periodic_intervals: Annotated[dict[str, float], NoDecode] = Field(default_factory=dict)
    periodic_tick_seconds: float = Field(1.0, gt=0)

    @property
    def production(self) -> bool:
        return self.environment.lower() == "production"

    @cached_property
    def uses_redis(self) -> bool:
        return bool(self.redis_url)

    @model_validator(mode="after")
    def _refuse_development_secret_in_production(self) -> Settings:
        if self.production and self.secret_key == DEVELOPMENT_SECRET:
            raise ValueError("SECRET_KEY must be set to a private value in production")
        return self

    @field_validator("sms_aliyun_template_codes", "periodic_intervals", mode="before")
    @classmethod
    def _json_object(cls, value: Any) -> Any:
        # An unset variable passed through docker compose arrives as "": the same as not set.
        if isinstance(value, str):
            return json.loads(value) if value.strip() else {}
        return value

    @field_validator("trusted_proxies", mode="before")
    @classmethod
    def _comma_separated(cls, value: Any) -> Any:
        if isinstance(value, str):
            return [part.strip() for part in value.split(",") if part.strip()]
        return value

    @field_validator("login_rate_limit", "unit_application_rate_limit")
    @classmethod
    def _rate_limit(cls, value: str) -> str:
        from limits import parse

        if value.strip():
            parse(value)  # raises ValueError for a malformed limit
        return value.strip()

    @model_validator(mode="after")
    def _check_storage(self) -> Settings:
        if self.storage_backend not in ("local", "s3"):
            raise ValueError(f"STORAGE_BACKEND must be local or s3, not {self.storage_backend!r}")
        if self.storage_backend == "s3" and not self.storage_s3_bucket:
            raise ValueError("STORAGE_BACKEND=s3 needs STORAGE_S3_BUCKET")
        if self.storage_s3_addressing_style not in ("path", "virtual", "auto"):
            raise ValueError("STORAGE_S3_ADDRESSING_STYLE must be path, virtual or auto")
        return self

    @model_validator(mode="after")
    def _check_sms(self) -> Settings:
        if self.sms_provider not in ("console", "aliyun"):
            raise ValueError(f"SMS_PROVIDER must be console or aliyun, not {self.sms_provider!r}")
        if self.sms_provider == "aliyun":
            missing = [name for name, value in (
                ("SMS_ALIYUN_ACCESS_KEY_ID", self.sms_aliyun_access_key_id),
                ("SMS_ALIYUN_ACCESS_KEY_SECRET", self.sms_aliyun_access_key_secret.get_secret_value()),
                ("SMS_ALIYUN_SIGN_NAME", self.sms_aliyun_sign_name),
            ) if not value]
            if missing:
                raise ValueError(f"SMS_PROVIDER=aliyun needs {', '.join(missing)}")
        # httpx's timeout bounds each phase (connect, write, read), so a call can last about three times it;
        # the sweeper must not ask the provider about a message whose call may still be in flight.
        if self.sms_sending_lease_seconds <= 3 * self.sms_request_timeout_seconds:
            raise ValueError("SMS_SENDING_LEASE_SECONDS must exceed three times SMS_REQUEST_TIMEOUT_SECONDS")
        return self
