"""The one permission table (issue 10 item 2): roles defined once, the documented table is the
table, and the store and the web app hold no copy of it."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

import autoserum
from autoserum.errors import PermissionDeniedError, ValidationError
from autoserum.permissions import (
    ACTIONS,
    ROLES,
    TABLE,
    Scope,
    allowed,
    check_role,
    permits,
    require,
    scope_of,
    table_markdown,
)

ROOT = Path(__file__).resolve().parents[1]
SRC = Path(autoserum.__file__).resolve().parent
A1 = frozenset({("A", "s1")})


def test_the_documented_table_is_the_table() -> None:
    doc = (ROOT / "docs" / "web.md").read_text(encoding="utf-8")
    found = re.search(
        r"<!-- permission-table:[^\n]*-->\n(.*?)<!-- /permission-table -->", doc, re.S
    )
    assert found is not None, "docs/web.md has no generated permission table"
    assert found.group(1) == table_markdown()


def test_every_role_has_a_row_and_every_scope_is_a_scope() -> None:
    assert tuple(TABLE) == ROLES
    for role, row in TABLE.items():
        assert set(row) <= set(ACTIONS), role
        assert all(isinstance(scope, Scope) for scope in row.values())
    assert all(scope is Scope.ALL for scope in TABLE["admin"].values())
    assert set(TABLE["admin"]) == set(ACTIONS)


def test_scopes_reach_as_documented() -> None:
    # sites: only the user's own sites, and a site code names a site of one study only
    assert permits("coordinator", "write_data", sites=A1, study="A", site="s1")
    assert not permits("coordinator", "write_data", sites=A1, study="A", site="s2")
    assert not permits("coordinator", "write_data", sites=A1, study="B", site="s1")
    # study: every site of a study the user belongs to, no other study
    assert scope_of("statistician", "export") is Scope.STUDY
    assert permits("statistician", "export", sites=A1, study="A", site="s2")
    assert not permits("statistician", "export", sites=A1, study="B", site="s1")
    assert not permits("statistician", "export", sites=A1, study="B")
    # all: every study, whatever the user's sites
    assert permits("admin", "write_data", sites=A1, study="B", site="s9")
    # not in the row: never
    assert not permits("monitor", "write_data", sites=None, study="A", site="s1")
    assert not allowed("system", "read_study")  # the store's system actor has no row


def test_refusals_name_who_and_what() -> None:
    with pytest.raises(PermissionDeniedError, match=r"^mo \(monitor\) may not withdraw a subject$"):
        require("monitor", "withdraw", username="mo")
    with pytest.raises(PermissionDeniedError, match="no access to site 's2' of study 'A'"):
        require("coordinator", "write_data", username="co", sites=A1, study="A", site="s2")
    with pytest.raises(ValidationError, match="role: got 'nurse'"):
        check_role("nurse")
    with pytest.raises(ValidationError, match="action: got 'fly'"):
        allowed("admin", "fly")


def test_no_layer_keeps_a_copy_of_the_roles_or_the_table() -> None:
    """Role names written out as a set or tuple outside the table (the copies that drifted)."""
    pattern = re.compile(r"[{(]\s*\"admin\",\s*\"investigator\"|\{\"admin\"\}")
    offenders = [
        str(path.relative_to(SRC))
        for path in SRC.rglob("*.py")
        if path.name != "permissions.py"
        and "migrations" not in path.parts  # a migration is frozen history
        and pattern.search(path.read_text(encoding="utf-8"))
    ]
    assert not offenders, f"roles written out outside autoserum.permissions: {offenders}"
    assert not (SRC / "web" / "permissions.py").exists()
