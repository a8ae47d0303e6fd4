"""Licensed wordings a site installs (issue 14, item 5): the item codes are the contract, a file
that breaks it is refused with an error naming the file, the code and what was expected, and
scoring never reads a text. Every wording here is synthetic (``tests/instruments/texts.py``)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from autoserum.errors import ValidationError
from autoserum.instruments import (
    TextLibrary,
    get_instrument,
    instrument_codes,
    load_text_file,
    load_texts,
    question_texts,
    score,
)

from .texts import made_up, to_toml, write

LANGUAGES = ("en", "ko", "zh-Hans")


def _error(path: Path) -> ValidationError:
    with pytest.raises(ValidationError) as caught:
        load_text_file(path, languages=LANGUAGES)
    assert caught.value.location == str(path)
    return caught.value


@pytest.mark.parametrize("ext", ["toml", "json"])
def test_a_complete_file_loads(tmp_path: Path, ext: str) -> None:
    path = write(tmp_path, "dlqi", "ko", ext=ext)
    text = load_text_file(path, languages=LANGUAGES)
    assert text.instrument == "dlqi"
    assert text.language == "ko"
    assert text.source == str(path)
    assert text.items["q3"].text == "[made-up dlqi q3 ko]"
    assert text.items["q7b"].answers["a_lot"] == "[made-up answer a_lot ko]"
    assert set(text.items["q3"].answers) == {
        "very_much", "a_lot", "a_little", "not_at_all", "not_relevant"
    }  # fmt: skip
    assert text.licence == "[made-up licence of dlqi in ko]"


def test_every_patient_instrument_can_take_a_file(tmp_path: Path) -> None:
    patient = [c for c in instrument_codes() if get_instrument(c).reported_by == "patient"]
    assert {"dlqi", "cdlqi", "poem", "pp_nrs", "sleep_nrs", "patient_global"} <= set(patient)
    for code in patient:
        write(tmp_path, code, "zh-Hans")
    library = load_texts(tmp_path, languages=LANGUAGES)
    assert sorted(library.texts) == sorted((c, "zh-Hans") for c in patient)
    poem = library.get("poem", "zh-Hans")
    assert poem is not None
    assert set(poem.items["itch"].answers) == {"0", "1", "2", "3", "4"}


def test_an_unknown_item_code_is_named(tmp_path: Path) -> None:
    data = made_up("dlqi", "ko")
    data["items"]["q11"] = data["items"]["q10"]
    path = tmp_path / "dlqi.ko.toml"
    path.write_text(to_toml(data), encoding="utf-8")
    err = _error(path)
    assert err.field == "items.q11"
    assert str(err).startswith(f"{path}: items.q11: got 'q11'; expected an item code of dlqi: q1,")


def test_missing_item_codes_are_named(tmp_path: Path) -> None:
    data = made_up("cdlqi", "en")
    del data["items"]["q4"], data["items"]["q9"]
    path = tmp_path / "cdlqi.en.json"
    path.write_text(json.dumps(data), encoding="utf-8")
    err = _error(path)
    assert err.field == "items"
    assert err.value == "q4, q9 missing"
    assert "expected every item code of cdlqi: q1, q2, q3, q4" in str(err)


def test_a_wrong_number_of_answers_is_named(tmp_path: Path) -> None:
    data = made_up("dlqi", "ko")
    del data["items"]["q1"]["answers"]["a_little"]  # 3 of the 4 answers of q1
    path = tmp_path / "dlqi.ko.toml"
    path.write_text(to_toml(data), encoding="utf-8")
    err = _error(path)
    assert err.field == "items.q1.answers"
    assert err.value == "3 answers, missing a_little"
    assert err.expected == "4 answers: not_at_all, a_little, a_lot, very_much"
    # an answer code the item does not have (not_relevant is not offered on q1)
    data = made_up("dlqi", "ko")
    data["items"]["q2"]["answers"]["not_relevant"] = "[made-up]"
    path.write_text(to_toml(data), encoding="utf-8")
    err = _error(path)
    assert (err.field, err.value) == ("items.q2.answers", "5 answers, unknown not_relevant")


@pytest.mark.parametrize(
    ("name", "raw", "patch", "field", "expected"),
    [
        ("dlqi.toml", None, {}, "file name", "<instrument>.<language>.toml or .json"),
        ("dlqi.fr.toml", None, {}, "file name", "a language among en, ko, zh-Hans"),
        ("xyz.ko.toml", None, {}, "file name", "an instrument among easi,"),
        ("dlqi.ko.toml", "instrument = [", {}, "file", "a TOML document"),
        ("dlqi.ko.json", "{", {}, "file", "a JSON document"),
        ("dlqi.ko.toml", None, {"instrument": "cdlqi"}, "instrument", "'dlqi', as in the file"),
        ("dlqi.ko.toml", None, {"colour": "red"}, "colour", "no other key than instrument,"),
        ("dlqi.ko.toml", None, {"licence": ""}, "licence", "a text of 1 to 4000 characters"),
    ],
)
def test_a_bad_file_is_refused_with_what_was_expected(
    tmp_path: Path, name: str, raw: str | None, patch: dict[str, str], field: str, expected: str
) -> None:
    path = tmp_path / name
    path.write_text(to_toml({**made_up("dlqi", "ko"), **patch}) if raw is None else raw)
    err = _error(path)
    assert err.field == field
    assert expected in err.expected


def test_a_directory_with_two_files_for_one_wording_is_refused(tmp_path: Path) -> None:
    write(tmp_path, "dlqi", "ko", ext="toml")
    write(tmp_path, "dlqi", "ko", ext="json")
    with pytest.raises(ValidationError, match="one file per instrument and language"):
        load_texts(tmp_path, languages=LANGUAGES)
    with pytest.raises(ValidationError, match="a directory of text files"):
        load_texts(tmp_path / "absent")
    assert load_texts(None).texts == {}


def test_the_forms_show_codes_and_a_notice_until_a_licensed_wording_is_installed(
    tmp_path: Path,
) -> None:
    empty = TextLibrary()
    dlqi = question_texts("dlqi", "ko", empty)
    assert dlqi.missing_licensed
    assert not dlqi.installed
    assert [q.path for q in dlqi.questions][:3] == ["q1", "q2", "q3"]
    assert dlqi.questions[0].text == get_instrument("dlqi").item("q1").label  # the topic label
    assert all(text is None for _, text in dlqi.questions[0].answers)
    for shipped in ("pp_nrs", "sleep_nrs", "patient_global"):  # autoserum's own wording
        assert not question_texts(shipped, "ko", empty).missing_licensed
    for licensed in ("dlqi", "cdlqi", "poem"):
        assert get_instrument(licensed).wording_licence
    write(tmp_path, "dlqi", "ko")
    library = load_texts(tmp_path, languages=LANGUAGES)
    installed = question_texts("dlqi", "ko", library)
    assert installed.installed
    assert not installed.missing_licensed
    assert installed.questions[0].text == "[made-up dlqi q1 ko]"
    assert installed.questions[0].licensed
    assert dict(installed.questions[0].answers)["a_lot"] == "[made-up answer a_lot ko]"
    # another language of the same instrument is not installed: codes and the notice again
    assert question_texts("dlqi", "zh-Hans", library).missing_licensed


def test_scoring_never_reads_a_text(tmp_path: Path) -> None:
    """The same answer codes score the same whether a wording is installed or not: the scorer
    takes codes only, and every answer a form offers is a code the scorer accepts."""
    answers = {
        "q1": "very_much", "q2": "a_lot", "q3": "a_little", "q4": "a_little", "q5": "very_much",
        "q6": "very_much", "q7": "no", "q7b": "a_little", "q8": "not_at_all", "q9": "a_little",
        "q10": "a_lot",
    }  # fmt: skip
    before = score("dlqi", answers)
    write(tmp_path, "dlqi", "ko")
    library = load_texts(tmp_path, languages=LANGUAGES)
    form = question_texts("dlqi", "ko", library)
    after = score("dlqi", answers)
    assert before == after
    assert before.total == 17  # docs/instruments.md, DLQI worked example (exact)
    for question in form.questions:
        for code, _text in question.answers:
            score("dlqi", {question.path: code, **({"q7": "no"} if question.path == "q7b" else {})})


def test_the_cli_checks_a_site_file(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    from autoserum.cli import main

    good = write(tmp_path, "dlqi", "ko")
    with pytest.raises(SystemExit) as stop:
        main(["instrument-texts", str(tmp_path)])
    assert stop.value.code in (0, None)
    assert capsys.readouterr().out == (
        f"ok: {good}: dlqi in ko, 11 items ([made-up licence of dlqi in ko])\n"
    )
    data = made_up("poem", "zh-Hans")
    del data["items"]["itch"]["answers"]["4"]
    bad = tmp_path / "poem.zh-Hans.toml"
    bad.write_text(to_toml(data), encoding="utf-8")
    with pytest.raises(SystemExit) as stop:
        main(["instrument-texts", str(bad)])
    assert stop.value.code == 2
    assert capsys.readouterr().err == (
        f"error: {bad}: items.itch.answers: got '4 answers, missing 4'; "
        "expected 5 answers: 0, 1, 2, 3, 4\n"
    )
