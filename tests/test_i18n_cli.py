"""The command line's language (issue 14, item 5): ``AUTOSERUM_LANG``, then the POSIX locale
variables ``LC_ALL``, ``LC_MESSAGES``, ``LANG``, then English."""

from __future__ import annotations

import csv
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from autoserum.cli._say import record_type
from autoserum.i18n import LANGUAGES, cli_language, translate, translate_plural
from tests.clirun import run_cli


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


def test_english_has_no_catalog_translation() -> None:
    """``translate("en", …)`` returns the source text without reading the English catalog: exact
    only while that catalog translates nothing (Babel writes it with empty ``msgstr``)."""
    from babel.messages.pofile import read_po

    from autoserum.i18n import LOCALE_DIR

    with (LOCALE_DIR / "en" / "LC_MESSAGES" / "messages.po").open("rb") as fp:
        catalog = read_po(fp, locale="en")
    translated = [
        m.id
        for m in catalog
        if m.id and any(m.string if isinstance(m.string, tuple) else (m.string,))
    ]
    assert translated == []
    assert translate("en", "%(n)s sites", n=3) == "3 sites"
    assert translate_plural("en", "%(n)s query", "%(n)s queries", 1, n=1) == "1 query"
    assert translate_plural("en", "%(n)s query", "%(n)s queries", 0, n=0) == "0 queries"


