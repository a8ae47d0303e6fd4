"""The languages of the user interface: gettext catalogs, the current language and locale
formatting (Babel).

The catalogs are ``src/autoserum/locale/<locale>/LC_MESSAGES/messages.po``; they are compiled in
memory the first time a language is used (no ``.mo`` files, no build step: a fresh clone works).
A language is named by its BCP 47 tag (:data:`LANGUAGES`: ``en``, ``ko``, ``zh-Hans``), as stored on
a user's account and a subject and as written in ``<html lang>``.

>>> translate("ko", "Studies")
'연구'
>>> with using("zh-Hans"):
...     format_number(12345.5)
'12,345.5'
>>> import datetime
>>> format_date(datetime.date(2026, 3, 1), "ko")
'2026. 3. 1.'
>>> negotiate("zh-CN,zh;q=0.9,en;q=0.5")
'zh-Hans'
>>> cli_language(environ={"LANG": "ko_KR.UTF-8"})
'ko'

See ``docs/i18n.md``.
"""

from __future__ import annotations

from autoserum.i18n._catalogs import (
    DEFAULT_LANGUAGE,
    LANGUAGE_NAMES,
    LANGUAGES,
    LOCALE_DIR,
    N_,
    babel_locale,
    check_language,
    current_language,
    negotiate,
    translate,
    translate_plural,
    translations,
    using,
)
from autoserum.i18n._cli import cli_language
from autoserum.i18n._errors import (
    deviation_text,
    error_text,
    expected_text,
    message_text,
    process_text,
    query_text,
)
from autoserum.i18n._format import (
    format_date,
    format_datetime,
    format_decimal,
    format_number,
    format_quantity,
)

__all__ = [
    "DEFAULT_LANGUAGE",
    "LANGUAGES",
    "LANGUAGE_NAMES",
    "LOCALE_DIR",
    "N_",
    "babel_locale",
    "check_language",
    "cli_language",
    "current_language",
    "deviation_text",
    "error_text",
    "expected_text",
    "format_date",
    "format_datetime",
    "format_decimal",
    "format_number",
    "format_quantity",
    "message_text",
    "negotiate",
    "process_text",
    "query_text",
    "translate",
    "translate_plural",
    "translations",
    "using",
]
