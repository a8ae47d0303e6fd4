"""REDCap (issue 15, item 5): a data dictionary with REDCap's 18 columns, instruments as forms
with validation, choices and branching from the instrument registry, calculated totals, records
in the flat longitudinal layout, the instrument-event mapping; and a REDCap export imported back
through its mapping (all or nothing, errors naming file, line and field) → the same data."""

from __future__ import annotations

import csv
import io
from pathlib import Path

import pytest
from typer.testing import CliRunner

from autoserum.cli import app, main
from autoserum.errors import ValidationError
from autoserum.instruments import get_instrument
from autoserum.store import open_store, package_files
from autoserum.study.entities import REVIEW_REGISTRY
from autoserum.study.redcap import DICTIONARY_COLUMNS, sum_formula
from tests.exports.conftest import NOW, STUDY, build_study
from tests.exports.test_package import consent_records
from tests.store.helpers import ADMIN, TODAY

runner = CliRunner()

# REDCap's data dictionary header, as REDCap writes it (REDCap "Data Dictionary" download)
REDCAP_HEADER = (
    "Variable / Field Name,Form Name,Section Header,Field Type,Field Label,"
    '"Choices, Calculations, OR Slider Labels",Field Note,'
    "Text Validation Type OR Show Slider Number,Text Validation Min,Text Validation Max,"
    "Identifier?,Branching Logic (Show field only if...),Required Field?,Custom Alignment,"
    "Question Number (surveys only),Matrix Group Name,Matrix Ranking?,Field Annotation"
)


@pytest.fixture(scope="module")
def study_db(tmp_path_factory: pytest.TempPathFactory) -> str:
    """The export study with informed consent (``consent_records`` of the package tests:
    three documents, the first subject's consent and re-consent, the fifth subject's consent,
    then withdrawn)."""
    url = f"sqlite:///{tmp_path_factory.mktemp('redcap_db') / 'study.db'}"
    store = open_store(url, clock=lambda: TODAY, now=lambda: NOW)
    try:
        build_study(store)
        consent_records(store)
    finally:
        store.close()
    return url


@pytest.fixture(scope="module")
def exported(study_db: str, tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("redcap") / "project"
    store = open_store(study_db, clock=lambda: TODAY)
    try:
        files = store.exports.redcap(STUDY, actor=ADMIN)
    finally:
        store.close()
    out.mkdir()
    for name, data in files.items():
        (out / name).write_bytes(data)
    return out


def _rows(path: Path) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(path.read_text(encoding="utf-8"))))


def test_dictionary_has_redcaps_columns_and_the_registries_fields(exported: Path) -> None:
    text = (exported / "data_dictionary.csv").read_text(encoding="utf-8")
    assert text.splitlines()[0] == REDCAP_HEADER
    assert len(DICTIONARY_COLUMNS) == 18
    rows = {r["Variable / Field Name"]: r for r in _rows(exported / "data_dictionary.csv")}
    assert next(iter(rows)) == "record_id"
    severity = rows["adverse_event_severity"]
    assert (severity["Form Name"], severity["Field Type"]) == ("adverse_event", "dropdown")
    assert severity["Choices, Calculations, OR Slider Labels"].startswith("mild, mild | moderate")
    assert rows["adverse_event_serious"]["Field Type"] == "yesno"
    assert rows["adverse_event_onset_date"]["Text Validation Type OR Show Slider Number"] == (
        "date_ymd"
    )
    assert rows["adverse_event_onset_date"]["Identifier?"] == "y"
    # instruments as forms: items from the instrument registry, branching from its conditions
    q7b = rows["dlqi_q7b"]
    assert q7b["Form Name"] == "dlqi"
    assert q7b["Field Type"] == "radio"
    assert q7b["Branching Logic (Show field only if...)"] == "[dlqi_q7] = 'no'"
    erythema = rows["easi_head_neck_erythema"]
    assert erythema["Field Type"] == "text"
    assert erythema["Text Validation Type OR Show Slider Number"] == "number"
    assert (erythema["Text Validation Min"], erythema["Text Validation Max"]) == ("0", "3")
    # totals: a read-only number autoserum computed where the total is not the sum of the
    # items' points (EASI: weighted regions; DLQI: q7/q7b), a calculation where it is (below)
    assert rows["dlqi"]["Field Type"] == "text"
    assert rows["easi"]["Field Type"] == "text"
    assert "@READONLY" in rows["easi"]["Field Annotation"]


