"""Licensed questionnaire wordings on the pages (issue 14, item 5): without an installed wording
the staff form and the patient page of a licensed questionnaire (DLQI, POEM) show the item codes
and a notice; with the site's file (a synthetic, made-up wording) they show it in the page's
language; the stored score is the same either way; a bad file stops the app at start."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from autoserum.errors import ConfigurationError
from autoserum.i18n import translate
from autoserum.store import Store
from autoserum.web import create_app
from tests.epro import DAY0, enrol, epro_protocol
from tests.instruments.texts import made_up, to_toml, write

from .conftest import SYSTEM, Seeded, settings_for
from .test_access_matrix import page_client

DLQI_FORM = "/studies/AST-1/subjects/S1-001/visits/baseline/dlqi"
NOTICE = 'id="wording-notice"'


def _client(app: FastAPI) -> TestClient:
    return TestClient(app, base_url="http://127.0.0.1")


@pytest.fixture
def texts(tmp_path: Path) -> Path:
    folder = tmp_path / "texts"
    folder.mkdir()
    write(folder, "dlqi", "ko")
    write(folder, "poem", "ko", ext="json")
    return folder


@pytest.fixture
def licensed_app(seeded: Seeded, db_url: str, texts: Path) -> FastAPI:
    settings = settings_for(db_url).model_copy(update={"instrument_texts": texts})
    return create_app(settings, store=seeded.store)


def _dlqi_form(client: TestClient, language: str) -> str:
    page_client(client, "inv1")
    page = client.get(DLQI_FORM, headers={"Accept-Language": language})
    assert page.status_code == 200
    return page.text


def test_without_a_wording_the_staff_form_shows_codes_and_a_notice(
    client: TestClient, seeded: Seeded
) -> None:
    page = _dlqi_form(client, "ko")
    assert NOTICE in page
    notice = re.search(r'id="wording-notice"[^>]*>([^<]+)<', page)
    assert notice is not None
    assert notice.group(1).strip() == translate(
        "ko",
        "The licensed wording of this questionnaire is not installed in this language: each "
        "question is shown by its item code and topic. Use the licensed version of the "
        "questionnaire; the answers are recorded by code.",
    )
    # q1 by its code and autoserum's topic label, in Korean; its answers by their codes' words
    assert '<label for="q1"><code>q1</code> 증상: 가려움, 쓰라림, 통증, 따가움</label>' in page
    assert f">{translate('ko', 'very_much')}</option>" in page
    assert "[made-up" not in page


def test_an_installed_wording_is_shown_in_the_page_language(licensed_app: FastAPI) -> None:
    with _client(licensed_app) as client:
        korean = _dlqi_form(client, "ko")
        assert NOTICE not in korean
        assert "<code>q1</code> [made-up dlqi q1 ko]</label>" in korean
        assert ">[made-up answer very_much ko]</option>" in korean
        assert "[made-up licence of dlqi in ko]" in korean
        # no Chinese wording installed: the codes and the notice in Chinese
        chinese = client.get(DLQI_FORM, headers={"Accept-Language": "zh-Hans"}).text
        assert NOTICE in chinese
        assert "[made-up" not in chinese


def _score_box(client: TestClient, csrf: str, answers: dict[str, str]) -> str:
    scored = client.post(DLQI_FORM + "/score", data={"csrf_token": csrf, **answers})
    assert scored.status_code == 200
    found = re.search(r'id="score-total">([^<]+)<', scored.text)
    assert found is not None, scored.text
    return found.group(1)


def test_the_score_does_not_depend_on_the_wording(
    client: TestClient, seeded: Seeded, licensed_app: FastAPI
) -> None:
    answers = {
        "q1": "very_much", "q2": "a_lot", "q3": "a_little", "q4": "a_little", "q5": "very_much",
        "q6": "very_much", "q7": "no", "q7b": "a_little", "q8": "not_at_all", "q9": "a_little",
        "q10": "a_lot",
    }  # fmt: skip
    plain = _score_box(client, page_client(client, "inv1"), answers)
    with _client(licensed_app) as licensed:
        worded = _score_box(licensed, page_client(licensed, "inv1"), answers)
    assert plain == worded == "17.0"  # docs/instruments.md, DLQI worked example


def test_a_bad_wording_file_stops_the_app_naming_file_code_and_expected(
    store: Store, db_url: str, tmp_path: Path
) -> None:
    data = made_up("dlqi", "ko")
    del data["items"]["q5"]["answers"]["a_lot"]
    path = tmp_path / "dlqi.ko.toml"
    path.write_text(to_toml(data), encoding="utf-8")
    settings = settings_for(db_url).model_copy(update={"instrument_texts": tmp_path})
    with pytest.raises(ConfigurationError) as caught:
        create_app(settings, store=store)
    message = str(caught.value)
    assert message.startswith(f"AUTOSERUM_INSTRUMENT_TEXTS: {path}: items.q5.answers: got ")
    assert "expected 5 answers: not_at_all, not_relevant, a_little, a_lot, very_much" in message


@pytest.fixture
def patient(db_url: str, texts: Path) -> tuple[Store, FastAPI, FastAPI]:
    from autoserum.store import open_store

    st = open_store(db_url, clock=lambda: DAY0)
    st.studies.create("E", epro_protocol(), actor=SYSTEM, seed=5)
    st.studies.add_site("E", "S1", "one", actor=SYSTEM)
    enrol(st, "E", "S1", "A", actor=SYSTEM)
    detail = st.subjects.detail("E", "A", actor=SYSTEM)
    st.records.update(
        "E", "subject", detail.subject.id, {"language": "ko"}, actor=SYSTEM,
        reason="the participant's language", expected_version=detail.subject.version,
    )  # fmt: skip
    plain = create_app(settings_for(db_url), store=st, clock=lambda: DAY0)
    settings = settings_for(db_url).model_copy(update={"instrument_texts": texts})
    return st, plain, create_app(settings, store=st, clock=lambda: DAY0)


def test_the_patient_page_of_poem_with_and_without_the_wording(
    patient: tuple[Store, FastAPI, FastAPI],
) -> None:
    store, plain, licensed = patient
    token = store.self_report.issue_link("E", "A", actor=SYSTEM).token
    path = f"/p/{token}/poem/{DAY0.isoformat()}"
    with _client(plain) as client:
        page = client.get(path).text
        assert '<html lang="ko">' in page
        assert NOTICE in page
        assert "<code>itch</code>" in page
    with _client(licensed) as client:
        page = client.get(path).text
        assert NOTICE not in page
        assert "[made-up poem itch ko]</legend>" in page
        assert "<span>[made-up answer 4 ko]</span>" in page
        assert "[made-up instructions poem ko]" in page
        # the answers posted are the codes, whatever the wording
        sent = client.post(
            path,
            data={
                "submission_id": "s" * 16,
                **dict.fromkeys(made_up("poem", "ko")["items"], "2"),
            },
            follow_redirects=False,
        )
        assert sent.status_code == 303


def test_a_korean_page_shows_a_core_error_translated_with_field_and_value(
    client: TestClient, seeded: Seeded, patient: tuple[Store, FastAPI, FastAPI]
) -> None:
    """The staff form (a number out of range) and the patient page (an answer outside the
    scale) in Korean: the core's error names the field and the value, in Korean."""
    csrf = page_client(client, "inv1")
    form = "/studies/AST-1/subjects/S1-001/visits/baseline/scorad"
    page = client.post(
        form,
        data={"csrf_token": csrf, "visit_date": "2025-01-06", "extent": "150"},
        headers={"Accept-Language": "ko"},
    )
    assert page.status_code == 422
    assert '<html lang="ko">' in page.text
    # the field's message, as the core's error rendered through the Korean catalog
    assert "&#39;150&#39; 입력됨; 필요한 값: 0부터 100까지 0.1 간격의 숫자" in page.text
    assert "expected a number" not in page.text
    store, plain, _ = patient
    token = store.self_report.issue_link("E", "A", actor=SYSTEM).token
    with _client(plain) as phone:
        sent = phone.post(
            f"/p/{token}/pp_nrs/{DAY0.isoformat()}", data={"submission_id": "t" * 16, "score": "11"}
        )
    assert sent.status_code == 422
    assert (
        "score: 11 입력됨; 필요한 값: 다음 중 하나: 0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10" in sent.text
    )
