"""Issue 14 acceptance (the patient parts) in headless Chromium on a phone (390 × 844), in the
subject's language (Korean; ``LANGUAGES`` switches it): a coordinator issues a link; the patient
opens it, completes 7 daily itch and sleep entries (the app's clock moved day by day) and a
POEM, one entry by keyboard only; a retry of a submission whose response was lost records once;
another subject's token opens only that subject's list, a revoked and an expired token are
refused; the weekly mean is the declared rule's; the coordinator sees compliance 7/7.
Screenshots go to test-artifacts/web/."""

from __future__ import annotations

import datetime as dt
from fractions import Fraction

import pytest
from fastapi import FastAPI
from playwright.sync_api import Browser, Page, Route, expect

from autoserum.i18n import translate
from autoserum.instruments import get_instrument
from autoserum.store import Store, open_store
from autoserum.web import create_app
from tests.epro import DAY0, enrol, epro_protocol

from .axe import assert_accessible
from .conftest import ARTIFACTS, PASSWORD, SYSTEM, LiveServer, add_user, settings_for

pytestmark = [pytest.mark.browser, pytest.mark.slow]

STUDY = "E"
#: The languages the acceptance runs in (the subject's and the coordinator's): "en" works too.
LANGUAGES = ("ko",)
ITCH = (6, 5, 7, 4, 5, 3, 4)  # day 0..6
SLEEP = (3, 3, 2, 2, 1, 1, 0)
BROWSER_LOCALE = {"ko": "ko-KR", "zh-Hans": "zh-CN", "en": "en-US"}


class Clock:
    """The app's and the store's time, moved by the test (never the wall clock)."""

    def __init__(self) -> None:
        self.day = DAY0

    def date(self) -> dt.date:
        return self.day

    def now(self) -> dt.datetime:
        return dt.datetime(self.day.year, self.day.month, self.day.day, 9, 0, tzinfo=dt.UTC)


def _setup(db_url: str, clock: Clock, language: str) -> tuple[Store, FastAPI]:
    store = open_store(db_url, clock=clock.date, now=clock.now)
    store.studies.create(STUDY, epro_protocol(), actor=SYSTEM, seed=11)
    store.studies.add_site(STUDY, "S1", "one", actor=SYSTEM)
    for sid in ("A", "B"):
        enrol(store, STUDY, "S1", sid, actor=SYSTEM)
    detail = store.subjects.detail(STUDY, "A", actor=SYSTEM)
    store.records.update(
        STUDY, "subject", detail.subject.id, {"language": language}, actor=SYSTEM,
        reason="the participant's language", expected_version=detail.subject.version,
    )  # fmt: skip
    add_user(store, "coord1", "coordinator", frozenset({(STUDY, "S1")}))
    app = create_app(settings_for(db_url), store=store, clock=clock.date)
    return store, app


def _t(language: str, message: str, **variables: object) -> str:
    return translate(language, message, **variables)


def _login(page: Page, base: str, language: str) -> None:
    page.goto(f"{base}/login")
    page.locator("#username").fill("coord1")
    page.locator("#password").fill(PASSWORD)
    page.locator("form button[type=submit]").click()
    expect(page.locator("h1")).to_have_text(_t(language, "Studies"))


def _answer(page: Page, language: str, instrument: str, values: dict[str, int]) -> None:
    """Open ``instrument`` from the list and send ``values`` (item → value) by pointer."""
    name = _t(language, get_instrument(instrument).name)
    page.get_by_role("link", name=name).first.click()
    for item, value in values.items():
        page.locator(f"input[name='{item}'][value='{value}']").check()
    page.get_by_role("button", name=_t(language, "Send")).click()
    expect(page.locator("#saved")).to_have_text(_t(language, "Saved. Thank you."))


def _answer_by_keyboard(page: Page, language: str, value: int) -> None:
    """The sleep NRS by keyboard only: Tab to the link, Enter, Tab to the scale, arrows, Tab to
    Send, Enter."""
    page.locator("body").focus()
    name = _t(language, get_instrument("sleep_nrs").name)
    for _ in range(20):
        page.keyboard.press("Tab")
        if page.evaluate("document.activeElement.textContent").strip().startswith(name):
            break
    page.keyboard.press("Enter")
    expect(page.locator("h1")).to_have_text(name)
    for _ in range(5):  # past the skip link and the back link, to the scale's first choice
        page.keyboard.press("Tab")
        if page.evaluate("document.activeElement.type") == "radio":
            break
    for _ in range(value):
        page.keyboard.press("ArrowRight")
    page.keyboard.press("Tab")  # Send
    page.keyboard.press("Enter")
    expect(page.locator("#saved")).to_be_visible()


