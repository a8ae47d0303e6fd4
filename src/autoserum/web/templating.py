"""Jinja2 templates of the pages, with the context every page needs, in the request's language.

The one templating owner: the environment has Jinja2's i18n extension (``{% trans %}``,
``_()``, ``ngettext``) bound to the language of the page being rendered, and the locale filters
``format_date``, ``format_datetime``, ``format_number`` and ``format_decimal`` (Babel). A
request's language is, in order: ``request.state.language`` (set by a page for a subject's own
language, e.g. the patient pages), the logged-in user's choice on "My account", the browser's
``Accept-Language``, English. See ``docs/i18n.md``.
"""

from __future__ import annotations

from datetime import date, datetime
from enum import Enum
from pathlib import Path
from typing import Any

from fastapi import Request
from fastapi.responses import HTMLResponse
from fastapi.templating import Jinja2Templates
from jinja2 import Environment, FileSystemLoader, pass_context
from jinja2.runtime import Context

from autoserum.i18n import (
    LANGUAGE_NAMES,
    LANGUAGES,
    check_language,
    current_language,
    format_date,
    format_datetime,
    format_decimal,
    format_number,
    negotiate,
    process_text,
    query_text,
    translations,
    using,
)
from autoserum.i18n import translate as translate_to
from autoserum.i18n import translate_plural as translate_plural_to
from autoserum.web.formflow import banner
from autoserum.web.sessions import csrf_token, pop_flash

__all__ = ["language_of", "render", "templates", "translate", "translate_plural"]

templates = Jinja2Templates(
    env=Environment(
        loader=FileSystemLoader(Path(__file__).resolve().parent / "templates"),
        autoescape=True,
        extensions=["jinja2.ext.i18n"],
    )
)


def _gettext(message: str) -> str:
    return translations(current_language()).gettext(message)


def _tr(value: Any) -> str:
    """A text from Python (a label, a vocabulary word, a role) in the page's language; a word
    without a translation (English) is shown with spaces for underscores (``screen failed``)."""
    if value is None:
        return ""
    text = str(value.value if isinstance(value, Enum) else value)
    found = translations(current_language()).gettext(text)
    return found.replace("_", " ") if found == text else found


def _vocab(value: Any) -> Any:
    """A recorded value as shown: a vocabulary word translated (``moderate``), anything else
    (a number, a date, free text) as it is."""
    if not isinstance(value, str) or not value:
        return value
    catalog = translations(current_language())
    found = catalog.gettext(value)
    if found == value and " " in value:  # a word shown with spaces ("not related")
        coded = catalog.gettext(value.replace(" ", "_"))
        return value if coded == value.replace(" ", "_") else coded
    return found


def _shown(value: Any) -> Any:
    """A recorded value as a table shows it: a date or a time stamp as the page's language
    writes it (a time stamp on the clock it was recorded with), a vocabulary word translated,
    anything else as it is; ``None`` is empty."""
    if value is None:
        return ""
    if isinstance(value, datetime):
        return format_datetime(value, tz=None)
    if isinstance(value, date):
        return format_date(value)
    return _vocab(value)


def _ngettext(singular: str, plural: str, n: int) -> str:
    return translations(current_language()).ngettext(singular, plural, n)


templates.env.policies["ext.i18n.trimmed"] = True  # {% trans %} blocks: whitespace collapsed
templates.env.install_gettext_callables(  # type: ignore[attr-defined]
    _gettext, _ngettext, newstyle=True
)


# The language filters take the render's context so that Jinja never folds them at compile
# time: ``{{ "open"|tr }}`` would otherwise be translated once, in the language of the first
# render, and shown in that language on every page after it.
@pass_context
def _tr_filter(context: Context, value: Any) -> str:
    return _tr(value)


@pass_context
def _vocab_filter(context: Context, value: Any) -> Any:
    return _vocab(value)


@pass_context
def _shown_filter(context: Context, value: Any) -> Any:
    return _shown(value)


@pass_context
def _process_filter(context: Context, value: str | None) -> str:
    return process_text(value, current_language())


@pass_context
def _query_filter(context: Context, value: str | None) -> str:
    return query_text(value, current_language())


templates.env.filters.update(
    tr=_tr_filter,  # a text that comes from Python (a label, a value): translated, not formatted
    vocab=_vocab_filter,  # a recorded value: translated if it is a vocabulary word
    shown=_shown_filter,  # a table cell: a date formatted, a vocabulary word translated
    process_deviations=_process_filter,  # a processing's stored deviations, in the language
    query_text=_query_filter,  # a query's stored text: an automatic check's in the language
    format_date=format_date,
    format_datetime=format_datetime,
    format_number=format_number,
    format_decimal=format_decimal,
)
templates.env.globals.update(LANGUAGE_OPTIONS=[(tag, LANGUAGE_NAMES[tag]) for tag in LANGUAGES])


def language_of(request: Request) -> str:
    """The language of ``request`` (see the module's docstring)."""
    chosen = getattr(request.state, "language", None)
    if chosen:
        return check_language("language", chosen)
    user = getattr(request.state, "user", None)
    mine = getattr(user, "language", None)
    if mine:
        return check_language("language", mine)
    return negotiate(request.headers.get("accept-language"))


def translate(request: Request, message: str, /, **variables: Any) -> str:
    """``message`` (a web message: a flash, an error) in the request's language, with its
    ``%(name)s`` placeholders filled from ``variables``."""
    return translate_to(language_of(request), message, **variables)


def translate_plural(
    request: Request, singular: str, plural: str, n: int, /, **variables: Any
) -> str:
    """The singular or plural form for ``n`` in the request's language (``%(num)s`` is ``n``)."""
    return translate_plural_to(language_of(request), singular, plural, n, **variables)


def render(
    request: Request,
    name: str,
    context: dict[str, Any] | None = None,
    *,
    status_code: int = 200,
) -> HTMLResponse:
    """Render template ``name`` in the request's language, with the user, CSRF token and flash
    message added (``lang``: the page's BCP 47 language tag, for ``<html lang>``).

    A page showing a refused form passes ``errors`` (field → message) and ``labels`` (field →
    label, in the form's order); the error banner at the top of every page is built from them.
    """
    language = language_of(request)
    ctx: dict[str, Any] = {
        "user": getattr(request.state, "user", None),
        "csrf_token": csrf_token(request),
        "flash": pop_flash(request),
        "lang": language,
    }
    ctx.update(context or {})
    ctx["form_errors"] = banner(ctx.get("errors") or {}, ctx.get("labels") or {})
    with using(language):
        return templates.TemplateResponse(request, name, ctx, status_code=status_code)
