"""End to end in headless Chromium: an investigator screens, enrols and randomises a subject,
records injections, visits and instruments (live scores checked against the worked examples
of docs/instruments.md), corrects a value with a reason, sees it in the audit trail, records an
adverse event and logs out; an emergency unblinding from the subject page is audited and listed
for the admin. Screenshots of the main pages go to test-artifacts/web/."""

from __future__ import annotations

import pytest
from playwright.sync_api import Browser, Page, expect

from .conftest import ARTIFACTS, PASSWORD, SYSTEM, TODAY, LiveServer, Seeded
from .test_access_matrix import ARM_IN_HTML

pytestmark = [pytest.mark.browser, pytest.mark.slow]

# docs/instruments.md, EASI worked example 1 (adult): 0.8 + 3.6 + 1.2 + 8.4 = 14.0 (moderate)
EASI_EXAMPLE = {
    "head_neck": ("2", "1", "1", "0", "2"),
    "upper_limbs": ("2", "2", "1", "1", "3"),
    "trunk": ("1", "1", "0", "0", "2"),
    "lower_limbs": ("2", "2", "2", "1", "3"),
}
SIGNS = ("erythema", "induration", "excoriation", "lichenification", "area")


def shot(page: Page, name: str) -> None:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=True)


def login(page: Page, base: str, username: str) -> None:
    page.goto(f"{base}/login")
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    expect(page.get_by_role("heading", name="Studies")).to_be_visible()


