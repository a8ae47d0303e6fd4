"""The command line's help pages and usage errors leave no English in Korean and Chinese (issue
14, item 5): every command's and group's ``--help`` (the Typer/Click command tree walked from
the root) is rendered in ``ko`` and ``zh-Hans`` and its prose must be free of English words
(``tests/visible_text.english_words``, the mechanism of the pages' and documents' tests) once
what stays as written is taken out: the example command lines (their label is translated), the
command, option and argument names, the metavars (``<int>``), Typer's default values and
ranges, file names and paths, quoted commands and values, and the codes a help text lists as
values a program reads (:data:`CODES`: choices such as ``two-sided``, roles, instrument codes,
column names). Unwrapping a help text from the catalog (an untranslated option's help, a docstring
paragraph) makes it fail.
"""

from __future__ import annotations

import re
from typing import Any

import pytest
import typer.main

from autoserum.cli import app
from autoserum.cli._words import _EXAMPLE, usage_message
from autoserum.i18n import translate
from tests.clirun import run_cli
from tests.visible_text import NAMES, english_words

LANGUAGES = ("ko", "zh-Hans")

#: Values a help text names as a program reads them (choices of an option, codes of the
#: registries, column names, R's arguments), the same in every language.
CODES: frozenset[str] = frozenset(
    {
        # power designs and tests, meta-analysis, MMRM and the alternatives
        "paired", "two", "sample", "ancova", "proportions", "wilcoxon", "mann", "whitney",
        "mmrm", "protocol", "student", "welch", "unstructured", "toeplitz", "compound",
        "symmetry", "residual", "satterthwaite", "kenward", "roger", "sided", "less",
        "greater", "registry", "none", "delta", "strict", "level",
        # populations, conditions and evidence views
        "fas", "per_protocol", "eczema", "healthy", "studies", "prisma", "rob", "grade",
        "included", "excluded", "awaiting_classification", "ongoing",
        # formats
        "csv", "parquet", "package", "sdtm", "adam", "fhir", "odm", "redcap", "tidy", "json",
        "text", "open", "closed", "transaction", "Bundle",
        # product: storage kinds and sides
        "stored", "frozen", "thawed", "moved", "left", "right", "bilateral", "midline",
        # roles
        "admin", "investigator", "coordinator", "monitor", "data_manager", "statistician",
        "preparer", "central_rater",
        # instrument codes, score output keys and the tidy columns named as covariates
        "easi", "scorad", "dlqi", "cdlqi", "poem", "sassad", "pp_nrs", "sleep_nrs", "viga_ad",
        "patient_global", "instrument", "total", "band", "band_set", "components", "reason",
        "objective", "objective_band", "null", "true", "false", "age", "sex", "eosinophils",
        "site", "placebo", "control",
        # audit event kinds and query statuses
        "login_failed", "export", "answered", "cancelled",
        # names of programs, packages and standards
        "metafor", "rma", "Dask", "Parquet", "Frictionless", "Hartung", "Knapp", "Sidik",
        "Jonkman", "IgG", "IgE", "SQLite", "PostgreSQL",
        "REDCap", "Markdown", "Hans",
        # header and stream names, and "Web" as Chinese technical writing keeps it (Web 应用)
        "Forwarded", "For", "stdin", "stdout", "stderr", "Web",
        # metafor's column names (``meta``'s input)
        "sei",
    }
)  # fmt: skip

_BOX = re.compile(r"[│╭╮╰╯─]")
_OPTION = re.compile(r"(?<![\w-])--?[A-Za-z][\w-]*(?:=\S*)?")
_METAVAR = re.compile(r"<[^<>]*>|\{[^{}]*\}")
#: A command or a printed value quoted as written (```autoserum instruments```, ``"blinded"``).
_QUOTED = re.compile(r"`[^`]*`|\"[^\"]*\"")
#: A code with a digit (``ast-nahm2023``, ``S1-001``).
_NUMBERED = re.compile(r"[\w-]*\d[\w-]*")
_URL = re.compile(r"\S+://\S*")
#: A file name, path, URL or dotted name (``dlqi.ko.toml``, ``docs/sap.md``,
#: ``sqlite:///file.db``, ``autoserum.analysis.plan_analysis``, ``OUT.parts/``).
_PATHLIKE = re.compile(r"[\w+*<>~-]*(?:[./:]+[\w+*<>~-]+)+[./]*")
#: Typer's range of an option (``[x>=0]``, ``[1<=x<=65535]``).
_RANGE = re.compile(r"\[[^\]]*x[^\]]*\]")


