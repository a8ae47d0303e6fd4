"""Tidy import and export on both engines: lossless round trip, all-or-nothing import naming the
bad line and column, blinded exports without the arm, adverse events, and the CLI."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime
from decimal import Decimal
from pathlib import Path

import polars as pl
import pytest
from sqlalchemy import func, select
from typer.testing import CliRunner

from autoserum.cli import app, main
from autoserum.errors import ValidationError
from autoserum.store import Store
from autoserum.store.models import AuditRow
from autoserum.study.tidy import AE_COLUMNS
from tests.store.helpers import ADMIN, INVESTIGATOR, STATISTICIAN, double_blind_study

EASI_ITEMS = {  # docs/instruments.md EASI worked example 1 (adult): 14.0
    "head_neck": (2, 1, 1, 0, 2),
    "upper_limbs": (2, 2, 1, 1, 3),
    "trunk": (1, 1, 0, 0, 2),
    "lower_limbs": (2, 2, 2, 1, 3),
}
SIGNS = ("erythema", "induration", "excoriation", "lichenification", "area")


def _easi_columns() -> dict[str, str]:
    return {
        f"easi_{region}_{sign}": str(v)
        for region, values in EASI_ITEMS.items()
        for sign, v in zip(SIGNS, values, strict=True)
    }


def visit_file() -> pl.DataFrame:
    """A small visit file as read from CSV (all text), in the canonical column order."""
    easi = _easi_columns()
    blank = dict.fromkeys(easi)
    rows: list[dict[str, str | None]] = [
        {"subject_id": "S01", "arm": "serum", "site": "s01", "week": "0", "visit": "baseline",
         "visit_date": "2026-03-02", "age": "34", "sex": "F", "per_protocol": "true",
         "treated": "true", "easi": "14", **easi, "scorad": "27.5", "dlqi": "12", "ige": "1200",
         "eosinophils": "0.45"},
        {"subject_id": "S01", "arm": "serum", "site": "s01", "week": "4", "visit": "week_4",
         "visit_date": "2026-03-30", "age": "34", "sex": "F", "per_protocol": "true",
         "treated": "true", "easi": "6.3", **blank, "scorad": "20.1", "dlqi": "5", "ige": None,
         "eosinophils": "0.3"},
        {"subject_id": "S02", "arm": "placebo", "site": "s02", "week": "0", "visit": "baseline",
         "visit_date": "2026-03-03", "age": "51.5", "sex": "M", "per_protocol": "false",
         "treated": "true", "easi": "22.4", **blank, "scorad": "40", "dlqi": "20", "ige": "350",
         "eosinophils": None},
    ]  # fmt: skip
    return pl.DataFrame(rows, schema=dict.fromkeys(rows[0], pl.String), orient="row")


def ae_file() -> pl.DataFrame:
    """An adverse-event file in the export's shape (``AE_COLUMNS``): every ICH E2A column, with
    ``expected``/``aesi`` as the default reference safety information gives for the term
    (``protocols/_schema.py`` DEFAULT_SAFETY: injection site pain is listed, and its term
    contains "injection site")."""
    row = {
        "subject_id": "S01", "arm": "serum", "term": "injection site pain",
        "meddra_llt": "10022086", "meddra_pt": "10022086", "onset_date": "2026-03-09",
        "onset_week": "1", "end_date": "2026-03-10", "severity": "mild", "serious": "false",
        "sae_death": "false",
        "sae_life_threatening": "false", "sae_hospitalisation": "false",
        "sae_disability": "false", "sae_congenital_anomaly": "false",
        "sae_important_medical_event": "false", "related": "probable",
        "related_procedure": "definite", "expected": "true", "aesi": "injection_site_reaction",
        "action_taken": "dose_not_changed", "outcome": "recovered", "aware_at": None,
        "reported_at": None, "follow_up": "0",
    }  # fmt: skip
    assert list(row) == list(AE_COLUMNS)  # the file is the export's shape
    return pl.DataFrame({k: [v] for k, v in row.items()}, schema=dict.fromkeys(row, pl.String))


def _as_exported(frame: pl.DataFrame, like: pl.DataFrame) -> pl.DataFrame:
    def cast(c: str) -> pl.Expr:
        if like.schema[c] == pl.Date:
            return pl.col(c).str.to_date()
        if like.schema[c] == pl.Boolean:
            return pl.col(c) == "true"
        if isinstance(like.schema[c], pl.Datetime):
            return pl.col(c).str.to_datetime(time_zone="UTC")
        return pl.col(c).cast(like.schema[c])

    return frame.select([cast(c) for c in frame.columns])


def test_import_then_export_is_lossless(store: Store, tmp_path: Path) -> None:
    store.studies.create("AST", "ast-nahm2023", actor=ADMIN, seed=1)
    given = visit_file()
    counts = store.exports.import_long("AST", given, actor=ADMIN, adverse_events=ae_file())
    assert counts == {
        "subjects": 2, "visits": 3, "assessments": 9, "labs": 4, "vital_signs": 0,
        "adverse_events": 1, "con_meds": 0,
    }  # fmt: skip
    out = store.exports.long("AST", actor=ADMIN)
    assert out.columns == given.columns
    assert out.equals(_as_exported(given, out))
    assert store.exports.adverse_events("AST", actor=ADMIN).equals(
        _as_exported(ae_file(), store.exports.adverse_events("AST", actor=ADMIN))
    )
    # and through a CSV file and a second import: the same bytes again
    first = tmp_path / "first.csv"
    out.write_csv(first)
    store.studies.create("AST-copy", "ast-nahm2023", actor=ADMIN, seed=2)
    store.exports.import_long("AST-copy", pl.read_csv(first, infer_schema=False), actor=ADMIN)
    assert store.exports.long("AST-copy", actor=ADMIN).write_csv() == first.read_text()
    parquet = tmp_path / "out.parquet"
    out.write_parquet(parquet)
    assert pl.read_parquet(parquet).equals(out)


def _with_vitals() -> pl.DataFrame:
    """The visit file with the vital signs of two visits (S01 baseline: every sign; S02
    baseline: pressure and pulse only) as text, in the canonical columns after the labs."""
    signs = {
        "systolic_bp": ["128", None, "141"],
        "diastolic_bp": ["82", None, "90"],
        "pulse": ["64", None, "77"],
        "temperature": ["36.8", None, None],
        "weight": ["70.25", None, None],
        "height": ["168", None, None],
    }
    return visit_file().with_columns(pl.Series(k, v, dtype=pl.String) for k, v in signs.items())


def test_vital_signs_round_trip_through_the_tidy_file(store: Store, tmp_path: Path) -> None:
    """Issue 13: the vital signs are columns of the visit file (``study/vitals.py`` units);
    import writes one record per visit with any sign, export writes them back, the same
    bytes through a second import."""
    store.studies.create("AST", "ast-nahm2023", actor=ADMIN, seed=1)
    given = _with_vitals()
    counts = store.exports.import_long("AST", given, actor=ADMIN)
    assert (counts["vital_signs"], counts["visits"]) == (2, 3)
    detail = store.subjects.detail("AST", "S01", actor=ADMIN)
    [signs] = detail.vital_signs
    assert (signs.systolic_bp, signs.diastolic_bp, signs.pulse) == (128, 82, 64)
    assert (signs.temperature, signs.weight) == (Decimal("36.8"), Decimal("70.25"))
    out = store.exports.long("AST", actor=ADMIN)
    assert out.columns == given.columns
    assert out.schema["systolic_bp"] == pl.Int64  # whole numbers stay whole
    assert out.equals(_as_exported(given, out))
    first = tmp_path / "first.csv"
    out.write_csv(first)
    assert "128,82,64,36.8,70.25,168" in first.read_text()
    store.studies.create("AST-copy", "ast-nahm2023", actor=ADMIN, seed=2)
    copied = store.exports.import_long(
        "AST-copy", pl.read_csv(first, infer_schema=False), actor=ADMIN
    )
    assert copied["vital_signs"] == 2
    assert store.exports.long("AST-copy", actor=ADMIN).write_csv() == first.read_text()


@pytest.mark.parametrize(
    ("column", "value", "expected"),
    [
        ("systolic_bp", "1200", "systolic_bp: got '1200'; expected an integer from 50 to 300"),
        ("pulse", "64.5", "pulse: got '64.5'; expected an integer from 20 to 250"),
        ("temperature", "98.6", "temperature: got '98.6'; expected a number from 30 to 45"),
        ("diastolic_bp", "150", "diastolic_bp: got '150'; expected below the systolic pressure "
         "(141 mmHg)"),
    ],
)  # fmt: skip
def test_an_impossible_vital_sign_is_refused_naming_line_and_column(
    store: Store, column: str, value: str, expected: str
) -> None:
    """The limits and the pressure rule of ``study/vitals.py``, through the one validator:
    line 4 (S02 baseline), nothing written."""
    frame = _with_vitals().with_row_index("_i")
    bad = frame.with_columns(
        pl.when(pl.col("_i") == 2).then(pl.lit(value)).otherwise(pl.col(column)).alias(column)
    ).drop("_i")
    with pytest.raises(ValidationError) as caught:
        store.exports.import_long("NEW", bad, actor=ADMIN, protocol="ast-nahm2023")
    assert caught.value.location == f"import, line 4, column {column!r}"
    assert str(caught.value).endswith(expected)
    assert _count(store, AuditRow) == 0
    assert store.studies.all() == []


def test_imported_visits_are_placed_in_their_windows(store: Store) -> None:
    late = visit_file().with_columns(
        visit_date=pl.when(pl.col("visit") == "week_4")
        .then(pl.lit("2026-04-06"))
        .otherwise(pl.col("visit_date"))
    )
    store.exports.import_long("AST", late, actor=ADMIN, protocol="ast-nahm2023")
    detail = store.subjects.detail("AST", "S01", actor=ADMIN)
    # day 0 = baseline 2026-03-02; week_4 = day 28 ± 3 → last on-time day 2026-04-02
    assert [(v.visit_code, v.deviation_days) for v in detail.visits] == [
        ("baseline", None),
        ("week_4", 4),
    ]
    assert [(d.kind, d.days) for d in detail.deviations] == [("visit_window", 4)]
    assert store.exports.long("AST", actor=ADMIN).equals(
        _as_exported(late, store.exports.long("AST", actor=ADMIN))
    )


def test_item_level_data_are_scored_on_import(store: Store) -> None:
    store.studies.create("AST", "ast-nahm2023", actor=ADMIN, seed=1)
    store.exports.import_long("AST", visit_file(), actor=ADMIN)
    detail = store.subjects.detail("AST", "S01", actor=ADMIN)
    easi = [a for a in detail.assessments if a.instrument == "easi" and a.payload]
    assert [float(a.total) for a in easi if a.total is not None] == [14.0]  # worked example 1
    assert easi[0].band == "moderate"


def _count(store: Store, model: type) -> int:
    with store.engine.connect() as conn:
        return conn.scalar(select(func.count()).select_from(model)) or 0


BAD_CELLS = [
    (2, "visit_date", "2026-13-03", "visit_date"),
    (3, "arm", "saline", "arm"),
    (4, "week", "four", "week"),
    (2, "easi_head_neck_erythema", "0.5", "easi_head_neck_erythema"),
    (2, "easi", "15", "easi"),
    (3, "age", "35", "age"),
    (4, "sex", "female", "sex"),
    (3, "week", "0", "week"),
    (2, "eosinophils", "-1", "eosinophils"),
]


def test_one_bad_row_rejects_the_file_and_writes_nothing(store: Store) -> None:
    for line, column, value, named in BAD_CELLS:
        frame = (
            visit_file()
            .with_row_index("_i")
            .with_columns(
                pl.when(pl.col("_i") == line - 2)
                .then(pl.lit(value))
                .otherwise(pl.col(column))
                .alias(column)
            )
            .drop("_i")
        )
        with pytest.raises(ValidationError) as caught:
            store.exports.import_long("NEW", frame, actor=ADMIN, protocol="ast-nahm2023")
        # located as the format's one validator locates it (analyze reads the same file)
        assert caught.value.location == f"import, line {line}, column {named!r}", (column, value)
        assert f"line {line}" in str(caught.value)
        assert _count(store, AuditRow) == 0
        assert store.studies.all() == []


def test_an_unknown_column_or_ae_row_is_rejected(store: Store) -> None:
    with pytest.raises(ValidationError, match="colour: got 'colour'; expected a column"):
        store.exports.import_long(
            "NEW",
            visit_file().with_columns(colour=pl.lit("red")),
            actor=ADMIN,
            protocol="ast-nahm2023",
        )
    bad_ae = ae_file().with_columns(severity=pl.lit("grade 3"))
    with pytest.raises(ValidationError, match="line 2, column 'severity'"):
        store.exports.import_long(
            "NEW",
            visit_file(),
            actor=ADMIN,
            protocol="ast-nahm2023",
            adverse_events=bad_ae,
        )
    assert _count(store, AuditRow) == 0


def test_expectedness_and_aesi_follow_the_protocol_on_import(store: Store) -> None:
    """A file without ``expected``/``aesi`` gets them from the reference safety information
    (DEFAULT_SAFETY: "injection site cellulitis" is not listed, and belongs to both the
    injection-site and the infection AESI); a file stating them otherwise is refused, located,
    with nothing written; a serious flag without a criterion is refused as on a form."""
    cellulitis = ae_file().drop("expected", "aesi", "meddra_llt", "meddra_pt")
    cellulitis = cellulitis.with_columns(term=pl.lit("Injection-site cellulitis"))
    store.exports.import_long(
        "AST", visit_file(), actor=ADMIN, protocol="ast-nahm2023", adverse_events=cellulitis
    )
    got = store.exports.adverse_events("AST", actor=ADMIN).select("expected", "aesi").row(0)
    assert got == (False, "injection_site_reaction, infection")
    audits = _count(store, AuditRow)
    cases = {
        "expected": ae_file().with_columns(expected=pl.lit("false")),
        "aesi": ae_file().with_columns(aesi=pl.lit("ad_flare")),
        "serious": ae_file().with_columns(serious=pl.lit("true")),
    }
    messages = {
        "expected": "expected: got False; expected True, as the protocol's reference safety",
        "aesi": "aesi: got 'ad_flare'; expected 'injection_site_reaction', as the protocol",
        "serious": "seriousness_criteria: got \\(\\); expected at least one criterion",
    }
    for column, bad in cases.items():
        with pytest.raises(ValidationError, match=messages[column]) as err:
            store.exports.import_long(
                "NEW", visit_file(), actor=ADMIN, protocol="ast-nahm2023", adverse_events=bad
            )
        assert err.value.location == f"import (adverse events), line 2, column {column!r}"
    assert _count(store, AuditRow) == audits


def test_blinded_exports_have_no_arm(store: Store) -> None:
    store.studies.create("AST", "ast-nahm2023", actor=ADMIN, seed=1)
    store.exports.import_long("AST", visit_file(), actor=ADMIN, adverse_events=ae_file())
    for actor in (INVESTIGATOR, STATISTICIAN):  # the blinded roles the table lets export
        out = store.exports.long("AST", actor=actor)
        assert "arm" not in out.columns
        assert "serum" not in out.write_csv()
        assert "arm" not in store.exports.adverse_events("AST", actor=actor).columns


def test_a_blinded_file_imports_without_arms(store: Store) -> None:
    blinded = visit_file().drop("arm")
    store.exports.import_long("BLIND", blinded, actor=ADMIN, protocol="ast-nahm2023")
    assert {s.arm for s in store.subjects.all("BLIND", actor=ADMIN)} == {None}
    out = store.exports.long("BLIND", actor=ADMIN)
    assert out.columns == blinded.columns
    assert out.equals(_as_exported(blinded, out))


def test_service_recorded_data_export(store: Store) -> None:
    study = double_blind_study(store)
    from tests.store.helpers import COORDINATOR, enrolled

    enrolled(store, study, "S01")
    store.records.add_visit(study, "S01", "baseline", "2026-03-02", actor=COORDINATOR)
    store.records.add_assessment(
        study, "S01", "baseline", "pp_nrs", {"score": 7}, actor=COORDINATOR
    )
    out = store.exports.long(study, actor=ADMIN)
    assert out.select("subject_id", "week", "visit", "pp_nrs", "pp_nrs_score").rows() == [
        ("S01", -2.0, "screening", None, None),  # recorded at screening (SCORAD typed there)
        ("S01", 0.0, "baseline", 7.0, 7.0),
    ]
    assert out["scorad"].to_list() == [40.0, None]


def _cli(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    """Run the CLI in-process as ``autoserum ARGS``: (exit code, stdout, stderr)."""
    capsys.readouterr()
    try:
        main(list(args))
        code = 0
    except SystemExit as exit_:
        code = int(exit_.code or 0)
    out, err = capsys.readouterr()
    return code, out, err


def test_cli_import_export_audit(
    db_url: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    src = tmp_path / "visits.csv"
    visit_file().write_csv(src)
    ae_file().write_csv(tmp_path / "visits.ae.csv")
    code, stdout, stderr = _cli(
        capsys, "import", str(src), "--db", db_url, "--study", "AST", "--protocol", "ast-nahm2023"
    )
    assert code == 0, stderr
    assert "2 subjects" in stdout
    out = tmp_path / "out.csv"
    code, _, stderr = _cli(
        capsys, "export", "--db", db_url, "--study", "AST", "--format", "csv", "--out", str(out)
    )
    assert code == 0, stderr
    assert pl.read_csv(out).columns == visit_file().columns
    assert pl.read_csv(tmp_path / "out.ae.csv").height == 1
    _, stdout, _ = _cli(capsys, "export", "--db", db_url, "--study", "AST", "--blinded")
    assert stdout.splitlines()[0].startswith("subject_id,site,week")
    _, stdout, _ = _cli(capsys, "audit", "--db", db_url, "--subject", "S02", "--json")
    records = json.loads(stdout)
    assert {r["subject_id"] for r in records} == {"S02"}
    assert {r["reason"] for r in records} == {"import visits.csv"}
    bad = tmp_path / "bad.csv"
    visit_file().with_columns(week=pl.lit("x")).write_csv(bad)
    code, _, stderr = _cli(capsys, "import", str(bad), "--db", db_url, "--study", "AST")
    assert code == 2
    assert stderr.startswith("error: bad.csv, line 2, column 'week'")
    assert "Traceback" not in stderr


def test_every_store_command_has_help_with_an_example() -> None:
    runner = CliRunner()
    for command in ("import", "export", "audit"):
        done = runner.invoke(app, [command, "--help"], terminal_width=200)
        assert done.exit_code == 0
        assert "Example: autoserum " + command in " ".join(done.output.split())


def test_an_imported_event_keeps_the_times_of_a_form(store: Store) -> None:
    """The dates and the SAE clock's times of an imported event follow the rules of an event
    entered on a form (``store/_safety.check_ae_times``): the end not before the onset, and
    with the outcome of an ended event; the report not before the site became aware; an
    offset-less time is refused by the format's validator. Each refusal is located and
    writes nothing; a good file keeps the times to the second, in UTC."""
    sae = ae_file().with_columns(
        term=pl.lit("appendicitis"), serious=pl.lit("true"), sae_hospitalisation=pl.lit("true"),
        related=pl.lit("not_related"), related_procedure=pl.lit("not_related"),
        expected=pl.lit(None), aesi=pl.lit(None), onset_date=pl.lit("2026-03-10"),
        end_date=pl.lit("2026-03-18"), aware_at=pl.lit("2026-03-10T14:05:00+09:00"),
        reported_at=pl.lit("2026-03-11T01:00:00+00:00"),
    )  # fmt: skip
    cases = {
        "end_date": (sae.with_columns(end_date=pl.lit("2026-03-09")), "not before onset"),
        "outcome": (sae.with_columns(outcome=pl.lit("recovering")), "recovered or fatal"),
        "reported_at": (
            sae.with_columns(reported_at=pl.lit("2026-03-10T04:59:00+00:00")),
            "not before the site became aware",
        ),
        "aware_at": (
            sae.with_columns(aware_at=pl.lit("2026-03-10T14:05")),
            "an ISO date and time with its UTC offset",
        ),
    }
    for column, (bad, message) in cases.items():
        with pytest.raises(ValidationError, match=message) as err:
            store.exports.import_long(
                "NEW", visit_file(), actor=ADMIN, protocol="ast-nahm2023", adverse_events=bad
            )
        assert err.value.location == f"import (adverse events), line 2, column {column!r}"
    assert _count(store, AuditRow) == 0
    store.exports.import_long(
        "AST", visit_file(), actor=ADMIN, protocol="ast-nahm2023", adverse_events=sae
    )
    got = store.exports.adverse_events("AST", actor=ADMIN).row(0, named=True)
    assert got["aware_at"] == datetime(2026, 3, 10, 5, 5, tzinfo=UTC)
    assert got["reported_at"] == datetime(2026, 3, 11, 1, 0, tzinfo=UTC)
    assert (got["onset_date"], got["end_date"]) == (date(2026, 3, 10), date(2026, 3, 18))


def test_an_events_follow_ups_survive_export_import_export(store: Store, tmp_path: Path) -> None:
    """A follow-up is a correction with its reason, a new version of the event
    (``docs/data-format.md``): an event first reported, then followed up twice (its outcome,
    then its end date) is exported with ``follow_up`` 2 (its version 3, less one:
    ``study.safety.follow_up_of``); imported into another study it is written at version 3 and
    exported the same again, byte for byte. A value that is not a whole number ≥ 0 is refused,
    located, naming the column."""
    store.exports.import_long(
        "AST", visit_file(), actor=ADMIN, protocol="ast-nahm2023", adverse_events=ae_file()
    )
    first = store.exports.adverse_events("AST", actor=ADMIN)
    assert first["follow_up"].to_list() == [0]  # as first reported (the file's 0)
    ae = store.records.add_adverse_event(
        "AST", "S02", actor=ADMIN, term="eczema herpeticum", onset_date="2026-03-10",
        severity="moderate", serious=False, related="unlikely", outcome="recovering",
    )  # fmt: skip
    ae = store.records.update(
        "AST", "adverse_event", ae.id, {"outcome": "not_recovered"}, actor=ADMIN,
        reason="follow-up 1: lesions spreading", expected_version=ae.version,
    )  # fmt: skip
    ae = store.records.update(
        "AST", "adverse_event", ae.id, {"outcome": "recovered", "end_date": "2026-03-24"},
        actor=ADMIN, reason="follow-up 2: resolved", expected_version=ae.version,
    )  # fmt: skip
    assert (ae.version, ae.follow_up) == (3, 2)
    exported = store.exports.adverse_events("AST", actor=ADMIN)
    assert exported["follow_up"].to_list() == [0, 2]
    visits, events = tmp_path / "visits.csv", tmp_path / "ae.csv"
    store.exports.long("AST", actor=ADMIN).write_csv(visits)
    exported.write_csv(events)
    store.exports.import_long(
        "COPY", pl.read_csv(visits, infer_schema=False), actor=ADMIN, protocol="ast-nahm2023",
        adverse_events=pl.read_csv(events, infer_schema=False),
    )  # fmt: skip
    again = store.exports.adverse_events("COPY", actor=ADMIN)
    assert again.write_csv() == events.read_text()
    copied = store.subjects.detail("COPY", "S02", actor=ADMIN).adverse_events
    assert [(a.version, a.follow_up) for a in copied] == [(3, 2)]
    for bad in ("-1", "1.5", "two"):
        with pytest.raises(ValidationError, match="line 2, column 'follow_up'"):
            store.exports.import_long(
                "NEW", visit_file(), actor=ADMIN, protocol="ast-nahm2023",
                adverse_events=ae_file().with_columns(follow_up=pl.lit(bad)),
            )  # fmt: skip
