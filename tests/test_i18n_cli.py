"""The command line's language (issue 14, item 5): ``AUTOSERUM_LANG``, then the POSIX locale
variables ``LC_ALL``, ``LC_MESSAGES``, ``LANG``, then English."""

from __future__ import annotations

import pytest

from autoserum.i18n import LANGUAGES, cli_language


@pytest.mark.parametrize(
    ("environ", "expected"),
    [
        ({}, "en"),
        ({"LANG": "C"}, "en"),
        ({"LANG": "POSIX"}, "en"),
        ({"LANG": "C.UTF-8"}, "en"),
        ({"LANG": "en_US.UTF-8"}, "en"),
        ({"LANG": "ko_KR.UTF-8"}, "ko"),
        ({"LANG": "ko_KR.eucKR"}, "ko"),
        ({"LANG": "ko"}, "ko"),
        ({"LANG": "zh_CN.UTF-8"}, "zh-Hans"),
        ({"LANG": "zh_SG.GB2312"}, "zh-Hans"),
        ({"LANG": "zh_CN.GB18030@stroke"}, "zh-Hans"),
        # Traditional Chinese and languages not offered are English
        ({"LANG": "zh_TW.UTF-8"}, "en"),
        ({"LANG": "zh_HK.UTF-8"}, "en"),
        ({"LANG": "fr_FR.UTF-8"}, "en"),
        # LC_ALL, then LC_MESSAGES, then LANG: the first set and not empty decides
        ({"LC_ALL": "zh_CN.UTF-8", "LC_MESSAGES": "ko_KR.UTF-8", "LANG": "en_US"}, "zh-Hans"),
        ({"LC_MESSAGES": "ko_KR.UTF-8", "LANG": "zh_CN.UTF-8"}, "ko"),
        ({"LC_ALL": "", "LC_MESSAGES": "", "LANG": "ko_KR.UTF-8"}, "ko"),
        ({"LC_ALL": "C", "LANG": "ko_KR.UTF-8"}, "en"),
        ({"LC_ALL": "fr_FR.UTF-8", "LANG": "ko_KR.UTF-8"}, "en"),
        # AUTOSERUM_LANG wins over the locale; a tag or a locale name
        ({"AUTOSERUM_LANG": "ko", "LC_ALL": "zh_CN.UTF-8"}, "ko"),
        ({"AUTOSERUM_LANG": "zh-Hans", "LANG": "C"}, "zh-Hans"),
        ({"AUTOSERUM_LANG": "zh_Hans"}, "zh-Hans"),
        ({"AUTOSERUM_LANG": "zh_CN.UTF-8"}, "zh-Hans"),
        ({"AUTOSERUM_LANG": "en", "LANG": "ko_KR.UTF-8"}, "en"),
        # a value naming no offered language is passed over, never an error
        ({"AUTOSERUM_LANG": "fr", "LANG": "ko_KR.UTF-8"}, "ko"),
        ({"AUTOSERUM_LANG": "  ", "LANG": "zh_CN.UTF-8"}, "zh-Hans"),
        ({"AUTOSERUM_LANG": "klingon"}, "en"),
    ],
)
def test_the_cli_language_from_the_environment(environ: dict[str, str], expected: str) -> None:
    assert cli_language(environ=environ) == expected
    assert expected in LANGUAGES


def test_the_process_environment_is_read_by_default(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("AUTOSERUM_LANG", "LC_ALL", "LC_MESSAGES"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("LANG", "ko_KR.UTF-8")
    assert cli_language() == "ko"
    monkeypatch.setenv("AUTOSERUM_LANG", "zh-Hans")
    assert cli_language() == "zh-Hans"
