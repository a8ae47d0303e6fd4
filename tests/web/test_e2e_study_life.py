"""The whole life of a small double-blind study in one headless Chromium, without Python
(issue 12's acceptance test): the admin creates the study from a protocol file (a broken file
first: refused with its field path) and two sites, creates the users and registers the consent
document; the coordinator screens a subject and records the consent; the investigator's
randomisation is refused before the consent and succeeds after it; the investigator records
visits with an instrument (week 4 typed outside its window), an unscheduled flare visit with an
instrument at it and a manual deviation; the automatic visit-window check has opened a query,
which the site answers with a correction and the monitor closes before verifying the records;
the investigator signs the casebook (password re-entered) and a correction afterwards shows the
signature INVALID; the admin locks the database on the Locks page (its manifest shown); the
investigator's next record is refused; unblinding the whole study for analysis (``autoserum
report --db``) is refused before the lock and succeeds after it, printing the lock manifest. A
second subject is recorded through the JSON API (the analysis compares the arms).
"""

from __future__ import annotations

import re
from importlib import resources
from pathlib import Path

import pytest
from fastapi import FastAPI
from playwright.sync_api import Browser, BrowserContext, Page, expect

from autoserum.cli import main as cli_main
from autoserum.store import Store

from .conftest import PASSWORD, LiveServer, add_user
from .test_access_matrix import ARM_IN_HTML

pytestmark = [pytest.mark.browser, pytest.mark.slow]

STUDY = "E2E-1"
PROTOCOL = resources.files("autoserum.protocols").joinpath("library/ast-nahm2023.toml")


def _page(browser: Browser, base: str, username: str) -> tuple[BrowserContext, Page]:
    context = browser.new_context(viewport={"width": 1280, "height": 1000})
    page = context.new_page()
    page.goto(f"{base}/login")
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    expect(page.get_by_role("heading", name="Studies")).to_be_visible()
    return context, page


def _issue_token(page: Page, path: str) -> str:
    page.goto(path)
    page.get_by_role("button", name="Issue a token").click()
    token = page.locator("#new-token").inner_text()
    assert token
    return token


