"""``Annotated`` dependencies shared by the pages and the API.

``StoreDep``, ``SettingsDep``; ``PageUser`` (session login, redirect to /login otherwise) and
``ApiUser`` (personal API token in ``Authorization: Bearer``, 401 otherwise); ``CsrfForm``
(the posted form, after checking its CSRF token).
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterable
from dataclasses import dataclass
from typing import Annotated
from urllib.parse import quote

from fastapi import Depends, HTTPException, Request
from starlette.datastructures import FormData

from autoserum.errors import Expected, Message, PermissionDeniedError, ValidationError
from autoserum.permissions import allowed, permits, require
from autoserum.store import Actor, SiteKey, Store, UserRecord
from autoserum.web.limits import api_user_of
from autoserum.web.security import CSRF_FIELD, CSRF_HEADER, csrf_matches
from autoserum.web.sessions import csrf_token, session_user
from autoserum.web.settings import Settings

__all__ = [
    "ApiUser",
    "CsrfForm",
    "CurrentUser",
    "LoginRequiredError",
    "PageUser",
    "SettingsDep",
    "StoreDep",
    "reject_nul",
    "user_from_record",
]


class LoginRequiredError(Exception):
    """Raised by ``PageUser`` when nobody is logged in; becomes a redirect to /login."""

    def __init__(self, next_url: str) -> None:
        super().__init__(next_url)
        self.next_url = next_url


@dataclass(frozen=True)
class CurrentUser:
    """The authenticated user of a request."""

    username: str
    role: str
    sites: frozenset[SiteKey] | None  # (study, site code) pairs; None = every site
    unblinded: bool = False
    language: str | None = None  # the language of the user's pages (None: the browser's)

    @property
    def actor(self) -> Actor:
        """The store's view of this user."""
        return Actor(self.username, self.role, self.sites, self.unblinded)

    def can(self, action: str) -> bool:
        """True iff the role may perform ``action`` somewhere (the permission table,
        :mod:`autoserum.permissions`): what pages and navigation offer."""
        return allowed(self.role, action)

    def may(self, action: str, study: str | None = None, site: str | None = None) -> bool:
        """True iff the user may perform ``action`` at site ``site`` of ``study``."""
        return permits(self.role, action, sites=self.sites, study=study, site=site)

    def require(self, action: str) -> None:
        """Raise :class:`PermissionDeniedError` unless the role may perform ``action``."""
        require(self.role, action, username=self.username)

    def sees_site(self, study: str, site: str | None) -> bool:
        """True iff the user belongs to site ``site`` of study ``study`` (users of every site:
        all). A site code names a site only within its study."""
        return self.sites is None or (site is not None and (study, site) in self.sites)


def user_from_record(record: UserRecord) -> CurrentUser:
    """A :class:`CurrentUser` from the store's user record."""
    return CurrentUser(
        record.username, record.role, record.sites, record.unblinded, language=record.language
    )


# The dependencies that neither block nor touch the database are ``async``: FastAPI runs a
# plain ``def`` dependency in its thread pool, a hand-over per dependency and request.


async def get_settings(request: Request) -> Settings:
    settings: Settings = request.app.state.settings
    return settings


async def get_store(request: Request) -> Store:
    store: Store = request.app.state.store
    return store


SettingsDep = Annotated[Settings, Depends(get_settings)]
StoreDep = Annotated[Store, Depends(get_store)]


def reject_nul(where: str, values: Iterable[tuple[str, object]]) -> None:
    """Refuse text with NUL characters (PostgreSQL cannot store them) with a clear error."""
    for key, value in values:
        if isinstance(value, str) and "\x00" in value:
            raise ValidationError(f"{where}{key}", value, Expected("text without NUL characters"))


def page_user(request: Request, store: StoreDep, settings: SettingsDep) -> CurrentUser:
    """The logged-in user of a page request (redirects to /login when absent or expired)."""
    reject_nul("", request.path_params.items())
    reject_nul("", request.query_params.items())
    record = session_user(request, store, settings)
    if record is None:
        target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
        raise LoginRequiredError(quote(target, safe="/?=&"))
    user = user_from_record(record)
    request.state.user = user
    return user


async def api_user(request: Request) -> CurrentUser:
    """The user owning the personal API token of an API request (checked, before the body was
    read, by :class:`autoserum.web.limits.BodyLimit`; 401 when there was none)."""
    record = api_user_of(request.scope)
    if record is None:
        raise HTTPException(
            401,
            "missing API token: send 'Authorization: Bearer <token>'",
            {"WWW-Authenticate": "Bearer"},
        )
    user = user_from_record(record)
    request.state.user = user
    return user


async def csrf_form(request: Request) -> AsyncIterator[FormData]:
    """The posted form, after checking its CSRF token (field ``csrf_token`` or header); its
    uploaded files are closed once the request is answered (whether the route read them or
    refused the request first)."""
    form = await request.form()
    try:
        reject_nul("", form.multi_items())
        given = form.get(CSRF_FIELD)
        token = given if isinstance(given, str) else request.headers.get(CSRF_HEADER)
        if not csrf_matches(request.session.get("csrf"), token):
            csrf_token(request)
            raise PermissionDeniedError(
                Message("the form's CSRF token is missing or stale: reload the page")
            )
        yield form
    finally:
        await form.close()


PageUser = Annotated[CurrentUser, Depends(page_user)]
ApiUser = Annotated[CurrentUser, Depends(api_user)]
CsrfForm = Annotated[FormData, Depends(csrf_form)]
