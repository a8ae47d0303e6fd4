"""Access control: every role × every page and API route × own site / other site.

Users of every role belong to site S1 (the admin to all sites). ``S1-001`` is at their site,
``S2-001`` at the other. The oracle is the one permission table (:mod:`autoserum.permissions`):
a route is allowed iff the table permits its action to the role at the subject's site (its
scope: the user's sites, the whole study or every study). Blinded roles never receive an arm,
in HTML or JSON; an export holds another site's subjects only where the table's scope reaches.
"""

from __future__ import annotations

import io
import itertools
import json
import re
from dataclasses import dataclass
from importlib import resources
from typing import Any, cast

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from pypdf import PdfReader

from autoserum.permissions import ROLES, allowed, permits
from autoserum.study.aliquots import label_code

from .conftest import PASSWORD, SCREENED_ON, SYSTEM, TODAY, Seeded
from .test_auth import csrf_of


def small_jpeg() -> bytes:
    """A small JPEG photograph."""
    import io

    from PIL import Image

    out = io.BytesIO()
    Image.new("RGB", (8, 8), (180, 90, 70)).save(out, format="JPEG")
    return out.getvalue()


@dataclass(frozen=True)
class Route:
    method: str
    template: str  # the app's route path; {study}, {subject_id}, {randomisable}, ids filled in
    action: str  # "" = any authenticated user
    per_site: bool = True
    body: dict[str, Any] | None = None
    reveals_arm: bool = False  # emergency unblinding: the arm to the allowed caller, by design
    extra: dict[str, Any] | None = None  # values of this route's own path parameters
    files: dict[str, tuple[str, bytes, str]] | None = None  # uploaded files (pages)


PROTOCOL_TOML = (
    resources.files("autoserum.protocols").joinpath("library/ast-nahm2023.toml").read_bytes()
)
AE = {"term": "headache", "severity": "mild", "serious": False, "related": "unlikely",
      "outcome": "recovered"}  # fmt: skip
AE_FORM = {k: ("no" if v is False else v) for k, v in AE.items()}
EASI_ITEMS = {
    "age": 30,
    "head_neck_erythema": 1,
    "head_neck_induration": 0,
    "head_neck_excoriation": 0,
    "head_neck_lichenification": 0,
    "head_neck_area": 1,
    "upper_limbs_area": 0,
    "trunk_area": 0,
    "lower_limbs_area": 0,
}  # fmt: skip  (a scorable EASI: other regions clear)
LAB = {"analyte": "ige", "value": "120", "unit": "kU/L"}
VITALS = {"systolic_bp": "118", "diastolic_bp": "76", "pulse": "70", "weight": "60.5"}
HISTORY = {"fitzpatrick": "III", "race": "ASIAN", "ad_onset_age": "2"}
PRIOR = {"drug": "ciclosporin", "atc_code": "L04AD01", "start_year": "2020", "response": "none"}
SUBJ = "/studies/{study}/subjects/{subject_id}"
API_SUBJ = "/api/v1" + SUBJ
QUERIES = "/studies/{study}/queries"
SIGN = {"level": "casebook", "meaning": "approval", "password": PASSWORD,
        "subject_id": "{subject_id}"}  # fmt: skip
#: data review (queries, SDV, signatures): in this order a query is answered, closed, re-opened
#: and cancelled by the roles the table allows (a refused step leaves it as it was)
REVIEW_PAGES = [
    Route("GET", QUERIES, "read_subject", per_site=False),
    Route("GET", "/studies/{study}/sdv", "read_subject", per_site=False),
    Route("GET", SUBJ + "/review", "read_subject"),
    Route("POST", QUERIES, "raise_query",
          body={"entity": "visit", "record_id": "{record_id}", "text": "Date?",
                "subject_id": "{subject_id}"}),
    *(Route("POST", QUERIES + "/{query_id}/{step}", action, extra={"step": step},
            body={"text": f"{step} it", "subject_id": "{subject_id}"})
      for step, action in (("answer", "answer_query"), ("close", "resolve_query"),
                           ("reopen", "resolve_query"), ("cancel", "resolve_query"))),
    Route("POST", "/studies/{study}/verifications", "verify_source",
          body={"entity": "visit", "record_id": "{record_id}", "subject_id": "{subject_id}"}),
    Route("POST", "/studies/{study}/signatures", "sign", body=SIGN),
]  # fmt: skip
REVIEW_API = [
    Route("GET", "/api/v1" + QUERIES, "read_subject", per_site=False),
    Route("GET", "/api/v1" + QUERIES + "/summary", "read_subject", per_site=False),
    Route("POST", "/api/v1" + QUERIES, "raise_query",
          body={"entity": "visit", "record_id": "{record_id}", "field": "visit_date",
                "text": "Date?"}),
    Route("GET", "/api/v1" + QUERIES + "/{query_id}", "read_subject"),
    Route("POST", "/api/v1" + QUERIES + "/{query_id}/answer", "answer_query",
          body={"text": "corrected"}),
    Route("POST", "/api/v1" + QUERIES + "/{query_id}/close", "resolve_query", body={"text": "ok"}),
    Route("POST", "/api/v1" + QUERIES + "/{query_id}/reopen", "resolve_query",
          body={"text": "again"}),
    Route("POST", "/api/v1" + QUERIES + "/{query_id}/cancel", "resolve_query",
          body={"text": "in error"}),
    Route("POST", "/api/v1/studies/{study}/checks/run", "run_checks", per_site=False),
    Route("GET", "/api/v1/studies/{study}/sdv", "read_subject", per_site=False),
    Route("GET", "/api/v1/studies/{study}/verifications", "read_subject", per_site=False),
    Route("POST", "/api/v1/studies/{study}/verifications", "verify_source",
          body={"entity": "visit", "record_id": "{record_id}"}),
    Route("GET", "/api/v1/studies/{study}/signatures", "read_subject", per_site=False),
    Route("POST", "/api/v1/studies/{study}/signatures", "sign", body=SIGN),
]  # fmt: skip
PRODUCT = "/studies/{study}/subjects/{product_subject}/product"

