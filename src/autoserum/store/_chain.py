"""The hash chains of the append-only tables: every audit row carries the hash of its canonical
content and of the previous row of its chain (one chain per study; chain 0 holds the rows
without a study), written in the same transaction as the row; the security events
(``security_events``: logins, failed logins, lockouts, tokens, password changes, exports,
unblinding views) form one more chain, :data:`SECURITY_CHAIN`, by the same code (a
:class:`Stream` names a chained table, its hashed fields and how a row finds its chain).
``audit_heads`` keeps each chain's length and last hash, signed with an HMAC when
``AUTOSERUM_AUDIT_KEY`` is set (the key lives in the environment of the writers and of the
verifier, never in the database or the logs).

What it detects: a changed, deleted or inserted row anywhere in a chain (the content hash or the
link breaks); rows appended or removed at the end with the chain recomputed (the head's length
and hash); the whole chain and the head rewritten (the HMAC, without the key, or a head hash
exported earlier that no longer occurs in the chain).

Canonical content of a row (a contract: changing it breaks every stored chain)::

    sha256(JSON [prev_hash, chain, txn, at, username, role, study_id, subject_pk, entity,
                 record_id, action, field, old_value, new_value, reason])

with ``at`` as the stored text (``YYYY-MM-DDTHH:MM:SS.ffffffZ``), JSON canonical (sorted keys, no
spaces, UTF-8), and the hash as 64 lowercase hex digits. A security event's content is
``[prev_hash, chain, at, kind, username, actor, client, detail]`` the same way.

>>> row = {"txn": "t", "at": "2026-01-01T00:00:00.000000Z", "username": "ada", "role": "admin",
...        "study_id": 1, "subject_pk": None, "entity": "study", "record_id": 1,
...        "action": "insert", "field": "name", "old_value": None, "new_value": '"S"',
...        "reason": None}
>>> h = row_hash(GENESIS, 1, row)
>>> len(h), h == row_hash(GENESIS, 1, {**row, "username": "eve"})
(64, False)
"""

from __future__ import annotations

import hashlib
import hmac
import json
import os
from collections.abc import Callable, Iterable, Mapping, MutableMapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import (
    Connection,
    Dialect,
    Select,
    Table,
    bindparam,
    column,
    insert,
    select,
    table,
    update,
)
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.sql.expression import TableClause

from autoserum.store._types import UTCDateTime, dumps
from autoserum.store.models import AUDITED, SECURITY_EVENTS, AuditHeadRow

__all__ = [
    "ACTIONS",
    "AUDIT",
    "CHAIN_FIELDS",
    "GENESIS",
    "KEY_VARIABLE",
    "NO_CHAIN",
    "SECURITY",
    "SECURITY_CHAIN",
    "SECURITY_FIELDS",
    "ChainProblem",
    "ChainStatus",
    "Stream",
    "Verification",
    "append",
    "audit_key",
    "head_mac",
    "link",
    "malformation",
    "row_hash",
    "verify",
]

KEY_VARIABLE = "AUTOSERUM_AUDIT_KEY"
GENESIS = "0" * 64
CHAIN_FIELDS = (
    "txn",
    "at",
    "username",
    "role",
    "study_id",
    "subject_pk",
    "entity",
    "record_id",
    "action",
    "field",
    "old_value",
    "new_value",
    "reason",
)
SECURITY_FIELDS = ("at", "kind", "username", "actor", "client", "detail")
SECURITY_CHAIN = -1
"""The chain number of the security events (study chains are study ids ≥ 1; 0: no study)."""
NO_CHAIN = -2
"""The chain number of a problem that belongs to no chain (an exported head not found)."""
_AT = UTCDateTime()
_AT_FORMAT = "%Y-%m-%dT%H:%M:%S.%fZ"
ACTIONS = frozenset({"insert", "update", "delete", "refused", "import", "remove", "publish"})
"""The actions an audit row records (``refused``: a write the store refused and audited, with
no data written, e.g. an injection of another subject's product; ``import``: a batch of
records inserted by an import, one row for the batch, ``store/_audit.py:insert_imported``;
``remove``: a batch of records of an abandoned staging study deleted, their ids in
``old_value``, ``store/_staging.py``; ``publish``: an import's staging study moved into an
existing study, ``store/_staging.py:publish``)."""


