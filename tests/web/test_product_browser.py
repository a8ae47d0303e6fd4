"""Issue 13 acceptance in headless Chromium, the product's chain of identity: the unblinded
preparer prepares serum for subject A (draw, processing, 4 aliquots); the blinded injector
injects A with A's aliquot (accepted), tries B's aliquot for A (refused, the message names the
mismatch, the refusal audited) and an expired aliquot (refused: the store's clock is moved past
the shelf life); the blinded injector never sees serum or saline. Screenshots go to
test-artifacts/web/."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from fastapi import FastAPI
from playwright.sync_api import Browser, Page, expect

from autoserum.store import Store, open_store
from autoserum.web import create_app

from .conftest import (
    ARTIFACTS,
    PASSWORD,
    SCREENED_ON,
    SYSTEM,
    TODAY,
    LiveServer,
    Seeded,
    settings_for,
)

pytestmark = [pytest.mark.browser, pytest.mark.slow]

#: A product or arm shown in a table cell or a status line (what a blinded user must not see).
PRODUCT_IN_HTML = re.compile(r"(<td[^>]*>\s*|arm\W{1,3})(serum|saline|placebo)\b", re.I)


class Clock:
    """The store's time, moved by the test (never the wall clock)."""

    def __init__(self) -> None:
        self.at = dt.datetime(TODAY.year, TODAY.month, TODAY.day, 9, 0, tzinfo=dt.UTC)

    def __call__(self) -> dt.datetime:
        return self.at


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def store(db_url: str, clock: Clock) -> Store:
    return open_store(db_url, clock=lambda: clock.at.date(), now=clock)


@pytest.fixture
def app(store: Store, db_url: str, clock: Clock) -> FastAPI:
    return create_app(settings_for(db_url), store=store, clock=lambda: clock.at.date())


def login(page: Page, base: str, username: str) -> None:
    page.goto(f"{base}/login")
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    expect(page.get_by_role("heading", name="Studies")).to_be_visible()


def serum_subjects(seeded: Seeded) -> tuple[str, str]:
    """Two serum subjects at site S1 (more are screened and randomised until there are)."""
    store, study = seeded.store, seeded.study
    serum = [s for s in ("S1-001", "S1-003") if seeded.arms[s] == "serum"]
    facts = {"atopic_dermatitis": True, "scorad": 40, "age": 30}
    number = 10
    while len(serum) < 2:
        sid = f"S1-{number:03d}"
        store.subjects.screen(study, "S1", sid, facts, screened_on=SCREENED_ON, actor=SYSTEM)
        if store.subjects.randomise(study, sid, actor=SYSTEM) == "serum":
            serum.append(sid)
        number += 1
    return serum[0], serum[1]


def inject(page: Page, code: str, date: str) -> None:
    page.get_by_text("Record an injection").click()
    page.get_by_label("Date given").fill(date)
    page.get_by_label("Volume (mL)").fill("5")
    page.get_by_label("Product code (scanned or typed label)").fill(code)
    page.get_by_role("button", name="Save an injection").click()


def test_prepare_inject_and_refuse(
    browser: Browser, app: FastAPI, seeded: Seeded, clock: Clock
) -> None:
    store, study = seeded.store, seeded.study
    a, b = serum_subjects(seeded)
    # B's product, prepared beforehand (through the store: the same rules as the page)
    draw = store.product.draw(study, b, actor=SYSTEM, volume_ml="20")
    processed = store.product.process(
        study, draw.code, actor=SYSTEM, clotting_minutes=30, centrifuge_g=1500,
        centrifuge_minutes=10,
    )  # fmt: skip
    theirs = store.product.make_aliquots(study, processed.id, actor=SYSTEM, count=1)[0].code
    ARTIFACTS.mkdir(parents=True, exist_ok=True)

    with LiveServer(app) as live:
        base = live.url
        # the unblinded preparer: draw, processing, 4 aliquots for A
        page = browser.new_page(viewport={"width": 1024, "height": 1366})
        login(page, base, "prep1")
        page.goto(f"{base}/studies/{study}")
        page.get_by_role("link", name="Product preparation").click()
        page.get_by_role("link", name=a).click()
        expect(page.locator("#product-arm")).to_have_text("serum")
        page.get_by_text("Record a blood draw").click()
        page.get_by_label("Volume (mL)").first.fill("40")
        page.get_by_role("button", name="Save the blood draw").click()
        expect(page.get_by_role("status")).to_contain_text("Blood draw AS1:AST-1:" + a)
        page.get_by_text("Record a processing").click()
        page.locator("#proc_draw_code").select_option(index=1)
        expect(page.locator("#proc_centrifuge_g")).to_have_value("1500")  # the protocol's
        page.get_by_role("button", name="Save the processing").click()
        expect(page.get_by_role("status")).to_contain_text("Processing recorded.")
        page.get_by_text("Make aliquots").click()
        page.locator("#aliq_processing_id").select_option(index=1)
        page.locator("#aliq_count").fill("4")
        page.get_by_role("button", name="Make the aliquots").click()
        expect(page.get_by_role("status")).to_contain_text("4 aliquots made.")
        codes = page.locator("#aliquots td.code").all_inner_texts()
        assert [c.split(":")[3] for c in codes] == ["AL-0002", "AL-0003", "AL-0004", "AL-0005"]
        page.screenshot(path=str(ARTIFACTS / "product-01-preparer.png"), full_page=True)
        labels = page.request.get(f"{base}/studies/{study}/subjects/{a}/product/labels.pdf")
        assert labels.ok
        assert labels.body()[:5] == b"%PDF-"
        page.close()

        # the blinded injector
        page = browser.new_page(viewport={"width": 1024, "height": 1366})
        login(page, base, "coord1")
        page.goto(f"{base}/studies/{study}/subjects/{a}")
        today = clock.at.date().isoformat()
        inject(page, codes[0], today)
        expect(page.get_by_role("status")).to_contain_text("Injection recorded")
        assert PRODUCT_IN_HTML.search(page.content()) is None
        expect(page.locator("section[aria-labelledby='product-h']")).to_contain_text("blinded")

        inject(page, theirs, today)  # B's aliquot for A
        expect(page.locator("#product_code-error")).to_contain_text(
            f"aliquot AL-0001 belongs to subject {b}, not to {a}"
        )
        page.screenshot(path=str(ARTIFACTS / "product-02-refused.png"), full_page=True)

        clock.at += dt.timedelta(days=31)  # past the protocol's 30-day shelf life
        page.goto(f"{base}/studies/{study}/subjects/{a}")
        inject(page, codes[1], clock.at.date().isoformat())
        expect(page.locator("#product_code-error")).to_contain_text("aliquot AL-0003 expired at")
        assert PRODUCT_IN_HTML.search(page.content()) is None
        page.close()

    refused = [r for r in store.audit.raw_rows(study) if r.action == "refused"]
    assert [(r.username, r.new_value) for r in refused] == [
        ("coord1", theirs),
        ("coord1", codes[1]),
    ]
    assert "belongs to subject" in (refused[0].reason or "")
    life = store.product.life(study, a, actor=SYSTEM)
    assert [i.product_code for i in life.injections] == [codes[0]]
