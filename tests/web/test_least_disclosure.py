"""Least disclosure (issue 11 item 9), in the access matrix's style and with its routes:

- a subject outside the user's sites gets the very response of a subject that does not exist
  (404, the same message but for the identifier), on every page and API route, and a study
  outside the user's sites that of a study that does not exist (no existence oracle);
- the statistician's dashboard has aggregates only: no subject identifiers, no dates;
- ``allocation_id`` (a position in the concealed list) is masked for blinded roles in the audit
  trail pages, API and export; the admin sees it (so the check can fail).
"""

from __future__ import annotations

import difflib
import re
from typing import Any

import pytest
from fastapi.testclient import TestClient

from autoserum.permissions import ROLES, allowed
from autoserum.store import Actor

from .conftest import Seeded
from .test_access_matrix import API, PAGES, Route, fill, page_client, serious_events
from .test_cross_study_access import OTHER, seed_other_study

MISSING_RECORD = 987654
#: A date as a page may show it: ISO (a form's value) or as the page's language writes it
#: (``Apr 2, 2026`` in English, Babel's medium width).
DATE = re.compile(r"\b20\d\d-\d\d-\d\d\b|\b[A-Z][a-z]{2} \d{1,2}, 20\d\d\b")


def _values(site_subject: str, record_id: int, assessment_id: int, sae: int) -> dict[str, Any]:
    return {
        "study": "AST-1", "subject_id": site_subject, "randomisable": site_subject,
        "site": "S1", "visit": "week_4", "instrument": "pp_nrs", "code": "pp_nrs", "n": "x",
        "entity": "visit", "record_id": record_id, "assessment_id": assessment_id, "sae": sae,
        "photo_id": record_id, "photo_code": "PH-0000000000",
    }  # fmt: skip


def _call(client: TestClient, route: Route, values: dict[str, Any], token: str, csrf: str) -> Any:
    path, body = fill(route.template, values), fill(route.body, values)
    if path.startswith("/api/"):
        headers = {"Authorization": f"Bearer {token}"}
        return client.request(route.method, path, headers=headers, json=body)
    if route.method == "GET":
        return client.get(path, follow_redirects=False)
    return client.post(path, data={**(body or {}), "csrf_token": csrf}, follow_redirects=False)


def _neutral(text: str, *names: object) -> str:
    """``text`` with each of ``names`` (identifiers, record ids) standing alone replaced."""
    for name in names:
        text = re.sub(rf"(?<![\w-]){re.escape(str(name))}(?![\w-])", "<id>", text)
    return text


@pytest.mark.parametrize("role", [r for r in ROLES if r != "admin" and allowed(r, "read_subject")])
def test_a_subject_at_another_site_is_answered_like_a_missing_one(
    role: str, client: TestClient, seeded: Seeded
) -> None:
    token = seeded.tokens[role]
    csrf = page_client(client, seeded.usernames[role])
    sae = serious_events(seeded)["S2"]  # an SAE of S2-001, for the SAE report route
    problems: list[str] = []
    compared = 0
    for route in PAGES + API:
        if "subject_id}" not in route.template and "{randomisable}" not in route.template:
            continue  # screening names a site, not a subject
        if not allowed(role, route.action):
            continue
        # pages act on -001, the API on -003 (as in the matrix); S9-001 does not exist
        number = "003" if route.template.startswith("/api/") else "001"
        other = f"S2-{number}"
        there = _call(
            client,
            route,
            _values(other, seeded.visit_ids[other], seeded.assessment_ids[other], sae),
            token,
            csrf,
        )
        missing = _call(
            client,
            route,
            _values("S9-001", MISSING_RECORD, MISSING_RECORD, MISSING_RECORD),
            token,
            csrf,
        )
        compared += 1
        shown = f"{route.method} {route.template}"
        if there.status_code != 404:
            problems.append(f"{shown}: another site's subject gave {there.status_code}")
        if missing.status_code != there.status_code:
            problems.append(f"{shown}: {there.status_code} there, {missing.status_code} missing")
        ids = (seeded.visit_ids[other], seeded.assessment_ids[other], sae, other)
        if _neutral(there.text, *ids) != _neutral(missing.text, MISSING_RECORD, "S9-001"):
            diff = difflib.unified_diff(
                _neutral(there.text, *ids).splitlines(),
                _neutral(missing.text, MISSING_RECORD, "S9-001").splitlines(),
                lineterm="",
                n=0,
            )
            problems.append(f"{shown}: the bodies differ: {' | '.join(list(diff)[2:8])}")
    assert compared >= 4, "the role should have per-site routes to compare"
    assert not problems, "\n".join(problems)
    # the control: the same routes reach the user's own site
    own = client.get(
        "/api/v1/studies/AST-1/subjects/S1-003", headers={"Authorization": f"Bearer {token}"}
    )
    assert own.status_code == 200


