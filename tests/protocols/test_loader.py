"""User protocol files: the documented example loads; bad files are rejected naming the field."""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

import pytest

from autoserum.errors import ValidationError
from autoserum.protocols import (
    parse_protocol_data,
    parse_protocol_file,
    parse_protocol_text,
    resolve_protocol,
)


def test_documented_example_loads(example_file: Path) -> None:
    p = parse_protocol_file(example_file)
    assert p.code == "ast-example"
    assert [(a.code, a.allocation_ratio) for a in p.arms] == [("serum", 2), ("placebo", 1)]
    assert [v.code for v in p.visits] == ["screening", "baseline", "week_6"]


def test_resolve_accepts_a_code_or_a_path(example_file: Path) -> None:
    assert resolve_protocol("ast-nahm2023").code == "ast-nahm2023"
    assert resolve_protocol(str(example_file)).code == "ast-example"
    with pytest.raises(ValidationError, match="protocol: got 'nope'"):
        resolve_protocol("nope")


def test_negative_window_names_the_field_path(example: str, tmp_path: Path) -> None:
    bad = tmp_path / "bad.toml"
    # The third visit (index 2) gets window_after = -1.
    head, sep, tail = example.partition('code = "week_6"')
    bad.write_text(head + sep + tail.replace("window_after = 3", "window_after = -1", 1))
    with pytest.raises(ValidationError) as info:
        parse_protocol_file(bad)
    err = info.value
    assert (err.field, err.value) == ("visits[2].window_after", -1)
    assert str(err) == f"{bad}: visits[2].window_after: got -1; expected an integer ≥ 0"


def _mutated(data: dict[str, Any], path: tuple[Any, ...], value: Any) -> dict[str, Any]:
    out = copy.deepcopy(data)
    target = out
    for part in path[:-1]:
        target = target[part]
    if value is _DELETE:
        del target[path[-1]]
    else:
        target[path[-1]] = value
    return out


_DELETE = object()


@pytest.mark.parametrize(
    ("path", "value", "field", "expected"),
    [
        (("visits", 1, "day"), _DELETE, "visits[1].day", "required"),
        (("visits", 1, "instruments"), ["easi", "eczema"], "visits[1].instruments[1]", "easi"),
        (("visits", 2, "labs"), ["ige", "crp"], "visits[2].labs[1]", "one of ige"),
        (("visits", 2, "phase"), "run_in", "visits[2].phase", "a phase declared"),
        (("visits", 2, "day"), 99, "visits[2].day", "within phase follow_up"),
        (("visits", 2, "code"), "baseline", "visits[2].code", "not used by another"),
        (("visits", 0, "colour"), "red", "visits[0].colour", "no such field"),
        (("arms", 0, "product"), "plasma", "arms[0].product", "one of"),
        (("arms", 0, "allocation_ratio"), 0, "arms[0].allocation_ratio", "> 0"),
        (("arms", 1, "is_control"), False, "arms", "one a control"),
        (("arms", 0, "dose", "source"), "unknown", "arms[0].dose.value", "never invent"),
        (("arms", 0, "route"), {"source": "published"}, "arms[0].route.value", "a value"),
        (("arms", 0, "dose", "per_injection"), [1, 2], "arms[0].dose.per_injection", "one dose"),
        (("injections", 1, "number"), 5, "injections[1].number", "2 (injections numbered"),
        (("injections", 2, "day"), 7, "injections[2].day", "previous injection"),
        (("eligibility", 1, "maximum"), 5, "eligibility[1].maximum", "≥ minimum"),
        (("eligibility", 0, "source"), "unknown", "eligibility[0].source", "known source"),
        (("design",), "crossover", "design", "one of"),
        (("phases", 0, "end_day"), -20, "phases[0].end_day", "start_day"),
        (("population", "value"), [1], "population.value", "a number or a text"),
        (("visits", 0, "labs"), "ige", "visits[0].labs", "a list"),
        (("visits", 0, "day"), 1.5, "visits[0].day", "an integer"),
    ],
)
def test_bad_field_is_rejected_with_its_path(
    example_data: dict[str, Any], path: tuple[Any, ...], value: Any, field: str, expected: str
) -> None:
    with pytest.raises(ValidationError) as info:
        parse_protocol_data(_mutated(example_data, path, value), location="user.toml")
    assert info.value.field == field
    assert expected in info.value.expected
    assert str(info.value).startswith(f"user.toml: {field}: got ")


def test_invalid_toml_and_missing_file(tmp_path: Path) -> None:
    with pytest.raises(ValidationError, match="valid TOML"):
        parse_protocol_text("code = ", location="x.toml")
    with pytest.raises(ValidationError, match="an existing protocol file"):
        parse_protocol_file(tmp_path / "absent.toml")


def test_python_examples_of_the_docs_run() -> None:
    import re

    from tests.protocols.conftest import DOCS

    blocks = re.findall(r"```python\n(.*?)```", DOCS.read_text(encoding="utf-8"), re.DOTALL)
    assert len(blocks) == 2
    for block in blocks:
        exec(compile(block, str(DOCS), "exec"), {})