# In order: the withdrawals come last (a withdrawn subject takes no new data).
PAGES = [
    Route("GET", "/studies", "read_study", per_site=False),
    Route("GET", "/studies/{study}", "read_study", per_site=False),
    Route("GET", "/studies/{study}/subjects", "read_subject", per_site=False),
    Route("GET", "/studies/{study}/screen", "screen", per_site=False),
    Route("GET", "/studies/{study}/export.csv", "export", per_site=False),
    Route("GET", "/studies/{study}/export.ae.csv", "export", per_site=False),
    Route("GET", "/studies/{study}/export.conmed.csv", "export", per_site=False),
    # patient self-report, the staff side (issue 14; the patient routes: SEPARATE)
    Route("GET", "/studies/{study}/export.pro.csv", "export", per_site=False),
    Route("GET", "/studies/{study}/self-report", "read_subject", per_site=False),
    Route("POST", SUBJ + "/self-report/link", "issue_patient_links"),
    Route("POST", SUBJ + "/self-report/card.pdf", "issue_patient_links"),
    Route("POST", SUBJ + "/self-report/revoke", "issue_patient_links", body={"reason": "lost"}),
    Route("GET", "/studies/{study}/export/package.zip", "export", per_site=False),
    Route("GET", "/studies/{study}/export/sdtm.zip", "export", per_site=False),
    Route("GET", "/studies/{study}/export/adam.zip", "export", per_site=False),
    Route("GET", "/studies/{study}/export/fhir.json", "export", per_site=False),
    Route("GET", SUBJ, "read_subject"),
    Route("GET", SUBJ + "/visits/{visit}/{instrument}", "read_subject"),
    Route("POST", SUBJ + "/visits/{visit}/{instrument}/score", "read_subject", body={"score": "5"}),
    Route("GET", "/studies/{study}/audit?subject_id={subject_id}", "read_audit"),
    Route("GET", "/studies/{study}/audit/export.csv?subject_id={subject_id}", "read_audit"),
    Route(
        "POST",
        "/studies/{study}/screen",
        "screen",
        body={
            "site": "{site}",
            "subject_id": "{site}-P{n}",
            "atopic_dermatitis": "yes",
            "scorad": "30",
        },
    ),
    Route("POST", "/studies/{study}/subjects/{randomisable}/randomise", "randomise"),
    Route(
        "POST",
        SUBJ + "/visits/{visit}/{instrument}",
        "write_data",
        body={"score": "5", "visit_date": "2026-03-30"},
    ),
    Route(
        "POST",
        SUBJ + "/visits",
        "write_data",
        body={"visit_code": "week_8", "visit_date": "2026-04-27"},
    ),
    Route("POST", SUBJ + "/injections", "write_data", body={"given_on": "2026-03-02"}),
    Route("POST", SUBJ + "/labs", "write_data", body={**LAB, "lab_visit_code": "baseline"}),
    Route("POST", SUBJ + "/vital_signs", "write_data",
          body={**VITALS, "vs_visit_code": "baseline"}),
    Route("POST", SUBJ + "/adverse_events", "write_data", body=AE_FORM),
    Route("POST", SUBJ + "/con_meds", "write_data", body={"name": "emollient"}),
    Route("POST", SUBJ + "/history", "write_data", body=HISTORY),
    Route("POST", SUBJ + "/prior_treatments", "write_data", body=PRIOR),
    Route("POST", SUBJ + "/comorbidities", "write_data",
          body={"condition": "asthma", "ongoing": "yes"}),
    Route("POST", SUBJ + "/unscheduled_visits", "write_data",
          body={"unscheduled_date": "2026-03-20", "unscheduled_reason": "flare"}),
    Route("POST", SUBJ + "/deviations", "write_data",
          body={"kind": "study_procedure", "description": "photo not taken",
                "occurred_on": "2026-03-02", "importance": "minor"}),
    # lesion photographs (issue 13 item 5), before the consent is withdrawn below: upload and
    # gallery image per site; the central rater's pages reach the whole study (coded only)
    Route("POST", SUBJ + "/photos", "write_data",
          files={"photo_file": ("lesion.jpg", small_jpeg(), "image/jpeg")},
          body={"photo_visit_code": "baseline", "photo_region": "trunk"}),
    Route("GET", SUBJ + "/photos/{photo_id}", "read_subject"),
    Route("GET", "/rating", "rate_photos", per_site=False),
    Route("GET", "/studies/{study}/rating", "rate_photos", per_site=False),
    Route("GET", "/studies/{study}/rating/{photo_code}", "rate_photos", per_site=False),
    Route("GET", "/studies/{study}/rating/{photo_code}/image", "rate_photos", per_site=False),
    Route("POST", "/studies/{study}/rating/{photo_code}", "rate_photos", per_site=False,
          body={"erythema": "1", "induration": "1", "excoriation": "1",
                "lichenification": "0", "area": "2", "viga_grade": "2"}),
    Route("GET", SUBJ + "/records/{entity}/{record_id}", "read_subject"),
    Route("GET", SUBJ + "/adverse_events/{sae}/sae.pdf", "report_sae"),
    Route(
        "POST",
        SUBJ + "/records/{entity}/{record_id}",
        "write_data",
        body={"visit_date": "2026-03-03", "expected_version": "1", "reason": "typo"},
    ),
    Route("POST", SUBJ + "/status", "write_data", body={"new_status": "treatment"}),
    Route(
        "POST",
        SUBJ + "/unblind",
        "unblind",
        reveals_arm=True,
        body={"unblind_reason": "anaphylaxis", "unblind_confirm": "yes"},
    ),
    Route(
        "POST",
        SUBJ + "/consents",
        "record_consent",
        body={
            "document_version": "1.0",
            "consented_at": "2026-02-16T09:30+01:00",
            "obtained_by": "Dr Kim",
            "components_photographs": "yes",
        },
    ),
    Route(
        "POST",
        SUBJ + "/consent_withdrawal",
        "record_consent",
        body={"withdrawn_on": "2026-06-01", "consent_withdrawal_reason": "moved away"},
    ),
    *REVIEW_PAGES,
    Route("POST", SUBJ + "/withdraw", "withdraw", body={"withdraw_reason": "moved away"}),
    # administration (admin) and my account (everyone); the password change, which ends the
    # session, is tested in tests/web/test_admin_pages.py
    Route("GET", "/admin", "manage_users", per_site=False),
    Route("POST", "/admin/studies", "manage_study", per_site=False,
          body={"name": "NEW-{n}", "protocol_code": "ast-nahm2023"}),
    Route("GET", "/admin/studies/{study}", "manage_study", per_site=False),
    Route("POST", "/admin/studies/{study}/sites", "manage_study", per_site=False,
          body={"code": "S9{n}", "site_name": "Site nine"}),
    Route("POST", "/admin/studies/{study}/amendments", "manage_study", per_site=False,
          body={"effective_on": "2026-12-01", "summary": "texts clarified",
                "approved_by": "IRB"},
          files={"protocol_file": ("v2.toml", PROTOCOL_TOML, "application/toml")}),
    Route("POST", "/admin/users", "manage_users", per_site=False,
          body={"username": "new-{n}", "role": "coordinator", "password": PASSWORD,
                "sites": "AST-1/S1"}),
    Route("GET", "/admin/users/{username}", "manage_users", per_site=False),
    Route("POST", "/admin/users/{username}", "manage_users", per_site=False,
          body={"role": "coordinator", "sites": "AST-1/S2", "active": "yes",
                "reason": "moved"}),
    Route("POST", "/admin/users/{username}/tokens", "manage_users", per_site=False,
          body={"label": "x"}),
    Route("POST", "/admin/tokens/{token_id}/revoke", "manage_users", per_site=False),
    Route("GET", "/admin/security-events", "manage_users", per_site=False),
    Route("GET", "/account", "", per_site=False),
    Route("POST", "/account/language", "", per_site=False, body={"language": "ko"}),
    Route("POST", "/account/tokens", "", per_site=False, body={"label": "mine"}),
    Route("POST", "/account/tokens/{own_token_id}/revoke", "", per_site=False),
    # locks last: a lock stops the writes above; the database lock is lifted at once
    Route("GET", "/studies/{study}/locks", "read_subject", per_site=False),
    Route("POST", SUBJ + "/locks", "lock",
          body={"lock_level": "subject", "lock_reason": "casebook reviewed"}),
    Route("POST", "/studies/{study}/database-lock", "lock_database", per_site=False,
          body={"db_lock_reason": "data final"}),
    Route("POST", "/studies/{study}/locks/{lock_id}/unlock", "lock_database", per_site=False,
          body={"unlock_reason": "late lab result"}),
]  # fmt: skip
API = [
    Route("GET", "/api/v1/instruments", "", per_site=False),
    Route("GET", "/api/v1/instruments/{code}", "", per_site=False),
    Route("POST", "/api/v1/instruments/{code}/score", "", per_site=False,
          body={"items": {"score": 5}}),
    Route("GET", "/api/v1/studies", "read_study", per_site=False),
    Route("GET", "/api/v1/studies/{study}", "read_study", per_site=False),
    Route("GET", "/api/v1/studies/{study}/subjects", "read_subject", per_site=False),
    Route("GET", "/api/v1/studies/{study}/export", "export", per_site=False),
    Route("GET", "/api/v1/studies/{study}/export/adverse-events", "export", per_site=False),
    Route("GET", "/api/v1/studies/{study}/export/con-meds", "export", per_site=False),
    Route("GET", "/api/v1/studies/{study}/export/package", "export", per_site=False),
    Route("GET", "/api/v1/studies/{study}/export/sdtm", "export", per_site=False),
    Route("GET", "/api/v1/studies/{study}/export/adam", "export", per_site=False),
    Route("GET", "/api/v1/studies/{study}/export/fhir", "export", per_site=False),
    Route("GET", API_SUBJ, "read_subject"),
    Route("GET", API_SUBJ + "/assessments", "read_subject"),
    Route("GET", "/api/v1/studies/{study}/audit?subject_id={subject_id}", "read_audit"),
    Route("GET", "/api/v1/studies/{study}/audit/export.csv?subject_id={subject_id}", "read_audit"),
    Route("POST", "/api/v1/studies/{study}/subjects", "screen",
          body={"site": "{site}", "subject_id": "{site}-A{n}",
                "facts": {"atopic_dermatitis": True, "scorad": 30}}),
    Route("POST", "/api/v1/studies/{study}/subjects/{randomisable}/randomise", "randomise"),
    Route("POST", API_SUBJ + "/visits", "write_data",
          body={"visit_code": "week_4", "visit_date": "2026-03-30"}),
    Route("POST", API_SUBJ + "/assessments", "write_data",
          body={"visit_code": "baseline", "instrument": "easi", "items": EASI_ITEMS}),
    Route("POST", API_SUBJ + "/assessments/not-done", "write_data",
          body={"visit_code": "week_8", "instrument": "poem", "reason": "no time",
                "visit_date": "2026-04-27"}),
    Route("PATCH", API_SUBJ + "/assessments/{assessment_id}", "write_data",
          body={"items": {"score": 7}, "expected_version": 1, "reason": "re-read"}),
    Route("POST", API_SUBJ + "/injections", "write_data", body={"given_on": "2026-03-02"}),
    Route("POST", API_SUBJ + "/labs", "write_data", body={**LAB, "visit_code": "baseline"}),
    Route("POST", API_SUBJ + "/vital-signs", "write_data",
          body={**VITALS, "visit_code": "baseline"}),
    Route("POST", API_SUBJ + "/adverse-events", "write_data", body=AE),
    Route("POST", API_SUBJ + "/con-meds", "write_data", body={"name": "emollient"}),
    Route("PUT", API_SUBJ + "/history", "write_data", body=HISTORY),
    Route("POST", API_SUBJ + "/prior-treatments", "write_data",
          body={**PRIOR, "start_year": 2020}),
    Route("POST", API_SUBJ + "/comorbidities", "write_data",
          body={"condition": "food_allergy", "ongoing": True}),
    Route("POST", API_SUBJ + "/unscheduled-visits", "write_data",
          body={"visit_date": "2026-03-20", "reason": "flare"}),
    Route("POST", API_SUBJ + "/deviations", "write_data",
          body={"kind": "visit_schedule", "description": "visit by phone",
                "occurred_on": "2026-03-02", "importance": "minor"}),
    Route("GET", "/api/v1/studies/{study}/deviations", "read_subject", per_site=False),
    Route("PATCH", "/api/v1/studies/{study}/records/{entity}/{record_id}", "write_data",
          body={"changes": {"visit_date": "2026-03-03"}, "expected_version": 1,
                "reason": "date typo"}),
    Route("GET", "/api/v1/studies/{study}/consent-documents", "read_study", per_site=False),
    Route("POST", "/api/v1/studies/{study}/consent-documents", "manage_study", per_site=False,
          body={"document_version": "v2-{n}", "language": "en", "effective_on": "2026-06-01",
                "sha256": "cd" * 32}),
    Route("GET", "/api/v1/studies/{study}/consents", "read_subject", per_site=False),
    Route("GET", API_SUBJ + "/consents", "read_subject"),
    Route("POST", API_SUBJ + "/consents", "record_consent",
          body={"document_version": "1.0", "consented_at": "2026-02-16T09:30:00+01:00",
                "obtained_by": "Dr Kim", "components": {"photographs": True}}),
    Route("POST", API_SUBJ + "/unblind", "unblind", reveals_arm=True,
          body={"reason": "anaphylaxis", "confirm": True}),
    Route("POST", API_SUBJ + "/consent-withdrawal", "record_consent",
          body={"withdrawn_on": "2026-06-01", "reason": "moved away"}),
    *REVIEW_API,
    Route("POST", API_SUBJ + "/withdraw", "withdraw", body={"reason": "moved away"}),
    Route("GET", "/api/v1/studies/{study}/locks", "read_subject", per_site=False),
    Route("POST", API_SUBJ + "/locks", "lock",
          body={"level": "subject", "reason": "casebook reviewed"}),
    Route("POST", "/api/v1/studies/{study}/database-lock", "lock_database", per_site=False,
          body={"reason": "data final"}),
    Route("POST", "/api/v1/studies/{study}/locks/{lock_id}/unlock", "lock_database",
          per_site=False, body={"reason": "late lab result"}),
]  # fmt: skip
UNGUARDED = {("GET", "/login"), ("POST", "/login"), ("POST", "/logout"), ("GET", "/")}
#: routes checked by their own tests (changing one's password ends the session)
SEPARATE = {
    ("POST", "/account/password"),
    # the patient routes take a self-report link's token, never a staff session or API token:
    # their own matrix, routes × tokens, is tests/web/test_self_report_pages.py
    ("GET", "/p/{token}"),
    ("GET", "/p/{token}/{instrument}/{slot}"),
    ("POST", "/p/{token}/{instrument}/{slot}"),
}


