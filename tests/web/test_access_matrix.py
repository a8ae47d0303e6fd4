"""Access control: every role × every page and API route × own site / other site.

Users of every role belong to site S1 (the admin to all sites). ``S1-001`` is at their site,
``S2-001`` at the other. A route is allowed iff the role may perform its action
(:mod:`autoserum.web.permissions`) and the subject is at one of the user's sites. Blinded roles
never receive an arm, in HTML or JSON.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from typing import Any

import pytest
from fastapi.testclient import TestClient

from autoserum.web.permissions import ROLES, allowed

from .conftest import PASSWORD, Seeded
from .test_auth import csrf_of


@dataclass(frozen=True)
class Route:
    method: str
    path: str  # {sid}: the subject's identifier
    action: str
    per_site: bool = True
    body: dict[str, Any] | None = None


AE = {"term": "headache", "severity": "mild", "serious": False, "related": "unlikely",
      "outcome": "recovered"}  # fmt: skip
AE_FORM = {k: ("no" if v is False else v) for k, v in AE.items()}
EASI_ITEMS = {"age": 30, "head_neck_erythema": 1, "head_neck_induration": 0,
              "head_neck_excoriation": 0, "head_neck_lichenification": 0,
              "head_neck_area": 1}  # fmt: skip

PAGES = [
    Route("GET", "/studies", "read_study", per_site=False),
    Route("GET", "/studies/AST-1", "read_study", per_site=False),
    Route("GET", "/studies/AST-1/subjects", "read_subject", per_site=False),
    Route("GET", "/studies/AST-1/screen", "screen", per_site=False),
    Route("GET", "/studies/AST-1/subjects/{sid}", "read_subject"),
    Route("GET", "/studies/AST-1/subjects/{sid}/visits/baseline/easi", "read_subject"),
    Route("GET", "/studies/AST-1/audit?subject_id={sid}", "read_audit"),
    Route("GET", "/studies/AST-1/export.csv", "export", per_site=False),
    Route("GET", "/studies/AST-1/export.ae.csv", "export", per_site=False),
    Route("POST", "/studies/AST-1/subjects/{sid}/adverse_events", "write_data", body=AE_FORM),
    Route(
        "POST", "/studies/AST-1/subjects/{sid}/con_meds", "write_data", body={"name": "emollient"}
    ),
]
API = [
    Route("GET", "/api/v1/studies", "read_study", per_site=False),
    Route("GET", "/api/v1/studies/AST-1", "read_study", per_site=False),
    Route("GET", "/api/v1/instruments", "", per_site=False),
    Route("GET", "/api/v1/studies/AST-1/subjects", "read_subject", per_site=False),
    Route("GET", "/api/v1/studies/AST-1/subjects/{sid}", "read_subject"),
    Route("GET", "/api/v1/studies/AST-1/subjects/{sid}/assessments", "read_subject"),
    Route("GET", "/api/v1/studies/AST-1/audit?subject_id={sid}", "read_audit"),
    Route("GET", "/api/v1/studies/AST-1/export", "export", per_site=False),
    Route("POST", "/api/v1/studies/AST-1/subjects/{sid}/adverse-events", "write_data", body=AE),
    Route(
        "POST",
        "/api/v1/studies/AST-1/subjects/{sid}/assessments",
        "write_data",
        body={"visit_code": "baseline", "instrument": "easi", "items": EASI_ITEMS},
    ),
    Route(
        "POST",
        "/api/v1/studies/AST-1/subjects/{sid}/withdraw",
        "withdraw",
        body={"reason": "moved away"},
    ),
]
SCREEN = Route("POST", "/api/v1/studies/AST-1/subjects", "screen", per_site=True)

ARM_IN_HTML = re.compile(r"(<td>\s*|arm\W{1,3}|id=\"subject-arm\">)(serum|placebo)\b", re.I)


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


def expected_ok(role: str, route: Route, own: bool) -> bool:
    if not route.action:
        return True
    return allowed(role, route.action) and (own or role == "admin" or not route.per_site)


def page_client(client: TestClient, username: str) -> str:
    page = client.get("/login")
    client.post(
        "/login",
        data={"username": username, "password": PASSWORD, "csrf_token": csrf_of(page.text)},
    )
    return csrf_of(client.get("/studies").text)


@pytest.mark.parametrize("role", ROLES)
def test_access_matrix(role: str, client: TestClient, seeded: Seeded) -> None:
    problems: list[str] = []
    blinded = role != "admin"
    token = seeded.tokens[role]
    csrf = page_client(client, seeded.usernames[role])
    seen_arm_admin = False
    for sid, own in (("S1-001", True), ("S2-001", False)):
        for route in PAGES + API + [SCREEN]:
            if not route.per_site and sid == "S2-001":
                continue
            path = route.path.format(sid=sid)
            is_api = path.startswith("/api/")
            headers = {"Authorization": f"Bearer {token}"} if is_api else {}
            if route is SCREEN:
                site = "S1" if own else "S2"
                body: dict[str, Any] | None = {
                    "site": site, "subject_id": f"{site}-{role[:4]}",
                    "facts": {"atopic_dermatitis": True, "scorad": 30},
                }  # fmt: skip
            else:
                body = route.body
            if route.method == "GET":
                response = client.get(path, headers=headers, follow_redirects=False)
            elif is_api:
                response = client.post(path, headers=headers, json=body)
            else:
                data = {**(body or {}), "csrf_token": csrf}
                response = client.post(path, data=data, follow_redirects=False)
            ok = response.status_code in (200, 201, 303)
            forbidden = response.status_code in (403, 404)
            want = expected_ok(role, route, own)
            if (want and not ok) or (not want and not forbidden):
                problems.append(
                    f"{role} {route.method} {path}: got {response.status_code}, "
                    f"expected {'allowed' if want else 'forbidden'}: {response.text[:200]}"
                )
            if response.status_code >= 300:
                continue
            if response.headers.get("content-type", "").startswith("text/csv"):
                header = response.text.splitlines()[0].split(",") if response.text else []
                if blinded and "arm" in header:
                    problems.append(f"{role} {path}: the export has an arm column")
                if role != "admin" and "S2-001" in response.text:
                    problems.append(f"{role} {path}: the export has another site's subject")
                seen_arm_admin |= "arm" in header
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


def test_unblinded_grant_shows_arms_to_an_investigator(client: TestClient, seeded: Seeded) -> None:
    from .conftest import add_user

    token = add_user(seeded.store, "inv_unblinded", "investigator", frozenset({"S1"}),
                     unblinded=True)  # fmt: skip
    response = client.get(
        "/api/v1/studies/AST-1/subjects/S1-001", headers={"Authorization": f"Bearer {token}"}
    )
    assert response.status_code == 200
    assert response.json()["subject"]["arm"] == seeded.arms["S1-001"]
    assert json.dumps(response.json()).count(seeded.arms["S1-001"]) >= 1
