"""The audit trail as a hash chain, on both engines: intact after normal writes, imports and
corrections; a database owner who drops the triggers and rewrites an adverse event's severity and
author, back-dates an insert under an invented user, or rewrites a whole chain is caught by
``audit verify``; malformed rows are reported by ``verify`` and skipped by readers."""

from __future__ import annotations

import json
import logging
import os
import subprocess
import sys
from pathlib import Path

import pytest
from sqlalchemy import Engine, text

from autoserum.cli import main
from autoserum.store import KEY_VARIABLE, Store, open_store
from autoserum.store._chain import GENESIS, head_mac, row_hash
from tests.store.helpers import ADMIN, COORDINATOR, double_blind_study, enrolled
from tests.store.test_import_export import ae_file, visit_file

KEY = b"a-test-key-kept-outside-the-database"
_FIELDS = (
    "txn", "at", "username", "role", "study_id", "subject_pk", "entity", "record_id", "action",
    "field", "old_value", "new_value", "reason",
)  # fmt: skip


@pytest.fixture
def keyed(monkeypatch: pytest.MonkeyPatch) -> bytes:
    """Writers sign the chain heads with ``KEY`` (as the environment would)."""
    monkeypatch.setenv(KEY_VARIABLE, KEY.decode())
    return KEY


def _study_with_ae(store: Store) -> int:
    study = double_blind_study(store)
    enrolled(store, study, "S01")
    ae = store.records.add_adverse_event(
        study, "S01", actor=COORDINATOR, term="injection site pain", severity="severe",
        serious=False, related="probable", outcome="recovered", onset_date="2026-03-03",
    )  # fmt: skip
    store.records.update(study, "adverse_event", ae.id, {"outcome": "recovering"}, actor=ADMIN,
                         reason="source document check", expected_version=ae.version)  # fmt: skip
    return ae.id


class _Unguarded:
    """The database owner's power: the append-only triggers dropped (or disabled), then put back."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    def __enter__(self) -> _Unguarded:
        with self.engine.begin() as conn:
            if self.engine.dialect.name == "sqlite":
                conn.exec_driver_sql("DROP TRIGGER audit_log_no_update")
                conn.exec_driver_sql("DROP TRIGGER audit_log_no_delete")
            else:
                conn.exec_driver_sql("ALTER TABLE audit_log DISABLE TRIGGER USER")
        return self

    def __exit__(self, *_: object) -> None:
        with self.engine.begin() as conn:
            if self.engine.dialect.name == "sqlite":
                for name, op in (("no_update", "UPDATE"), ("no_delete", "DELETE")):
                    conn.exec_driver_sql(
                        f"CREATE TRIGGER audit_log_{name} BEFORE {op} ON audit_log "
                        "BEGIN SELECT RAISE(ABORT, 'audit_log is append-only'); END"
                    )
            else:
                conn.exec_driver_sql("ALTER TABLE audit_log ENABLE TRIGGER USER")


def _rechain(engine: Engine, *, sign_with: bytes | None = None) -> None:
    """The owner's cover-up: recompute every hash and the heads (without the real key)."""
    with engine.begin() as conn:
        rows = conn.execute(
            text(f"SELECT id, {', '.join(_FIELDS)} FROM audit_log ORDER BY id")
        ).mappings()
        heads: dict[int, tuple[int, str]] = {}
        for row in list(rows):
            chain = row["study_id"] or 0
            length, prev = heads.get(chain, (0, GENESIS))
            new = row_hash(prev, chain, row)
            conn.execute(
                text("UPDATE audit_log SET prev_hash = :p, row_hash = :h WHERE id = :i"),
                {"p": prev, "h": new, "i": row["id"]},
            )
            heads[chain] = (length + 1, new)
        for chain, (length, head) in heads.items():
            mac = None if sign_with is None else head_mac(sign_with, chain, length, head)
            conn.execute(
                text(
                    "UPDATE audit_heads SET length = :n, head_hash = :h, mac = :m WHERE chain = :c"
                ),
                {"n": length, "h": head, "m": mac, "c": chain},
            )


def test_the_chain_holds_after_writes_corrections_and_imports(store: Store) -> None:
    _study_with_ae(store)
    store.exports.import_long("IMP", visit_file(), actor=ADMIN, adverse_events=ae_file(),
                              protocol="ast-nahm2023")  # fmt: skip
    result = store.audit.verify()
    assert result.ok, result.problems
    studies = {c.study: c for c in result.chains}
    assert {"AST", "IMP"} <= set(studies)
    with store.engine.connect() as conn:
        n = conn.execute(text("SELECT count(*) FROM audit_log WHERE study_id IS NOT NULL")).one()[0]
        unchained = conn.execute(text("SELECT count(*) FROM audit_log WHERE row_hash IS NULL"))
        assert unchained.one()[0] == 0
    assert studies["AST"].length + studies["IMP"].length == n
    # one study's chain alone, and its head as exported
    assert store.audit.verify("AST", anchors=[studies["AST"].head_hash]).ok


