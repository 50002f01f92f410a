"""Typed settings read from the environment (and an optional .env file)."""

from __future__ import annotations

from functools import cached_property
from pathlib import Path

from pydantic import Field, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

DEVELOPMENT_SECRET = "examreg-development-secret-change-me"


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_file=".env", env_file_encoding="utf-8", extra="ignore")

    environment: str = Field("development", description="development | production")
    database_url: str = "sqlite:///./examreg.db"
    redis_url: str = Field("", description="empty: in-process broker inside the API process")
    broker_namespace: str = "examreg"
    storage_dir: Path = Path("./storage")
    secret_key: str = DEVELOPMENT_SECRET
    token_ttl_hours: float = 8.0
    login_max_failures: int = 5
    login_lock_minutes: int = 15
    in_process_worker_threads: int = 2
    initial_password: str = "8888"
    sql_echo: bool = False

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