API_PRODUCT = "/api/v1" + PRODUCT
#: the product chain through the API (docs/product.md): the life is read by readers of the
#: subject (masked when blinded: checked here) and by preparers; the steps are the preparer's;
#: the injection by code (an aliquot made just before by the store) the injector's
PRODUCT_API = [
    Route("GET", API_PRODUCT, "read_subject|prepare_product"),
    *(
        Route("POST", API_PRODUCT + tail, "prepare_product", reveals_arm=True, body=body)
        for tail, body in (
            ("/draws", {"volume_ml": "20"}),
            ("/processings", {"draw_code": "{draw_code}", "clotting_minutes": 30,
                              "centrifuge_g": 1500, "centrifuge_minutes": 10}),
            ("/aliquots", {"processing_id": "{processing_id}", "count": 2}),
            ("/storage", {"aliquot_code": "{aliquot_code}", "kind": "frozen"}),
            ("/kits", {"aliquot_code": "{aliquot_code}"}),
            ("/disposals", {"code": "{aliquot_code}", "reason": "leak"}),
        )
    ),
    Route("GET", API_PRODUCT + "/labels.pdf", "prepare_product", reveals_arm=True),
    Route("POST", API_PRODUCT + "/injections", "write_data",
          body={"product_code": "{fresh_aliquot}", "given_on": TODAY.isoformat()}),  # made today
]  # fmt: skip