def test_sum_formula_follows_the_instruments_scoring() -> None:
    # POEM: the sum of 7 items scored 0-4 (Charman 2004); SASSAD: the sum of 36 grades 0-3
    assert sum_formula(get_instrument("poem")) == (
        "sum([poem_itch], [poem_sleep], [poem_bleeding], [poem_oozing], [poem_cracking], "
        "[poem_flaking], [poem_dryness])"
    )
    assert str(sum_formula(get_instrument("sassad"))).startswith("sum([sassad_arms_erythema], ")
    assert sum_formula(get_instrument("dlqi")) is None  # q7b asked only when q7 is no
    assert sum_formula(get_instrument("easi")) is None  # region weights × area score
    assert sum_formula(get_instrument("scorad")) is None  # A/5 + 7B/2 + C


def test_records_in_the_flat_longitudinal_layout(exported: Path) -> None:
    header = (exported / "records.csv").read_text(encoding="utf-8").splitlines()[0].split(",")
    assert header[:4] == ["record_id", "redcap_event_name", "redcap_repeat_instrument",
                          "redcap_repeat_instance"]  # fmt: skip
    rows = _rows(exported / "records.csv")
    subject = [r for r in rows if r["redcap_event_name"] == "subject_arm_1"
               and not r["redcap_repeat_instrument"]]  # fmt: skip
    assert len(subject) == 12
    aes = [r for r in rows if r["redcap_repeat_instrument"] == "adverse_event"]
    live = next(r for r in aes if r["adverse_event_term"] == "migraine (recorded live)")
    assert live["adverse_event_onset_date"] == "2024-03-16"
    assert live["adverse_event_serious"] == "0"
    screening = next(r for r in rows if r["redcap_event_name"] == "screening_arm_1")
    assert screening["easi_head_neck_erythema"] != ""
    mapping = _rows(exported / "instrument_event_mapping.csv")
    screening_forms = [m["form"] for m in mapping if m["unique_event_name"] == "screening_arm_1"]
    assert screening_forms[0] == "visit"
    assert {"easi", "scorad", "lab"} <= set(screening_forms)
    events = [e["unique_event_name"] for e in _rows(exported / "events.csv")]
    assert events[0] == "subject_arm_1"
    assert "unscheduled_arm_1" in events


def test_export_import_gives_the_same_data(study_db: str, exported: Path, tmp_path: Path) -> None:
    source = open_store(study_db, clock=lambda: TODAY)
    copy = open_store(f"sqlite:///{tmp_path / 'copy.db'}", clock=lambda: TODAY)
    try:
        counts = copy.exports.import_redcap(
            STUDY, exported / "data_dictionary.csv", exported / "records.csv",
            mapping=exported / "mapping.toml", actor=ADMIN,
        )  # fmt: skip
        first = package_files(source.exports.package(STUDY, actor=ADMIN))
        second = package_files(copy.exports.package(STUDY, actor=ADMIN))
        same_long = source.exports.long(STUDY, actor=ADMIN).equals(
            copy.exports.long(STUDY, actor=ADMIN)
        )
    finally:
        source.close()
        copy.close()
    assert counts["subjects"] == 12
    assert counts["assessments"] > 100
    assert (counts["consent_documents"], counts["consents"]) == (3, 3)  # compared below
    review = {spec.table for spec in REVIEW_REGISTRY.values()}  # not in a REDCap project
    data = [n for n in first if n.endswith(".csv") and n.split(".")[0] not in review]
    assert len(data) >= 10
    assert [n for n in data if first[n] != second[n]] == []  # every record, cell for cell
    assert same_long


def test_bad_records_and_dictionary_are_refused_naming_line_and_field(
    study_db: str, exported: Path, tmp_path: Path
) -> None:
    records = (exported / "records.csv").read_text(encoding="utf-8")
    lines = records.splitlines()
    n = next(i for i, t in enumerate(lines, start=1) if ",mild," in t)
    bad = tmp_path / "records.csv"
    bad.write_text(records.replace(",mild,", ",grave,", 1), encoding="utf-8")
    dictionary = (exported / "data_dictionary.csv").read_text(encoding="utf-8")
    bad_dict = tmp_path / "dictionary.csv"
    # a radio of DLQI q1 offering a code the instrument registry does not know
    bad_dict.write_text(dictionary.replace("not_at_all, not at all (0)",
                                           "never, never (0)", 1), encoding="utf-8")  # fmt: skip
    dict_line = next(i for i, t in enumerate(bad_dict.read_text().splitlines(), 1)
                     if t.startswith("dlqi_q1,"))  # fmt: skip
    copy = open_store(f"sqlite:///{tmp_path / 'copy.db'}", clock=lambda: TODAY)
    try:
        with pytest.raises(ValidationError) as err:
            copy.exports.import_redcap(STUDY, exported / "data_dictionary.csv", bad,
                                       mapping=exported / "mapping.toml", actor=ADMIN)  # fmt: skip
        with pytest.raises(ValidationError) as dict_err:
            copy.exports.import_redcap(STUDY, bad_dict, exported / "records.csv",
                                       mapping=exported / "mapping.toml", actor=ADMIN)  # fmt: skip
        assert copy.studies.all() == []  # nothing written
    finally:
        copy.close()
    assert str(err.value) == (
        f"records.csv line {n} field adverse_event_severity: got 'grave'; "
        "expected one of mild, moderate, severe"
    )
    assert str(dict_err.value).startswith(
        f"dictionary.csv line {dict_line} field dlqi_q1: got 'never'; expected one of not_at_all"
    )