def test_a_study_outside_the_users_sites_is_answered_like_a_missing_one(
    client: TestClient, seeded: Seeded
) -> None:
    seed_other_study(seeded.store)
    headers = {"Authorization": f"Bearer {seeded.tokens['monitor']}"}
    page_client(client, "mon1")
    for template in ("/api/v1/studies/{s}", "/api/v1/studies/{s}/subjects", "/studies/{s}"):
        there = client.get(template.format(s=OTHER), headers=headers)
        missing = client.get(template.format(s="AST-9"), headers=headers)
        assert there.status_code == missing.status_code == 404, template
        assert _neutral(there.text, OTHER) == _neutral(missing.text, "AST-9"), template


def test_the_statisticians_dashboard_has_no_subject_ids_or_dates(
    client: TestClient, seeded: Seeded
) -> None:
    # the monitor's dashboard lists overdue visits (subjects and dates): the control
    page_client(client, "mon1")
    monitor = client.get("/studies/AST-1")
    assert monitor.status_code == 200
    assert "S1-001" in monitor.text
    assert DATE.search(monitor.text)
    client.post("/logout", data={"csrf_token": page_client(client, "mon1")})
    page_client(client, "stat1")
    stats = client.get("/studies/AST-1")
    assert stats.status_code == 200
    assert "Enrolment by site" in stats.text
    assert "CONSORT flow" in stats.text
    found = re.findall(r"S[12]-\d{3}", stats.text) + DATE.findall(stats.text)
    assert not found, f"the statistician's dashboard shows {found}"
    # aggregates over the whole study (the statistician's scope): both sites' counts
    assert re.search(r"<td>S2</td><td>4</td>", stats.text), stats.text


def _allocation_values(records: list[dict[str, Any]]) -> list[Any]:
    return [r["new_value"] for r in records if r["field"] == "allocation_id"]


@pytest.mark.parametrize("role", [r for r in ROLES if allowed(r, "read_audit")])
def test_allocation_id_is_masked_for_blinded_roles(
    role: str, client: TestClient, seeded: Seeded
) -> None:
    headers = {"Authorization": f"Bearer {seeded.tokens[role]}"}
    trail = client.get("/api/v1/studies/AST-1/audit?subject_id=S1-001", headers=headers)
    assert trail.status_code == 200
    values = _allocation_values(trail.json())
    assert values, "the randomisation should be in the trail"
    page_client(client, seeded.usernames[role])
    page = client.get("/studies/AST-1/audit?subject_id=S1-001")
    assert page.status_code == 200
    # the audit page shows one row per change event with its field differences beneath it
    row = re.search(r'<span class="field-name">allocation_id</span>(.*?)</li>', page.text, re.S)
    assert row is not None, "the audit page should list the allocation_id change"
    if allowed(role, "see_arms"):
        assert all(isinstance(v, int) for v in values), values
        assert re.search(r">\s*\d+\s*<", row.group(1)), row.group(1)
    else:
        assert values == ["blinded"] * len(values), values
        assert "blinded" in row.group(1)
        assert not re.search(r">\s*\d+\s*<", row.group(1))