@pytest.mark.parametrize("language", LANGUAGES)
def test_patient_diary_on_a_phone(browser: Browser, db_url: str, language: str) -> None:
    clock = Clock()
    store, app = _setup(db_url, clock, language)
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    locale = BROWSER_LOCALE[language]
    with LiveServer(app) as live:
        base = live.url
        staff = browser.new_context(viewport={"width": 390, "height": 844}, locale=locale)
        coordinator = staff.new_page()
        _login(coordinator, base, language)
        coordinator.goto(f"{base}/studies/{STUDY}/self-report")
        coordinator.get_by_role("button", name=_t(language, "Issue a link for %(subject)s",
                                                   subject="A")).click()  # fmt: skip
        assert_accessible(coordinator, "link issued")
        link = coordinator.locator("#patient-link").input_value()
        assert link.startswith(f"{base}/p/")
        coordinator.screenshot(path=str(ARTIFACTS / f"epro-link-{language}.png"))
        b_token = store.self_report.issue_link(STUDY, "B", actor=SYSTEM).token

        # the patient's phone: its browser speaks English, the pages the subject's language
        phone = browser.new_context(viewport={"width": 390, "height": 844}, locale="en-US")
        patient = phone.new_page()
        for day in range(7):
            clock.day = DAY0 + dt.timedelta(days=day)
            patient.goto(link)
            expect(patient.locator("html")).to_have_attribute("lang", language)
            if day == 0:
                assert_accessible(patient, "patient list")
            _answer(patient, language, "pp_nrs", {"score": ITCH[day]})
            if day == 3:
                _answer_by_keyboard(patient, language, SLEEP[day])
            elif day == 5:
                _retry_after_a_lost_response(patient, language, SLEEP[day])
            else:
                _answer(patient, language, "sleep_nrs", {"score": SLEEP[day]})
        poem = {item.path: 2 for item in get_instrument("poem").items}
        patient.get_by_role("link", name=_t(language, get_instrument("poem").name)).click()
        assert_accessible(patient, "questionnaire form")
        patient.go_back()
        _answer(patient, language, "poem", poem)
        expect(patient.locator("#nothing-due")).to_be_visible()
        assert patient.evaluate("document.documentElement.scrollWidth") <= 390  # no sideways
        patient.screenshot(path=str(ARTIFACTS / f"epro-patient-{language}.png"), full_page=True)

        rows = [e for e in store.audit.raw_rows(STUDY) if e.entity == "pro_entry"]
        assert len({r.record_id for r in rows}) == 15  # 7 + 7 + 1: the retry recorded once
        assert {r.username for r in rows} == {"patient:A"}
        # the weekly mean by the declared rule (DIARY_24H: the last 7 days, >= 4 present),
        # exact: sum(ITCH) / 7 = 34/7, tolerance 0
        weekly = store.self_report.weekly_mean(STUDY, "A", "pp_nrs", end=clock.day, actor=SYSTEM)
        assert weekly.total == Fraction(sum(ITCH), 7)
        assert weekly.days_present == 7

        coordinator.goto(f"{base}/studies/{STUDY}/self-report")
        expect(coordinator.locator("#compliance tbody tr").filter(has_text="A").locator(
            "td.compliance")).to_have_text("7/7")  # fmt: skip
        coordinator.screenshot(path=str(ARTIFACTS / f"epro-compliance-{language}.png"))
        assert_accessible(coordinator, "self-report compliance")

        # another subject's token opens that subject's list only (none of A's entries)
        patient.goto(f"{base}/p/{b_token}")
        expect(patient.locator("#done-h")).to_have_count(0)
        # revoked: the coordinator revokes B's link
        row = coordinator.locator("#compliance tbody tr").filter(has_text="B")
        row.locator("input[name=reason]").fill("phone lost")
        row.get_by_role("button", name=_t(language, "Revoke the link of %(subject)s",
                                          subject="B")).click()  # fmt: skip
        # an invalid link names no subject: its page follows the phone's browser (English)
        refused = _t("en", "This link is not valid")
        patient.goto(f"{base}/p/{b_token}")
        expect(patient.locator("h1")).to_have_text(refused)
        assert_accessible(patient, "refused link")
        # expired: past the end of A's participation
        clock.day = DAY0 + dt.timedelta(days=64)
        patient.goto(link)
        expect(patient.locator("h1")).to_have_text(refused)
        staff.close()
        phone.close()


def _retry_after_a_lost_response(page: Page, language: str, value: int) -> None:
    """Send the sleep NRS; the server records it but the response is lost on the way back (the
    phone shows its network error); the patient goes back: the entry shows as saved; the same
    submission sent again (a retry) is answered as saved and records nothing new."""
    name = _t(language, get_instrument("sleep_nrs").name)
    page.get_by_role("link", name=name).first.click()
    page.locator(f"input[name='score'][value='{value}']").check()
    form_url = page.url
    sid = page.locator("input[name=submission_id]").input_value()
    lost: list[str] = []

    def drop_response(route: Route) -> None:
        if route.request.method == "POST" and not lost:
            route.fetch()  # the server records the entry ...
            lost.append(route.request.url)
            route.abort("connectionreset")  # ... and the answer never arrives
        else:
            route.continue_()

    page.route("**/sleep_nrs/**", drop_response)
    page.get_by_role("button", name=_t(language, "Send")).click()
    page.wait_for_timeout(300)
    assert lost
    page.unroute("**/sleep_nrs/**")
    page.go_back()  # the form is fetched again: recorded already, so the list says saved
    expect(page.locator("#saved")).to_have_text(_t(language, "Saved. Thank you."))
    again = page.request.post(form_url, form={"score": str(value), "submission_id": sid})
    assert again.ok
    assert _t(language, "Saved. Thank you.") in again.text()