def test_rewriting_an_ae_severity_and_author_is_detected(store: Store) -> None:
    ae_id = _study_with_ae(store)
    with store.engine.connect() as conn:
        target = conn.execute(
            text("SELECT id, row_hash FROM audit_log WHERE entity = 'adverse_event' "
                 "AND field = 'severity' AND record_id = :r"), {"r": ae_id},
        ).one()  # fmt: skip
    with _Unguarded(store.engine), store.engine.begin() as conn:
        conn.execute(
            text("UPDATE adverse_events SET severity = 'mild' WHERE id = :r"), {"r": ae_id}
        )
        conn.execute(
            text("UPDATE audit_log SET new_value = '\"mild\"', username = 'ivan' WHERE id = :i"),
            {"i": target.id},
        )
    result = store.audit.verify("AST")
    assert not result.ok
    first = result.problems[0]
    assert (first.study, first.row, first.kind, first.found) == ("AST", target.id, "content",
                                                                 target.row_hash)  # fmt: skip
    assert first.expected != target.row_hash
    assert len(first.expected) == 64


def test_rewriting_the_whole_chain_is_caught_by_the_hmac_and_by_an_exported_head(
    store: Store, keyed: bytes
) -> None:
    ae_id = _study_with_ae(store)
    before = store.audit.verify("AST", key=keyed)
    assert before.ok
    assert before.chains[0].signed is True
    exported = before.chains[0].head_hash
    with _Unguarded(store.engine), store.engine.begin() as conn:
        conn.execute(
            text("UPDATE audit_log SET new_value = '\"mild\"', username = 'ivan' "
                 "WHERE entity = 'adverse_event' AND field = 'severity' AND record_id = :r"),
            {"r": ae_id},
        )  # fmt: skip
    with _Unguarded(store.engine):
        _rechain(store.engine, sign_with=b"a-guessed-key")
    plain = store.audit.verify("AST")
    assert plain.ok  # without the key or an exported head, a full rewrite looks consistent
    with_key = store.audit.verify("AST", key=keyed)
    assert [p.kind for p in with_key.problems] == ["mac"]
    with_head = store.audit.verify("AST", anchors=[exported])
    assert [(p.kind, p.expected) for p in with_head.problems] == [("anchor", exported)]


def test_a_back_dated_insert_under_an_invented_user_is_detected(store: Store, keyed: bytes) -> None:
    _study_with_ae(store)
    with store.engine.connect() as conn:
        study_id, head, subject_pk = conn.execute(
            text("SELECT h.chain, h.head_hash, s.id FROM audit_heads h JOIN subjects s "
                 "ON s.study_id = h.chain")
        ).one()  # fmt: skip
    forged = {
        "txn": "00000000-0000-0000-0000-000000000000", "at": "2026-01-01T09:00:00.000000Z",
        "username": "mallory", "role": "investigator", "study_id": study_id,
        "subject_pk": subject_pk, "entity": "adverse_event", "record_id": 999, "action": "delete",
        "field": None, "old_value": '{"term":"anaphylaxis"}', "new_value": None,
        "reason": "entered in error",
    }  # fmt: skip
    forged_hash = row_hash(head, study_id, forged)
    with store.engine.begin() as conn:  # an INSERT needs no trigger dropped
        conn.execute(
            text(f"INSERT INTO audit_log ({', '.join(_FIELDS)}, prev_hash, row_hash) VALUES "
                 f"({', '.join(':' + f for f in _FIELDS)}, :prev_hash, :row_hash)"),
            {**forged, "prev_hash": head, "row_hash": forged_hash},
        )  # fmt: skip
    kinds = {p.kind for p in store.audit.verify("AST").problems}
    assert kinds == {"length", "head"}  # the chain links, but the head has not moved
    with store.engine.begin() as conn:  # the owner moves the head too, without the key
        conn.execute(
            text("UPDATE audit_heads SET length = length + 1, head_hash = :h WHERE chain = :c"),
            {"h": forged_hash, "c": study_id},
        )
    assert store.audit.verify("AST").ok
    assert [p.kind for p in store.audit.verify("AST", key=keyed).problems] == ["mac"]


