"""The study report (adapter): HTML and PDF rendering of an analysis.

>>> from autoserum.analysis import read_study
>>> from autoserum.report import write_report
>>> from autoserum.simulate import simulate_study, write_study
>>> csv, _ = write_study(simulate_study("ast-nahm2023", 30, seed=1), tmp_path / "study.csv")
>>> files = write_report(read_study(csv), tmp_path / "out")
>>> files.html.name, files.pdf.name
('study.html', 'study.pdf')
>>> korean = write_report(read_study(csv), tmp_path / "ko", language="ko")
>>> '<html lang="ko">' in korean.html.read_text(encoding="utf-8")
True
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from autoserum.analysis import Sap, StudyData
from autoserum.i18n import DEFAULT_LANGUAGE, using
from autoserum.protocols import Protocol
from autoserum.report._build import ReportModel, build_report
from autoserum.report._document import Document, FigureBlock, Section
from autoserum.report._dsmb import DSMB_PARTS, DsmbFiles, dsmb_document, pooled_study, write_dsmb
from autoserum.report._html import render_html
from autoserum.report._labels import (
    Label,
    WorksheetRow,
    labels_pdf,
    patient_card_pdf,
    product_labels,
    qr_png,
    worksheet_pdf,
    worksheet_rows,
)
from autoserum.report._pdf import render_pdf
from autoserum.report._sae import SaeReport, sae_document, write_sae_report
from autoserum.report._sap import SapFiles, estimand_table, sap_document, write_sap
from autoserum.report._tables import Table

__all__ = [
    "DSMB_PARTS",
    "Document",
    "DsmbFiles",
    "FigureBlock",
    "Label",
    "ReportFiles",
    "ReportModel",
    "SaeReport",
    "SapFiles",
    "Section",
    "Table",
    "WorksheetRow",
    "build_report",
    "dsmb_document",
    "estimand_table",
    "labels_pdf",
    "patient_card_pdf",
    "pooled_study",
    "product_labels",
    "qr_png",
    "render_html",
    "render_pdf",
    "sae_document",
    "sap_document",
    "worksheet_pdf",
    "worksheet_rows",
    "write_dsmb",
    "write_report",
    "write_sae_report",
    "write_sap",
]


@dataclass(frozen=True)
class ReportFiles:
    """The files a report run wrote."""

    html: Path
    pdf: Path
    model: ReportModel


def write_report(
    study: StudyData,
    out_dir: str | Path,
    *,
    name: str | None = None,
    endpoint: str | None = None,
    week: float | None = None,
    control: str | None = None,
    protocol: Protocol | str | None = None,
    title: str | None = None,
    generated: dt.date | None = None,
    sap: Sap | None = None,
    stratification: Sequence[str] = (),
    language: str = DEFAULT_LANGUAGE,
) -> ReportFiles:
    """Analyse ``study`` and write ``<name>.html`` and ``<name>.pdf`` into ``out_dir``.

    ``language`` (``en``, ``ko``, ``zh-Hans``) is the language of the report's fixed texts,
    dates and fonts; the data (arms, terms, subject ids) are shown as recorded.

    ``name`` defaults to the stem of the source file; ``protocol`` is the study's protocol (a
    :class:`~autoserum.protocols.Protocol`, e.g. the copy a stored study froze at creation, or a
    library code or protocol file). Returns the paths and the report model.
    """
    with using(language):
        model = build_report(
            study,
            endpoint=endpoint,
            week=week,
            control=control,
            protocol=protocol,
            title=title,
            generated=generated,
            sap=sap,
            stratification=stratification,
        )
        out = Path(out_dir)
        out.mkdir(parents=True, exist_ok=True)
        stem = name or Path(study.source).stem or "report"
        html = out / f"{stem}.html"
        html.write_text(render_html(model), encoding="utf-8")
        pdf = render_pdf(model, out / f"{stem}.pdf")
    return ReportFiles(html=html, pdf=pdf, model=model)