def audit_key() -> bytes | None:
    """The HMAC key from ``AUTOSERUM_AUDIT_KEY`` (``None`` when unset or empty)."""
    value = os.environ.get(KEY_VARIABLE, "")
    return value.encode("utf-8") if value.strip() else None


def _at_text(value: Any) -> Any:
    return _AT.process_bind_param(value, None) if isinstance(value, datetime) else value


def row_hash(
    prev_hash: str, chain: int, row: Mapping[Any, Any], fields: Sequence[str] = CHAIN_FIELDS
) -> str:
    """The hash of one row (of the audit trail, or of ``fields`` of another chained table):
    its canonical content after the previous row's hash."""
    content = [prev_hash, chain, *(_at_text(row.get(k)) for k in fields)]
    return hashlib.sha256(dumps(content).encode("utf-8")).hexdigest()


def head_mac(key: bytes, chain: int, length: int, head_hash: str) -> str:
    """HMAC-SHA256 of a chain head (``chain:length:head_hash``) under ``key``."""
    message = f"{chain}:{length}:{head_hash}".encode("ascii")
    return hmac.new(key, message, hashlib.sha256).hexdigest()


def _chain_of(study_id: int | None) -> int:
    return 0 if study_id is None else study_id


def _at_malformed(row: Mapping[Any, Any]) -> str | None:
    try:
        datetime.strptime(str(row["at"]), _AT_FORMAT)
    except ValueError:
        return f"at {row['at']!r} is not a UTC timestamp {_AT_FORMAT}"
    return None


def _json_malformed(row: Mapping[Any, Any], names: Sequence[str]) -> str | None:
    for name in names:
        value = row[name]
        if value is not None:
            try:
                json.loads(value)
            except (TypeError, ValueError):
                return f"{name} is not JSON: {str(value)[:40]!r}"
    return None


def malformation(row: Mapping[Any, Any]) -> str | None:
    """What is malformed in a raw audit row (``None`` when it is well-formed)."""
    at = _at_malformed(row)
    if at is not None:
        return at
    if row["action"] not in ACTIONS:
        return f"action {row['action']!r} is not one of {', '.join(sorted(ACTIONS))}"
    if row["entity"] not in AUDITED:
        return f"entity {row['entity']!r} is not an audited record type"
    return _json_malformed(row, ("old_value", "new_value"))


def _event_malformation(row: Mapping[Any, Any]) -> str | None:
    at = _at_malformed(row)
    if at is not None:
        return at
    if row["kind"] not in SECURITY_EVENTS:
        return f"kind {row['kind']!r} is not a security event"
    return _json_malformed(row, ("detail",))


@dataclass(frozen=True)
class Stream:
    """A hash-chained append-only table: its name, the fields hashed (in this order), the
    chain of a row, what is malformed in a row, and which rows belong to some chains."""

    name: str
    fields: tuple[str, ...]
    chain_of: Callable[[Mapping[Any, Any]], int]
    malformation: Callable[[Mapping[Any, Any]], str | None]
    rows_of: Callable[[TableClause, set[int]], Any]

    @property
    def raw(self) -> TableClause:
        """The table as Core columns (``id``, ``prev_hash``, ``row_hash`` and the fields)."""
        return table(
            self.name,
            column("id"),
            column("prev_hash"),
            column("row_hash"),
            *(column(k) for k in self.fields),
        )

    def select(self, wanted: set[int] | None) -> Select[Any] | None:
        """Its rows of the ``wanted`` chains (all: ``None``), oldest first; ``None`` when it
        holds none of them."""
        raw = self.raw
        stmt = select(raw).order_by(raw.c.id)
        if wanted is None:
            return stmt
        cond = self.rows_of(raw, wanted)
        return None if cond is None else stmt.where(cond)


def _audit_rows(raw: TableClause, wanted: set[int]) -> Any:
    studies = [c for c in wanted if c > 0]
    if not studies and 0 not in wanted:
        return None
    cond = raw.c.study_id.in_(studies)
    return (cond | raw.c.study_id.is_(None)) if 0 in wanted else cond