# The product chain (issue 13), last (once a study records its product, every injection needs
# a product code), on a serum subject of each site: the pages show the allocation to the
# unblinded preparer by design.
PRODUCT_PAGES = [
    *(
        Route(method, PRODUCT + tail, "prepare_product", reveals_arm=True, body=body)
        for method, tail, body in (
            ("GET", "", None),
            ("POST", "/draws", {"draw_volume_ml": "20"}),
            (
                "POST",
                "/processings",
                {
                    "proc_draw_code": "{draw_code}",
                    "proc_clotting_minutes": "30",
                    "proc_centrifuge_g": "1500",
                    "proc_centrifuge_minutes": "10",
                },
            ),
            ("POST", "/aliquots", {"aliq_processing_id": "{processing_id}", "aliq_count": "2"}),
            ("POST", "/storage", {"stor_aliquot_code": "{aliquot_code}", "stor_kind": "frozen"}),
            ("POST", "/kits", {"kit_aliquot_code": "{aliquot_code}"}),
            ("POST", "/disposals", {"disp_code": "{aliquot_code}", "disp_reason": "leak"}),
            ("GET", "/labels.pdf", None),
        )
    ),
    Route("GET", "/studies/{study}/product", "prepare_product", per_site=False, reveals_arm=True),
    Route(
        "GET",
        "/studies/{study}/product/worksheet.pdf",
        "prepare_product",
        per_site=False,
        reveals_arm=True,
    ),
    *PRODUCT_API,
]