@pytest.mark.parametrize("role", ["preparer", "investigator"])
def test_the_product_api_answers_another_sites_subject_like_a_missing_one(
    role: str, client: TestClient, seeded: Seeded
) -> None:
    """The product routes of the API (issue 13) the role may use: another site's subject and
    a subject that does not exist get the same 404 (codes well-formed, of the path's subject)."""
    from autoserum.study.aliquots import label_code

    from .test_access_matrix import PRODUCT_API

    token = seeded.tokens[role]

    def values(subject: str) -> dict[str, Any]:
        return {
            "study": "AST-1", "product_subject": subject, "processing_id": MISSING_RECORD,
            "draw_code": label_code("AST-1", subject, "BD-0001"),
            "aliquot_code": label_code("AST-1", subject, "AL-0001"),
            "fresh_aliquot": label_code("AST-1", subject, "AL-0001"),
        }  # fmt: skip

    problems, compared = [], 0
    for route in PRODUCT_API:
        if not any(allowed(role, a) for a in route.action.split("|")):
            continue
        there = _call(client, route, values("S2-001"), token, "")
        missing = _call(client, route, values("S9-001"), token, "")
        compared += 1
        shown = f"{route.method} {route.template}"
        if there.status_code != 404 or missing.status_code != 404:
            problems.append(f"{shown}: {there.status_code} there, {missing.status_code} missing")
        if _neutral(there.text, "S2-001") != _neutral(missing.text, "S9-001"):
            problems.append(f"{shown}: the bodies differ: {there.text} | {missing.text}")
    assert compared >= 2
    assert not problems, "\n".join(problems)


@pytest.mark.parametrize(
    "role", [r for r in ROLES if allowed(r, "read_subject") or allowed(r, "prepare_product")]
)
def test_a_kits_source_is_masked_for_blinded_roles(
    role: str, client: TestClient, seeded: Seeded
) -> None:
    """A blinded kit's source (the aliquot or blood draw it was filled from, issue 13) would
    tell serum or whole blood from saline: a blinded role reads ``blinded`` for both links in
    the product life; in the audit trail (API and page) a serum kit and a saline kit read
    alike (product ``blinded``, no source row: an insert audits only the links it sets, so its
    presence would tell the arm; no draw, processing or aliquot rows); a role that sees the
    arms reads the aliquot's id (so the check can fail)."""
    from .test_access_matrix import consent_everyone
    from .test_product_api import BASE, _call, _prepare, arm_subjects, serum_subjects

    consent_everyone(seeded)
    (subject,) = serum_subjects(seeded, 1)
    (placebo,) = arm_subjects(seeded, "placebo", 1, first=90)
    [code] = _prepare(client, seeded, subject, count=1)
    base = BASE.format(subject=subject)
    made = _call(
        client, seeded, "preparer", "POST", base + "/kits", {"aliquot_code": code, "volume_ml": "5"}
    )
    assert made.status_code == 201, made.text
    saline = _call(
        client, seeded, "preparer", "POST", BASE.format(subject=placebo) + "/kits",
        {"volume_ml": "5"},
    )  # fmt: skip
    assert saline.status_code == 201, saline.text
    life = _call(client, seeded, role, "GET", base)
    assert life.status_code == 200, life.text
    [kit] = life.json()["kits"]
    sees = allowed(role, "see_arms")
    if sees:
        assert isinstance(kit["aliquot_id"], int), kit
        assert kit["blood_draw_id"] is None
    else:
        assert (kit["aliquot_id"], kit["blood_draw_id"], kit["product"]) == ("blinded",) * 3
    if not allowed(role, "read_audit"):
        return
    headers = {"Authorization": f"Bearer {seeded.tokens[role]}"}

    def kit_rows(sid: str) -> list[tuple[Any, ...]]:
        trail = client.get(f"/api/v1/studies/AST-1/audit?subject_id={sid}", headers=headers)
        assert trail.status_code == 200, trail.text
        if not sees:
            chain = {r["entity"] for r in trail.json()} & {"blood_draw", "processing", "aliquot"}
            assert not chain, f"a blinded role reads the audit rows of {chain}"
        return [
            (r["action"], r["field"], r["old_value"], r["new_value"])
            for r in trail.json()
            if r["entity"] == "preparation"
            and r["field"] not in ("code", "subject_pk", "prepared_at")
        ]

    serum_rows, saline_rows = kit_rows(subject), kit_rows(placebo)
    values = {field: new for _, field, _, new in serum_rows}
    if sees:
        assert isinstance(values["aliquot_id"], int)
        assert values["product"] == "serum"
        assert serum_rows != saline_rows  # the check can fail
    else:
        assert values["product"] == "blinded"
        assert "aliquot_id" not in values, values
        assert serum_rows == saline_rows
    # the audit page: the kit's source is named to roles that see the arms only
    page_client(client, seeded.usernames[role])
    page = client.get(f"/studies/AST-1/audit?subject_id={subject}&entity=preparation")
    assert page.status_code == 200, page.text
    assert ("aliquot_id" in page.text) is sees


