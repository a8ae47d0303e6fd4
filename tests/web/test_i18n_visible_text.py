"""No English words on a page rendered in Korean or Chinese, whether or not the text is in the
catalog (issue 14, item 5). ``test_i18n_no_english`` finds catalog messages left untranslated;
this test also finds a literal never marked for translation: each page is rendered in English
and in the language, and every visible text (and ``aria-label``, ``title``, ``placeholder``,
``alt``) that is *the same in both renders* and is made of English words is a failure, unless it
is data: the values this test's fixtures recorded and the protocol's own texts (shown as
written, see ``docs/i18n.md``), listed below explicitly. What counts as a visible text and as an
English word is ``tests/visible_text.py`` (shared with the printed documents' test).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable

import pytest
from fastapi.testclient import TestClient

from autoserum.store import Store, open_store
from autoserum.web import create_app
from tests.epro import DAY0, enrol, epro_protocol
from tests.visible_text import english_words, visible_texts
from tests.visible_text import protocol_texts as _protocol_texts

from .conftest import SYSTEM, Seeded, settings_for
from .test_access_matrix import page_client, serum_subject
from .test_axe_pages import PAGES

#: Data shown as recorded: the fixtures' values, names and free texts, and what the system
#: itself recorded as data (never translated: an audit reason, a query's text and its author,
#: a token's label, a security event's detail and kind code).
DATA: frozenset[str] = frozenset(
    {
        # tests/web/conftest.py: Seeded (site names, full names, the API tokens' label)
        "Site one", "Site two", "Ada Admin", "Ina Vogel", "tests",
        "AST-1 / S1 (Site one)", "AST-1 / S2 (Site two)",
        # the adverse event and the query of _staff_data
        "injection site cellulitis", "Admitted for IV antibiotics.", "please check the onset date",
        # the author of the automatic checks' queries (the system user; their texts are read
        # back by study.checks and shown in the language)
        "system:check:missing_assessment", "system:check:missing_assessment (system)",
        "test-setup", "testclient",  # the fixtures' actor and the test client's address
        # audit reasons the store writes for a record it creates (stored as data)
        "automatic check on data written by test-setup", "enrolment and randomisation",
        "assessment pp_nrs", "visit baseline", "study AST-1",
        "original protocol",  # the summary of a study's first protocol version, as stored
        # security events: the kind codes (the option's title carries the translated meaning)
        "export", "lockout", "login",
        *(f'{{"expires_at": null, "label": "tests", "token_id": {n}}}' for n in range(1, 9)),
        "autoserum", "English",  # the product's name; a language menu shows each name in itself
    }
)  # fmt: skip
#: Codes of the library's protocols and of the study's own protocol (its fact names, special
#: interest codes and monitored record kinds), shown as written.
CODES: frozenset[str] = frozenset(
    {
        "aaht-zhao2022", "abt-pittler2003", "aigt-nahm2020", "asim-choi2024",
        "Atopic dermatitis (atopic dermatitis)", "Scorad (moderate-to-severe AD)",
        "injection_site_reaction, infection",
        "(eligibility, consent, primary_endpoint, adverse_events).",
    }
)  # fmt: skip


def untranslated(english: str, translated: str, data: Iterable[str]) -> list[str]:
    """The texts of the translated render that are also in the English render, are made of
    English words and are not data."""
    allowed = set(data)
    same = set(visible_texts(english)) & set(visible_texts(translated))
    return sorted(t for t in same if t not in allowed and english_words(t))


def test_the_checker_finds_a_literal_and_spares_data_and_codes() -> None:
    english = "<h1>Subject S1-001</h1><p title='Adverse events'>EASI 12.5</p><th>Forgotten</th>"
    korean = "<h1>대상자 S1-001</h1><p title='이상반응'>EASI 12.5</p><th>Forgotten</th>"
    assert untranslated(english, korean, ()) == ["Forgotten"]
    assert untranslated(english, korean, {"Forgotten"}) == []
    assert english_words("S1-001 · inv1 · EASI · UTC · 2026-03-02") == []
    assert english_words("lifted 2026. 3. 2.") == ["lifted"]


def _staff_data(store: Store) -> None:
    """One adverse event and one open query, so the subject page's tables and the queries
    page show recorded values next to translated words."""
    store.records.add(
        "AST-1", "S1-001", "adverse_event",
        {"term": "injection site cellulitis", "onset_date": "2026-03-05", "severity": "moderate",
         "serious": "false", "related": "possible", "outcome": "recovering",
         "narrative": "Admitted for IV antibiotics."},
        actor=SYSTEM,
    )  # fmt: skip
    (ae,) = store.subjects.detail("AST-1", "S1-001", actor=SYSTEM).adverse_events
    store.queries.open("AST-1", "adverse_event", ae.id, "please check the onset date", actor=SYSTEM)


@pytest.mark.parametrize("language", ["ko", "zh-Hans"])
def test_no_english_literal_on_the_staff_pages(
    client: TestClient, seeded: Seeded, language: str
) -> None:
    _staff_data(seeded.store)
    data = DATA | CODES | _protocol_texts("ast-nahm2023")
    left: dict[str, list[str]] = {}
    for username, paths in PAGES.items():
        client.cookies.clear()
        page_client(client, username)
        for path in paths:
            english = client.get(path, headers={"Accept-Language": "en"})
            translated = client.get(path, headers={"Accept-Language": language})
            assert english.status_code == translated.status_code == 200, path
            found = untranslated(english.text, translated.text, data)
            if found:
                left[path] = found
    assert not left, f"English text on the {language} staff pages: {left}"


@pytest.mark.parametrize("language", ["ko", "zh-Hans"])
def test_no_english_literal_on_the_patient_pages(db_url: str, language: str) -> None:
    """Every page a patient sees: the list of what is due, each daily and weekly form, the
    page of a refused link; the subject's language unset, so the browser's decides."""
    store = open_store(db_url, clock=lambda: DAY0 + dt.timedelta(days=1))
    store.studies.create("E", epro_protocol(), actor=SYSTEM, seed=5)
    store.studies.add_site("E", "S1", "Site one", actor=SYSTEM)
    enrol(store, "E", "S1", "A", actor=SYSTEM)
    token = store.self_report.issue_link("E", "A", actor=SYSTEM).token
    app = create_app(settings_for(db_url), store=store, clock=lambda: DAY0 + dt.timedelta(days=1))
    day = (DAY0 + dt.timedelta(days=1)).isoformat()
    paths = [f"/p/{token}", f"/p/{token}/pp_nrs/{day}", f"/p/{token}/sleep_nrs/{day}",
             f"/p/{token}/poem/{DAY0.isoformat()}", "/p/not-a-valid-token"]  # fmt: skip
    data = DATA | _protocol_texts("ast-nahm2023")
    left: dict[str, list[str]] = {}
    with TestClient(app, base_url="http://127.0.0.1") as client:
        for path in paths:
            english = client.get(path, headers={"Accept-Language": "en"})
            translated = client.get(path, headers={"Accept-Language": language})
            assert english.status_code == translated.status_code, path
            assert f'<html lang="{language}">' in translated.text, path
            found = untranslated(english.text, translated.text, data)
            if found:
                left[path.replace(token, "<token>")] = found
    assert not left, f"English text on the {language} patient pages: {left}"


#: What the product chain and the other staff pages of the test below record or show as data.
PRODUCT_DATA: frozenset[str] = frozenset(
    {
        "deltoid", "freezer B2", "pneumonia", "Dr Kim",
        "Admitted for intravenous antibiotics.",
        "plain (serum) tube without anticoagulant",  # the protocol's declared tube
    }
)  # fmt: skip


def _product_chain(seeded: Seeded) -> str:
    """A serum subject at S1 with a draw, a processing at the protocol's values, two aliquots
    (one stored), a kit and an injection; and a serious adverse event (the dashboard's SAE
    clock). Returns the subject."""
    from autoserum.store import Actor

    store, prep = seeded.store, Actor("prep1", "preparer")
    store.consent.add_document("AST-1", "1.0", "en", "2026-01-05", actor=SYSTEM, sha256="ab" * 32)
    sid = serum_subject(seeded, "S1")
    draw = store.product.draw("AST-1", sid, actor=prep, volume_ml="20")
    done = store.product.process(
        "AST-1", draw.code, actor=prep, clotting_minutes=30, centrifuge_g=1500,
        centrifuge_minutes=10,
    )  # fmt: skip
    made = store.product.make_aliquots("AST-1", done.id, actor=prep, count=2)
    store.product.storage_event(
        "AST-1", made[1].code, "frozen", actor=prep, temperature="-20", location="freezer B2"
    )
    kit = store.product.prepare_kit("AST-1", sid, actor=prep, aliquot_code=made[0].code)
    store.records.add_injection(
        "AST-1", sid, kit.prepared_at.date(), actor=Actor("inv1", "investigator"),
        product_code=kit.code,
        volume_ml="5", site="deltoid", side="left",
    )  # fmt: skip
    store.records.add(
        "AST-1", sid, "adverse_event",
        {"term": "pneumonia", "onset_date": "2026-03-04", "severity": "severe",
         "serious": "true", "sae_hospitalisation": "true", "related": "unlikely",
         "outcome": "recovering", "aware_at": "2026-03-04T08:00:00+00:00",
         "narrative": "Admitted for intravenous antibiotics."},
        actor=SYSTEM,
    )  # fmt: skip
    return sid


@pytest.mark.parametrize("language", ["ko", "zh-Hans"])
def test_no_english_literal_on_the_product_sae_and_other_staff_pages(
    client: TestClient, seeded: Seeded, language: str
) -> None:
    """The pages ``PAGES`` leaves out: the preparer's product pages (with every step of the
    chain recorded), the subject page with its product life (unblinded and blinded), the
    dashboard with an SAE to report, the self-report overview, the rating list and a record's
    correction form. Volumes and the dose are written with the language's units (CLDR short
    units through Babel: ``5mL`` in Korean, ``5毫升`` in Chinese)."""
    _staff_data(seeded.store)
    sid = _product_chain(seeded)
    (ae,) = seeded.store.subjects.detail("AST-1", "S1-001", actor=SYSTEM).adverse_events
    study = "/studies/AST-1"
    pages = {
        "prep1": (f"{study}/product", f"{study}/subjects/{sid}/product"),
        "admin1": (f"{study}/subjects/{sid}",),
        "inv1": (
            study,
            f"{study}/subjects/{sid}",
            f"{study}/subjects/S1-001/records/adverse_event/{ae.id}",
            f"{study}/self-report",
        ),
        "rater1": (f"{study}/rating",),
    }
    data = DATA | CODES | PRODUCT_DATA | {sid} | _protocol_texts("ast-nahm2023")
    left: dict[str, list[str]] = {}
    shown: dict[str, str] = {}
    for username, paths in pages.items():
        client.cookies.clear()
        page_client(client, username)
        for path in paths:
            english = client.get(path, headers={"Accept-Language": "en"})
            translated = client.get(path, headers={"Accept-Language": language})
            assert english.status_code == translated.status_code == 200, (path, username)
            shown[f"{username} {path}"] = translated.text
            found = untranslated(english.text, translated.text, data)
            if found:
                left[f"{path} ({username})"] = found
    assert not left, f"English text on the {language} staff pages: {left}"
    assert 'id="sae-alerts"' in shown[f"inv1 {study}"]  # the SAE clock was on the page checked
    ml = {"ko": "{}mL", "zh-Hans": "{}毫升"}[language]
    product = shown[f"prep1 {study}/subjects/{sid}/product"]
    assert f'<strong id="product-dose">{ml.format(5)}</strong>' in product  # the serum dose
    life = shown[f"admin1 {study}/subjects/{sid}"]
    assert ml.format(20) in life  # the draw
    assert ml.format(5) in life  # the aliquots, the kit and the injection
    assert " mL" not in life


#: The author of the automatic check's query on the screening visit outside its window.
WINDOW_QUERY: frozenset[str] = frozenset({"system:check:visit_window"})


@pytest.mark.parametrize("language", ["ko", "zh-Hans"])
def test_generated_deviations_and_refusals_are_shown_in_the_language(
    client: TestClient, seeded: Seeded, language: str
) -> None:
    """The texts the system writes and stores as data in English (a deviation's description:
    a visit outside its window, a processing outside the protocol, an injected volume off the
    dose; a refused injection's reason in the audit trail; an automatic check's query) are
    shown in the page's language, read back by their one owner (``study.deviations``,
    ``study.aliquots.refusal_message``, ``study.checks``);
    the stored values do not change and the English page shows them as stored. A blinded
    reader's refusal names the kit, never the aliquot behind it. The review page's signature
    meanings are translated too."""
    from autoserum.errors import ProductRefusedError
    from autoserum.store import Actor

    store, prep = seeded.store, Actor("prep1", "preparer")
    sid = _product_chain(seeded)
    draw = store.product.draw("AST-1", sid, actor=prep, volume_ml="20")
    store.product.process(  # 10 min of clotting where the protocol says at least 30
        "AST-1", draw.code, actor=prep, clotting_minutes=10, centrifuge_g=1500,
        centrifuge_minutes=10,
    )  # fmt: skip
    (given,) = store.subjects.detail("AST-1", sid, actor=SYSTEM).injections
    store.records.update(  # 4 mL where the protocol's dose is 5 mL (± 10 %)
        "AST-1", "injection", given.id, {"volume_ml": "4"}, actor=SYSTEM,
        reason="transcription", expected_version=given.version,
    )  # fmt: skip
    with pytest.raises(ProductRefusedError):  # the kit again: refused and audited
        store.records.add_injection(
            "AST-1", sid, given.given_on, actor=Actor("inv1", "investigator"),
            product_code=given.product_code, volume_ml="5", site="deltoid", side="left",
        )  # fmt: skip
    stored = sorted(d.description for d in store.subjects.detail("AST-1", sid, actor=SYSTEM)
                    .deviations)  # fmt: skip
    assert stored == [  # as the store has always written them (data: unchanged)
        "injection on 2026-06-30: injection 1: volume_ml 4 mL (protocol: 5 mL ± 10%)",
        f"processing of {draw.code}: clotting_minutes: 10 min (protocol: ≥ 30 min)",
        "visit screening on 2026-02-16: 106 day(s) early, window 2026-06-02 to 2026-06-29",
    ]
    study = "/studies/AST-1"
    audit = f"{study}/audit?entity=injection"
    pages = {
        "admin1": (f"{study}/subjects/{sid}", audit, f"{study}/subjects/{sid}/review"),
        "inv1": (f"{study}/subjects/{sid}", audit),  # blinded
        "prep1": (f"{study}/subjects/{sid}/product",),
        "mon1": (f"{study}/subjects/{sid}/review", f"{study}/queries"),
    }
    # the correction's reason typed above and the audit reason the store writes for a new
    # injection ("injection", as "visit baseline" in DATA): data
    reasons = {"transcription", "injection"}
    data = DATA | CODES | PRODUCT_DATA | WINDOW_QUERY | reasons | {sid}
    data |= _protocol_texts("ast-nahm2023")
    left: dict[str, list[str]] = {}
    shown: dict[str, tuple[str, str]] = {}
    for username, paths in pages.items():
        client.cookies.clear()
        page_client(client, username)
        for path in paths:
            in_english = client.get(path, headers={"Accept-Language": "en"})
            translated = client.get(path, headers={"Accept-Language": language})
            assert in_english.status_code == translated.status_code == 200, (path, username)
            shown[f"{username} {path}"] = (in_english.text, translated.text)
            found = untranslated(in_english.text, translated.text, data)
            if found:
                left[f"{path} ({username})"] = found
    assert not left, f"English text on the {language} staff pages: {left}"
    words = {
        "ko": ("방문 screening (2026-02-16): 106일 이름",
               "clotting_minutes: 10분 (계획서: ≥ 30분)",
               "주사 1: volume_ml 4mL (계획서: 5mL ± 10%)", "키트 KIT-0001: 이미 주사됨"),
        "zh-Hans": ("访视 screening（2026-02-16）：提前 106 天",
                    "clotting_minutes：10分钟（方案：≥ 30分钟）",
                    "第 1 次注射：volume_ml 4毫升（方案：5毫升 ± 10%）", "药盒 KIT-0001 已被注射"),
    }[language]  # fmt: skip
    english, subject_page = shown[f"admin1 {study}/subjects/{sid}"]
    assert [w for w in words[:3] if w not in subject_page] == []
    assert all(d in english for d in stored[:2])  # the English page shows them as stored
    for username in ("admin1", "inv1"):
        english, trail_page = shown[f"{username} {audit}"]
        assert words[3] in trail_page, username
        assert "KIT-0001 was already injected" in english, username
        assert "AL-0" not in trail_page.split('class="c-reason"')[1].split("</table>")[0]
    assert words[1] in shown[f"prep1 {study}/subjects/{sid}/product"][1]
    query = {"ko": "방문 screening (2026-02-16): 106일 이름 (허용 기간 2026-06-02 ~ 2026-06-29)",
             "zh-Hans": "访视 screening（2026-02-16）提前 106 天"}[language]  # fmt: skip
    english, queries_page = shown[f"mon1 {study}/queries"]
    assert query in queries_page
    assert "106 day(s) early (window 2026-06-02 to 2026-06-29): please confirm" in english
