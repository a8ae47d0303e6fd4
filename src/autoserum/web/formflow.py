"""The one controller of the pages' forms: parse → core call → re-render or flash and redirect.

Every form of the pages goes through :func:`submit`:

1. the route parses the posted text (errors found there are passed as ``errors``);
2. ``action`` calls the core or the store and returns the short message to flash;
3. on a :class:`~autoserum.errors.ValidationError` the page is rendered again (HTTP 422) with the
   values typed, the message (in the page's language: ``autoserum.i18n.error_text``) beside the
   field and a banner at the top naming the field; focus moves to the first bad field
   (``static/app.js``, from the banner's ``data-focus``); a state error or a version conflict is
   shown in the banner (409);
4. on success the message is flashed and the browser is redirected (303, post/redirect/get).

A route hands over the posted form and its page: :func:`submit_form` takes the typed values
from the form (:func:`form_values`), and :func:`page_redisplay` makes the ``redisplay`` of a
page renderer ``page(*args, values=..., errors=..., status_code=...)``, so no route writes the
"render the form page, re-render it with the error" logic again.

Edit forms send the version they read: :func:`expected_version` refuses a missing or malformed
one with a 422 (never a 500, never a silent overwrite of a newer change).

Example::

    >>> from autoserum.errors import ValidationError
    >>> err = ValidationError("record.site", "x", "a site")
    >>> field_for(err, {"injection_site"}, {"site": "injection_site"})
    'injection_site'
    >>> errors = {"lot": "too long", "__all__": "stale"}
    >>> for item in banner(errors, {"volume_ml": "Volume", "lot": "Lot"}):
    ...     print(item.field, item.label, item.message)
    None None stale
    lot Lot too long
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Mapping
from dataclasses import dataclass
from typing import Any

from fastapi import Request
from fastapi.responses import RedirectResponse, Response

from autoserum.errors import ConflictError, Expected, StateError, ValidationError
from autoserum.i18n import error_text
from autoserum.web.sessions import flash

__all__ = [
    "FORM_WIDE",
    "MAX_VERSION",
    "BannerItem",
    "Redisplay",
    "banner",
    "expected_version",
    "field_for",
    "form_values",
    "page_redisplay",
    "shorten",
    "submit",
    "submit_form",
]

#: the key of an error that belongs to the whole form, not one field
FORM_WIDE = "__all__"
#: versions are positive 32-bit integers (the store's ``version`` columns)
MAX_VERSION = 2**31 - 1
_MAX_MESSAGE = 300


#: renders the form's page again: ``(values typed, errors found, HTTP status) -> page``
Redisplay = Callable[[Mapping[str, str], Mapping[str, str], int], Response]


@dataclass(frozen=True)
class BannerItem:
    """One line of the error banner: the field (its element id) and label, and the message."""

    field: str | None
    label: str | None
    message: str


def shorten(text: str, limit: int = _MAX_MESSAGE) -> str:
    """``text`` cut in its middle to at most ``limit`` characters (the end, which says what
    was expected, is kept).

    >>> shorten("term: got 'xxxxxxxxxxxxxxxx'; expected at most 5 characters", 40)
    "term: got 'xxxxxxxx…at most 5 characters"
    """
    if len(text) <= limit:
        return text
    head = (limit - 1) // 2
    return text[:head] + "…" + text[len(text) - (limit - 1 - head) :]


def field_for(
    err: ValidationError, names: Collection[str], aliases: Mapping[str, str] | None = None
) -> str:
    """The form field a core error's ``field`` belongs to (:data:`FORM_WIDE` if none):
    the field itself, its last dotted part, or their alias on this form."""
    aliases = aliases or {}
    for candidate in (err.field, err.field.rsplit(".", 1)[-1], err.field.replace(".", "_")):
        candidate = aliases.get(candidate, candidate)
        if candidate in names:
            return candidate
    return FORM_WIDE


def banner(errors: Mapping[str, str], labels: Mapping[str, str]) -> list[BannerItem]:
    """The banner's lines: form-wide errors first, then the fields in the form's order."""
    order = {name: i for i, name in enumerate(labels)}
    items = [BannerItem(None, None, m) for k, m in errors.items() if k == FORM_WIDE]
    fields = sorted((k for k in errors if k != FORM_WIDE), key=lambda k: order.get(k, 1 << 30))
    items += [BannerItem(k, labels.get(k, k.replace("_", " ")), errors[k]) for k in fields]
    return items


def expected_version(form: Mapping[str, Any]) -> int:
    """The record version an edit form was read at (``expected_version``), required.

    >>> expected_version({"expected_version": "3"})
    3
    >>> expected_version({"expected_version": "abc"})
    Traceback (most recent call last):
    ...
    autoserum.errors.ValidationError: expected_version: got 'abc'; expected the version ...
    """
    raw = str(form.get("expected_version") or "").strip()
    if not raw.isascii() or not raw.isdigit() or not 1 <= int(raw) <= MAX_VERSION:
        raise ValidationError(
            "expected_version",
            shorten(raw, 40),
            Expected(
                "the version of the record the form was read at (a whole "
                "number from 1); reload the page and enter the change again"
            ),
        )
    return int(raw)


def submit(
    request: Request,
    *,
    values: Mapping[str, str],
    names: Collection[str],
    action: Callable[[], str],
    redisplay: Redisplay,
    success_url: str,
    errors: Mapping[str, str] | None = None,
    aliases: Mapping[str, str] | None = None,
) -> Response:
    """Run ``action`` (unless parsing found ``errors``); on success flash its message and
    redirect to ``success_url``; on an error show the form again through ``redisplay``.

    ``names`` are the form's fields: an error naming one of them (or an alias) is shown beside
    it, any other error in the banner.
    """
    if errors:
        return redisplay(values, {k: shorten(v) for k, v in errors.items()}, 422)
    try:
        message = action()
    except ValidationError as err:
        from autoserum.web.templating import language_of  # templating imports this module

        field = field_for(err, names, aliases)
        text = error_text(err, language_of(request))
        return redisplay(values, {field: shorten(text)}, err.http_status)
    except (StateError, ConflictError) as err:
        from autoserum.web.templating import language_of

        text = error_text(err, language_of(request))
        return redisplay(values, {FORM_WIDE: shorten(text)}, err.http_status)
    flash(request, message)
    return RedirectResponse(success_url, status_code=303)


def form_values(form: Mapping[str, Any]) -> dict[str, str]:
    """The text a form posted, by field (the CSRF token and uploaded files left out): what a
    page shows again after an error.

    >>> form_values({"csrf_token": "t", "reason": "typo", "file": object()})
    {'reason': 'typo'}
    """
    return {k: v for k, v in form.items() if k != "csrf_token" and isinstance(v, str)}


def page_redisplay(
    page: Callable[..., Response],
    /,
    *args: Any,
    extra: Mapping[str, str] | None = None,
    drop: Collection[str] = (),
) -> Redisplay:
    """The :data:`Redisplay` of a page renderer: ``page(*args, values=..., errors=...,
    status_code=...)`` with the values typed, without the fields ``drop`` (a password is
    never shown again) and with ``extra`` (which form of the page, a chosen file's name)."""

    def redisplay(typed: Mapping[str, str], errors: Mapping[str, str], code: int) -> Response:
        kept = {k: v for k, v in typed.items() if k not in drop}
        return page(*args, values={**kept, **(extra or {})}, errors=dict(errors), status_code=code)

    return redisplay


def submit_form(
    request: Request,
    form: Mapping[str, Any],
    *,
    redisplay: Redisplay,
    names: Collection[str],
    action: Callable[[], str],
    success_url: str,
    aliases: Mapping[str, str] | None = None,
    values: Mapping[str, str] | None = None,
) -> Response:
    """:func:`submit` for a posted ``form``: the values shown again are the form's text
    (:func:`form_values`) unless ``values`` are given."""
    return submit(
        request,
        values=form_values(form) if values is None else values,
        names=set(names),
        action=action,
        redisplay=redisplay,
        success_url=success_url,
        aliases=aliases,
    )
