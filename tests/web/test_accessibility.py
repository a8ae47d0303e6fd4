"""Every form field of every page has a label; htmx requests authenticate with the CSRF header."""

from __future__ import annotations

from html.parser import HTMLParser

import pytest
from fastapi.testclient import TestClient

from autoserum.instruments import instrument_codes

from .conftest import Seeded
from .test_access_matrix import page_client


class _Fields(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.fields: list[tuple[str, str | None]] = []
        self.labels: set[str] = set()
        self.ids: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = dict(attrs)
        if a.get("id"):
            self.ids.append(str(a["id"]))
        if tag == "label" and a.get("for"):
            self.labels.add(str(a["for"]))
        if tag in ("input", "select", "textarea") and a.get("type") != "hidden":
            self.fields.append((str(a.get("name")), a.get("id")))


def unlabelled(html: str) -> list[str]:
    parser = _Fields()
    parser.feed(html)
    assert parser.fields, "the page has no form field"
    duplicates = sorted({i for i in parser.ids if parser.ids.count(i) > 1})
    assert not duplicates, f"duplicate ids break labels: {duplicates}"
    return [name for name, id_ in parser.fields if id_ is None or id_ not in parser.labels]


@pytest.mark.parametrize(
    "path",
    [
        "/studies/AST-1/screen",
        "/studies/AST-1/subjects/S1-001",
        *[f"/studies/AST-1/subjects/S1-001/visits/baseline/{c}" for c in instrument_codes()],
    ],
)
def test_every_field_has_a_label(client: TestClient, seeded: Seeded, path: str) -> None:
    page_client(client, "inv1")
    page = client.get(path)
    assert page.status_code == 200
    assert unlabelled(page.text) == []


def test_login_fields_have_labels(client: TestClient) -> None:
    assert unlabelled(client.get("/login").text) == []


def test_htmx_live_score_accepts_the_csrf_header(client: TestClient, seeded: Seeded) -> None:
    csrf = page_client(client, "inv1")
    path = "/studies/AST-1/subjects/S1-001/visits/baseline/pp_nrs/score"
    assert client.post(path, data={"score": "7"}).status_code == 403  # no token at all
    ok = client.post(
        path, data={"score": "7"}, headers={"X-CSRF-Token": csrf, "HX-Request": "true"}
    )
    assert ok.status_code == 200
    assert 'id="score-total">7.0<' in ok.text  # PP-NRS total = the rating itself (spec)
    assert 'id="score-band">severe<' in ok.text  # silverberg2018: 7-10 severe (spec)
