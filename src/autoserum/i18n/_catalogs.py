"""The catalogs and the current language: which languages exist, how a request's is chosen, and
the translations of a language (compiled in memory from its ``.po`` file, once per process)."""

from __future__ import annotations

import functools
import re
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from io import BytesIO
from pathlib import Path
from typing import TYPE_CHECKING, Any, Final

from autoserum.errors import Expected, ValidationError

if TYPE_CHECKING:  # Babel is imported on first use: importing the languages stays cheap
    from babel import Locale
    from babel.support import Translations

__all__ = [
    "DEFAULT_LANGUAGE",
    "LANGUAGES",
    "LANGUAGE_NAMES",
    "LOCALE_DIR",
    "N_",
    "babel_locale",
    "check_language",
    "current_language",
    "negotiate",
    "translate",
    "translate_plural",
    "translations",
    "using",
]

#: The languages of the user interface, as BCP 47 tags (stored on accounts and subjects).
LANGUAGES: Final[tuple[str, ...]] = ("en", "ko", "zh-Hans")
#: The language of the source strings, used when nothing else is chosen.
DEFAULT_LANGUAGE: Final = "en"
#: Each language's name in itself (a language menu shows these untranslated).
LANGUAGE_NAMES: Final[dict[str, str]] = {"en": "English", "ko": "한국어", "zh-Hans": "简体中文"}
#: Where the catalogs live: ``LOCALE_DIR/<locale>/LC_MESSAGES/messages.po``.
LOCALE_DIR: Final = Path(__file__).resolve().parents[1] / "locale"
DOMAIN: Final = "messages"

_CURRENT: ContextVar[str] = ContextVar("autoserum_language", default=DEFAULT_LANGUAGE)
_QUALITY = re.compile(r"^\s*q\s*=\s*([0-9.]+)\s*$")


def check_language(field_name: str, value: Any) -> str:
    """``value`` as one of :data:`LANGUAGES` (a :class:`ValidationError` naming the field
    otherwise). ``zh``, ``zh-CN`` and ``zh_Hans`` all name Simplified Chinese."""
    found = _match(value) if isinstance(value, str) else None
    if found is None:
        raise ValidationError(
            field_name, value, Expected("one of %(values)s", values=", ".join(LANGUAGES))
        )
    return found


def _match(tag: str) -> str | None:
    parts = [p.lower() for p in re.split(r"[-_]", tag.strip()) if p]
    if not parts:
        return None
    if parts[0] == "zh":
        # Simplified Chinese is written in mainland China and Singapore; zh-Hant, zh-TW and zh-HK
        # (Traditional) are not offered.
        rest = set(parts[1:])
        return "zh-Hans" if not rest or rest & {"hans", "cn", "sg"} else None
    return {"en": "en", "ko": "ko"}.get(parts[0])


def negotiate(accept_language: str | None) -> str:
    """The best of :data:`LANGUAGES` for an HTTP ``Accept-Language`` header (RFC 9110:
    ``ko-KR,ko;q=0.9,en;q=0.8``), or :data:`DEFAULT_LANGUAGE`."""
    choices: list[tuple[float, int, str]] = []
    for index, item in enumerate((accept_language or "").split(",")):
        tag, _, params = item.partition(";")
        quality = 1.0
        m = _QUALITY.match(params) if params else None
        if m:
            try:
                quality = float(m.group(1))
            except ValueError:
                continue
        found = _match(tag)
        if found is not None and quality > 0:
            choices.append((-quality, index, found))
    return min(choices)[2] if choices else DEFAULT_LANGUAGE


def babel_locale(language: str) -> Locale:
    """The Babel locale of a language tag (``zh-Hans`` → ``zh_Hans``)."""
    from babel import Locale

    return Locale.parse(check_language("language", language), sep="-")


@functools.cache
def translations(language: str) -> Translations:
    """The translations of ``language``, compiled in memory from its ``.po`` catalog on first
    use (fuzzy entries are left out, as ``msgfmt`` does)."""
    from babel.messages.mofile import write_mo
    from babel.messages.pofile import read_po
    from babel.support import Translations

    locale = babel_locale(language)
    path = LOCALE_DIR / str(locale) / "LC_MESSAGES" / f"{DOMAIN}.po"
    with path.open("rb") as fp:
        catalog = read_po(fp, locale=locale, domain=DOMAIN)
    buffer = BytesIO()
    write_mo(buffer, catalog, use_fuzzy=False)
    buffer.seek(0)
    return Translations(buffer, domain=DOMAIN)


def N_(message: str) -> str:  # noqa: N802 (the gettext convention for a marker)
    """Mark ``message`` for extraction where it is written; it is translated where it is
    shown (a label in a module-level table, rendered with ``_()`` in a template)."""
    return message


def current_language() -> str:
    """The language of the page being rendered (see :func:`using`)."""
    return _CURRENT.get()


@contextmanager
def using(language: str) -> Iterator[str]:
    """Render in ``language`` inside the block: the templates' ``_()``/``{% trans %}`` and the
    formatting filters read it."""
    token = _CURRENT.set(check_language("language", language))
    try:
        yield _CURRENT.get()
    finally:
        _CURRENT.reset(token)


def translate(language: str, message: str, /, **variables: Any) -> str:
    """``message`` in ``language``, with ``%(name)s`` placeholders filled from ``variables``
    (as the templates' ``_()`` does). English is the language of the sources: its catalog has
    no translation (``tests/test_i18n_cli.py``), so it is not read (nor Babel imported)."""
    english = language == DEFAULT_LANGUAGE
    text = message if english else translations(language).gettext(message)
    return text % variables if variables else text


def translate_plural(language: str, singular: str, plural: str, n: int, /, **variables: Any) -> str:
    """The singular or plural form for ``n`` in ``language`` (``%(num)s`` is ``n``)."""
    if language == DEFAULT_LANGUAGE:  # English's rule, as its catalog's Plural-Forms: n != 1
        text = singular if n == 1 else plural
    else:
        text = translations(language).ngettext(singular, plural, n)
    return text % {"num": n, **variables}
