"""The public surface of autoserum.analysis and autoserum.report is pinned (INTERFACES.md §5)."""

from __future__ import annotations

import autoserum.analysis
import autoserum.report


def test_analysis_surface() -> None:
    assert sorted(autoserum.analysis.__all__) == [
        "ARM_BLINDED",
        "EndpointResult",
        "FederatedResult",
        "MCID",
        "ResponderRule",
        "StudyData",
        "ae_overview",
        "ae_path_for",
        "ae_table",
        "analyze_endpoint",
        "attempt",
        "build_adsl",
        "build_bds",
        "choose_arms",
        "combine_summaries",
        "lab_shifts",
        "parameters_in",
        "read_adverse_events",
        "read_long",
        "read_study",
        "responder_definitions",
        "responder_expr",
        "secondary_table",
        "site_summary",
        "study_from_frames",
        "validate_long",
    ]
    for name in autoserum.analysis.__all__:
        assert getattr(autoserum.analysis, name) is not None


def test_report_surface() -> None:
    assert sorted(autoserum.report.__all__) == [
        "FigureBlock",
        "ReportFiles",
        "ReportModel",
        "Section",
        "Table",
        "build_report",
        "render_html",
        "render_pdf",
        "write_report",
    ]