def test_cli_redcap_export_and_import(
    study_db: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "rc"
    done = runner.invoke(app, ["export", "--db", study_db, "--study", STUDY, "--format",
                               "redcap", "--out", str(out)])  # fmt: skip
    assert done.exit_code == 0, done.output
    copy = f"sqlite:///{tmp_path / 'copy.db'}"
    done = runner.invoke(app, [
        "import", str(out / "data_dictionary.csv"), str(out / "records.csv"), "--format",
        "redcap", "--mapping", str(out / "mapping.toml"), "--db", copy, "--study", "C",
    ])  # fmt: skip
    assert done.exit_code == 0, done.output
    assert "imported REDCap records into study C: 1 sites, 12 subjects" in done.output
    with pytest.raises(SystemExit) as exc:
        main(["import", str(out / "data_dictionary.csv"), "--format", "redcap", "--db", copy,
              "--study", "D"])  # fmt: skip
    assert exc.value.code == 2
    assert "RECORDS: got None; expected the REDCap records CSV" in capsys.readouterr().err


def test_informed_consent_is_a_repeating_form(exported: Path) -> None:
    """The consent is a repeating form of the subject event (one instance per consent, the
    document signed by its record number); the documents are in the mapping."""
    dictionary = {r["Variable / Field Name"]: r for r in _rows(exported / "data_dictionary.csv")}
    assert dictionary["consented_at"]["Form Name"] == "consent"
    assert dictionary["consent_document"]["Text Validation Type OR Show Slider Number"] == "integer"
    assert dictionary["consent_withdrawn"]["Field Type"] == "yesno"
    repeating = _rows(exported / "repeating_instruments.csv")
    assert {"event_name": "subject_arm_1", "form_name": "consent", "custom_form_label": ""} in (
        repeating
    )
    consents = [r for r in _rows(exported / "records.csv")
                if r["redcap_repeat_instrument"] == "consent"]  # fmt: skip
    assert [(r["redcap_repeat_instance"], r["consent_document"]) for r in consents] == [
        ("1", "1"), ("2", "3"), ("1", "2"),
    ]  # fmt: skip
    assert [r["consent_withdrawn"] for r in consents] == ["0", "0", "1"]
    mapping = (exported / "mapping.toml").read_text(encoding="utf-8")
    assert "consent_documents_json = " in mapping
    assert '\\"effective_on\\": \\"2023-11-15\\"' in mapping


def test_a_consent_breaking_the_consent_rules_is_refused(exported: Path, tmp_path: Path) -> None:
    """The import checks consent with the consent service's rules (``study.consent``): a
    withdrawal dated before the subject's consent (2024-01-12) is refused naming the records
    file's line; nothing is written."""
    text = (exported / "records.csv").read_text(encoding="utf-8")
    lines = list(csv.DictReader(io.StringIO(text)))
    n = next(i for i, r in enumerate(lines, start=2) if r["consent_withdrawn_on"])
    lines[n - 2]["consent_withdrawn_on"] = "2024-01-01"
    bad = tmp_path / "records.csv"
    with bad.open("w", encoding="utf-8", newline="") as out:
        writer = csv.DictWriter(out, fieldnames=list(lines[0]), lineterminator="\n")
        writer.writeheader()
        writer.writerows(lines)
    copy = open_store(f"sqlite:///{tmp_path / 'copy.db'}", clock=lambda: TODAY)
    try:
        with pytest.raises(ValidationError) as err:
            copy.exports.import_redcap(STUDY, exported / "data_dictionary.csv", bad,
                                       mapping=exported / "mapping.toml", actor=ADMIN)  # fmt: skip
        assert copy.studies.all() == []  # nothing written
    finally:
        copy.close()
    assert str(err.value) == (
        f"records.csv line {n}: withdrawn_on: got '2024-01-01'; "
        "expected a date on or after the consent (2024-01-12)"
    )
