"""The public surface of autoserum.analysis and autoserum.report is pinned (INTERFACES.md §5)."""

from __future__ import annotations

import autoserum.analysis
import autoserum.report


def test_analysis_surface() -> None:
    assert sorted(autoserum.analysis.__all__) == [
        "ARM_BLINDED",
        "AnalysisPlan",
        "CONTROL_NAMES",
        "DEFAULT_PREDICTORS",
        "EXAMPLE_SAP",
        "EndpointResult",
        "Estimand",
        "FederatedResult",
        "IntercurrentEvent",
        "MCID",
        "RESCUE_COLUMNS",
        "ResponderRule",
        "Sap",
        "StudyData",
        "TimeToEvent",
        "TimeToEventPlan",
        "ae_overview",
        "ae_path_for",
        "ae_table",
        "analyze_endpoint",
        "analyze_plan",
        "attempt",
        "build_adsl",
        "build_bds",
        "choose_arms",
        "combine_summaries",
        "conmed_path_for",
        "event_times",
        "fixed_sequence",
        "lab_shifts",
        "multiplicity_table",
        "parameters_in",
        "parse_sap_file",
        "parse_sap_text",
        "plan_analysis",
        "read_adverse_events",
        "read_con_meds",
        "read_long",
        "read_study",
        "rescue_table",
        "responder_definitions",
        "responder_expr",
        "secondary_table",
        "sensitivity_table",
        "site_summary",
        "study_from_frames",
        "subgroup_table",
        "time_to_first_event",
        "validate_long",
    ]
    for name in autoserum.analysis.__all__:
        assert getattr(autoserum.analysis, name) is not None


def test_report_surface() -> None:
    assert sorted(autoserum.report.__all__) == [
        "Document",
        "FigureBlock",
        "ReportFiles",
        "ReportModel",
        "SapFiles",
        "Section",
        "Table",
        "build_report",
        "estimand_table",
        "render_html",
        "render_pdf",
        "sap_document",
        "write_report",
        "write_sap",
    ]
