"""The catalogs are complete: every message marked in the sources (templates, Python, the entity
registry's labels and vocabularies) has a Korean and a Simplified Chinese translation, none
fuzzy, each keeping the placeholders of its source (issue 14, item 5)."""

from __future__ import annotations

import re
from functools import cache
from typing import Any

import pytest
from babel.messages.pofile import read_po

from autoserum.i18n import LANGUAGES, LOCALE_DIR, babel_locale, translate
from autoserum.i18n.extract import extract_catalog

_PLACEHOLDER = re.compile(r"%\((\w+)\)[sd]")


@cache
def _sources() -> Any:
    return extract_catalog()


def _catalog(language: str) -> Any:
    locale = babel_locale(language)
    with (LOCALE_DIR / str(locale) / "LC_MESSAGES" / "messages.po").open("rb") as fp:
        return read_po(fp, locale=locale)


def _key(message: Any) -> str:
    return message.id if isinstance(message.id, str) else message.id[0]


def test_the_sources_mark_messages() -> None:
    ids = {_key(m) for m in _sources() if m.id}
    assert {"Log in", "Adverse events", "moderate", "Nothing was saved."} <= ids


@pytest.mark.parametrize("language", [lang for lang in LANGUAGES if lang != "en"])
def test_every_message_is_translated(language: str) -> None:
    catalog = _catalog(language)
    missing, fuzzy, broken = [], [], []
    for source in _sources():
        if not source.id:
            continue
        found = catalog.get(source.id, context=source.context)
        strings = (
            ()
            if found is None
            else (found.string if isinstance(found.string, tuple) else (found.string,))
        )
        if found is None or not all(strings):
            missing.append(_key(source))
        elif found.fuzzy:
            fuzzy.append(_key(source))
        elif any(
            set(_PLACEHOLDER.findall(s)) != set(_PLACEHOLDER.findall(_key(source))) for s in strings
        ):
            broken.append(_key(source))
    assert not missing, f"{language}: {len(missing)} untranslated (run make i18n): {missing}"
    assert not fuzzy, f"{language}: fuzzy entries, check and clear the flag: {fuzzy}"
    assert not broken, f"{language}: placeholders differ from the source: {broken}"


def test_the_catalogs_hold_no_stale_messages() -> None:
    ids = {_key(m) for m in _sources() if m.id}
    for language in LANGUAGES:
        stale = sorted(_key(m) for m in _catalog(language) if m.id and _key(m) not in ids)
        assert not stale, f"{language}: messages no source marks (run make i18n): {stale}"


def test_a_translation_is_used_and_english_is_the_source() -> None:
    assert translate("ko", "Adverse events") == "이상반응"
    assert translate("zh-Hans", "Adverse events") == "不良事件"
    assert translate("en", "Adverse events") == "Adverse events"
    assert translate("ko", "API token %(id)s revoked.", id=7) == "API 토큰 7 폐기 완료."