def test_investigator_journey(browser: Browser, live: LiveServer) -> None:
    base = live.url
    page = browser.new_page(viewport={"width": 1024, "height": 1366})  # tablet, portrait
    today = TODAY.isoformat()  # the store's fixed clock (tests never read the wall clock)

    # a failed login re-shows the page with a message
    page.goto(f"{base}/login")
    shot(page, "01-login")
    page.get_by_label("Username").fill("inv1")
    page.get_by_label("Password").fill("not the password")
    page.get_by_role("button", name="Log in").click()
    expect(page.locator("#login-message")).to_contain_text("Invalid username or password")
    login(page, base, "inv1")
    shot(page, "02-studies")

    page.get_by_role("link", name="AST-1").click()
    expect(page.get_by_role("heading", name="CONSORT flow")).to_be_visible()
    shot(page, "03-dashboard")

    # screening: eligibility from the protocol's rules
    page.get_by_role("link", name="Screen a subject").first.click()
    page.get_by_label("Site").select_option("S1")
    page.get_by_label("Subject identifier").fill("S1-010")
    page.get_by_label("Atopic dermatitis").select_option("yes")
    page.get_by_label("Scorad").fill("12")  # below the protocol's SCORAD >= 25: fails
    page.get_by_label("Subject identifier").fill("")
    page.get_by_role("button", name="Screen").click()
    expect(page.locator("#subject_id-error")).to_be_visible()
    expect(page.get_by_label("Scorad")).to_have_value("12")  # typed values are kept
    page.get_by_label("Subject identifier").fill("S1-010")
    page.get_by_label("Scorad").fill("40")
    page.get_by_role("button", name="Screen").click()
    expect(page.get_by_role("heading", name="Subject S1-010")).to_be_visible()
    expect(page.locator("#subject-status")).to_have_text("screened")

    # enrolment and randomisation; the blinded investigator never sees the arm
    page.get_by_role("button", name="Enrol and randomise").click()
    expect(page.get_by_role("status")).to_contain_text("arm: concealed")
    expect(page.locator("#subject-status")).to_have_text("enrolled")
    assert page.locator("#subject-arm").count() == 0
    assert ARM_IN_HTML.search(page.content()) is None

    # injection
    page.get_by_text("Record an injection").click()
    page.get_by_label("Date given").fill(today)
    page.get_by_label("Volume (mL)").fill("2")
    page.get_by_role("button", name="Save an injection").click()
    expect(page.get_by_role("status")).to_contain_text("Injection recorded")

    # EASI at baseline, live score as the user types
    page.goto(f"{base}/studies/AST-1/subjects/S1-010/visits/baseline/easi")
    page.get_by_label("Date of visit baseline").fill(today)
    page.locator("#age").fill("30")
    for region, values in EASI_EXAMPLE.items():
        for sign, value in zip(SIGNS, values, strict=True):
            page.locator(f"#{region}_{sign}").select_option(value)
    expect(page.locator("#score-total")).to_have_text("14.0")  # spec worked example, exact
    expect(page.locator("#score-band")).to_have_text("moderate")
    shot(page, "04-easi-form")
    page.get_by_role("button", name="Save").click()
    expect(page.get_by_role("status")).to_contain_text("14.0 (moderate)")

    # SCORAD: A 20, B 5 (1,1,0,1,1,1), pruritus 4, sleeplessness 2 -> 27.5, oSCORAD 21.5 (spec)
    page.goto(f"{base}/studies/AST-1/subjects/S1-010/visits/baseline/scorad")
    page.locator("#extent").fill("20")
    for item, value in zip(
        ("erythema", "edema", "oozing", "excoriation", "lichenification", "dryness"),
        ("1", "1", "0", "1", "1", "1"),
        strict=True,
    ):
        page.locator(f"#{item}").select_option(value)
    page.locator("#pruritus").fill("4")
    page.locator("#sleeplessness").fill("2")
    expect(page.locator("#score-total")).to_have_text("27.5")
    expect(page.locator("#score-objective")).to_have_text("21.5")
    # an invalid value: message beside the field, typed values kept, nothing stored
    page.locator("#pruritus").fill("11")
    # the live score has seen the bad value (no scoring request in flight when Save is pressed)
    expect(page.locator("#live-score")).to_contain_text("1 field(s) need attention")
    page.get_by_role("button", name="Save").click()
    expect(page.locator("#pruritus-error")).to_be_visible()
    expect(page.locator("#pruritus")).to_have_value("11")
    expect(page.locator("#extent")).to_have_value("20")
    page.locator("#pruritus").fill("4")
    page.get_by_role("button", name="Save").click()
    expect(page.get_by_role("status")).to_contain_text("27.5")

    # DLQI worked example 1 -> 17 (spec)
    page.goto(f"{base}/studies/AST-1/subjects/S1-010/visits/baseline/dlqi")
    answers = {
        "q1": "very_much", "q2": "a_lot", "q3": "a_little", "q4": "a_little",
        "q5": "very_much", "q6": "very_much", "q7": "no", "q7b": "a_little",
        "q8": "not_at_all", "q9": "a_little", "q10": "a_lot",
    }  # fmt: skip
    for item, answer in answers.items():
        page.locator(f"#{item}").select_option(answer)
    expect(page.locator("#score-total")).to_have_text("17.0")  # shown with 1 decimal (spec)
    page.get_by_role("button", name="Save").click()
    expect(page.get_by_role("status")).to_contain_text("17.0")
    shot(page, "05-subject")

    # correct a value with a reason; trunk area 2 -> 3 adds (1+1)*1*0.3 = 0.6: 14.0 -> 14.6
    page.goto(f"{base}/studies/AST-1/subjects/S1-010/visits/baseline/easi")
    expect(page.locator("#score-total")).to_have_text("14.0")
    page.locator("#trunk_area").select_option("3")
    expect(page.locator("#score-total")).to_have_text("14.6")
    page.get_by_role("button", name="Save correction").click()
    expect(page.locator("#reason-error")).to_be_visible()  # a reason is required
    page.get_by_label("Reason for the change").fill("transcription error: trunk area")
    page.get_by_role("button", name="Save correction").click()
    expect(page.get_by_role("status")).to_contain_text("corrected: 14.6")
    page.get_by_role("link", name="audit trail").click()
    expect(page.locator("#audit")).to_contain_text("transcription error: trunk area")
    shot(page, "06-audit")

    # adverse event
    page.goto(f"{base}/studies/AST-1/subjects/S1-010")
    page.get_by_text("Record an adverse event").click()
    page.get_by_label("Term (verbatim)").fill("injection site pain")
    page.get_by_label("Onset date").fill(today)
    page.get_by_label("Severity", exact=True).select_option("mild")
    page.get_by_label("Serious", exact=True).select_option("no")
    page.get_by_label("Relatedness").select_option("probable")
    page.get_by_label("Outcome").select_option("recovered")
    page.get_by_role("button", name="Save an adverse event").click()
    expect(page.get_by_role("status")).to_contain_text("injection site pain")
    expect(page.locator("svg.chart polyline")).to_have_count(3)  # EASI, SCORAD, DLQI
    shot(page, "07-subject-complete")

    # keyboard: the skip link is the first stop and every field is reachable by Tab
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.className") == "skip"

    page.get_by_role("button", name="Log out").click()
    expect(page.get_by_role("heading", name="Log in")).to_be_visible()
    page.goto(f"{base}/studies")
    expect(page.get_by_role("heading", name="Log in")).to_be_visible()


