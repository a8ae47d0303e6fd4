"""Core validation errors in the reader's language (issue 14, item 5): the core raises a
:class:`~autoserum.errors.ValidationError` whose ``expectation`` is a message id with its values;
the edge renders it through the catalogs (``autoserum.i18n.error_text``), while ``str(err)``
(the CLI's text) stays English. Each case is one of the common errors: an instrument item out of
range, a required value missing, a date in the future, a value outside a vocabulary, a number
out of range."""

from __future__ import annotations

import ast
import datetime as dt
import re
from collections.abc import Callable
from pathlib import Path

import pytest

import autoserum
from autoserum.errors import ValidationError
from autoserum.i18n import error_text
from autoserum.instruments import score
from autoserum.study.entities import REGISTRY
from autoserum.study.rules import check_not_future
from autoserum.study.vocab import check_choice


def _raised(call: Callable[[], object]) -> ValidationError:
    with pytest.raises(ValidationError) as caught:
        call()
    return caught.value


CASES = {
    "instrument item out of range": (
        lambda: score("scorad", {"extent": 150}),
        "extent: got 150; expected a number from 0 to 100 in steps of 0.1",
        "extent: 150 입력됨; 필요한 값: 0부터 100까지 0.1 간격의 숫자",
        "extent：收到 150；应为0至100之间、以0.1为步长的数值",
    ),
    "required value missing": (
        lambda: REGISTRY["adverse_event"].field("term").convert(None),
        "term: got None; expected a non-empty text of at most 500 characters",
        "term: None 입력됨; 필요한 값: 500자 이하의 비어 있지 않은 텍스트",
        "term：收到 None；应为不超过500个字符的非空文本",
    ),
    "date in the future": (
        lambda: check_not_future("visit_date", dt.date(2026, 3, 9), today=dt.date(2026, 3, 2)),
        "visit_date: got '2026-03-09'; expected a date on or before today (2026-03-02)",
        "visit_date: '2026-03-09' 입력됨; 필요한 값: 오늘(2026-03-02) 또는 그 이전의 날짜",
        "visit_date：收到 '2026-03-09'；应为今天（2026-03-02）或之前的日期",
    ),
    "value not in the vocabulary": (
        lambda: check_choice("severity", "awful", ("mild", "moderate", "severe")),
        "severity: got 'awful'; expected one of mild, moderate, severe",
        "severity: 'awful' 입력됨; 필요한 값: 다음 중 하나: mild, moderate, severe",
        "severity：收到 'awful'；应为以下之一：mild, moderate, severe",
    ),
    "number out of range": (
        lambda: REGISTRY["blood_draw"].field("volume_ml").convert("1500"),
        "volume_ml: got '1500'; expected a number from 0 to 1000 mL",
        "volume_ml: '1500' 입력됨; 필요한 값: 0부터 1000 mL까지의 숫자",
        "volume_ml：收到 '1500'；应为0至1000 mL之间的数值",
    ),
}


@pytest.mark.parametrize("case", list(CASES))
def test_a_core_error_in_english_korean_and_chinese(case: str) -> None:
    call, english, korean, chinese = CASES[case]
    err = _raised(call)
    assert str(err) == english  # the CLI's text: unchanged
    assert error_text(err, "en") == english
    assert error_text(err, "ko") == korean
    assert error_text(err, "zh-Hans") == chinese


def test_an_untranslated_expectation_falls_back_to_english() -> None:
    err = ValidationError("code", "x", "a code nobody translated")
    assert error_text(err, "ko") == "code: 'x' 입력됨; 필요한 값: a code nobody translated"
    located = ValidationError("q1", 5, "one", location="row 3")
    assert error_text(located, "en") == str(located) == "row 3: q1: got 5; expected one"


