"""Typed settings of the web app, read from ``AUTOSERUM_``-prefixed environment variables.

The secret is a :class:`pydantic.SecretStr`: it is masked in ``repr`` and logs. Outside
development the app refuses to start with a missing, short or default secret (as the
full-stack FastAPI template does).

Example::

    >>> s = Settings(env="development", secret_key="x" * 40)
    >>> "x" * 40 in repr(s)
    False
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Literal

from pydantic import Field, SecretStr, model_validator
from pydantic import ValidationError as PydanticValidationError
from pydantic_settings import BaseSettings, SettingsConfigDict

from autoserum.errors import ConfigurationError, Message

__all__ = ["DEFAULT_SECRET", "Settings", "load_settings"]

#: The placeholder secret used in development; refused in production.
DEFAULT_SECRET = "changethis-development-only-secret"
_MIN_SECRET_LENGTH = 32


class Settings(BaseSettings):
    """Settings of the web app (environment variables ``AUTOSERUM_<NAME>``).

    Example: ``AUTOSERUM_ENV=production AUTOSERUM_SECRET_KEY=$(openssl rand -hex 32)``.
    """

    model_config = SettingsConfigDict(env_prefix="AUTOSERUM_", extra="ignore", frozen=True)

    env: Literal["development", "production"] = "development"
    secret_key: SecretStr = SecretStr(DEFAULT_SECRET)
    database_url: str = "sqlite:///autoserum.db"
    #: Absolute lifetime of a login session, seconds.
    session_max_age: int = Field(default=8 * 3600, gt=0)
    #: A session unused for this long expires, seconds.
    session_idle_timeout: int = Field(default=30 * 60, gt=0)
    #: Failed logins in a row before the account is locked.
    login_max_failures: int = Field(default=5, gt=0)
    #: How long a locked account stays locked, seconds.
    lockout_seconds: int = Field(default=15 * 60, gt=0)
    #: Failed logins allowed per client address per minute (all usernames together).
    login_rate_per_minute: int = Field(default=20, gt=0)
    #: Password hashings (argon2id, 64 MiB each) at once per server process.
    login_concurrency: int = Field(default=2, gt=0, le=64)
    #: Logins that may wait for a hashing slot; more get 429 at once.
    login_queue: int = Field(default=16, ge=0, le=1000)
    #: How long a login waits for a hashing slot before 429, seconds.
    login_queue_seconds: float = Field(default=5.0, gt=0, le=60)

    #: A token's last use is recorded at most once per this many seconds per process (0: on
    #: every request). Revocation is immediate whatever the value: every request reads the
    #: token's state from the database.
    token_cache_seconds: float = Field(default=10.0, ge=0, le=300)

    #: Requests served at once per server process (the threads FastAPI runs the routes in, each
    #: with its own database connection, at most the store's pool of 40); more wait their turn
    #: in arrival order. A request's work is mostly Python under the interpreter lock: a few
    #: threads serve more, and sooner, than many (docs/deploy.md, "Requests at once").
    request_threads: int = Field(default=4, gt=0, le=40)

    #: Largest request body (JSON, forms), bytes; larger bodies get 413 before they are read.
    max_body_bytes: int = Field(default=1_000_000, gt=0)
    #: Largest multipart upload, bytes.
    max_upload_bytes: int = Field(default=10_000_000, gt=0)
    #: Proxy addresses (comma-separated; IPs or CIDR networks) whose X-Forwarded-For and
    #: X-Forwarded-Proto are believed; unset: the headers are ignored.
    trusted_proxies: str | None = None

    #: A directory of licensed questionnaire wordings the site installs, one file per
    #: instrument and language (``dlqi.ko.toml``; docs/i18n.md); unset: none is installed and
    #: the forms of a licensed questionnaire show its item codes with a notice.
    instrument_texts: Path | None = None

    #: Log one record per request (``autoserum.access``: method, path, status, duration, id).
    access_log: bool = True

    @property
    def production(self) -> bool:
        """True in production: Secure cookies, no default secret."""
        return self.env == "production"

    @model_validator(mode="after")
    def _refuse_default_secret(self) -> Settings:
        secret = self.secret_key.get_secret_value()
        if self.env != "development" and (
            not secret or secret == DEFAULT_SECRET or len(secret) < _MIN_SECRET_LENGTH
        ):
            raise ConfigurationError(
                Message(
                    "AUTOSERUM_SECRET_KEY must be set to a random value of at least "
                    "%(length)s characters in production (e.g. %(command)s)",
                    length=_MIN_SECRET_LENGTH,
                    command="`python -c 'import secrets; print(secrets.token_hex(32))'`",
                )
            )
        return self


def load_settings(**overrides: Any) -> Settings:
    """Settings from the environment (plus ``overrides``); an invalid variable becomes a
    :class:`ConfigurationError` naming it (``AUTOSERUM_ENV: got 'staging'; expected …``)."""
    try:
        return Settings(**overrides)
    except PydanticValidationError as err:
        first = err.errors()[0]
        name = "AUTOSERUM_" + "_".join(str(p) for p in first["loc"]).upper()
        raise ConfigurationError(
            Message(
                "%(name)s: got %(value)s; %(problem)s",
                name=name,
                value=repr(first.get("input")),
                problem=first["msg"].lower(),
            )
        ) from None