def _serum_kit(client: TestClient, seeded: Seeded) -> tuple[str, str, str]:
    """A serum subject at S1 with one aliquot and a kit filled from it: (subject, the
    aliquot's code, the kit's code), made through the API by the preparer."""
    from .test_access_matrix import consent_everyone
    from .test_product_api import BASE, _call, _prepare, serum_subjects

    consent_everyone(seeded)
    (subject,) = serum_subjects(seeded, 1)
    [code] = _prepare(client, seeded, subject, count=1)
    kit = _call(
        client, seeded, "preparer", "POST", BASE.format(subject=subject) + "/kits",
        {"aliquot_code": code, "volume_ml": "2"},
    )  # fmt: skip
    assert kit.status_code == 201, kit.text
    return subject, code, kit.json()["code"]


@pytest.mark.parametrize("role", [r for r in ROLES if allowed(r, "write_data")])
def test_a_refused_kit_is_told_without_its_source_to_a_blinded_injector(
    role: str, client: TestClient, seeded: Seeded
) -> None:
    """Issue 13 item 1: a serum kit whose aliquot was disposed of (the API's ``aliquot_code``,
    the field's former name, still accepted) is refused; an injector is told the kit's code
    and ``was disposed of`` (API 422 and the subject page's form), never the aliquot it was
    filled from (only a serum kit has one): disposing of the aliquot disposed of the kit."""
    from .test_product_api import BASE, GIVEN_ON, _call

    subject, code, kit = _serum_kit(client, seeded)
    gone = _call(
        client, seeded, "preparer", "POST", BASE.format(subject=subject) + "/disposals",
        {"aliquot_code": code, "reason": "tube cracked"},
    )  # fmt: skip
    assert gone.status_code == 201, gone.text
    ident = kit.split(":")[3]
    body = {"product_code": kit, "given_on": GIVEN_ON, "volume_ml": "2"}
    refused = _call(client, seeded, role, "POST", BASE.format(subject=subject) + "/injections",
                    body)  # fmt: skip
    assert refused.status_code == 422, refused.text
    told = refused.json()["expected"]
    csrf = page_client(client, seeded.usernames[role])
    page = client.post(
        f"/studies/AST-1/subjects/{subject}/injections",
        data={"given_on": GIVEN_ON, "volume_ml": "2", "product_code": kit, "csrf_token": csrf},
        follow_redirects=False,
    )
    assert page.status_code == 422, page.text[:300]
    # the kit was disposed of with its aliquot (a disposal of its own, migration 0029): every
    # role is told the kit's own disposal, as of a saline kit (test_product_api)
    assert f"kit {ident} was disposed of" in told
    assert "its aliquot" not in told
    assert f"kit {ident} was disposed of" in page.text
    assert "its aliquot" not in page.text