def test_any_core_error_raised_with_a_message_is_translated() -> None:
    from autoserum.errors import Message, NotFoundError, StateError

    gone = NotFoundError(Message("no study named %(name)s", name=repr("AS-9")))
    assert str(gone) == error_text(gone, "en") == "no study named 'AS-9'"
    assert error_text(gone, "ko") == "이름이 'AS-9'인 연구가 없습니다"
    assert error_text(gone, "zh-Hans") == "没有名为'AS-9'的研究"
    # a value that is itself a message (what the refused operation was) is translated too
    locked = StateError(
        Message(
            "cannot %(what)s: %(scope)s is locked (lock %(id)s: %(reason)s); an administrator "
            "must unlock it first, with a reason",
            what=Message("randomise"),
            scope=Message("this subject"),
            id=3,
            reason="casebook reviewed",
        )
    )
    assert str(locked).startswith("cannot randomise: this subject is locked (lock 3: casebook")
    korean = "무작위배정할 수 없습니다: 이 대상자 잠김 (잠금 3: casebook"
    assert error_text(locked, "ko").startswith(korean)
    assert error_text(locked, "zh-Hans").startswith("无法随机化：此受试者已锁定（锁定3：casebook")
    # a statistics refusal and a setting refused at start-up (the CLI's `error: …` line)
    from autoserum.errors import ConfigurationError, StatisticsError
    from autoserum.stats import welch_t

    with pytest.raises(StatisticsError) as caught:
        welch_t([1.0, 1.0, 1.0], [1.0, 1.0, 1.0])
    constant = caught.value
    assert str(constant) == "welch_t: the data are essentially constant"
    assert error_text(constant, "ko") == "welch_t: 데이터가 사실상 상수입니다"
    assert error_text(constant, "zh-Hans") == "welch_t：数据基本为常数"
    cannot = ConfigurationError(
        Message("cannot open the database: %(reason)s", reason="unable to open database file")
    )
    assert error_text(cannot, "ko") == "데이터베이스를 열 수 없습니다: unable to open database file"
    assert error_text(cannot, "zh-Hans") == "无法打开数据库：unable to open database file"
    # an error raised with a plain text stays as it was written
    assert error_text(StateError("plain English"), "ko") == "plain English"


# The guard: what a core error says is a catalog message, never a plain English text. A
# ValidationError's ``expected`` (its third argument) and the text of a StateError,
# NotFoundError, PermissionDeniedError, ConflictError, BusyError, ConfigurationError or
# StatisticsError may not be a string literal, an f-string or a concatenation with one:
# write ``Expected("…%(name)s…", name=value)`` or ``Message(…)`` (docs/i18n.md, "Core errors
# in the reader's language"). The message id of an
# ``Expected``/``Message`` is a literal (extracted into the catalogs) or a name bound to a text
# extracted elsewhere (the entity registry's rules), never an f-string.
_ROOT = Path(autoserum.__file__).parent
_TEXT_ERRORS = frozenset(
    {
        "StateError",
        "NotFoundError",
        "PermissionDeniedError",
        "ConflictError",
        "BusyError",
        "ConfigurationError",
        "StatisticsError",
    }
)
#: Justified exceptions, ``(path under src/autoserum, line's call) -> why``: none today.
ALLOWED: dict[tuple[str, str], str] = {}


def _name(func: ast.expr) -> str | None:
    if isinstance(func, ast.Name):
        return func.id
    return func.attr if isinstance(func, ast.Attribute) else None


def _is_text(node: ast.expr | None) -> bool:
    if isinstance(node, ast.Constant):
        return isinstance(node.value, str)
    if isinstance(node, ast.JoinedStr):
        return True
    if isinstance(node, ast.BinOp):
        return _is_text(node.left) or _is_text(node.right)
    if isinstance(node, ast.IfExp):
        return _is_text(node.body) or _is_text(node.orelse)
    return False


def _plain_texts(tree: ast.AST) -> list[tuple[int, str, str]]:
    found = []
    for node in ast.walk(tree):
        if not isinstance(node, ast.Call):
            continue
        name = _name(node.func)
        if name == "ValidationError":
            keyword = next((k.value for k in node.keywords if k.arg == "expected"), None)
            text = node.args[2] if len(node.args) > 2 else keyword
        elif name in _TEXT_ERRORS and node.args:
            text = node.args[0]
        elif name in ("Expected", "Message") and node.args:
            text = node.args[0] if isinstance(node.args[0], ast.JoinedStr | ast.BinOp) else None
        else:
            continue
        if _is_text(text):
            found.append((node.lineno, name or "", ast.unparse(node)[:100]))
    return found


def test_no_core_error_is_raised_with_a_plain_english_text() -> None:
    offenders = []
    for path in sorted(_ROOT.rglob("*.py")):
        relative = path.relative_to(_ROOT).as_posix()
        if relative.startswith("store/migrations/"):
            continue
        for line, name, call in _plain_texts(ast.parse(path.read_text(encoding="utf-8"))):
            if (relative, name) not in ALLOWED:
                offenders.append(f"{relative}:{line}: {call}")
    assert not offenders, "wrap the text in Expected(...)/Message(...):\n" + "\n".join(offenders)


