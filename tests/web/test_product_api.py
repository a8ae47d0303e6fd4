"""The product chain through the JSON API (issue 13 item 1): the preparer records draw,
processing, aliquots, storage events, disposal and a kit; the blinded coordinator injects by
code, and every refusal is a 422 naming the mismatch, audited by the store exactly as on the web
(``records.add_injection``); blinded callers read the kits' codes and volumes only."""

from __future__ import annotations

import datetime as dt
import io
from typing import Any, cast

from fastapi import FastAPI
from fastapi.testclient import TestClient
from pypdf import PdfReader

from autoserum.store import Actor
from autoserum.study.aliquots import label_code

from .conftest import SCREENED_ON, SYSTEM, TODAY, Seeded
from .test_access_matrix import consent_everyone

BASE = "/api/v1/studies/AST-1/subjects/{subject}/product"
ADMIN = Actor("admin1", "admin")
PROCESS = {"clotting_minutes": 30, "centrifuge_g": 1500, "centrifuge_minutes": 10}
#: The day the injections are given: the store's day, on which the product is made (an
#: injection is judged as its product was when given, and none exists before it is made).
GIVEN_ON = TODAY.isoformat()


def serum_subjects(seeded: Seeded, count: int) -> list[str]:
    """``count`` consented serum subjects at S1 (the seeded users' site), randomised."""
    return arm_subjects(seeded, "serum", count)


def arm_subjects(seeded: Seeded, arm: str, count: int, *, first: int = 50) -> list[str]:
    """``count`` consented subjects of ``arm`` at S1 (the seeded users' site), randomised,
    numbered from ``first`` (another call screens other numbers)."""
    store, found = seeded.store, []
    facts = {"atopic_dermatitis": True, "scorad": 40, "age": 30}
    for number in range(first, first + 40):
        sid = f"S1-{number:03d}"
        store.subjects.screen("AST-1", "S1", sid, facts, screened_on=SCREENED_ON, actor=SYSTEM)
        store.consent.record(
            "AST-1", sid, "1.0", "2026-02-16T09:00:00+00:00", actor=SYSTEM, obtained_by="Dr Kim"
        )
        if store.subjects.randomise("AST-1", sid, actor=SYSTEM) == arm:
            found.append(sid)
            if len(found) == count:
                return found
    raise AssertionError(f"fewer than {count} {arm} allocations in 40 subjects")


def _call(
    client: TestClient, seeded: Seeded, role: str, method: str, path: str, body: Any = None
) -> Any:
    headers = {"Authorization": f"Bearer {seeded.tokens[role]}"}
    return client.request(method, path, headers=headers, json=body)


def _prepare(client: TestClient, seeded: Seeded, subject: str, *, count: int = 4) -> list[str]:
    """Draw, process and aliquot through the API as the preparer; the aliquots' codes."""
    base = BASE.format(subject=subject)
    draw = _call(client, seeded, "preparer", "POST", base + "/draws", {"volume_ml": "40"})
    assert draw.status_code == 201, draw.text
    processing = _call(
        client, seeded, "preparer", "POST", base + "/processings",
        {"draw_code": draw.json()["code"], **PROCESS},
    )  # fmt: skip
    assert processing.status_code == 201, processing.text
    assert processing.json()["deviates"] is False
    made = _call(
        client, seeded, "preparer", "POST", base + "/aliquots",
        {"processing_id": processing.json()["id"], "count": count},
    )  # fmt: skip
    assert made.status_code == 201, made.text
    return [a["code"] for a in made.json()]


def _refusals(seeded: Seeded) -> list[tuple[str, str | None, Any]]:
    return [
        (r.username, r.reason, r.new_value)
        for r in seeded.store.audit.raw_rows("AST-1")
        if r.action == "refused"
    ]


