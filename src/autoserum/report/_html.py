"""Render the report model as one self-contained HTML file (inline CSS and SVG, no scripts).

>>> html = render_html(model)  # doctest: +SKIP
"""

from __future__ import annotations

from jinja2 import Environment, PackageLoader, StrictUndefined, select_autoescape

from autoserum.report._document import Document

__all__ = ["render_html"]

_ENV = Environment(
    loader=PackageLoader("autoserum.report", "templates"),
    autoescape=select_autoescape(["html", "j2"]),
    undefined=StrictUndefined,
    trim_blocks=True,
    lstrip_blocks=True,
)


def render_html(model: Document) -> str:
    """The HTML text of the report (UTF-8, no external resources)."""
    template = _ENV.get_template("report.html.j2")
    return template.render(
        title=model.title,
        source=model.source,
        generated=model.generated,
        version=model.version,
        sections=model.sections,
    )
