"""The analysis plan is decided once (``analysis.plan_analysis``) and ``analyze`` and ``report``
run it (issue 10 item 4: report took the protocol's control arm, analyze the arm named
placebo, so a study whose control is not called placebo was analysed by one and refused by the
other).
"""

from __future__ import annotations

import json
from importlib import resources
from pathlib import Path

import polars as pl
import pytest

from autoserum.analysis import analyze_plan, plan_analysis, read_long, read_study, study_consort
from autoserum.errors import ValidationError
from autoserum.protocols import parse_protocol_file
from autoserum.report import build_report
from tests.analysis.conftest import DATA
from tests.clirun import run_cli


@pytest.fixture
def sham_study(tmp_path: Path) -> tuple[Path, Path]:
    """The two-arm fixture with its control arm called ``sham``, and a protocol file (the
    library's ast-nahm2023 with the control arm renamed) that declares ``sham`` the control."""
    frame = read_long(DATA / "two_arm.csv").with_columns(pl.col("arm").replace({"placebo": "sham"}))
    data = tmp_path / "sham.csv"
    frame.with_columns(pl.col("week").cast(pl.Int64)).write_csv(data)
    library = resources.files("autoserum.protocols.library")
    text = library.joinpath("ast-nahm2023.toml").read_text(encoding="utf-8")
    assert text.count('code = "placebo"') == 1
    proto = tmp_path / "sham-proto.toml"
    proto.write_text(
        text.replace('code = "placebo"', 'code = "sham"').replace(
            'code = "ast-nahm2023"', 'code = "sham-proto"'
        ),
        encoding="utf-8",
    )
    return data, proto


def test_the_protocols_control_arm_decides_when_no_arm_is_named_placebo(
    sham_study: tuple[Path, Path],
) -> None:
    data, proto = sham_study
    frame = read_long(data)
    with pytest.raises(ValidationError, match="control"):
        plan_analysis(frame)  # neither a request nor a protocol nor a name says which
    plan = plan_analysis(frame, parse_protocol_file(proto))
    assert plan.control == "sham"
    assert str(plan.reasons["control"]) == "the control arm of protocol sham-proto"
    assert plan.endpoint == "scorad"  # the protocol's primary endpoint, present in the data
    assert plan.week == 12.0  # the last post-baseline week
    assert plan.predictors == ("age", "sex", "eosinophils", "ige")


def test_analyze_and_report_run_the_same_plan(sham_study: tuple[Path, Path]) -> None:
    data, proto = sham_study
    out = run_cli("analyze", data, "--protocol", proto, "--json")
    assert out.returncode == 0, out.stderr  # before: "--control ARM naming one of: ..."
    analysed = json.loads(out.stdout)
    model = build_report(read_study(data), protocol=str(proto))
    assert analysed["control"] == model.primary.control == "sham"
    assert (analysed["endpoint"], analysed["week"]) == (model.primary.endpoint, model.primary.week)
    # the participant flow, which the report draws too
    assert analysed.pop("consort") == study_consort(read_study(data)).to_dict()
    assert analysed == json.loads(json.dumps(model.primary.to_json()))


def test_a_request_overrides_the_protocol(sham_study: tuple[Path, Path]) -> None:
    data, proto = sham_study
    frame = read_long(data)
    plan = plan_analysis(
        frame, parse_protocol_file(proto), endpoint="easi", week=8, control="serum", predictors=[]
    )
    assert (plan.endpoint, plan.week, plan.control, plan.predictors) == ("easi", 8.0, "serum", ())
    assert {k: str(v) for k, v in plan.reasons.items() if k != "covariates"} == dict.fromkeys(
        ("endpoint", "week", "control", "predictors"), "requested"
    )
    assert analyze_plan(frame, plan).treatments == ("sham",)


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        ({"control": "nobody"}, "control"),
        ({"week": 5}, "week"),
        ({"endpoint": "nonsense"}, "endpoint"),
        ({"population": "itt"}, "population"),
    ],
)
def test_bad_requests_name_the_field(
    sham_study: tuple[Path, Path], kwargs: dict[str, object], field: str
) -> None:
    data, proto = sham_study
    with pytest.raises(ValidationError) as err:
        plan_analysis(read_long(data), parse_protocol_file(proto), **kwargs)  # type: ignore[arg-type]
    assert err.value.field == field
