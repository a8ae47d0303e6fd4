"""The document model the HTML and PDF renderers draw: sections of tables and figures.

>>> Section("methods", "Statistical methods").tables
()
"""

from __future__ import annotations

from dataclasses import dataclass, field

from autoserum.report._diagram import Diagram
from autoserum.report._tables import Table

__all__ = ["Document", "FigureBlock", "Section"]


@dataclass(frozen=True)
class FigureBlock:
    """A figure of the report: SVG for HTML; for the PDF the ``vector`` diagram (drawn as
    vector graphics with its text as text) or else the PNG (``None``: not in the PDF)."""

    id: str
    title: str
    caption: str
    svg: str
    png: bytes | None
    vector: Diagram | None = None


@dataclass(frozen=True)
class Section:
    """One numbered section of the report."""

    id: str
    title: str
    summary: tuple[tuple[str, str], ...] = ()
    paragraphs: tuple[str, ...] = ()
    tables: tuple[Table, ...] = ()
    figures: tuple[FigureBlock, ...] = ()
    figures_before: tuple[FigureBlock, ...] = field(default=())


@dataclass(frozen=True)
class Document:
    """Everything the HTML and PDF renderers need: a title, provenance and sections."""

    title: str
    source: str
    generated: str
    version: str
    sections: tuple[Section, ...]
