"""The app factory: :func:`create_app` wires settings, store, sessions, routers and errors.

Example::

    from autoserum.web import Settings, create_app
    app = create_app(Settings(database_url="sqlite:///demo/autoserum-demo.db"))
    # uvicorn.run(app, host="127.0.0.1", port=8000)
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from datetime import UTC, datetime
from pathlib import Path

import anyio.to_thread
from fastapi import FastAPI
from fastapi.staticfiles import StaticFiles
from starlette.middleware.sessions import SessionMiddleware
from uvicorn.middleware.proxy_headers import ProxyHeadersMiddleware

from autoserum import __version__
from autoserum.errors import ConfigurationError, Message, ValidationError
from autoserum.i18n import LANGUAGES
from autoserum.instruments import TextLibrary, load_texts
from autoserum.store import SharedSlots, Store, open_store
from autoserum.study.rules import Clock, utc_today
from autoserum.web.errors import install_error_handlers
from autoserum.web.limits import BodyLimit
from autoserum.web.middleware import SecurityHeaders
from autoserum.web.requestlog import RequestContext
from autoserum.web.security import HashingLimit
from autoserum.web.settings import Settings, load_settings
from autoserum.web.tokens import TokenCache

__all__ = ["SESSION_COOKIE", "create_app"]

SESSION_COOKIE = "autoserum_session"


def _utc_now() -> datetime:
    return datetime.now(UTC)


_HERE = Path(__file__).resolve().parent
log = logging.getLogger(__name__)


def _lifespan(threads: int) -> Callable[[FastAPI], AbstractAsyncContextManager[None]]:
    """Serve at most ``threads`` requests at once in this process (AnyIO's thread pool, where
    FastAPI runs the app's routes; the others wait their turn in arrival order)."""

    @asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        anyio.to_thread.current_default_thread_limiter().total_tokens = threads
        yield

    return lifespan


def _instrument_texts(settings: Settings) -> TextLibrary:
    """The licensed wordings of ``AUTOSERUM_INSTRUMENT_TEXTS``, every file checked: a bad file
    stops the start with the file, the item code and what was expected."""
    try:
        return load_texts(settings.instrument_texts, languages=LANGUAGES)
    except ValidationError as err:
        raise ConfigurationError(
            Message("%(setting)s: %(error)s", setting="AUTOSERUM_INSTRUMENT_TEXTS", error=err)
        ) from None


def create_app(
    settings: Settings | None = None,
    *,
    store: Store | None = None,
    clock: Clock = utc_today,
    now: Callable[[], datetime] = _utc_now,
) -> FastAPI:
    """Build the FastAPI application.

    ``settings`` default to the environment (``AUTOSERUM_*``); ``store`` defaults to
    ``open_store(settings.database_url)`` (which creates or migrates the schema). ``clock``
    gives today's date for the calendar flags (overdue, missed) of the pages, ``now`` the time
    of the SAE clocks (the dashboard's 24-hour alerts, the SAE report); tests fix both.
    Raises :class:`autoserum.errors.ConfigurationError` on unusable settings.
    """
    from autoserum.web.api import api_router
    from autoserum.web.health import router as health_router
    from autoserum.web.routes import pages_router

    settings = settings or load_settings()
    store = store or open_store(settings.database_url)
    app = FastAPI(
        title="autoserum",
        version=__version__,
        summary="Multi-site data capture for autologous-therapy studies in atopic dermatitis.",
        openapi_url="/api/v1/openapi.json",
        docs_url=None,  # Swagger UI would load its assets from a CDN: nothing loads from the
        redoc_url=None,  # internet, so only the schema is served (open it in any OpenAPI tool)
        lifespan=_lifespan(settings.request_threads),
    )
    app.state.settings = settings
    app.state.store = store
    app.state.clock = clock
    app.state.now = now
    app.state.hashing = HashingLimit(
        concurrent=settings.login_concurrency,
        queued=settings.login_queue,
        wait=settings.login_queue_seconds,
        shared=SharedSlots(store.engine, name="hashing", count=settings.login_concurrency),
    )
    app.state.tokens = TokenCache(store, ttl=settings.token_cache_seconds)
    app.state.instrument_texts = _instrument_texts(settings)
    app.add_middleware(
        SessionMiddleware,
        secret_key=settings.secret_key.get_secret_value(),
        session_cookie=SESSION_COOKIE,
        max_age=settings.session_max_age,
        same_site="lax",
        https_only=settings.production,
    )
    app.add_middleware(SecurityHeaders, hsts=settings.production)
    app.add_middleware(
        BodyLimit,
        max_body=settings.max_body_bytes,
        max_upload=settings.max_upload_bytes,
        lookup=app.state.tokens.lookup,
    )
    app.add_middleware(RequestContext, log_access=settings.access_log)
    if settings.trusted_proxies:
        # outermost: the client address and scheme every other layer sees (the login throttle
        # keys on the client's address, not the proxy's)
        app.add_middleware(ProxyHeadersMiddleware, trusted_hosts=settings.trusted_proxies)
    app.mount("/static", StaticFiles(directory=_HERE / "static"), name="static")
    app.include_router(health_router)
    app.include_router(api_router)
    app.include_router(pages_router)
    install_error_handlers(app)
    log.info("autoserum web app ready (env=%s)", settings.env)
    return app
