import pytest
from pydantic import ValidationError

from app.settings import Settings


def test_embedded_defaults_need_nothing_set():
    settings = Settings(_env_file=None)
    assert settings.database_url.startswith("sqlite") and not settings.uses_redis


def test_production_refuses_the_development_secret():
    with pytest.raises(ValidationError, match="SECRET_KEY"):
        Settings(_env_file=None, environment="production")
    assert Settings(_env_file=None, environment="production", secret_key="x" * 40).production