def test_prepare_and_inject_by_code_through_the_api(client: TestClient, seeded: Seeded) -> None:
    consent_everyone(seeded)
    a, b = serum_subjects(seeded, 2)
    mine, theirs = _prepare(client, seeded, a), _prepare(client, seeded, b)
    base = BASE.format(subject=a)
    # storage: frozen then thawed; disposal of the last aliquot
    for kind in ("frozen", "thawed"):
        event = _call(
            client, seeded, "preparer", "POST", base + "/storage",
            {"aliquot_code": mine[1], "kind": kind, "temperature": "-20"},
        )  # fmt: skip
        assert event.status_code == 201, event.text
        assert event.json()["kind"] == kind
    gone = _call(
        client, seeded, "preparer", "POST", base + "/disposals",
        {"aliquot_code": mine[3], "reason": "tube cracked"},
    )  # fmt: skip
    assert (gone.status_code, gone.json()["reason"]) == (201, "tube cracked"), gone.text

    inject = base + "/injections"
    given = _call(
        client, seeded, "coordinator", "POST", inject,
        {"product_code": mine[0], "given_on": GIVEN_ON, "volume_ml": "2"},
    )  # fmt: skip
    assert given.status_code == 201, given.text
    # blinded: neither the product nor the code (an aliquot's: only an active arm has one)
    assert (given.json()["product"], given.json()["product_code"]) == ("blinded", "blinded")

    # another subject's aliquot: 422 naming the mismatch, audited, nothing written
    wrong = _call(
        client, seeded, "coordinator", "POST", inject,
        {"product_code": theirs[0], "given_on": GIVEN_ON, "volume_ml": "2"},
    )  # fmt: skip
    assert wrong.status_code == 422, wrong.text
    reason = f"aliquot AL-0005 belongs to subject {b}, not to {a}"
    assert wrong.json()["field"] == "product_code"
    assert wrong.json()["value"] == theirs[0]
    assert reason in wrong.json()["expected"]
    # a disposed aliquot: refused and audited too
    disposed = _call(
        client, seeded, "coordinator", "POST", inject,
        {"product_code": mine[3], "given_on": GIVEN_ON, "volume_ml": "2"},
    )  # fmt: skip
    assert disposed.status_code == 422, disposed.text
    assert "AL-0004 was disposed" in disposed.json()["expected"], disposed.json()
    refused = _refusals(seeded)
    assert [(u, c) for u, _, c in refused] == [("coord1", theirs[0]), ("coord1", mine[3])]
    assert refused[0][1] == reason
    # a mistyped code (check digits): a plain 422 on the field, not a refusal
    typo = mine[1][:-2] + ("00" if not mine[1].endswith("00") else "01")
    mistyped = _call(
        client, seeded, "coordinator", "POST", inject,
        {"product_code": typo, "given_on": GIVEN_ON, "volume_ml": "2"},
    )  # fmt: skip
    assert mistyped.status_code == 422
    # a time given in the future, or off the date given: a plain 422 on given_at, nothing
    # written and no refusal (the product is judged at the time given, never a future one)
    tomorrow = TODAY + dt.timedelta(days=1)
    for given_at, expected in ((f"{tomorrow}T00:30:00+00:00", "a time not after now"),
                               (f"{TODAY - dt.timedelta(days=2)}T12:00:00+00:00",
                                "the date given")):  # fmt: skip
        wrong_time = _call(
            client, seeded, "coordinator", "POST", inject,
            {"product_code": mine[1], "given_on": GIVEN_ON, "given_at": given_at},
        )  # fmt: skip
        assert wrong_time.status_code == 422, wrong_time.text
        assert wrong_time.json()["field"] == "given_at", wrong_time.text
        assert expected in wrong_time.json()["expected"]
    assert len(_refusals(seeded)) == 2

    # the unblinded preparer's view: the whole chain with the aliquots' states
    life = _call(client, seeded, "preparer", "GET", base)
    assert life.status_code == 200, life.text
    shown = life.json()
    assert shown["blinded"] is False
    assert [x["code"] for x in shown["aliquots"]] == mine
    assert len(shown["draws"]) == len(shown["processings"]) == 1
    assert [e["kind"] for e in shown["storage_events"]] == ["frozen", "thawed"]
    by_id = {str(x["id"]): x["code"] for x in shown["aliquots"]}
    assert {by_id[k]: v for k, v in shown["status"].items()} == {
        mine[0]: "injected", mine[1]: "available", mine[2]: "available", mine[3]: "disposed"
    }  # fmt: skip
    assert [i["product"] for i in shown["injections"]] == ["serum"]
    # the blinded coordinator's view: no draw, aliquot or product
    blind = _call(client, seeded, "coordinator", "GET", base)
    assert blind.status_code == 200
    assert blind.json()["blinded"] is True
    assert blind.json()["draws"] == blind.json()["aliquots"] == []
    assert [i["product"] for i in blind.json()["injections"]] == ["blinded"]
    assert "serum" not in blind.text
    assert "placebo" not in blind.text

    # labels: one per draw and aliquot, the codes printed
    pdf = _call(client, seeded, "preparer", "GET", base + "/labels.pdf")
    assert (pdf.status_code, pdf.headers["content-type"]) == (200, "application/pdf")
    text = " ".join(p.extract_text() or "" for p in PdfReader(io.BytesIO(pdf.content)).pages)
    assert all(code in text for code in mine)