def _cli(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    capsys.readouterr()
    try:
        cli_main(list(args))
        code = 0
    except SystemExit as done:
        code = int(done.code or 0)
    out, err = capsys.readouterr()
    return code, out, err


def test_the_life_of_a_double_blind_study(
    browser: Browser,
    app: FastAPI,
    store: Store,
    db_url: str,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    add_user(store, "admin1", "admin", None)  # the first admin: `autoserum user add` at install
    good = tmp_path / "my-protocol.toml"
    good.write_text(PROTOCOL.read_text(encoding="utf-8"), encoding="utf-8")
    broken = tmp_path / "broken.toml"
    broken.write_text(
        good.read_text(encoding="utf-8").replace('blinding = "double_blind"', 'blinding = "x"', 1),
        encoding="utf-8",
    )
    with LiveServer(app) as live:
        base = live.url
        _, admin = _page(browser, base, "admin1")

        # --- the admin builds the study from a protocol file, its sites and its users -------
        admin.get_by_role("link", name="Administration").click()
        admin.get_by_text("Create a study").click()
        admin.get_by_label("Study name").fill(STUDY)
        admin.locator("#protocol_file").set_input_files(str(broken))
        admin.get_by_role("button", name="Create study").click()
        expect(admin.locator("#protocol_file-error")).to_contain_text("blinding = 'x'")
        admin.locator("#protocol_file").set_input_files(str(good))
        admin.get_by_role("button", name="Create study").click()
        expect(admin.get_by_role("heading", name=STUDY)).to_be_visible()
        for code, name in (("s01", "Seoul"), ("s02", "Busan")):
            admin.get_by_label("Site code").fill(code)
            admin.get_by_label("Site name").fill(name)
            admin.get_by_role("button", name="Add site").click()
            expect(admin.get_by_role("status")).to_contain_text(f"Site {code} added")
        for username, role in (("cora", "coordinator"), ("ivan", "investigator"),
                               ("mona", "monitor")):  # fmt: skip
            admin.goto(f"{base}/admin")
            admin.get_by_text("Create a user").click()
            admin.get_by_label("Login name").fill(username)
            if username == "ivan":  # the printed name of his signatures (21 CFR 11.50)
                admin.get_by_label("Full name").fill("Dr Ivan Petrov")
            admin.get_by_label("Role").select_option(role)
            admin.get_by_label("Initial password").fill(PASSWORD)
            admin.get_by_label(f"{STUDY} / s01 (Seoul)").check()
            admin.get_by_role("button", name="Create user").click()
            expect(admin.get_by_role("status")).to_contain_text(f"User {username} ({role})")
        # the consent document, through the API with the admin's own token from My account
        admin_token = _issue_token(admin, f"{base}/account")
        registered = admin.request.post(
            f"{base}/api/v1/studies/{STUDY}/consent-documents",
            headers={"Authorization": f"Bearer {admin_token}"},
            data={"document_version": "1.0", "language": "en", "effective_on": "2026-05-01",
                  "sha256": "ab" * 32},
        )  # fmt: skip
        assert registered.status == 201, registered.text()
        ivan_token = _issue_token(admin, f"{base}/admin/users/ivan")

        # --- the coordinator screens; the investigator's randomisation waits for consent ----
        _, cora = _page(browser, base, "cora")
        cora.goto(f"{base}/studies/{STUDY}/screen")
        cora.get_by_label("Site").select_option("s01")
        cora.get_by_label("Subject identifier").fill("s01-001")
        cora.get_by_label("Screening date").fill("2026-06-01")
        cora.get_by_label("Atopic dermatitis").select_option("yes")
        cora.get_by_label("Scorad").fill("40")
        cora.get_by_role("button", name="Screen").click()
        expect(cora.locator("#subject-status")).to_have_text("screened")
        subject_url = cora.url

        _, ivan = _page(browser, base, "ivan")
        ivan.goto(subject_url)
        ivan.get_by_role("button", name="Enrol and randomise").click()
        expect(ivan.locator("#form-errors")).to_contain_text("consent")
        expect(ivan.locator("#subject-status")).to_have_text("screened")

        cora.reload()
        cora.get_by_text("Record a consent").click()
        cora.get_by_label("Document version signed").select_option("1.0")
        cora.get_by_label("Signed at").fill("2026-06-01T09:00+00:00")
        cora.get_by_label("Person obtaining consent").fill("Dr Kim")
        cora.get_by_role("button", name="Save a consent").click()
        expect(cora.get_by_role("status")).to_contain_text("Consent to version 1.0 recorded")

        # --- the investigator randomises and records the study ------------------------------
        ivan.goto(subject_url)
        ivan.get_by_role("button", name="Enrol and randomise").click()
        expect(ivan.get_by_role("status")).to_contain_text("arm: concealed")
        assert ARM_IN_HTML.search(ivan.content()) is None
        # week 4 typed on the 12th (day 10): outside its window, an automatic check raises a query
        for visit, day, score in (("baseline", "2026-06-02", "7"), ("week_4", "2026-06-12", "4")):
            ivan.goto(f"{subject_url}/visits/{visit}/pp_nrs")
            ivan.get_by_label(f"Date of visit {visit}").fill(day)
            ivan.locator("#score").select_option(score)
            ivan.get_by_role("button", name="Save").click()
            expect(ivan.get_by_role("status")).to_contain_text("saved")
        ivan.get_by_text("Record an unscheduled visit").click()
        ivan.get_by_label("Date of the unscheduled visit").fill("2026-06-20")
        ivan.get_by_label("Reason for the unscheduled visit").fill("flare on both arms")
        ivan.get_by_role("button", name="Record unscheduled visit").click()
        expect(ivan.get_by_role("status")).to_contain_text("unscheduled-1 recorded")
        expect(ivan.locator("#unscheduled-visits").get_by_role("link", name="EASI")).to_be_visible()
        ivan.goto(f"{subject_url}/visits/unscheduled-1/pp_nrs")
        ivan.locator("#score").select_option("9")
        ivan.get_by_role("button", name="Save").click()
        expect(ivan.get_by_role("status")).to_contain_text("saved")
        ivan.get_by_text("Record a protocol deviation").click()
        ivan.get_by_label("Category").select_option("study_procedure")
        ivan.get_by_label("Description", exact=True).fill(
            "lesion photographs not taken at the flare visit"
        )
        ivan.get_by_label("Date of the deviation").fill("2026-06-20")
        ivan.get_by_label("Major or minor").select_option("minor")
        ivan.get_by_label("Corrective action").fill("camera added to the flare kit")
        ivan.get_by_role("button", name="Save a protocol deviation").click()
        expect(ivan.get_by_role("status")).to_contain_text("Protocol deviation (minor) recorded")
        expect(ivan.locator("#unscheduled-visits")).to_contain_text("flare on both arms")

        # --- data review: the automatic check's query, answered with a correction by the site,
        # closed by the monitor, who verifies the records; the investigator signs the casebook
        ivan.goto(f"{subject_url}/review")
        query = ivan.locator("article.query").filter(has_text="visit_date")
        expect(query).to_contain_text("open")
        expect(query).to_contain_text("please confirm the date")
        qid = (query.get_attribute("id") or "").removeprefix("query-")
        ivan.locator(f"#answer-{qid}").fill("typed wrongly: the source says 30 June")
        ivan.locator(f"#corrected-{qid}").fill("2026-06-30")
        query.get_by_role("button", name="Answer").click()
        expect(ivan.get_by_role("status")).to_contain_text(f"Query {qid} is answered")
        expect(ivan.locator(f"#query-{qid}")).to_contain_text("correction: visit")
        _, mona = _page(browser, base, "mona")
        mona.goto(f"{subject_url}/review")
        mona.locator(f"#close-{qid}").fill("confirmed against the source")
        mona.locator(f"#query-{qid}").get_by_role("button", name="Close").click()
        expect(mona.get_by_role("status")).to_contain_text(f"Query {qid} is closed")
        verify = mona.get_by_role("button", name=re.compile(r"^Verify "))
        verified = 0
        while verify.count():
            verify.first.click()
            expect(mona.get_by_role("status")).to_contain_text("verified")
            verified += 1
        assert verified >= 4  # visits and assessments
        ivan.goto(f"{subject_url}/review")
        ivan.get_by_label("What to sign").select_option("casebook")
        ivan.get_by_label("Meaning").select_option("approval")
        expect(ivan.locator("#signer-name")).to_contain_text("Dr Ivan Petrov (ivan)")
        ivan.get_by_label("Password (entered again to sign)").fill(PASSWORD)
        ivan.get_by_role("button", name="Sign", exact=True).click()
        expect(ivan.get_by_role("status")).to_contain_text("Signed: ")
        expect(ivan.locator("#signatures li.valid")).to_have_count(1)
        expect(ivan.locator("#signatures li.valid")).to_contain_text("Dr Ivan Petrov (ivan)")
        # a correction after signing invalidates the signature, visibly
        ivan.goto(subject_url)
        ivan.locator("#deviations-h").locator("xpath=..").get_by_role(
            "link", name="correct"
        ).last.click()
        ivan.get_by_label("Corrective action").fill("camera added to the flare kit; staff told")
        ivan.get_by_label("Reason for the change").fill("corrective action completed")
        ivan.get_by_role("button", name="Save correction").click()
        expect(ivan.get_by_role("status")).to_contain_text("corrected")
        ivan.goto(f"{subject_url}/review")
        expect(ivan.locator("#signatures li.invalid")).to_contain_text("INVALID")

        # a second subject through the API (the analysis compares the arms)
        api = {"Authorization": f"Bearer {ivan_token}"}
        root = f"{base}/api/v1/studies/{STUDY}/subjects"
        steps = [
            (root, {"site": "s01", "subject_id": "s01-002", "screened_on": "2026-06-01",
                    "facts": {"atopic_dermatitis": True, "scorad": 40}}),
            (f"{root}/s01-002/consents", {"document_version": "1.0",
                                          "consented_at": "2026-06-01T10:00:00+00:00",
                                          "obtained_by": "Dr Kim"}),
            (f"{root}/s01-002/randomise", {}),
            (f"{root}/s01-002/assessments", {"visit_code": "baseline", "instrument": "pp_nrs",
                                             "items": {"score": 8},
                                             "visit_date": "2026-06-02"}),
            (f"{root}/s01-002/assessments", {"visit_code": "week_4", "instrument": "pp_nrs",
                                             "items": {"score": 6},
                                             "visit_date": "2026-06-30"}),
        ]  # fmt: skip
        for url, body in steps:
            done = ivan.request.post(url, headers=api, data=body)
            assert done.status in (200, 201), f"{url}: {done.text()}"

        # --- unblinding for analysis: refused before the database lock ----------------------
        exit_code, _, err = _cli(
            capsys, "report", "--db", db_url, "--study", STUDY, "--endpoint", "pp_nrs",
            "--out", str(tmp_path / "early"),
        )  # fmt: skip
        assert exit_code == 1
        assert "its database is not locked" in err
        assert not (tmp_path / "early").exists()

        # --- the admin locks the database --------------------------------------------------
        admin.goto(f"{base}/studies/{STUDY}")
        admin.get_by_role("link", name="Locks").click()
        expect(admin.locator("#database-lock-status")).to_contain_text("not locked")
        admin.get_by_label("Reason for the database lock").fill("last visit done; data final")
        admin.get_by_role("button", name="Lock the database").click()
        expect(admin.get_by_role("status")).to_contain_text("locked")
        expect(admin.locator("#database-lock-status")).to_contain_text("locked")
        manifest = admin.locator("dl.manifest")
        expect(manifest).to_contain_text("verified")
        expect(manifest).to_contain_text("site=s01")
        head = admin.locator("dl.manifest dd").first.inner_text().split(" ")[0]
        # data can no longer change: the investigator's next record is refused
        ivan.goto(subject_url)
        ivan.get_by_text("Record a protocol deviation").click()
        ivan.get_by_label("Category").select_option("other")
        ivan.get_by_label("Description", exact=True).fill("late entry")
        ivan.get_by_label("Major or minor").select_option("minor")
        ivan.get_by_role("button", name="Save a protocol deviation").click()
        expect(ivan.locator("#form-errors")).to_contain_text("database lock")

    # --- after the lock, the whole study is unblinded for analysis; the manifest printed ---
    exit_code, out, err = _cli(
        capsys, "report", "--db", db_url, "--study", STUDY, "--endpoint", "pp_nrs",
        "--out", str(tmp_path / "final"),
    )  # fmt: skip
    assert exit_code == 0, err
    assert f"audit chain head {head} " in out
    assert "allocation list site=s01: " in out
    html = (tmp_path / "final" / f"{STUDY}.html").read_text(encoding="utf-8")
    assert "Unscheduled visits (1, not in the planned weeks)" in html
    assert "lesion photographs not taken at the flare visit" in html