def fill(value: Any, values: dict[str, Any]) -> Any:
    """``value`` with every ``{name}`` replaced (strings, recursively in dicts)."""
    if isinstance(value, str):
        if value.startswith("{") and value.endswith("}") and value[1:-1] in values:
            return values[value[1:-1]]  # a whole value keeps its type (ids stay numbers)
        return value.format(**values)
    if isinstance(value, dict):
        return {k: fill(v, values) for k, v in value.items()}
    return value


ARM_IN_HTML = re.compile(r"(<td>\s*|arm\W{1,3}|id=\"subject-arm\">)(serum|placebo)\b", re.I)


def zipped_subjects(data: bytes) -> dict[str, list[str]]:
    """The subject ids, arms and calendar dates in a zipped package or SDTM export."""
    import io
    import zipfile

    import polars as pl
    import pyreadstat

    out: dict[str, list[str]] = {"ids": [], "arms": [], "dates": []}
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        names = archive.namelist()
        if "subjects.csv" in names:
            frame = pl.read_csv(archive.read("subjects.csv"), infer_schema=False)
            out["ids"] = frame["subject_id"].to_list()
            if "arm" in frame.columns:
                out["arms"] = [a for a in frame["arm"].to_list() if a]
        if "dm.xpt" in names:
            dm, _ = pyreadstat.read_xport(io.BytesIO(archive.read("dm.xpt")))
            out["ids"] = [str(s) for s in dm["SUBJID"]]
            out["arms"] = [a for a in dm["ARMCD"] if a and a != "BLINDED"]
        if "adsl.xpt" in names:  # ADaM: the arm code in TRT01P (``pooled (blinded)`` masked)
            adsl, _ = pyreadstat.read_xport(io.BytesIO(archive.read("adsl.xpt")))
            out["ids"] = [str(s) for s in adsl["SUBJID"]]
            out["arms"] = [a for a in adsl["TRT01P"] if a and "blinded" not in a]
        for name in (n for n in names if n.endswith(".csv")):
            for found in re.findall(
                r"\b20[0-9]{2}-[0-9]{2}-[0-9]{2}\b", archive.read(name).decode()
            ):
                out["dates"].append(f"{name}: {found}")
    return out


