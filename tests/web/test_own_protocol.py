"""A study created from the user's own protocol file (outside the library) works everywhere a
library protocol does: ``import --protocol FILE``, every page and API read of the web app,
``analyze --db`` and ``report --db`` (issue 10: the edges looked the protocol up again by code in
the library, so the report said "no protocol 'my-proto' in the library" and every page failed).
The store's frozen copy is the one owner: the file is deleted before anything reads the study.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from autoserum.cli import app as cli
from autoserum.protocols import protocol_codes
from autoserum.store import Actor, open_store
from autoserum.web import create_app
from tests.simulate.conftest import study as simulated

from .conftest import add_user, settings_for
from .test_auth import login

runner = CliRunner()
LIBRARY = Path(__file__).parents[2] / "src/autoserum/protocols/library/ast-nahm2023.toml"
CODE = "my-proto"
STUDY = "OWN-1"
READER = Actor("reader", "admin")


def own_protocol_file(folder: Path) -> Path:
    """The library's ast-nahm2023 protocol under a code the library does not have."""
    text = LIBRARY.read_text(encoding="utf-8")
    assert 'code = "ast-nahm2023"' in text
    path = folder / f"{CODE}.toml"
    path.write_text(
        text.replace('code = "ast-nahm2023"', f'code = "{CODE}"', 1).replace(
            'title = "', 'title = "My own: ', 1
        ),
        encoding="utf-8",
    )
    return path


def import_study(url: str, folder: Path) -> None:
    data = simulated("ast-nahm2023", 30, 11)
    visits = folder / "visits.csv"
    data.visits.write_csv(visits)
    data.adverse_events.write_csv(folder / "visits.ae.csv")
    proto = own_protocol_file(folder)
    result = runner.invoke(
        cli, ["import", str(visits), "--db", url, "--study", STUDY, "--protocol", str(proto)]
    )
    assert result.exit_code == 0, result.output
    assert "30 subjects" in result.output
    proto.unlink()  # from now on only the store's frozen copy exists


def check_everywhere(url: str, folder: Path) -> None:
    assert CODE not in protocol_codes()
    import_study(url, folder)

    # unblinding the whole blinded study for analysis needs the database lock
    refused = runner.invoke(cli, ["analyze", "--db", url, "--study", STUDY, "--json"])
    assert refused.exit_code == 1
    assert "its database is not locked" in str(refused.exception)
    locked = runner.invoke(cli, ["study", "lock", STUDY, "--reason", "final data", "--db", url])
    assert locked.exit_code == 0, locked.output

    # analyze --db
    analysed = runner.invoke(
        cli,
        ["analyze", "--db", url, "--study", STUDY, "--endpoint", "scorad", "--week", "8",
         "--json"],
    )  # fmt: skip
    assert analysed.exit_code == 0, analysed.output
    assert json.loads(analysed.stdout)["endpoint"] == "scorad"  # the lock status goes to stderr

    # report --db: the protocol summary is the study's own protocol
    out = folder / "report"
    reported = runner.invoke(cli, ["report", "--db", url, "--study", STUDY, "--out", str(out)])
    assert reported.exit_code == 0, reported.output
    html = next(out.glob("*.html")).read_text(encoding="utf-8")
    assert "My own: Autologous serum" in html
    unlocked = runner.invoke(
        cli, ["study", "unlock", STUDY, "1", "--reason", "web checks below write", "--db", url]
    )
    assert unlocked.exit_code == 0, unlocked.output

    # the web app: every page and API read of the study
    store = open_store(url)
    try:
        token = add_user(store, "ada", "admin", None)
        subject = store.subjects.all(STUDY, actor=READER)[0].subject_id
        with TestClient(
            create_app(settings_for(url), store=store), base_url="http://127.0.0.1"
        ) as c:
            login(c, "ada")
            pages = [
                "/studies",
                f"/studies/{STUDY}",
                f"/studies/{STUDY}/subjects",
                f"/studies/{STUDY}/screen",
                f"/studies/{STUDY}/subjects/{subject}",
                f"/studies/{STUDY}/subjects/{subject}/visits/week_4/scorad",
                f"/studies/{STUDY}/audit?subject_id={subject}",
            ]
            for path in pages:
                response = c.get(path)
                assert response.status_code == 200, (path, response.text[:300])
            assert "My own: Autologous serum" in c.get("/studies").text
            headers = {"Authorization": f"Bearer {token}"}
            for path in [
                f"/api/v1/studies/{STUDY}",
                f"/api/v1/studies/{STUDY}/subjects",
                f"/api/v1/studies/{STUDY}/subjects/{subject}",
            ]:
                response = c.get(path, headers=headers)
                assert response.status_code == 200, (path, response.text[:300])
            # and data entry runs on the frozen protocol's visit plan
            screened = c.post(
                f"/api/v1/studies/{STUDY}/subjects",
                headers=headers,
                json={"site": "ajou", "subject_id": "NEW-1", "facts": {"age": 30}},
            )
            assert screened.status_code == 201, screened.text
    finally:
        store.close()


def test_own_protocol_study_works_everywhere_sqlite(tmp_path: Path) -> None:
    check_everywhere(f"sqlite:///{tmp_path / 'own.db'}", tmp_path)


@pytest.mark.postgres
def test_own_protocol_study_works_everywhere_postgresql(pg_url: str, tmp_path: Path) -> None:
    check_everywhere(pg_url, tmp_path)