def test_a_kit_is_told_to_the_blinded_injector_by_code_and_volume(
    client: TestClient, seeded: Seeded
) -> None:
    consent_everyone(seeded)
    (a,) = serum_subjects(seeded, 1)
    codes = _prepare(client, seeded, a, count=2)
    base = BASE.format(subject=a)
    kit = _call(
        client, seeded, "preparer", "POST", base + "/kits",
        {"aliquot_code": codes[0], "volume_ml": "2"},
    )  # fmt: skip
    assert kit.status_code == 201, kit.text
    assert kit.json()["product"] == "serum"  # the unblinded preparer
    seen = _call(client, seeded, "preparer", "GET", base).json()
    assert [(k["aliquot_id"], k["blood_draw_id"]) for k in seen["kits"]] == [
        (seen["aliquots"][0]["id"], None)
    ]
    blind = _call(client, seeded, "coordinator", "GET", base).json()
    assert [(k["code"], k["volume_ml"], k["product"]) for k in blind["kits"]] == [
        (kit.json()["code"], 2.0, "blinded")
    ]
    # the kit's source is masked too (a saline kit would otherwise show no source)
    assert [(k["aliquot_id"], k["blood_draw_id"]) for k in blind["kits"]] == [
        ("blinded", "blinded")
    ]
    # a blood draw code: only for a whole-blood arm, never beside an aliquot code
    drawn = seen["draws"][0]["code"]
    for body, expected in (
        ({"blood_draw_code": drawn, "volume_ml": "2"}, "not given whole blood"),
        ({"aliquot_code": codes[1], "blood_draw_code": drawn}, "not both"),
    ):
        refused = _call(client, seeded, "preparer", "POST", base + "/kits", body)
        assert refused.status_code == 422, refused.text
        assert refused.json()["field"] == "blood_draw_code", refused.json()
        assert refused.json()["value"] == drawn
        assert expected in refused.json()["expected"], refused.json()
    given = _call(
        client, seeded, "coordinator", "POST", base + "/injections",
        {"product_code": kit.json()["code"], "given_on": GIVEN_ON, "volume_ml": "2"},
    )  # fmt: skip
    assert given.status_code == 201, given.text
    again = _call(
        client, seeded, "coordinator", "POST", base + "/injections",
        {"product_code": kit.json()["code"], "given_on": GIVEN_ON, "volume_ml": "2"},
    )  # fmt: skip
    assert again.status_code == 422
    assert "was already injected" in again.json()["expected"]


def test_a_code_of_another_subject_on_a_step_is_refused_before_writing(
    client: TestClient, seeded: Seeded
) -> None:
    consent_everyone(seeded)
    a, b = serum_subjects(seeded, 2)
    theirs = _prepare(client, seeded, b, count=1)
    response = _call(
        client, seeded, "preparer", "POST", BASE.format(subject=a) + "/storage",
        {"aliquot_code": theirs[0], "kind": "frozen"},
    )  # fmt: skip
    assert response.status_code == 422
    assert response.json()["field"] == "aliquot_code"
    assert response.json()["expected"] == f"a label of subject {a}"
    malformed = _call(
        client, seeded, "preparer", "POST", BASE.format(subject=a) + "/processings",
        {"draw_code": "BD-0001"},
    )  # fmt: skip
    assert (malformed.status_code, malformed.json()["field"]) == (422, "draw_code")
    life = seeded.store.product.life("AST-1", b, actor=ADMIN)
    assert life.storage_events == ()
    # another subject's processing id is not found through this subject
    foreign = _call(
        client, seeded, "preparer", "POST", BASE.format(subject=a) + "/aliquots",
        {"processing_id": life.processings[0].id},
    )  # fmt: skip
    assert foreign.status_code == 404
    # a label of another study is refused by the check on the subject (its own field)
    other = label_code("AST-2", a, "AL-0001")
    kit = _call(
        client, seeded, "preparer", "POST", BASE.format(subject=a) + "/disposals",
        {"aliquot_code": other, "reason": "x"},
    )  # fmt: skip
    assert kit.status_code in (404, 422)


