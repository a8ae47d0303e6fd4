"""Render the report model as one self-contained HTML file (inline CSS and SVG, no scripts).

>>> from autoserum.analysis import study_from_frames
>>> from autoserum.simulate import simulate_study
>>> sim = simulate_study("ast-nahm2023", 30, seed=1)
>>> study = study_from_frames(sim.visits, sim.adverse_events, "simulated AST")
>>> from autoserum.report import build_report
>>> html = render_html(build_report(study, protocol="ast-nahm2023"))
>>> html.startswith("<!DOCTYPE html>"), "<script" in html
(True, False)
"""

from __future__ import annotations

from jinja2 import Environment, PackageLoader, StrictUndefined, select_autoescape

from autoserum.i18n import current_language, translations
from autoserum.report._document import Document
from autoserum.report._i18n import note_text

__all__ = ["render_html"]

_ENV = Environment(
    loader=PackageLoader("autoserum.report", "templates"),
    autoescape=select_autoescape(["html", "j2"]),
    undefined=StrictUndefined,
    trim_blocks=True,
    lstrip_blocks=True,
    extensions=["jinja2.ext.i18n"],
)
_ENV.policies["ext.i18n.trimmed"] = True
_ENV.filters["note"] = note_text
_ENV.install_gettext_callables(  # type: ignore[attr-defined]
    lambda message: translations(current_language()).gettext(message),
    lambda singular, plural, n: translations(current_language()).ngettext(singular, plural, n),
    newstyle=True,
)


def render_html(model: Document) -> str:
    """The HTML text of the report (UTF-8, no external resources) in the current language
    (``<html lang>`` and the template's fixed texts)."""
    template = _ENV.get_template("report.html.j2")
    return template.render(
        lang=current_language(),
        title=model.title,
        source=note_text(model.source),
        generated=model.generated,
        version=model.version,
        sections=model.sections,
    )