def test_the_guard_finds_a_plain_text() -> None:
    source = (
        'raise ValidationError("age", v, f"an age up to {high}")\n'
        'raise ValidationError("age", v, expected="a number")\n'
        'raise StateError("locked")\n'
        'raise NotFoundError("no study " + name)\n'
        'raise StatisticsError(f"ancova: need 4 rows, got {n}")\n'
        'raise ConfigurationError("AUTOSERUM_PHOTO_DIR is not set")\n'
        'x = Expected(f"a number up to {high}")\n'
        'raise ValidationError("age", v, Expected("an age up to %(high)s", high=high))\n'
        'raise StateError(Message("lock %(id)s is lifted already", id=lock_id))\n'
        "raise ValidationError(err.field, err.value, err.expectation)\n"
    )
    assert [line for line, _, _ in _plain_texts(ast.parse(source))] == [1, 2, 3, 4, 5, 6, 7]


# Korean particles after a value (issue 14, item 5): a refusal is composed from a message and
# its values, and the particle after a value depends on the value's last sound (을/를, 이/가,
# 은/는, 과/와, 으로/로), which the translation cannot know. A translated refusal never puts a
# particle (nor the clumsy 이(가) forms) right after a placeholder: it names a noun first
# (``이름이 %(name)s인 연구``) or shows the value after a colon
# (``해당 대상자가 없습니다: %(id)s``).
# A particle after a parenthesis belongs to the word before it (``두 방문(%(a)s, %(b)s)이``).
_PARTICLE = re.compile(
    r"%\([a-z_0-9]+\)s['\"]?(이\(가\)|을\(를\)|은\(는\)|과\(와\)|\(으\)로|\(이\)라는|이라는|라는"
    r"|이|가|을|를|은|는|과|와|으로|로)(?![가-힣])"
)


def _refusal_messages() -> set[str]:
    found = set()
    for path in _ROOT.rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if (
                isinstance(node, ast.Call)
                and _name(node.func) in ("Expected", "Message")
                and node.args
                and isinstance(node.args[0], ast.Constant)
            ):
                found.add(str(node.args[0].value))
    return found


def test_no_korean_refusal_puts_a_particle_after_a_value() -> None:
    from babel.messages.pofile import read_po

    from autoserum.i18n import LOCALE_DIR

    with (LOCALE_DIR / "ko" / "LC_MESSAGES" / "messages.po").open("rb") as fp:
        catalog = read_po(fp, locale="ko")
    refusals = _refusal_messages()
    assert len(refusals) > 300  # the check can fail: every Expected/Message of the core
    clumsy = [
        f"{m.id!r}: {m.string!r}"
        for m in catalog
        if m.id in refusals and isinstance(m.string, str) and _PARTICLE.search(m.string)
    ]
    assert clumsy == [], "\n".join(clumsy)
    assert _PARTICLE.search("%(name)s이라는 연구")
    assert not _PARTICLE.search("이름이 %(name)s인 연구")


# The same rule for what a person is told when something worked: the flash messages of the
# pages and the confirmations of the command line (``translate(request_or_language, …)``,
# ``translate_plural``, a table of ``N_`` messages said later).
_SAID = frozenset({"translate", "translate_plural", "N_", "say"})


def _confirmation_messages() -> set[str]:
    found: set[str] = set()
    for folder in ("web", "cli"):
        for path in (_ROOT / folder).rglob("*.py"):
            for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
                if isinstance(node, ast.Call) and _name(node.func) in _SAID:
                    found.update(
                        str(arg.value)
                        for arg in node.args[:3]
                        if isinstance(arg, ast.Constant) and isinstance(arg.value, str)
                    )
    return found


def test_no_korean_confirmation_puts_a_particle_after_a_value() -> None:
    from babel.messages.pofile import read_po

    from autoserum.i18n import LOCALE_DIR

    with (LOCALE_DIR / "ko" / "LC_MESSAGES" / "messages.po").open("rb") as fp:
        catalog = read_po(fp, locale="ko")
    said = _confirmation_messages()
    # the check can fail: the flashes ("Visit %(visit)s recorded.") and the CLI's
    # confirmations ("kit %(code)s prepared (%(volume)s)") are among the messages it reads
    assert {"Kit %(code)s prepared.", "kit %(code)s prepared (%(volume)s)"} <= said
    checked = [m for m in catalog if (m.id[0] if isinstance(m.id, tuple) else m.id) in said]
    assert len(checked) > 400
    clumsy = [
        f"{m.id!r}: {m.string!r}"
        for m in checked
        for text in (m.string if isinstance(m.string, tuple | list) else (m.string,))
        if text and _PARTICLE.search(str(text))
    ]
    assert clumsy == [], "\n".join(clumsy)