def _in_locale(monkeypatch: pytest.MonkeyPatch, lang: str) -> None:
    """The terminal's locale is ``lang``; autoserum's own setting is removed."""
    for name in ("AUTOSERUM_LANG", "LC_ALL", "LC_MESSAGES"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("LANG", lang)


VISITS = Path(__file__).resolve().parents[1] / "demo" / "store-visits.csv"


@pytest.mark.parametrize(
    ("locale", "language"), [("ko_KR.UTF-8", "ko"), ("zh_CN.UTF-8", "zh-Hans"), ("C", "en")]
)
def test_the_import_summary_speaks_the_terminals_language(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, locale: str, language: str
) -> None:
    _in_locale(monkeypatch, locale)
    db = f"sqlite:///{tmp_path / 'trial.db'}"
    done = run_cli("import", VISITS, "--db", db, "--study", "AST-1", "--protocol", "ast-nahm2023")
    assert done.returncode == 0, done.stderr
    with VISITS.open(encoding="utf-8") as rows:
        subjects = len({row["subject_id"] for row in csv.DictReader(rows)})
    head = translate(language, "imported into study %(study)s: %(parts)s", study="AST-1", parts="")
    count = translate(
        language, "%(num)s %(what)s", num=str(subjects), what=record_type("subjects", language)
    )
    assert done.stdout.startswith(head)
    assert count in done.stdout
    if language == "en":
        assert done.stdout.startswith(f"imported into study AST-1: {subjects} subjects, ")
    else:  # the catalog's text, not the English one
        assert head != translate("en", "imported into study %(study)s: %(parts)s", study="AST-1",
                                 parts="")  # fmt: skip
        assert "subjects" not in done.stdout
        assert {"ko": "대상자", "zh-Hans": "受试者"}[language] in done.stdout
    # a machine-readable output stays as it is: the same JSON whatever the language
    shown = run_cli("study", "show", "AST-1", "--db", db, "--json")
    assert json.loads(shown.stdout)["subjects"]["enrolled"] == subjects


@pytest.mark.parametrize(("lang", "date"), [("ko", "2026. 6. 1."), ("zh-Hans", "2026年6月1日")])
def test_dates_shown_are_written_as_the_language_writes_them(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, lang: str, date: str
) -> None:
    """CLDR's medium dates (Babel): the expected texts are CLDR's patterns ``y. M. d.`` (ko)
    and ``y年M月d日`` (zh_Hans) applied to 2026-06-01 by hand."""
    monkeypatch.setenv("AUTOSERUM_LANG", lang)
    db = f"sqlite:///{tmp_path / 'trial.db'}"
    assert (
        run_cli("study", "create", "AMD", "--protocol", "ast-nahm2023", "--db", db).returncode == 0
    )
    amend = ["study", "amend", "AMD", "--protocol", "ast-nahm2023", "--summary", "same"]
    done = run_cli(*amend, "--effective", "2026-06-01", "--approved-by", "IRB", "--db", db)
    assert done.returncode == 0, done.stderr
    assert date in done.stdout
    assert "2026-06-01" not in done.stdout


def _modules_after(code: str, names: tuple[str, ...], **env: str) -> list[str]:
    """Which of ``names`` a fresh interpreter has imported after running ``code``."""
    listed = f"sorted(m for m in {names!r} if m in sys.modules)"
    probe = f"import sys, json\n{code}\nprint(json.dumps({listed}))"
    src = Path(__file__).resolve().parents[1] / "src"
    done = subprocess.run(
        [sys.executable, "-c", probe],
        capture_output=True,
        text=True,
        check=True,
        env={**os.environ, "PYTHONPATH": str(src), **env},
    )
    found: list[str] = json.loads(done.stdout.strip().splitlines()[-1])
    return found


_QUIET = (
    "import contextlib, io\n"
    "from autoserum.cli import main\n"
    "with contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(io.StringIO()):\n"
    "    try:\n"
    "        main({argv!r})\n"
    "    except SystemExit:\n"
    "        pass"
)


@pytest.mark.parametrize(
    "argv", [["--version"], ["version"], ["--help"], ["score", "--help"], ["study"]]
)
def test_start_up_loads_no_catalog_until_a_message_is_written(argv: list[str]) -> None:
    """Issue 18: the catalogs (and Babel) are loaded when a message is written, not at start-up;
    importing the CLI does not even import the languages. English never reads a catalog (its
    help is Typer's own text); a command that shows no help (``--version``, ``version``) reads
    none in any language; a Korean help page (``--help``, a group named alone) is a message
    written in Korean, so it does."""
    assert _modules_after("import autoserum.cli", ("autoserum.i18n", "babel")) == []
    assert _modules_after(_QUIET.format(argv=argv), ("babel",), AUTOSERUM_LANG="en") == []
    korean = _modules_after(_QUIET.format(argv=argv), ("babel",), AUTOSERUM_LANG="ko")
    assert korean == ([] if "version" in argv[0] else ["babel"])


def test_what_programs_read_is_the_same_in_every_language(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """``--json`` output and an exported CSV do not depend on the language; the summary line
    printed beside the export does."""
    db = f"sqlite:///{tmp_path / 'trial.db'}"
    done = run_cli("import", VISITS, "--db", db, "--study", "AST-1", "--protocol", "ast-nahm2023")
    assert done.returncode == 0, done.stderr
    shown, exported, said = {}, {}, {}
    for lang in LANGUAGES:
        monkeypatch.setenv("AUTOSERUM_LANG", lang)
        shown[lang] = run_cli("study", "show", "AST-1", "--db", db, "--json").stdout
        out = tmp_path / f"visits-{lang}.csv"
        said[lang] = run_cli("export", "--study", "AST-1", "--db", db, "--out", out).stdout
        exported[lang] = out.read_bytes()
    assert shown["ko"] == shown["zh-Hans"] == shown["en"]
    assert json.loads(shown["en"])["name"] == "AST-1"
    assert exported["ko"] == exported["zh-Hans"] == exported["en"]
    assert exported["en"].startswith(b"subject_id,")
    assert len(set(said.values())) == 3  # the summary is translated
    for lang, line in said.items():
        rows = len(exported[lang].splitlines()) - 1
        expected = translate(
            lang,
            "exported %(rows)s visit rows of study %(study)s to %(path)s",
            rows=rows,
            study="AST-1",
            path=tmp_path / f"visits-{lang}.csv",
        )
        assert line.strip() == expected


HELP = {
    "en": ("Usage: ", "Options", "Commands", "Show this message and exit.", "Score one assessment"),
    "ko": ("사용법: ", "옵션", "명령", "이 도움말을 표시하고 종료합니다.", "평가 하나(--json)"),
    "zh-Hans": ("用法：", "选项", "命令", "显示此帮助信息并退出。", "精确计算一次评估"),
}


@pytest.mark.parametrize("lang", LANGUAGES)
def test_the_help_speaks_the_terminals_language(monkeypatch: pytest.MonkeyPatch, lang: str) -> None:
    """``autoserum --help``: Typer's frame (usage, panels, the ``--help`` option) and the
    commands' descriptions in the CLI's language; the command names and options as they are."""
    monkeypatch.setenv("AUTOSERUM_LANG", lang)
    monkeypatch.setenv("COLUMNS", "200")  # one description per line: no wrapping inside words
    done = run_cli("--help")
    assert done.returncode == 0, done.stderr
    for words in HELP[lang]:
        assert words in done.stdout, (lang, words)
    assert "--version" in done.stdout
    assert "instrument-texts" in done.stdout
    if lang != "en":
        for words in HELP["en"]:
            assert words not in done.stdout, (lang, words)
    page = run_cli("study", "create", "--help").stdout
    assert translate(lang, "Arguments") in page
    example = translate(lang, "Example: %(command)s", command="autoserum study create AST-1")
    assert example in page  # an example's command line stays as written, its label translated
    group = run_cli("study")  # a group named alone: its help page, in the language too
    assert group.returncode == 0
    assert HELP[lang][0] in group.stdout
    shown = " ".join(group.stdout.replace("│", " ").split())
    listed = "List the studies of a database: name, protocol, blinding, sites, subjects enrolled."
    assert translate(lang, listed) in shown  # a sub-command's description


USAGE = {
    ("study", "create", "--bogus"): {
        "en": "error: No such option: --bogus (see: ",
        "ko": "error: 없는 옵션입니다: --bogus (참고: ",
        "zh-Hans": "error: 没有这样的选项：--bogus（参见：",
    },
    ("study", "create"): {
        "en": "error: Missing argument 'name'. (see: ",
        "ko": "error: 인수 누락: 'name' (참고: ",
        "zh-Hans": "error: 缺少参数 'name'。（参见：",
    },
    ("nocmd",): {
        "en": "error: No such command 'nocmd'. (see: ",
        "ko": "error: 없는 명령입니다: 'nocmd' (참고: ",
        "zh-Hans": "error: 没有这个命令：'nocmd'。（参见：",
    },
    ("power", "--alpha", "x"): {
        "en": "error: Invalid value for '--alpha': ",
        "ko": "error: '--alpha'의 값이 잘못되었습니다: ",
        "zh-Hans": "error: '--alpha' 的值无效：",
    },
}


@pytest.mark.parametrize("argv", list(USAGE), ids=" ".join)
@pytest.mark.parametrize("lang", LANGUAGES)
def test_usage_errors_speak_the_terminals_language(
    monkeypatch: pytest.MonkeyPatch, lang: str, argv: tuple[str, ...]
) -> None:
    """Typer's (Click's) usage errors, rendered again from autoserum's catalogs; exit 2 and
    one line on stderr in every language. What a value's check says stays as written."""
    monkeypatch.setenv("AUTOSERUM_LANG", lang)
    done = run_cli(*argv)
    assert done.returncode == 2
    assert done.stderr.startswith(USAGE[argv][lang]), done.stderr
    assert done.stderr.count("\n") == 1
    if argv[0] != "power":  # the hint: the command's help (the program as it was run)
        assert done.stderr.rstrip().endswith("--help)" if lang != "zh-Hans" else "--help）")


def test_every_command_description_is_in_the_catalogs() -> None:
    """The first paragraph of each command's help is a catalog message (extracted from the
    Typer application), translated in Korean and Chinese."""
    from autoserum.cli._words import help_messages
    from autoserum.i18n import translations

    messages = list(help_messages())
    assert len(messages) > 60  # every command and group
    for lang in ("ko", "zh-Hans"):
        untranslated = [m for m in messages if translations(lang).gettext(m) == m]
        assert untranslated == [], (lang, untranslated)
