"""The words inside the report's figures in Korean and Chinese (issue 14, item 5): drawn with
an installed CJK font (``scripts/services.sh`` installs fonts-wqy-microhei), never as empty
boxes (a missing glyph is a matplotlib warning, an error under pytest's ``filterwarnings``),
and in English on a machine without such a font."""

from __future__ import annotations

import pytest

from autoserum.analysis import EndpointResult, analyze_endpoint, study_from_frames
from autoserum.i18n import translate, using
from autoserum.report import _figures
from autoserum.report._figures import Drawing, figure_font, mean_change_figure
from autoserum.simulate import simulate_study


@pytest.fixture(scope="module")
def result() -> EndpointResult:
    sim = simulate_study("ast-nahm2023", 30, seed=1)  # synthetic
    study = study_from_frames(sim.visits, sim.adverse_events, "simulated AST")
    return analyze_endpoint(study.visits, "easi", 8, control="placebo")


def _labels(drawing: Drawing) -> tuple[str, str]:
    (ax,) = drawing.figure.axes
    return ax.get_xlabel(), ax.get_ylabel()


@pytest.mark.parametrize(("language", "week"), [("ko", "주차"), ("zh-Hans", "周")])
def test_the_axis_labels_are_in_the_language_and_drawn(
    result: EndpointResult, language: str, week: str
) -> None:
    font = figure_font(language)
    assert font is not None, "no CJK font: run scripts/services.sh (fonts-wqy-microhei)"
    with using(language):
        drawing = mean_change_figure(result)
        png = drawing.png(dpi=50)  # a missing glyph would warn (an error here)
        svg = drawing.svg()
    xlabel, ylabel = _labels(drawing)
    assert xlabel == translate(language, "Week") == week
    assert ylabel == translate(language, "Change from baseline in %(endpoint)s", endpoint="EASI")
    assert "Week" not in svg  # the SVG keeps its text: no English word left on the axes
    assert week in svg
    assert png.startswith(b"\x89PNG")
    (ax,) = drawing.figure.axes
    assert font in ax.xaxis.label.get_fontfamily()  # the CJK font after DejaVu Sans


def test_the_font_has_every_glyph_of_the_translated_figure_words() -> None:
    for language in ("ko", "zh-Hans"):
        font = figure_font(language)
        assert font is not None
        for message in ("Week", "Probability without the event", "Subjects, sorted"):
            assert _figures._drawable(translate(language, message), font)
    assert not _figures._drawable("주차", None)  # DejaVu Sans alone has no Hangul


def test_without_a_cjk_font_the_words_inside_stay_english(
    result: EndpointResult, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(_figures, "_figure_font", lambda language: None)
    with using("ko"):
        drawing = mean_change_figure(result)
        drawing.png(dpi=50)  # no glyph missing: nothing Korean is drawn
    assert _labels(drawing) == ("Week", "Change from baseline in EASI")
    assert drawing.title == translate(
        "ko", "Mean change from baseline in %(endpoint)s", endpoint="EASI"
    )  # the title, outside the image, is translated all the same


def test_english_figures_use_dejavu_sans_alone(result: EndpointResult) -> None:
    assert figure_font("en") is None
    with using("en"):
        drawing = mean_change_figure(result)
    (ax,) = drawing.figure.axes
    assert ax.xaxis.label.get_fontfamily() == ["DejaVu Sans"]