def test_a_malformed_row_is_reported_by_verify_and_skipped_by_readers(
    store: Store, caplog: pytest.LogCaptureFixture
) -> None:
    _study_with_ae(store)
    with store.engine.begin() as conn:
        bad = conn.execute(
            text("INSERT INTO audit_log (txn, at, username, role, study_id, entity, record_id, "
                 "action, field, new_value) SELECT 'x', 'yesterday', 'eve', 'admin', id, "
                 "'study', id, 'update', 'name', '{not json' FROM studies RETURNING id")
        ).scalar_one()  # fmt: skip
    with caplog.at_level(logging.WARNING, logger="autoserum.store.audit"):
        records = store.audit.trail("AST", actor=ADMIN)
        raw = store.audit.raw_rows("AST")
    assert records
    assert bad not in {r.id for r in records} | {r.id for r in raw}
    assert f"audit row {bad} is malformed" in caplog.text
    problems = store.audit.verify("AST").problems
    assert ("malformed", bad) in {(p.kind, p.row) for p in problems}
    assert ("link", bad) in {(p.kind, p.row) for p in problems}


@pytest.fixture
def cli_db(db_url: str) -> str:
    store = open_store(db_url)
    try:
        _study_with_ae(store)
    finally:
        store.close()
    return db_url


def _cli(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    capsys.readouterr()
    try:
        main(list(args))
        code = 0
    except SystemExit as exit_:
        code = int(exit_.code or 0)
    out, err = capsys.readouterr()
    return code, out, err


def test_the_cli_verifies_prints_heads_and_exits_1_on_a_break(
    cli_db: str, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, _ = _cli(capsys, "audit", "head", "--db", cli_db, "--study", "AST")
    assert code == 0
    name, length, head = out.strip().split("\t")
    assert name == "AST"
    assert int(length) > 10
    assert len(head) == 64
    code, out, _ = _cli(capsys, "audit", "verify", "--db", cli_db, "--head", head)
    assert code == 0
    assert f"head {head}" in out
    assert "every chain intact" in out
    store = open_store(cli_db)
    try:
        with _Unguarded(store.engine), store.engine.begin() as conn:
            row = conn.execute(text("SELECT max(id) FROM audit_log WHERE field = 'severity'")).one()
            conn.execute(
                text("UPDATE audit_log SET username = 'ivan' WHERE id = :i"), {"i": row[0]}
            )
    finally:
        store.close()
    code, out, err = _cli(capsys, "audit", "verify", "--db", cli_db, "--study", "AST")
    assert code == 1
    assert f"BROKEN content in chain AST at row {row[0]}: expected " in err
    assert "Traceback" not in out + err
    code, _, err = _cli(capsys, "audit", "--db", cli_db, "--study", "AST")
    assert code == 0


def test_the_migration_chains_rows_written_before_it(db_url: str) -> None:
    from autoserum.store._engine import make_engine
    from autoserum.store._migrate import upgrade

    engine = make_engine(db_url)
    try:
        assert upgrade(engine, "0004")[1] == "0004"
        with engine.begin() as conn:  # rows as the code before the chain wrote them
            for i, (study, field) in enumerate([(1, "name"), (None, "username"), (1, "seed")]):
                conn.execute(
                    text("INSERT INTO audit_log (txn, at, username, role, study_id, entity, "
                         "record_id, action, field, new_value) VALUES ('t', :at, 'ada', 'admin', "
                         ":s, 'study', 1, 'insert', :f, '1')"),
                    {"at": f"2026-01-0{i + 1}T00:00:00.000000Z", "s": study, "f": field},
                )  # fmt: skip
        upgrade(engine)
    finally:
        engine.dispose()
    store = open_store(db_url)
    try:
        result = store.audit.verify()
        assert result.ok, result.problems
        assert sorted((c.chain, c.length) for c in result.chains) == [(0, 1), (1, 2)]
    finally:
        store.close()


def test_the_cli_skips_a_malformed_row_with_a_warning(
    cli_db: str, capsys: pytest.CaptureFixture[str]
) -> None:
    store = open_store(cli_db)
    try:
        with store.engine.begin() as conn:
            bad = conn.execute(
                text("INSERT INTO audit_log (txn, at, username, role, study_id, entity, "
                     "record_id, action, field, new_value) SELECT 'x', '2026-13-45', 'eve', "
                     "'admin', id, 'nonsense', id, 'rewrite', 'name', '1' FROM studies "
                     "RETURNING id")
            ).scalar_one()  # fmt: skip
    finally:
        store.close()
    run = subprocess.run(  # a real process: the warning goes to its stderr
        [sys.executable, "-m", "autoserum", "audit", "--db", cli_db, "--study", "AST",
         "--json"],
        capture_output=True, text=True, timeout=120, check=False,
        env={**os.environ, "PYTHONPATH": str(Path(__file__).parents[2] / "src")},
    )  # fmt: skip
    assert run.returncode == 0, run.stderr
    assert bad not in {r["id"] for r in json.loads(run.stdout)}
    assert f"audit row {bad} is malformed and was skipped" in run.stderr
    assert "Traceback" not in run.stdout + run.stderr
    code, _, err = _cli(capsys, "audit", "verify", "--db", cli_db, "--study", "AST")
    assert code == 1
    assert f"row {bad}" in err
    assert "Traceback" not in err