def _tree() -> list[tuple[tuple[str, ...], Any]]:
    """Every command and group of the application (the root first), by its path."""
    found: list[tuple[tuple[str, ...], Any]] = []

    def walk(path: tuple[str, ...], command: Any) -> None:
        found.append((path, command))
        for name, sub in sorted(getattr(command, "commands", {}).items()):
            walk((*path, name), sub)

    walk((), typer.main.get_command(app))
    return found


TREE = _tree()
_NAMES = {name for path, _ in TREE for name in path}
_ARGUMENTS = {
    p.name for _, c in TREE for p in c.params if p.name and p.param_type_name == "argument"
}


def _examples(command: Any) -> list[str]:
    """The command lines of a command's examples, whitespace made single spaces."""
    found = (_EXAMPLE.fullmatch(p) for p in (command.help or "").split("\n\n"))
    return [" ".join(m["command"].split()) for m in found if m]


def _prose(stderr: str, *literal: str) -> list[str]:
    """The English words of an error line once the literal values (the option, the value as
    typed) and the hint (``(see: autoserum … --help)``) are taken out."""
    text = re.split(r"[(（]", stderr.replace("error:", " "))[0]
    for value in literal:
        text = text.replace(value, " ")
    return english_words(text)


def _left_in_english(page: str, command: Any, lang: str) -> list[str]:
    usage = translate(lang, "Usage: ")
    page = re.sub(rf"{re.escape(usage)}\S+", " ", page)  # the program's name as it was run
    text = " ".join(_BOX.sub(" ", page).split())
    examples = _examples(command)
    for example in examples:
        assert example in text, (lang, example)  # the command line as written
    for example in sorted(examples, key=len, reverse=True):
        text = text.replace(example, " ")
    default = translate(lang, "[default: {}]").split("{}")[0]
    envvar = translate(lang, "[env var: {}]").split("{}")[0]
    for label in (default, envvar):
        text = re.sub(re.escape(label) + r"[^\]]*\]", " ", text)
    for pattern in (_QUOTED, _RANGE, _METAVAR, _URL, _OPTION, _PATHLIKE, _NUMBERED):
        text = pattern.sub(" ", text)
    for name in _NAMES | _ARGUMENTS:
        text = re.sub(rf"(?<![\w-]){re.escape(name)}(?![\w-])", " ", text)
    return english_words(text, names=NAMES | CODES)


@pytest.mark.parametrize("lang", LANGUAGES)
@pytest.mark.parametrize(
    ("path", "command"), TREE, ids=[" ".join(path) or "autoserum" for path, _ in TREE]
)
def test_every_help_page_is_in_the_language(
    monkeypatch: pytest.MonkeyPatch, lang: str, path: tuple[str, ...], command: Any
) -> None:
    monkeypatch.setenv("AUTOSERUM_LANG", lang)
    monkeypatch.setenv("COLUMNS", "250")  # no ellipsis in a long help
    done = run_cli(*path, "--help")
    assert done.returncode == 0, done.stderr
    assert translate(lang, "Usage: ") in done.stdout
    assert _left_in_english(done.stdout, command, lang) == []


def test_the_check_finds_english_left_in_a_help_page(monkeypatch: pytest.MonkeyPatch) -> None:
    """The same filter on the English page finds the option's help texts and the prose."""
    monkeypatch.setenv("AUTOSERUM_LANG", "en")
    monkeypatch.setenv("COLUMNS", "250")  # no ellipsis in a long help
    path, command = next((p, c) for p, c in TREE if p == ("power",))
    page = run_cli(*path, "--help").stdout
    left = _left_in_english(page.replace("Usage: ", " ").replace("Example: ", " "), command, "en")
    assert {"Difference", "detect", "Analytic", "designs", "Target"} <= set(left)


@pytest.mark.parametrize(
    ("argv", "expected"),
    [
        (("power", "two-sample", "--n", "abc"), "got %(value)s; expected an integer"),
        (("power", "two-sample", "--alpha", "x"), "got %(value)s; expected a number"),
        (("serve", "--port", "0"), "got %(value)s; expected a number of at least %(limit)s"),
        (("serve", "--port", "70000"), "got %(value)s; expected a number of at most %(limit)s"),
    ],
    ids=["integer", "number", "at least", "at most"],
)
@pytest.mark.parametrize("lang", ["en", *LANGUAGES])
def test_an_invalid_value_names_the_option_and_the_value_in_the_language(
    monkeypatch: pytest.MonkeyPatch, lang: str, argv: tuple[str, ...], expected: str
) -> None:
    """What the value's check found (pydantic's error, Typer converts with it) is rendered
    again from the error: the option and the value as typed, the problem in the language."""
    monkeypatch.setenv("AUTOSERUM_LANG", lang)
    done = run_cli(*argv)
    assert done.returncode == 2
    option, value = argv[-2], argv[-1]
    limit = {"0": "1", "70000": "65535"}.get(value, "")
    if lang == "en":  # Typer's own text, as before
        assert done.stderr.startswith(f"error: Invalid value for '{option}': Input should be ")
        return
    problem = translate(lang, expected, value=repr(value), limit=limit)
    said = translate(lang, "Invalid value for %(name)s: %(problem)s", name=f"'{option}'",
                     problem=problem)  # fmt: skip
    assert done.stderr.startswith(f"error: {said}"), done.stderr
    assert "Input should" not in done.stderr
    assert _prose(done.stderr, f"'{option}'", repr(value)) == [], done.stderr
    if lang == "ko":
        assert f"'{option}'의 값이 잘못되었습니다: '{value}' 입력됨; 필요한 값: " in done.stderr