def fhir_subjects(bundle: dict[str, Any]) -> dict[str, list[str]]:
    """The subject ids, arms and calendar dates in a FHIR Bundle export."""
    out: dict[str, list[str]] = {"ids": [], "arms": [], "dates": []}
    for entry in bundle.get("entry", []):
        resource = entry.get("resource", {})
        if resource.get("resourceType") == "Patient":
            out["ids"] += [i["value"] for i in resource.get("identifier", [])]
        if resource.get("resourceType") == "ResearchSubject":
            out["arms"] += [resource[k] for k in ("assignedArm", "actualArm") if k in resource]
    text = json.dumps(bundle)
    out["dates"] = re.findall(r"\b20[0-9]{2}-[0-9]{2}-[0-9]{2}\b", text)
    return out


def arms_in_json(value: Any) -> list[Any]:
    """Every value found under an ``arm`` or ``product`` key, anywhere in a JSON document."""
    found: list[Any] = []
    if isinstance(value, dict):
        for key, item in value.items():
            if key in ("arm", "product") and item not in (None, "blinded"):
                found.append(item)
            found += arms_in_json(item)
    elif isinstance(value, list):
        for item in value:
            found += arms_in_json(item)
    return found


#: The site memberships of the seeded users (conftest.Seeded): the admin belongs to every site.
MEMBERSHIP: dict[str, frozenset[tuple[str, str]] | None] = {
    role: None if role == "admin" else frozenset({("AST-1", "S1")}) for role in ROLES
}


def expected_ok(role: str, route: Route, site: str) -> bool:
    """The table's answer for ``role`` on ``route`` at site ``site`` of AST-1."""
    if not route.action:
        return True
    return any(
        permits(
            role,
            action,
            sites=MEMBERSHIP[role],
            study="AST-1",
            site=site if route.per_site else None,
        )
        for action in route.action.split("|")  # "a|b": either action suffices
    )


def page_client(client: TestClient, username: str) -> str:
    page = client.get("/login")
    client.post(
        "/login",
        data={"username": username, "password": PASSWORD, "csrf_token": csrf_of(page.text)},
    )
    return csrf_of(client.get("/studies").text)


def serum_subject(seeded: Seeded, site: str) -> str:
    """A consented serum subject at ``site`` screened and randomised for the product routes."""
    store = seeded.store
    facts = {"atopic_dermatitis": True, "scorad": 40, "age": 30}
    for number in range(50, 90):
        sid = f"{site}-{number:03d}"
        store.subjects.screen("AST-1", site, sid, facts, screened_on=SCREENED_ON, actor=SYSTEM)
        store.consent.record(
            "AST-1", sid, "1.0", "2026-02-16T09:00:00+00:00", actor=SYSTEM, obtained_by="Dr Kim"
        )
        if store.subjects.randomise("AST-1", sid, actor=SYSTEM) == "serum":
            return sid
    raise AssertionError("no serum allocation in 40 subjects")


def fresh_aliquot(seeded: Seeded, subject: str) -> str:
    """The code of a new aliquot of ``subject`` (drawn, processed and aliquoted by the admin
    through the store), for the injection by code."""
    from autoserum.store import Actor

    admin, store = Actor("admin1", "admin"), seeded.store
    draw = store.product.draw("AST-1", subject, actor=admin, volume_ml="20")
    done = store.product.process(
        "AST-1", draw.code, actor=admin, clotting_minutes=30, centrifuge_g=1500,
        centrifuge_minutes=10,
    )  # fmt: skip
    made = store.product.make_aliquots("AST-1", done.id, actor=admin, count=1)
    return str(made[0].code)


def consent_everyone(seeded: Seeded) -> None:
    """Make the seeded study consent-managed, every seeded subject consented (with the
    photographs component): every write of the matrix then passes the consent gate only
    because of the consent."""
    store, study = seeded.store, seeded.study
    store.consent.add_document(study, "1.0", "en", "2026-01-05", actor=SYSTEM, sha256="ab" * 32)
    for subject in store.subjects.all(study, actor=SYSTEM):
        store.consent.record(
            study, subject.subject_id, "1.0", "2026-02-16T09:00:00+00:00", actor=SYSTEM,
            obtained_by="Dr Kim", components={"photographs": True},
        )  # fmt: skip


def serious_events(seeded: Seeded) -> dict[str, int]:
    """A serious adverse event of each site's ``-001`` subject (its id by site), for the SAE
    report route."""
    ids = {}
    for site in ("S1", "S2"):
        ae = seeded.store.records.add_adverse_event(
            seeded.study, f"{site}-001", actor=SYSTEM, term="pneumonia", severity="severe",
            serious=True, sae_hospitalisation=True, related="unlikely", outcome="recovering",
            aware_at="2026-06-29T08:00+00:00",
        )  # fmt: skip
        ids[site] = ae.id
    return ids


