"""Settings: AUTOSERUM_ environment variables, masked secret, production refuses defaults."""

from __future__ import annotations

import pytest

from autoserum.errors import ConfigurationError
from autoserum.web.settings import DEFAULT_SECRET, Settings


def test_reads_prefixed_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AUTOSERUM_ENV", "production")
    monkeypatch.setenv("AUTOSERUM_SECRET_KEY", "s" * 48)
    monkeypatch.setenv("AUTOSERUM_DATABASE_URL", "sqlite:///x.db")
    settings = Settings()
    assert settings.production
    assert settings.database_url == "sqlite:///x.db"
    assert settings.secret_key.get_secret_value() == "s" * 48


def test_secret_is_masked_in_repr_and_str() -> None:
    settings = Settings(env="production", secret_key="very-secret-" + "k" * 40)
    assert "very-secret" not in repr(settings)
    assert "very-secret" not in str(settings)
    assert "very-secret" not in str(settings.model_dump())


@pytest.mark.parametrize("secret", ["", DEFAULT_SECRET, "short"])
def test_production_refuses_missing_default_or_short_secret(secret: str) -> None:
    with pytest.raises(ConfigurationError, match="AUTOSERUM_SECRET_KEY"):
        Settings(env="production", secret_key=secret)


def test_production_refuses_to_start_without_secret(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("AUTOSERUM_SECRET_KEY", raising=False)
    monkeypatch.setenv("AUTOSERUM_ENV", "production")
    with pytest.raises(ConfigurationError):
        Settings()


def test_development_accepts_the_default_secret() -> None:
    settings = Settings(env="development")
    assert not settings.production
    assert settings.secret_key.get_secret_value() == DEFAULT_SECRET


def test_unknown_environment_is_rejected() -> None:
    with pytest.raises(ValueError, match="env"):
        Settings(env="staging")


def test_invalid_environment_variable_is_a_configuration_error(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from autoserum.web.settings import load_settings

    monkeypatch.setenv("AUTOSERUM_ENV", "staging")
    with pytest.raises(ConfigurationError, match="AUTOSERUM_ENV: got 'staging'"):
        load_settings()


def test_public_surface_is_pinned() -> None:
    import autoserum.web as web

    assert web.__all__ == ["Settings", "create_app", "load_settings", "log_config"]
    assert callable(web.create_app)