AUDIT = Stream(
    "audit_log",
    CHAIN_FIELDS,
    lambda row: _chain_of(row.get("study_id")),
    malformation,
    _audit_rows,
)
"""The audit trail: one chain per study, chain 0 for rows without a study."""
SECURITY = Stream(
    "security_events",
    SECURITY_FIELDS,
    lambda _row: SECURITY_CHAIN,
    _event_malformation,
    lambda raw, wanted: raw.c.id.is_not(None) if SECURITY_CHAIN in wanted else None,
)
"""The security events: one chain, :data:`SECURITY_CHAIN`."""


# a chain's head (bound parameter ``chain``): read, read and lock (PostgreSQL), moved; built once
_HEAD = select(AuditHeadRow.length, AuditHeadRow.head_hash).where(
    AuditHeadRow.chain == bindparam("chain")
)
_HEAD_LOCKED = _HEAD.with_for_update()
_MOVE_HEAD = (
    update(AuditHeadRow)
    .where(AuditHeadRow.chain == bindparam("of_chain"))
    .values(length=bindparam("to_length"), head_hash=bindparam("to_hash"), mac=bindparam("to_mac"))
)


def _lock_head(conn: Connection, chain: int) -> tuple[int, str]:
    """The chain's head, locked for the rest of the transaction (PostgreSQL: row lock; SQLite:
    the writer already holds the database's write lock)."""
    pg = conn.dialect.name == "postgresql"
    stmt = _HEAD_LOCKED if pg else _HEAD
    row = conn.execute(stmt, {"chain": chain}).first()
    if row is None:
        ins = (postgresql.insert if pg else sqlite.insert)(AuditHeadRow)
        conn.execute(ins.values(chain=chain, length=0, head_hash=GENESIS).on_conflict_do_nothing())
        row = conn.execute(stmt, {"chain": chain}).one()
    return int(row.length), str(row.head_hash)


def _by_chain(
    rows: Sequence[MutableMapping[Any, Any]], stream: Stream
) -> dict[int, list[MutableMapping[Any, Any]]]:
    chains: dict[int, list[MutableMapping[Any, Any]]] = {}
    for row in rows:
        chains.setdefault(stream.chain_of(row), []).append(row)
    return chains


def _chained(
    conn: Connection,
    chain: int,
    members: Sequence[MutableMapping[Any, Any]],
    stream: Stream,
    key: bytes | None,
) -> dict[str, Any]:
    """Lock ``chain``'s head, set ``prev_hash`` and ``row_hash`` on ``members`` (in order) and
    return the head's new values (the parameters of :data:`_MOVE_HEAD`)."""
    length, head = _lock_head(conn, chain)
    for row in members:
        row["prev_hash"] = head
        head = row["row_hash"] = row_hash(head, chain, row, stream.fields)
    length += len(members)
    mac = None if key is None else head_mac(key, chain, length, head)
    return {"of_chain": chain, "to_length": length, "to_hash": head, "to_mac": mac}


def link(
    conn: Connection, rows: Sequence[MutableMapping[Any, Any]], *, stream: Stream = AUDIT
) -> None:
    """Set ``prev_hash`` and ``row_hash`` on ``rows`` of ``stream`` (about to be inserted in
    this order, in the transaction of ``conn``) and move their chains' heads: one hash per row,
    one head read and one head write per chain and flush. The heads are locked in the order of
    their chain numbers (two transactions writing the same chains cannot deadlock)."""
    key = audit_key()
    for chain, members in sorted(_by_chain(rows, stream).items(), key=lambda item: item[0]):
        conn.execute(_MOVE_HEAD, _chained(conn, chain, members, stream, key))


_APPEND_MAX_PARAMETERS = 30_000
"""The most parameters of one :func:`append` statement (PostgreSQL allows 65,535)."""
_APPENDS: dict[tuple[str, int], tuple[str, list[tuple[str, Any]]]] = {}