def pdf_text_of(content: bytes) -> str:
    """The text of a PDF response (pypdf), to look for an arm in it."""
    reader = PdfReader(io.BytesIO(content))
    return " ".join(page.extract_text() or "" for page in reader.pages)


@pytest.mark.parametrize("role", ROLES)
def test_access_matrix(role: str, client: TestClient, seeded: Seeded) -> None:
    consent_everyone(seeded)
    saes = serious_events(seeded)
    queries = {  # one query per subject the matrix moves on (pages: -001, API: -003)
        sid: seeded.store.queries.open(
            "AST-1", "visit", seeded.visit_ids[sid], "Please check", actor=SYSTEM
        ).id
        for sid in ("S1-001", "S2-001", "S1-003", "S2-003")
    }
    serum = {site: serum_subject(seeded, site) for site in ("S1", "S2")}
    photos = {  # a photograph of each site's page subject (the gallery and the rating)
        site: seeded.store.photos.upload(
            "AST-1", f"{site}-001", "baseline", "trunk", small_jpeg(), actor=SYSTEM
        )
        for site in ("S1", "S2")
    }
    problems: list[str] = []
    blinded = not allowed(role, "see_arms")  # the admin and the unblinded preparer see arms
    token = seeded.tokens[role]
    csrf = page_client(client, seeded.usernames[role])
    seen_arm_admin = False
    sites = (("S1", True), ("S2", False))
    for phase, (site, own) in itertools.product((PAGES + API, PRODUCT_PAGES), sites):
        # pages act on -001/-002, the API on -003/-004 (each ends with a withdrawal)
        page_values = {
            "study": "AST-1", "subject_id": f"{site}-001", "randomisable": f"{site}-002",
            "site": site, "visit": "week_4", "instrument": "pp_nrs", "code": "pp_nrs",
            "n": role[:4], "entity": "visit", "record_id": seeded.visit_ids[f"{site}-001"],
            "sae": saes[site], "query_id": queries[f"{site}-001"],
            "username": "coord1",
            "photo_id": photos[site].id, "photo_code": photos[site].code,
        }  # fmt: skip
        api_values = {
            **page_values, "subject_id": f"{site}-003", "randomisable": f"{site}-004",
            "assessment_id": seeded.assessment_ids[f"{site}-003"], "entity": "visit",
            "record_id": seeded.visit_ids[f"{site}-003"], "query_id": queries[f"{site}-003"],
        }  # fmt: skip
        for route in phase:
            values = api_values if route.template.startswith("/api/") else page_values
            if not route.per_site and not own:
                continue
            if "{lock_id}" in route.template:  # the lock taken last (the database lock)
                active = seeded.store.locks.locks("AST-1", active=True)
                values = {**values, "lock_id": active[-1].id if active else 1}
            if route.template.startswith((PRODUCT, API_PRODUCT)):  # the newest records
                subject = serum[site]
                life = seeded.store.product.life("AST-1", subject, actor=SYSTEM)
                # (none recorded, for a role that may not record them: well-formed stand-ins,
                # so that the refusal is the permission's, not the body's)
                values = {
                    **values, "product_subject": subject,
                    "draw_code": life.draws[-1].code if life.draws
                    else label_code("AST-1", subject, "BD-9999"),
                    "processing_id": life.processings[-1].id if life.processings else 9999,
                    "aliquot_code": life.aliquots[-1].code if life.aliquots
                    else label_code("AST-1", subject, "AL-9999"),
                }  # fmt: skip
                if "{fresh_aliquot}" in str(route.body):
                    values["fresh_aliquot"] = fresh_aliquot(seeded, subject)
            if "token_id}" in route.template:  # the newest token: of coord1, or one's own
                tokens = seeded.store.accounts.api_tokens(actor=SYSTEM)
                mine = [t.id for t in tokens if t.username == seeded.usernames[role] and t.active]
                values = {**values, "token_id": max(t.id for t in tokens), "own_token_id": mine[-1]}
            path = fill(route.template, {**values, **(route.extra or {})})
            body = fill(route.body, values)
            is_api = path.startswith("/api/")
            if is_api:
                headers = {"Authorization": f"Bearer {token}"}
                response = client.request(route.method, path, headers=headers, json=body)
            elif route.method == "GET":
                response = client.get(path, follow_redirects=False)
            else:
                data = {**(body or {}), "csrf_token": csrf}
                response = client.post(path, data=data, files=route.files, follow_redirects=False)
            if response.status_code == 303:
                # a redirect is an allowed action only when it leads on in the app (the
                # post/redirect/get of a saved form), never to the login page; the page it
                # leads to (with its flash message) is checked for leaks below
                location = response.headers["location"]
                if location.startswith("/login"):
                    problems.append(f"{role} {route.method} {path}: sent to log in again")
                    continue
                response = client.get(location, follow_redirects=False)
            ok = response.status_code in (200, 201)
            forbidden = response.status_code in (403, 404)
            want = expected_ok(role, route, site)
            if (want and not ok) or (not want and not forbidden):
                problems.append(
                    f"{role} {route.method} {path}: got {response.status_code}, "
                    f"expected {'allowed' if want else 'forbidden'}: {response.text[:200]}"
                )
            if route.reveals_arm:
                continue
            kind = response.headers.get("content-type", "")
            if kind.startswith(("application/zip", "application/fhir+json")) and ok:
                subjects = (
                    zipped_subjects(response.content)
                    if kind.startswith("application/zip")
                    else fhir_subjects(response.json())
                )
                if blinded and subjects["arms"]:
                    problems.append(f"{role} {path}: the zip reveals arm(s) {subjects['arms']}")
                reaches_s2 = permits(
                    role, "export", sites=MEMBERSHIP[role], study="AST-1", site="S2"
                )
                if not reaches_s2 and any(s.startswith("S2-") for s in subjects["ids"]):
                    problems.append(f"{role} {path}: the zip has another site's subject")
                if subjects["dates"]:
                    problems.append(f"{role} {path}: the zip has dates {subjects['dates'][:2]}")
                seen_arm_admin |= bool(subjects["arms"])
            elif response.headers.get("content-type", "").startswith("text/csv"):
                header = response.text.splitlines()[0].split(",") if response.text else []
                if blinded and "arm" in header:
                    problems.append(f"{role} {path}: the export has an arm column")
                reaches_s2 = permits(
                    role, "export", sites=MEMBERSHIP[role], study="AST-1", site="S2"
                )
                if not reaches_s2 and "S2-0" in response.text:
                    problems.append(f"{role} {path}: the export has another site's subject")
                if reaches_s2 and "S2-0" not in response.text and path.endswith("export.csv"):
                    problems.append(f"{role} {path}: the export lacks the study's other site")
                seen_arm_admin |= "arm" in header
            elif response.headers.get("content-type", "") == "application/pdf":
                text = " ".join(pdf_text_of(response.content).split())
                shown = re.search(r"Study treatment (\w+)", text)
                if shown is None:
                    # a PDF that names no treatment at all (the patient's self-report card):
                    # no arm may appear anywhere in it, for any role
                    named = re.search(r"\b(serum|placebo|saline)\b", text, re.IGNORECASE)
                    if named:
                        problems.append(f"{role} {path}: the PDF names {named.group(0)!r}")
                    continue
                if blinded and shown.group(1) != "blinded":
                    problems.append(f"{role} {path}: the PDF reveals arm {shown.group(1)!r}")
                seen_arm_admin |= shown.group(1) in ("serum", "placebo")
            elif is_api:
                arms = arms_in_json(response.json())
                if blinded and arms:
                    problems.append(f"{role} {path}: JSON reveals arm(s) {arms}")
                seen_arm_admin |= bool(arms)
            else:
                match = ARM_IN_HTML.search(response.text)
                if blinded and match:
                    problems.append(f"{role} {path}: HTML reveals arm: {match.group(0)!r}")
                seen_arm_admin |= bool(match)
    assert not problems, "\n".join(problems)
    if role == "admin":
        assert seen_arm_admin, "the admin should see the arms (the check must be able to fail)"


