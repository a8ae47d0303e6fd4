"""The command line's language: chosen from the environment, as a program on a terminal does."""

from __future__ import annotations

import os
from collections.abc import Mapping
from typing import Final

from autoserum.i18n._catalogs import DEFAULT_LANGUAGE, _match

__all__ = ["LANGUAGE_VARIABLE", "LOCALE_VARIABLES", "cli_language"]

#: autoserum's own setting, a tag of ``LANGUAGES`` (``ko``, ``zh-Hans``, ``en``): it wins.
LANGUAGE_VARIABLE: Final = "AUTOSERUM_LANG"
#: The POSIX variables of the messages' locale, in their order of precedence.
LOCALE_VARIABLES: Final = ("LC_ALL", "LC_MESSAGES", "LANG")


def _locale_language(value: str) -> str | None:
    """The language of a POSIX locale name ``language[_territory][.codeset][@modifier]``
    (``ko_KR.UTF-8``, ``zh_CN.GB18030``), or ``None`` (``C``, ``POSIX``, one not offered)."""
    name = value.partition("@")[0].partition(".")[0]
    return _match(name) if name not in ("C", "POSIX") else None


def cli_language(*, environ: Mapping[str, str] | None = None) -> str:
    """The language the command line writes its messages in, from ``environ`` (the process
    environment by default):

    1. ``AUTOSERUM_LANG``, a tag of ``LANGUAGES`` (or a locale name such as ``ko_KR.UTF-8``);
       a value naming no offered language is passed over;
    2. the messages' POSIX locale: the first of ``LC_ALL``, ``LC_MESSAGES``, ``LANG`` that is set
       and not empty decides (``ko_KR.UTF-8`` → ``ko``, ``zh_CN.UTF-8`` → ``zh-Hans``);
       ``C``, ``POSIX`` and a language not offered (``fr_FR``, ``zh_TW``) are English;
    3. English.

    It never fails: a message about bad input can always be written.

    >>> cli_language(environ={"LANG": "ko_KR.UTF-8"})
    'ko'
    >>> cli_language(environ={"LC_ALL": "zh_CN.UTF-8", "LANG": "ko_KR.UTF-8"})
    'zh-Hans'
    >>> cli_language(environ={"AUTOSERUM_LANG": "en", "LANG": "zh_CN.UTF-8"})
    'en'
    >>> cli_language(environ={"LC_ALL": "C", "LANG": "ko_KR.UTF-8"})
    'en'
    """
    env = os.environ if environ is None else environ
    chosen = env.get(LANGUAGE_VARIABLE, "").strip()
    if chosen:
        found = _match(chosen) or _locale_language(chosen)
        if found is not None:
            return found
    for variable in LOCALE_VARIABLES:
        value = env.get(variable, "").strip()
        if value:
            return _locale_language(value) or DEFAULT_LANGUAGE
    return DEFAULT_LANGUAGE