def _move_and_insert(
    dialect: Dialect, target: Table, names: tuple[str, ...], count: int
) -> tuple[str, list[tuple[str, Any]]]:
    """``WITH moved AS (UPDATE audit_heads …) INSERT INTO target (names) VALUES …`` for
    ``count`` rows, and each name's bind processor (built once per table, names and count)."""
    cache_key = (f"{target.name}:{','.join(names)}", count)
    found = _APPENDS.get(cache_key)
    if found is not None:
        return found
    quote = dialect.identifier_preparer.quote
    one = "(" + ", ".join("%s" for _ in names) + ")"
    sql = (
        f"WITH moved AS (UPDATE {quote(AuditHeadRow.__tablename__)} SET length = %s, "
        "head_hash = %s, mac = %s WHERE chain = %s) "
        f"INSERT INTO {quote(target.name)} ({', '.join(quote(n) for n in names)}) "
        f"VALUES {', '.join(one for _ in range(count))}"
    )
    processors = [
        (n, target.c[n].type.dialect_impl(dialect).bind_processor(dialect)) for n in names
    ]
    if count <= 64:  # the usual sizes of one write's audit rows
        _APPENDS[cache_key] = (sql, processors)
    return sql, processors


def append(
    conn: Connection,
    rows: Sequence[MutableMapping[Any, Any]],
    target: Table,
    *,
    stream: Stream = AUDIT,
) -> None:
    """Chain ``rows`` of ``stream`` (:func:`link`) and insert them, in this order, into
    ``target``, in the transaction of ``conn``.

    PostgreSQL, rows of one chain (a write of one study): the head's move and the rows'
    insert are **one statement** (``WITH moved AS (UPDATE …) INSERT …``), so the chain's head,
    locked by its read, is held for that statement and the commit only (one round trip less
    than the update and the insert apart; every writer of the study waits for it). Otherwise
    (SQLite, whose writer holds the database's lock anyway; several chains; a very large
    write) the head's update and the insert apart."""
    if not rows:
        return
    chains = _by_chain(rows, stream)
    if (
        conn.dialect.name != "postgresql"
        or len(chains) != 1
        or len(rows) * len(target.c) > _APPEND_MAX_PARAMETERS
    ):
        link(conn, rows, stream=stream)
        conn.execute(insert(target), rows)
        return
    wanted = {*rows[0], "prev_hash", "row_hash"}
    names = tuple(c.key for c in target.c if c.key in wanted)
    ((chain, members),) = chains.items()
    head = _chained(conn, chain, members, stream, audit_key())
    sql, processors = _move_and_insert(conn.dialect, target, names, len(rows))
    params: list[Any] = [head["to_length"], head["to_hash"], head["to_mac"], chain]
    for row in rows:
        params += [
            value if process is None or value is None else process(value)
            for value, process in ((row.get(n), p) for n, p in processors)
        ]
    conn.exec_driver_sql(sql, tuple(params))


@dataclass(frozen=True)
class ChainProblem:
    """One finding of :func:`verify`: the chain, the audit row id (``None`` for the head), what
    is wrong, and the expected and found values."""

    chain: int
    row: int | None
    kind: str
    expected: str
    found: str
    study: str | None = None

    def to_json(self) -> dict[str, Any]:
        """A JSON-ready dict."""
        return dict(vars(self))


@dataclass(frozen=True)
class ChainStatus:
    """One chain as recomputed: its length, last hash and whether its head's HMAC was checked
    (``None``: no key given)."""

    chain: int
    length: int
    head_hash: str
    signed: bool | None = None
    study: str | None = None

    def to_json(self) -> dict[str, Any]:
        """A JSON-ready dict."""
        return dict(vars(self))


@dataclass
class Verification:
    """The result of :func:`verify`: ``ok`` when no chain has a problem (malformed rows count)."""

    chains: list[ChainStatus] = field(default_factory=list)
    problems: list[ChainProblem] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        """No problem found."""
        return not self.problems

    def to_json(self) -> dict[str, Any]:
        """A JSON-ready dict."""
        return {
            "ok": self.ok,
            "chains": [c.to_json() for c in self.chains],
            "problems": [p.to_json() for p in self.problems],
        }