def test_the_product_routes_are_in_the_openapi_schema(client: TestClient) -> None:
    spec = cast(FastAPI, client.app).openapi()
    paths = {p for p in spec["paths"] if "/product" in p}
    base = "/api/v1/studies/{study}/subjects/{subject_id}/product"
    assert paths == {
        base, base + "/labels.pdf", base + "/draws", base + "/processings", base + "/aliquots",
        base + "/storage", base + "/disposals", base + "/kits", base + "/injections",
    }  # fmt: skip
    schemas = spec["components"]["schemas"]
    assert schemas["ProductInjectionCreate"]["required"] == ["product_code", "given_on"]
    assert schemas["StorageEventCreate"]["properties"]["kind"]["enum"] == [
        "stored", "frozen", "thawed", "moved"
    ]  # fmt: skip
    injection = spec["paths"][base + "/injections"]["post"]
    assert injection["requestBody"]["content"]["application/json"]["schema"]["$ref"].endswith(
        "/ProductInjectionCreate"
    )


def test_a_volume_corrected_through_the_api_closes_or_raises_its_dose_deviation(
    client: TestClient, seeded: Seeded
) -> None:
    """``PATCH …/records/injection/{id}`` re-checks the volume against the protocol's dose
    like the store's own correction (``store/_dose.py``): Nahm 2023 declares 5 mL (the saline
    arm is held to it too: double-blind), so 3 mL raises an ``injection_dose`` deviation,
    4.6 mL (within 10 %) closes it and 6 mL raises it again."""
    consent_everyone(seeded)
    (subject,) = arm_subjects(seeded, "placebo", 1)
    given = seeded.store.records.add_injection(
        "AST-1", subject, GIVEN_ON, actor=SYSTEM, volume_ml="3"
    )

    def deviations() -> list[str]:
        listed = _call(client, seeded, "admin", "GET", "/api/v1/studies/AST-1/deviations")
        assert listed.status_code == 200, listed.text
        return [d["description"] for d in listed.json() if d["kind"] == "injection_dose"]

    assert deviations() == [
        f"injection on {GIVEN_ON}: injection 1: volume_ml 3 mL (protocol: 5 mL ± 10%)"
    ]
    version = given.version
    for volume, expected in (("4.6", []), ("6", ["volume_ml 6 mL (protocol: 5 mL ± 10%)"])):
        patched = _call(
            client, seeded, "admin", "PATCH", f"/api/v1/studies/AST-1/records/injection/{given.id}",
            {"changes": {"volume_ml": volume}, "reason": "volume corrected",
             "expected_version": version},
        )  # fmt: skip
        assert patched.status_code == 200, patched.text
        version = patched.json()["version"]
        assert [d.split(": injection 1: ")[1] for d in deviations()] == expected


def test_a_saline_kit_past_its_use_by_is_told_to_the_blinded_injector_as_a_serum_kit_is(
    client: TestClient, seeded: Seeded
) -> None:
    """Issue 13 (blinded preparation) through the API: a serum kit and a saline kit filled at
    the same time keep for the same 24 h (``study.aliquots.kit_use_by``: the study's kit
    shelf life, the autoserum default for ``ast-nahm2023``); the blinded coordinator reads the
    same use-by for both, and given after it each is a 422 on ``product_code`` telling
    exactly the same words (``kit <code> has expired``), audited alike."""
    consent_everyone(seeded)
    (a,) = serum_subjects(seeded, 1)
    (p,) = arm_subjects(seeded, "placebo", 1, first=100)
    day = TODAY - dt.timedelta(days=2)
    at = dt.datetime(day.year, day.month, day.day, 8, tzinfo=dt.UTC)
    serum_base, saline_base = BASE.format(subject=a), BASE.format(subject=p)
    draw = _call(client, seeded, "preparer", "POST", serum_base + "/draws",
                 {"volume_ml": "40", "drawn_at": at.isoformat()})  # fmt: skip
    assert draw.status_code == 201, draw.text
    processing = _call(
        client, seeded, "preparer", "POST", serum_base + "/processings",
        {"draw_code": draw.json()["code"], "started_at": (at + dt.timedelta(minutes=10))
         .isoformat(), **PROCESS},
    )  # fmt: skip
    assert processing.status_code == 201, processing.text
    made = _call(client, seeded, "preparer", "POST", serum_base + "/aliquots",
                 {"processing_id": processing.json()["id"], "count": 1})  # fmt: skip
    assert made.status_code == 201, made.text
    filled = at + dt.timedelta(hours=14)  # 22:00 two days ago: use-by 22:00 yesterday
    kits = {}
    for base, body in (
        (serum_base, {"aliquot_code": made.json()[0]["code"]}),
        (saline_base, {}),
    ):
        kit = _call(client, seeded, "preparer", "POST", base + "/kits",
                    {**body, "volume_ml": "5", "prepared_at": filled.isoformat()})  # fmt: skip
        assert kit.status_code == 201, kit.text
        kits[base] = kit.json()
    use_by = filled + dt.timedelta(hours=24)
    for base, kit in kits.items():
        seen = _call(client, seeded, "coordinator", "GET", base).json()
        assert seen["use_by"] == {str(kit["id"]): use_by.isoformat()}  # the same for both
    given_at = use_by + dt.timedelta(minutes=30)  # 22:30 yesterday: past both use-bys
    told = []
    for base, kit in kits.items():
        refused = _call(
            client, seeded, "coordinator", "POST", base + "/injections",
            {"product_code": kit["code"], "given_on": given_at.date().isoformat(),
             "given_at": given_at.isoformat(), "volume_ml": "5"},
        )  # fmt: skip
        assert refused.status_code == 422, refused.text
        assert refused.json()["field"] == "product_code"
        ident = kit["code"].split(":")[3]
        told.append(refused.json()["expected"].replace(ident, "<kit>"))
    assert told[0] == told[1]
    assert "kit <kit> has expired" in told[0]
    assert "aliquot" not in told[0]
    audited = [reason for _, reason, _ in _refusals(seeded)]
    assert [str(r).replace(k["code"].split(":")[3], "<kit>") for r, k in
            zip(audited, kits.values(), strict=True)] == [
        f"kit <kit> expired at {use_by.isoformat()}"
    ] * 2  # fmt: skip