def test_the_matrix_covers_every_route(client: TestClient) -> None:
    """Every page and API route of the app is in the matrix (or is the login/logout)."""
    from autoserum.web import routes

    pages = {
        (method, route.path)
        for module in (routes.auth, routes.studies, routes.subjects, routes.records,
                       routes.corrections, routes.assessments, routes.audit, routes.exports,
                       routes.unblinding, routes.locks, routes.admin, routes.account,
                       routes.product, routes.review, routes.self_report, routes.patient,
                       routes.photos)
        for route in module.router.routes
        for method in getattr(route, "methods", set()) - {"HEAD"}
    }  # fmt: skip
    api = {
        (method.upper(), "/api/v1" + path if not path.startswith("/api/v1") else path)
        for path, ops in cast(FastAPI, client.app).openapi()["paths"].items()
        for method in ops
    }
    # {randomisable} is a {subject_id} (a subject still to be randomised); {own_token_id} a
    # {token_id} (one's own)
    covered = {
        (
            r.method,
            r.template.split("?")[0]
            .replace("{randomisable}", "{subject_id}")
            .replace("{product_subject}", "{subject_id}")
            .replace("{own_token_id}", "{token_id}")
            .replace("{photo_code}", "{code}"),
        )
        for r in PAGES + API + PRODUCT_PAGES
    }
    missing = (pages | api) - covered - UNGUARDED - SEPARATE
    assert not missing, f"routes not in the access matrix: {sorted(missing)}"


def test_unblinded_grant_shows_arms_to_an_investigator(client: TestClient, seeded: Seeded) -> None:
    from .conftest import add_user

    token = add_user(seeded.store, "inv_unblinded", "investigator", frozenset({("AST-1", "S1")}),
                     unblinded=True)  # fmt: skip
    response = client.get(
        "/api/v1/studies/AST-1/subjects/S1-001", headers={"Authorization": f"Bearer {token}"}
    )
    assert response.status_code == 200
    assert response.json()["subject"]["arm"] == seeded.arms["S1-001"]
    assert json.dumps(response.json()).count(seeded.arms["S1-001"]) >= 1