_HEADS = table("audit_heads", column("chain"), column("length"), column("head_hash"), column("mac"))


def verify(
    conn: Connection,
    *,
    chains: Iterable[int] | None = None,
    key: bytes | None = None,
    anchors: Iterable[str] = (),
    streams: Sequence[Stream] = (AUDIT, SECURITY),
) -> Verification:
    """Recompute the hash chains (all, or ``chains``) of ``streams`` from the stored rows,
    oldest first, and compare them with their heads; with ``key``, check each head's HMAC; every
    hash in ``anchors`` (heads exported earlier) must still occur in the chains.

    Reports per chain the first broken link (the row, the expected and the found hash), every
    malformed row, and head mismatches. Reads the rows once, streamed.
    """
    wanted = None if chains is None else set(chains)
    result = Verification()
    heads: dict[int, str] = {}
    lengths: dict[int, int] = {}
    broken: set[int] = set()
    seen_anchor = {a.strip().lower(): False for a in anchors}
    for stream in streams:
        stmt = stream.select(wanted)
        if stmt is None:
            continue
        for raw in conn.execution_options(yield_per=5000).execute(stmt).mappings():
            _check_row(stream, raw, result, heads, lengths, broken, seen_anchor)
    stored = {
        int(h.chain): h
        for h in conn.execute(select(_HEADS)).mappings()
        if wanted is None or int(h.chain) in wanted
    }
    _check_heads(result, stored, heads, lengths, broken, key)
    for anchor, seen in seen_anchor.items():
        if not seen:
            result.problems.append(
                ChainProblem(NO_CHAIN, None, "anchor", anchor, "not found in any verified chain")
            )
    return result


def _check_row(  # noqa: PLR0917 - the running state of one pass
    stream: Stream,
    raw: Mapping[Any, Any],
    result: Verification,
    heads: dict[int, str],
    lengths: dict[int, int],
    broken: set[int],
    seen_anchor: dict[str, bool],
) -> None:
    chain = stream.chain_of(raw)
    problem = stream.malformation(raw)
    if problem is not None:
        result.problems.append(ChainProblem(chain, raw["id"], "malformed", "", problem))
    prev = heads.get(chain, GENESIS)
    lengths[chain] = lengths.get(chain, 0) + 1
    if raw["row_hash"] in seen_anchor:
        seen_anchor[raw["row_hash"]] = True
    heads[chain] = str(raw["row_hash"])
    if chain in broken:
        return
    if raw["prev_hash"] != prev:
        broken.add(chain)
        result.problems.append(ChainProblem(chain, raw["id"], "link", prev, str(raw["prev_hash"])))
        return
    expected = row_hash(prev, chain, raw, stream.fields)
    if raw["row_hash"] != expected:
        broken.add(chain)
        result.problems.append(
            ChainProblem(chain, raw["id"], "content", expected, str(raw["row_hash"]))
        )


def _check_heads(
    result: Verification,
    stored: Mapping[int, Any],
    heads: dict[int, str],
    lengths: dict[int, int],
    broken: set[int],
    key: bytes | None,
) -> None:
    for chain in sorted(set(heads) | set(stored)):
        length, head = lengths.get(chain, 0), heads.get(chain, GENESIS)
        signed: bool | None = None
        h = stored.get(chain)
        if h is None:
            result.problems.append(ChainProblem(chain, None, "head", "a stored head", "none"))
        else:
            if int(h["length"]) != length:
                result.problems.append(
                    ChainProblem(chain, None, "length", str(h["length"]), str(length))
                )
            if h["head_hash"] != head and chain not in broken:
                result.problems.append(ChainProblem(chain, None, "head", str(h["head_hash"]), head))
            if key is not None:
                mac = head_mac(key, chain, int(h["length"]), str(h["head_hash"]))
                signed = h["mac"] is not None and hmac.compare_digest(mac, str(h["mac"]))
                if not signed:
                    found = "no HMAC" if h["mac"] is None else "an HMAC not made with this key"
                    result.problems.append(
                        ChainProblem(chain, None, "mac", "an HMAC made with the key", found)
                    )
        result.chains.append(ChainStatus(chain, length, head, signed))
