"""Errors in the reader's language on every edge (issue 14, item 5): a refused page form shows
what was expected in the page's language, the API's error JSON has its ``detail`` and
``expected_text`` in the requester's language while its keys and ``field``/``value``/``expected``
stay English for programs, and the command line writes its error in the locale's language."""

from __future__ import annotations

import html
import re

import pytest
from fastapi.testclient import TestClient

from tests.clirun import run_cli

from .conftest import SYSTEM, Seeded
from .test_access_matrix import page_client
from .test_page_forms import UNKNOWN_FACTS, banner

#: An English word of a sentence (three or more Latin letters), not a field's code (screened_on).
_ENGLISH = re.compile(r"\b[A-Za-z]{3,}\b")


def _study_starting_in_march(seeded: Seeded) -> None:
    seeded.store.studies.create(
        "AST-S", "ast-nahm2023", actor=SYSTEM, seed=3, start_date="2026-03-01"
    )
    seeded.store.studies.add_site("AST-S", "S1", "Site one", actor=SYSTEM)


def _text(fragment: str) -> str:
    return " ".join(html.unescape(re.sub(r"<[^>]+>", " ", fragment)).split())


def test_a_refused_form_in_korean_says_what_was_expected_in_korean(
    client: TestClient, seeded: Seeded
) -> None:
    _study_starting_in_march(seeded)
    client.headers["Accept-Language"] = "ko"
    csrf = page_client(client, "admin1")
    page = client.post(
        "/studies/AST-S/screen",
        data={**UNKNOWN_FACTS, "subject_id": "S1-070", "screened_on": "2026-02-16",
              "csrf_token": csrf},
    )  # fmt: skip
    assert page.status_code == 422
    shown = _text(banner(page.text))
    assert "'2026-02-16' 입력됨; 필요한 값: 연구 시작(2026-03-01) 또는 그 이후의 날짜" in shown
    assert not _ENGLISH.findall(shown), shown  # no English sentence, not even a word of one
    assert seeded.store.subjects.all("AST-S", actor=SYSTEM) == []


def test_a_state_error_on_a_form_is_in_the_pages_language(
    client: TestClient, seeded: Seeded
) -> None:
    seeded.store.locks.lock(
        "AST-1", "subject", actor=SYSTEM, reason="casebook reviewed", subject_id="S1-002"
    )
    client.headers["Accept-Language"] = "zh-CN"
    csrf = page_client(client, "inv1")
    page = client.post("/studies/AST-1/subjects/S1-002/randomise", data={"csrf_token": csrf})
    assert page.status_code == 409
    shown = _text(banner(page.text))
    assert "无法将S1-002随机化：此受试者已锁定（锁定" in shown
    assert "casebook reviewed）；须由管理员先注明原因解锁" in shown  # the lock's reason: data


def test_an_api_error_in_chinese_keeps_its_keys_and_english_values(
    client: TestClient, seeded: Seeded
) -> None:
    _study_starting_in_march(seeded)
    request = {
        "site": "S1",
        "subject_id": "S1-071",
        "screened_on": "2026-02-16",
        "facts": {"atopic_dermatitis": True, "scorad": 30},
    }
    auth = {"Authorization": f"Bearer {seeded.tokens['admin']}"}
    english = client.post("/api/v1/studies/AST-S/subjects", headers=auth, json=request)
    chinese = client.post(
        "/api/v1/studies/AST-S/subjects", headers={**auth, "Accept-Language": "zh"}, json=request
    )
    assert english.status_code == chinese.status_code == 422
    en, zh = english.json(), chinese.json()
    assert set(en) == set(zh) == {
        "detail", "error", "language", "field", "value", "expected", "expected_text"
    }  # fmt: skip
    for key in ("error", "field", "value", "expected"):  # for programs: the same in any language
        assert en[key] == zh[key], key
    assert (zh["error"], zh["field"], zh["value"]) == (
        "ValidationError",
        "screened_on",
        "2026-02-16",
    )
    assert (
        zh["expected"] == en["expected_text"] == "a date on or after the study start (2026-03-01)"
    )
    assert (en["language"], zh["language"]) == ("en", "zh-Hans")
    assert zh["expected_text"] == "不早于研究开始（2026-03-01）的日期"
    assert zh["detail"] == "screened_on：收到 '2026-02-16'；应为不早于研究开始（2026-03-01）的日期"
    assert en["detail"] == (
        "screened_on: got '2026-02-16'; expected a date on or after the study start (2026-03-01)"
    )
    # a state error: the detail in Chinese, the class name stable
    again = client.post(
        "/api/v1/studies/AST-1/subjects",
        headers={**auth, "Accept-Language": "zh-Hans"},
        json={**request, "subject_id": "S1-001", "screened_on": "2026-03-02"},
    )
    assert again.status_code == 409
    assert again.json() == {
        "detail": "受试者'S1-001'已存在于研究'AST-1'中",
        "error": "StateError",
        "language": "zh-Hans",
    }


def test_an_api_error_follows_the_users_language_before_the_browsers(
    client: TestClient, seeded: Seeded
) -> None:
    inv = seeded.store.accounts.get_user("admin1")
    assert inv is not None
    seeded.store.accounts.update_user(
        "admin1", {"language": "ko"}, actor=SYSTEM, reason="test: the user's own choice"
    )
    response = client.get(
        "/api/v1/studies/NO-SUCH",
        headers={"Authorization": f"Bearer {seeded.tokens['admin']}", "Accept-Language": "zh"},
    )
    assert response.status_code == 404
    assert response.json()["language"] == "ko"
    assert response.json()["detail"] == "귀하의 기관에 이름이 'NO-SUCH'인 연구가 없습니다"


@pytest.mark.parametrize(
    ("locale", "expected"),
    [
        ("ko_KR.UTF-8", "error: extent: 150 입력됨; 필요한 값: 0부터 100까지 0.1 간격의 숫자"),
        ("zh_CN.UTF-8", "error: extent：收到 150；应为0至100之间、以0.1为步长的数值"),
        ("C.UTF-8", "error: extent: got 150; expected a number from 0 to 100 in steps of 0.1"),
    ],
)
def test_a_cli_error_in_the_locales_language(
    monkeypatch: pytest.MonkeyPatch, locale: str, expected: str
) -> None:
    for name in ("AUTOSERUM_LANG", "LC_ALL", "LC_MESSAGES"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("LANG", locale)
    done = run_cli("score", "scorad", "--json", '{"extent": 150}')
    assert done.returncode == 2
    assert done.stderr.strip() == expected
