"""The public surface of autoserum.instruments is pinned, and every instrument is documented."""

from __future__ import annotations

from pathlib import Path

import autoserum.instruments as instruments
from autoserum.instruments import get_instrument, instrument_codes, responders

DOCS = Path(__file__).resolve().parents[2] / "docs" / "instruments.md"


def test_public_api_is_pinned() -> None:
    assert sorted(instruments.__all__) == [
        "Band",
        "BandSet",
        "DiaryRule",
        "Instrument",
        "InstrumentText",
        "Item",
        "ItemText",
        "QuestionText",
        "Questionnaire",
        "Score",
        "TextLibrary",
        "WeeklyMean",
        "display_value",
        "get_instrument",
        "instrument_codes",
        "load_text_file",
        "load_texts",
        "question_texts",
        "score",
        "score_batch",
    ]
    assert sorted(responders.__all__) == [
        "IgaSuccess",
        "MCID",
        "Mcid",
        "RESPONDER_DEFINITIONS",
        "ResponderDefinition",
        "absolute_change",
        "iga_success",
        "is_responder",
        "percent_improvement",
    ]


def test_every_instrument_is_documented() -> None:
    text = DOCS.read_text(encoding="utf-8")
    for code in instrument_codes():
        inst = get_instrument(code)
        section = text.split(f'<a id="{code}"></a>', 1)
        assert len(section) == 2, f"no section for {code} in docs/instruments.md"
        body = section[1].split("<a id=", 1)[0]
        for item in inst.items:
            assert f"`{item.path}`" in body or f"`{item.path.split('.')[-1]}`" in body, item.path
        for name in inst.band_sets:
            assert f"`{name}`" in body, name
        assert "Missing data" in body
        assert "Reference" in body
    assert "infant" in text