def test_emergency_unblinding_journey(browser: Browser, live: LiveServer, seeded: Seeded) -> None:
    """The investigator unblinds S1-001 with a reason and a confirmation, sees the arm on that
    page only; the audit trail shows the reason; the admin finds it on the dashboard."""
    base = live.url
    page = browser.new_page(viewport={"width": 1024, "height": 1366})
    reason = "suspected anaphylaxis; treating physician needs the arm"
    login(page, base, "inv1")
    page.goto(f"{base}/studies/AST-1/subjects/S1-001")
    page.get_by_text("Emergency unblinding", exact=True).click()
    page.get_by_label("Reason for unblinding").fill(reason)
    page.get_by_role("button", name="Unblind this subject").click()
    # the browser refuses the unconfirmed form (required checkbox): still on the subject page
    expect(page.get_by_role("heading", name="Subject S1-001")).to_be_visible()
    page.get_by_label("I confirm this emergency unblinding").check()
    page.get_by_role("button", name="Unblind this subject").click()
    expect(page.locator("#unblinded-arm")).to_have_text(seeded.arms["S1-001"])
    expect(page.locator("#unblind-notice")).to_contain_text("recorded in the audit trail")
    shot(page, "08-unblinded")
    page.get_by_role("link", name="Subject S1-001").click()
    expect(page.locator("#unblinded-flag")).to_be_visible()
    assert page.locator("#subject-arm").count() == 0
    assert not ARM_IN_HTML.search(page.content())
    page.get_by_role("link", name="audit trail").click()
    expect(page.locator("#audit")).to_contain_text(reason)
    page.get_by_role("button", name="Log out").click()

    login(page, base, "admin1")
    page.goto(f"{base}/studies/AST-1")
    expect(page.locator("#unblindings")).to_contain_text(reason)
    expect(page.locator("#unblindings")).to_contain_text("inv1")
    shot(page, "09-dashboard-unblindings")


OTHER_INSTRUMENTS = ("poem", "sassad", "pp_nrs", "sleep_nrs", "viga_ad", "patient_global", "cdlqi")


def test_every_other_instrument_scores_live_as_the_library(
    browser: Browser, live: LiveServer
) -> None:
    """The instruments without a worked example in the spec: the live score shown while
    typing equals ``autoserum.instruments.score`` of the same answers (the most severe answer
    to every scored item), and saving stores that score."""
    from autoserum.display import exact_number
    from autoserum.instruments import get_instrument, score
    from autoserum.web.forms import parse_instrument_form

    page = browser.new_page(viewport={"width": 1024, "height": 1366})
    login(page, live.url, "inv1")
    for n, code in enumerate(OTHER_INSTRUMENTS):
        page.goto(f"{live.url}/studies/AST-1/subjects/S1-003/visits/week_4/{code}")
        if n == 0:
            page.get_by_label("Date of visit week_4").fill("2026-03-30")
        typed: dict[str, str] = {}
        for item in get_instrument(code).items:
            if item.role != "score" or item.alternative_to or item.condition:
                continue
            field = page.locator(f"#{item.column}")
            if item.allowed is not None:
                value = field.locator("option").last.get_attribute("value") or ""
                field.select_option(value)
            else:
                value = str(int(item.maximum or 0))
                field.fill(value)
            typed[item.column] = value
        expected = score(code, get_instrument(code).unflatten(
            parse_instrument_form(code, typed).flat))  # fmt: skip
        assert expected.total is not None, code
        shown = exact_number(expected.total)
        expect(page.locator("#score-total")).to_have_text(shown)
        page.get_by_role("button", name="Save").click()
        expect(page.get_by_role("status")).to_contain_text(f"saved: {shown}")
    shot(page, "08-all-instruments")


def test_refused_form_shows_its_message_in_view(
    browser: Browser, live: LiveServer, seeded: Seeded
) -> None:
    """A refused form far down the subject page (the injection form, ~2,000 px below the top
    on a tablet) comes back with the banner naming the field, the values typed, focus on the
    bad field and its message on the screen, not at the top of a page scrolled to 0."""
    page = browser.new_page(viewport={"width": 1024, "height": 1366})
    login(page, live.url, "inv1")
    page.goto(f"{live.url}/studies/AST-1/subjects/S1-001")
    page.get_by_text("Record an injection").click()
    page.get_by_label("Date given").fill("2026-03-04")
    page.get_by_label("Volume (mL)").fill("lots")
    page.get_by_label("Lot").fill("L-77")
    page.get_by_role("button", name="Save an injection").click()
    expect(page.locator("#form-errors")).to_contain_text("Volume (mL)")
    expect(page.get_by_label("Volume (mL)")).to_be_focused()
    expect(page.locator("#volume_ml-error")).to_be_in_viewport()
    expect(page.get_by_label("Lot")).to_have_value("L-77")
    form_top = page.locator("#volume_ml").evaluate("e => e.getBoundingClientRect().top + scrollY")
    assert form_top > 1366  # the form is below the first screen: the page was scrolled to it
    shot(page, "20-refused-form-in-view")

    # a form-wide refusal (someone else changed the record meanwhile): the banner gets focus
    visit_id = seeded.visit_ids["S1-001"]
    page.goto(f"{live.url}/studies/AST-1/subjects/S1-001/records/visit/{visit_id}")
    seeded.store.records.update(
        seeded.study,
        "visit",
        visit_id,
        {"visit_date": "2026-03-03"},
        actor=SYSTEM,
        reason="source data verified",
        expected_version=1,
    )
    page.get_by_label("Visit date").fill("2026-03-04")
    page.get_by_label("Reason for the change (required)").fill("typo")
    page.get_by_role("button", name="Save correction").click()
    expect(page.locator("#form-errors")).to_contain_text("version")
    expect(page.locator("#form-errors")).to_be_focused()
    expect(page.locator("#form-errors")).to_be_in_viewport()