@pytest.mark.parametrize("role", [r for r in ROLES if allowed(r, "read_subject")])
def test_an_injections_product_code_is_masked_for_blinded_readers(
    role: str, client: TestClient, seeded: Seeded
) -> None:
    """Issue 13 item 2: an injection given by an aliquot's code (``AL-``: only an active arm
    has one; here by the admin, who sees the arms) keeps the code; a blinded reader reads
    ``blinded`` for its code and kit in the product life (API), the audit trail (API) and
    on the subject page, where the code appears nowhere; a reader who sees the arms reads
    the code (so the check can fail)."""
    from .test_product_api import BASE, GIVEN_ON, _call

    subject, code, _ = _serum_kit(client, seeded)
    given = _call(client, seeded, "admin", "POST", BASE.format(subject=subject) + "/injections",
                  {"product_code": code, "given_on": GIVEN_ON, "volume_ml": "2"})  # fmt: skip
    assert given.status_code == 201, given.text
    sees = allowed(role, "see_arms")
    life = _call(client, seeded, role, "GET", BASE.format(subject=subject))
    assert life.status_code == 200, life.text
    [injection] = life.json()["injections"]
    shown = (injection["product_code"], injection["preparation_id"], injection["aliquot_id"])
    if sees:
        assert shown[0] == code
        assert isinstance(shown[2], int)
    else:
        assert shown == ("blinded",) * 3
    if allowed(role, "read_audit"):
        headers = {"Authorization": f"Bearer {seeded.tokens[role]}"}
        trail = client.get(f"/api/v1/studies/AST-1/audit?subject_id={subject}&entity=injection",
                           headers=headers)  # fmt: skip
        assert trail.status_code == 200, trail.text
        values = {r["field"]: r["new_value"] for r in trail.json() if r["action"] == "insert"}
        assert values["product_code"] == (code if sees else "blinded")
        assert ("aliquot_id" in values) is sees
    page_client(client, seeded.usernames[role])
    page = client.get(f"/studies/AST-1/subjects/{subject}")
    assert page.status_code == 200
    assert (code in page.text) is sees


@pytest.mark.parametrize(
    "role", [r for r in ROLES if allowed(r, "answer_query") or allowed(r, "resolve_query")]
)
def test_a_blinded_role_cannot_act_on_a_query_about_the_product_chain(
    role: str, client: TestClient, seeded: Seeded
) -> None:
    """Issue 13 item 3: a query about a blood draw, whose id a blinded role knows, is
    answered, closed, reopened and cancelled (API and page) with the response of a query
    that does not exist; a role that sees the arms moves it on (so the check can fail)."""
    from .test_product_api import BASE, _call

    subject, _, _ = _serum_kit(client, seeded)
    draw = _call(client, seeded, "preparer", "GET", BASE.format(subject=subject)).json()
    draw_id = draw["draws"][0]["id"]
    query = seeded.store.queries.open(
        "AST-1", "blood_draw", draw_id, "Tube?", actor=Actor("admin1", "admin")
    )
    headers = {"Authorization": f"Bearer {seeded.tokens[role]}"}
    steps = [s for s, a in (("answer", "answer_query"), ("close", "resolve_query"),
                            ("reopen", "resolve_query"), ("cancel", "resolve_query"))
             if allowed(role, a)]  # fmt: skip
    csrf = page_client(client, seeded.usernames[role])
    sees = allowed(role, "see_arms")
    for step in steps:
        answers: list[tuple[object, ...]] = []
        for query_id in (query.id, MISSING_RECORD):
            api = client.post(
                f"/api/v1/studies/AST-1/queries/{query_id}/{step}",
                headers=headers,
                json={"text": "checked"},
            )
            if sees:  # moved on by the API only (a second step would be another transition)
                answers.append((api.status_code, _neutral(api.text, query_id)))
                continue
            page = client.post(
                f"/studies/AST-1/queries/{query_id}/{step}",
                data={"text": "checked", "csrf_token": csrf},
                follow_redirects=False,
            )
            answers.append(
                (api.status_code, _neutral(api.text, query_id), page.status_code,
                 _neutral(page.text, query_id))
            )  # fmt: skip
        if sees:
            assert answers[0][0] == 200, (step, answers[0])
        else:
            assert answers[0][0] == 404, (step, answers[0][:2])
            assert answers[0] == answers[1], step
    if not sees:
        unmoved = seeded.store.queries.get("AST-1", query.id, actor=Actor("admin1", "admin"))
        assert unmoved.status == "open"
