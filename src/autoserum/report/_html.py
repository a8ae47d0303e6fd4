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

from autoserum.report._build import ReportModel

__all__ = ["render_html"]

_ENV = Environment(
    loader=PackageLoader("autoserum.report", "templates"),
    autoescape=select_autoescape(["html", "j2"]),
    undefined=StrictUndefined,
    trim_blocks=True,
    lstrip_blocks=True,
)


def render_html(model: ReportModel) -> str:
    """The HTML text of the report (UTF-8, no external resources)."""
    template = _ENV.get_template("report.html.j2")
    return template.render(
        title=model.title,
        source=model.source,
        generated=model.generated,
        version=model.version,
        sections=model.sections,
    )