def test_typers_checks_of_a_value_are_translated_from_their_text() -> None:
    """A check Typer writes itself (a path's existence, a choice) is rendered from its text."""
    ko = usage_message("Invalid value for '--out': File 'x.csv' does not exist.", "ko")
    assert ko == "'--out'의 값이 잘못되었습니다: 없는 파일: 'x.csv'"
    zh = usage_message("Invalid value for 'KIND': 'x' is not one of 'a', 'b'.", "zh-Hans")
    assert zh == "'KIND' 的值无效：收到 'x'；应为以下之一：'a', 'b'"
    unknown = "Invalid value for '--n': something else entirely"
    assert usage_message(unknown, "ko").endswith(": something else entirely")


@pytest.mark.parametrize(
    ("argv", "english", "literal"),
    [
        (
            ("study", "crate"),
            "error: No such command 'crate'. Did you mean 'create'?",
            ("'crate'", "'create'"),
        ),
        (
            ("study", "create", "A", "B", "--protocol", "x"),
            "error: Got unexpected extra argument",
            ("B",),
        ),
    ],
    ids=["no such command", "extra argument"],
)
@pytest.mark.parametrize("lang", LANGUAGES)
def test_the_other_usage_errors_are_translated(
    monkeypatch: pytest.MonkeyPatch,
    lang: str,
    argv: tuple[str, ...],
    english: str,
    literal: tuple[str, ...],
) -> None:
    monkeypatch.setenv("AUTOSERUM_LANG", "en")
    assert run_cli(*argv).stderr.startswith(english)
    monkeypatch.setenv("AUTOSERUM_LANG", lang)
    done = run_cli(*argv)
    assert done.returncode == 2
    assert _prose(done.stderr, *literal) == [], done.stderr


def test_no_korean_usage_error_puts_a_particle_after_a_value() -> None:
    """The rule of ``tests/test_i18n_errors.py`` for the usage errors and value checks."""
    from babel.messages.pofile import read_po

    from autoserum.cli import _words
    from autoserum.i18n import LOCALE_DIR
    from tests.test_i18n_errors import _PARTICLE

    messages = {*_words._KINDS.values(), *(m for _, m in _words._ERRORS)}
    messages |= {*_words._PROBLEMS.values(), *(m for _, m in _words._CHECKS)}
    with (LOCALE_DIR / "ko" / "LC_MESSAGES" / "messages.po").open("rb") as fp:
        catalog = read_po(fp, locale="ko")
    clumsy = [
        m.string
        for m in catalog
        if m.id in messages and isinstance(m.string, str) and _PARTICLE.search(m.string)
    ]
    assert len([m for m in catalog if m.id in messages]) == len(messages)
    assert clumsy == []


@pytest.mark.parametrize("lang", ["en", *LANGUAGES])
def test_the_password_prompt_speaks_the_language(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Any, lang: str
) -> None:
    """``user add`` without ``--password-stdin`` asks twice on the terminal, in the language,
    and asks again when the two differ (Click's own loop would ask and refuse in English)."""
    monkeypatch.setenv("AUTOSERUM_LANG", lang)
    password = "glacier-violet-42-orbit"
    typed = iter([password, password.upper(), password, password])
    asked: list[str] = []

    def prompt(text: str, **_: Any) -> str:
        asked.append(text)
        return next(typed)

    monkeypatch.setattr(typer, "prompt", prompt)
    db = f"sqlite:///{tmp_path / 'users.db'}"
    done = run_cli("user", "add", "alice", "--role", "admin", "--db", db)
    assert done.returncode == 0, done.stderr
    words = [translate(lang, "Password"), translate(lang, "Password again")]
    assert asked == words * 2
    refused = translate(lang, "the two passwords differ: type them again")
    assert done.stderr == f"error: {refused}\n"
    if lang != "en":
        assert english_words(" ".join(asked) + refused) == []