def test_a_disposed_saline_kit_is_told_to_the_blinded_injector_as_a_disposed_serum_kit_is(
    client: TestClient, seeded: Seeded
) -> None:
    """Issue 13 (blinded preparation) through the API: the preparer disposes of a serum kit
    and a saline kit by their codes (``code``; a kit of another subject refused on the field
    before anything is written); given to the blinded coordinator, each is a 422 on
    ``product_code`` telling the same words (``kit <code> was disposed of``), audited alike,
    and the blinded product life shows no disposal (the preparer's shows both)."""
    consent_everyone(seeded)
    (a,) = serum_subjects(seeded, 1)
    (p,) = arm_subjects(seeded, "placebo", 1, first=110)
    [code] = _prepare(client, seeded, a, count=1)
    kits = {}
    for subject, body in ((a, {"aliquot_code": code}), (p, {})):
        kit = _call(client, seeded, "preparer", "POST", BASE.format(subject=subject) + "/kits",
                    {**body, "volume_ml": "2"})  # fmt: skip
        assert kit.status_code == 201, kit.text
        kits[subject] = kit.json()
    foreign = _call(client, seeded, "preparer", "POST", BASE.format(subject=a) + "/disposals",
                    {"code": kits[p]["code"], "reason": "x"})  # fmt: skip
    assert (foreign.status_code, foreign.json()["field"]) == (422, "code"), foreign.text
    for subject, kit in kits.items():
        gone = _call(client, seeded, "preparer", "POST",
                     BASE.format(subject=subject) + "/disposals",
                     {"code": kit["code"], "reason": "label smudged"})  # fmt: skip
        assert gone.status_code == 201, gone.text
        assert (gone.json()["preparation_id"], gone.json()["aliquot_id"]) == (kit["id"], None)
    told = []
    for subject, kit in kits.items():
        refused = _call(
            client, seeded, "coordinator", "POST", BASE.format(subject=subject) + "/injections",
            {"product_code": kit["code"], "given_on": GIVEN_ON, "volume_ml": "2"},
        )  # fmt: skip
        assert refused.status_code == 422, refused.text
        assert refused.json()["field"] == "product_code"
        told.append(refused.json()["expected"].replace(kit["code"].split(":")[3], "<kit>"))
    assert told[0] == told[1]
    assert "kit <kit> was disposed of" in told[0]
    audited = [reason for _, reason, _ in _refusals(seeded)]
    assert [
        str(r).replace(k["code"].split(":")[3], "<kit>")
        for r, k in zip(audited, kits.values(), strict=True)
    ] == ["kit <kit> was disposed of"] * 2
    for subject in kits:
        blind = _call(client, seeded, "coordinator", "GET", BASE.format(subject=subject))
        assert blind.json()["disposals"] == [], blind.text
    seen = _call(client, seeded, "preparer", "GET", BASE.format(subject=p)).json()
    assert [d["preparation_id"] for d in seen["disposals"]] == [kits[p]["id"]]
