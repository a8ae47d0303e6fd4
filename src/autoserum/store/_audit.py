"""The audit mechanism: every insert, update and delete of an audited table writes audit rows
in the same transaction (a SQLAlchemy ``after_flush`` hook on the store's sessions).

The rows are chained (:func:`autoserum.store._chain.append`: the study's chain head is read,
row-locked on PostgreSQL, and moved) and inserted **at the end of the transaction**, just before
its commit (:func:`write_pending`, a ``before_commit`` hook that runs after the review hook of
``store/_review.py``): the head lock, which serialises the writers of a study, is then held for
the head's update, the audit insert (on PostgreSQL one statement with the update) and the
commit only, not for the rest of the write (its
checks, the automatic checks of the review hook). A rolled-back transaction's rows are dropped
with it.

One audit row per changed field: ``action`` insert/update/delete, ``field``, ``old_value`` and
``new_value`` as canonical JSON (see :func:`encode`), the actor, UTC time and the reason. An
insert records every non-null field; a delete records the whole record as ``old_value`` with
``field`` = ``None``. Updates and deletes need a reason (``ValidationError`` otherwise); a write
without an :class:`AuditContext` is refused (``StateError``): study data change only through the
service. The table itself is append-only in the database (triggers, see the migration), and each
row is hash-chained to the previous row of its study (:mod:`autoserum.store._chain`).

Reference: FDA 21 CFR Part 11 §11.10(e) (secure, computer-generated, time-stamped audit trails
recording the date and time of operator entries and actions that create, modify, or delete
electronic records; record changes shall not obscure previously recorded information).
"""

from __future__ import annotations

import hashlib
import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from typing import Any, cast

from sqlalchemy import Connection, Table, event, func, insert, inspect, select, text
from sqlalchemy.orm import Session, UOWTransaction

from autoserum.errors import Expected, Message, StateError, ValidationError
from autoserum.store._chain import append
from autoserum.store._types import UTCDateTime, dumps, utcnow
from autoserum.store.models import AUDITED, AuditRow, SubjectRow

__all__ = [
    "NOT_AUDITED_FIELDS",
    "REDACTED",
    "REVIEW_ENTITIES",
    "AuditContext",
    "AuditedSession",
    "ImportBatch",
    "audit_refusal",
    "encode",
    "insert_audited",
    "insert_imported",
    "touch",
    "write_pending",
]

REDACTED = "[redacted]"
NOT_AUDITED_FIELDS: dict[str, frozenset[str]] = {
    # login bookkeeping is not study data; it changes on every login
    "user": frozenset({"failed_logins", "locked_until", "last_login_at"}),
    # a self-report link's token hash is a credential: its issue is audited, the hash is not
    "patient_link": frozenset({"token_hash"}),
}
_REDACT: frozenset[tuple[str, str]] = frozenset({("user", "password_hash")})
_ENTITY_OF = {cls: name for name, cls in AUDITED.items()}


@dataclass
class AuditContext:
    """Who writes, why, and when: one per write transaction."""

    username: str
    role: str
    reason: str | None = None
    at: datetime = field(default_factory=utcnow)
    txn: str = field(default_factory=lambda: str(uuid.uuid4()))


def encode(value: Any) -> Any:
    """A column value as a JSON-ready value (dates ISO, decimals as text, timestamps UTC)."""
    if value is None or isinstance(value, bool | int | str):
        return value
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, datetime):
        return UTCDateTime().process_bind_param(value, None)
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, dict | list):
        return value
    raise TypeError(f"cannot encode {type(value).__name__} for the audit trail")


def _text(entity: str, key: str, value: Any) -> str | None:
    if value is None:
        return None
    if (entity, key) in _REDACT:
        return dumps(REDACTED)
    return dumps(encode(value))


def _keys(obj: Any) -> list[str]:
    return [a.key for a in inspect(obj).mapper.column_attrs if a.key != "id"]


def _scope(obj: Any) -> tuple[int | None, int | None]:
    return getattr(obj, "study_id", None), getattr(obj, "subject_pk", None)


def _rows_for(obj: Any, action: str, ctx: AuditContext) -> list[dict[str, Any]]:
    entity = _ENTITY_OF[type(obj)]
    skip = NOT_AUDITED_FIELDS.get(entity, frozenset())
    study_id, subject_pk = _scope(obj)
    base = {
        "txn": ctx.txn,
        "at": ctx.at,
        "username": ctx.username,
        "role": ctx.role,
        "study_id": study_id,
        "subject_pk": subject_pk,
        "entity": entity,
        "record_id": obj.id,
        "action": action,
        "reason": ctx.reason,
    }
    rows: list[dict[str, Any]] = []
    state = inspect(obj)
    if action == "insert":
        for key in _keys(obj):
            value = getattr(obj, key)
            if key not in skip and value is not None:
                rows.append(
                    {
                        **base,
                        "field": key,
                        "old_value": None,
                        "new_value": _text(entity, key, value),
                    }
                )
    elif action == "update":
        for key in _keys(obj):
            if key in skip or key == "version":
                continue
            changed = _change(state.attrs[key].history)
            if changed is None:
                continue
            old, new = changed
            rows.append(
                {
                    **base,
                    "field": key,
                    "old_value": _text(entity, key, old),
                    "new_value": _text(entity, key, new),
                }
            )
        if rows:  # the version was raised in before_flush
            rows.append(
                {
                    **base,
                    "field": "version",
                    "old_value": dumps(obj.version - 1),
                    "new_value": dumps(obj.version),
                }
            )
    else:
        record = {k: encode(getattr(obj, k)) for k in _keys(obj) if k not in skip}
        for key in list(record):
            if (entity, key) in _REDACT:
                record[key] = REDACTED
        rows.append({**base, "field": None, "old_value": dumps(record), "new_value": None})
    return rows


def _change(hist: Any) -> tuple[Any, Any] | None:
    """An attribute's (old, new) values when they differ as the audit trail writes them
    (:func:`encode`), else ``None``: an assignment of the value it had (``None`` to a new
    row's empty column) is no change, so it neither raises the version nor writes a row."""
    if not hist.has_changes():
        return None
    old = hist.deleted[0] if hist.deleted else None
    new = hist.added[0] if hist.added else None
    return None if encode(old) == encode(new) else (old, new)


def _real_changes(obj: Any) -> bool:
    entity = _ENTITY_OF[type(obj)]
    skip = NOT_AUDITED_FIELDS.get(entity, frozenset()) | {"version"}
    state = inspect(obj)
    return any(_change(state.attrs[k].history) is not None for k in _keys(obj) if k not in skip)


def _before_flush(session: Session, _ctx: UOWTransaction, _instances: Any) -> None:
    audited = [o for o in session.dirty if type(o) in _ENTITY_OF and session.is_modified(o)]
    changes = [o for o in audited if _real_changes(o)]
    deletes = [o for o in session.deleted if type(o) in _ENTITY_OF]
    news = [o for o in session.new if type(o) in _ENTITY_OF]
    if not (changes or deletes or news):
        return
    ctx = session.info.get("audit")
    if not isinstance(ctx, AuditContext):
        raise StateError(Message("a write to study data outside an audited store transaction"))
    if (changes or deletes) and not (ctx.reason and ctx.reason.strip()):
        raise ValidationError(
            "reason", ctx.reason, Expected("a non-empty reason for changing recorded data")
        )
    for obj in changes:
        obj.version = obj.version + 1


REVIEW_ENTITIES: frozenset[str] = frozenset(
    {"lock", "unblinding", "query", "query_message", "verification", "signature"}
)
"""Audited records about the data (locks, unblinding, queries, verifications, signatures):
recorded, but not the subject's data themselves (a signature does not cover them)."""


def touch(session: Session, obj: Any, action: str) -> None:
    """Note in ``session.info["touched"]`` that a subject's data changed (the subject, the
    visit and, for an update or a delete, the record): what the review hook
    (``store/_review.py``) clears and re-checks before the transaction commits."""
    entity = _ENTITY_OF[type(obj)]
    subject_pk = getattr(obj, "subject_pk", None)
    if entity in REVIEW_ENTITIES or subject_pk is None:
        return
    touched = session.info.setdefault("touched", {})
    mark = touched.setdefault(obj.study_id, ({}, set(), set()))
    mark[0].setdefault(subject_pk, set()).add(entity)
    visit_id = obj.id if entity == "visit" else getattr(obj, "visit_id", None)
    if visit_id is not None:
        mark[1].add(visit_id)
    if action != "insert":
        mark[2].add((entity, obj.id))


def _after_flush(session: Session, _ctx: UOWTransaction) -> None:
    ctx = session.info.get("audit")
    rows: list[dict[str, Any]] = []
    for obj in session.new:
        if type(obj) in _ENTITY_OF:
            rows += _rows_for(obj, "insert", ctx)  # type: ignore[arg-type]
            touch(session, obj, "insert")
    for obj in session.dirty:
        if type(obj) in _ENTITY_OF and session.is_modified(obj):
            changed = _rows_for(obj, "update", ctx)  # type: ignore[arg-type]
            if changed:
                rows += changed
                touch(session, obj, "update")
    for obj in session.deleted:
        if type(obj) in _ENTITY_OF:
            rows += _rows_for(obj, "delete", ctx)  # type: ignore[arg-type]
            touch(session, obj, "delete")
    if rows:
        _append(session, rows)


_PENDING = "audit_pending"
_SEALED = "audit_sealed"


def _append(session: Session, rows: list[dict[str, Any]]) -> None:
    """Queue audit rows for :func:`write_pending` (chained and inserted just before the
    commit); once the transaction's rows were written (a flush after the last hook), at once."""
    if session.info.get(_SEALED):
        _write(session.connection(), rows)
    else:
        session.info.setdefault(_PENDING, []).extend(rows)


_AUDIT_TABLE = cast(Table, AuditRow.__table__)


def _write(conn: Connection, rows: list[dict[str, Any]]) -> None:
    append(conn, rows, _AUDIT_TABLE)


def write_pending(session: Session) -> None:
    """Chain and insert the audit rows the transaction queued, in their order (the
    ``before_commit`` hook; the study's chain head is locked from here to the commit)."""
    session.flush()
    rows = session.info.pop(_PENDING, None)
    session.info[_SEALED] = True
    if rows:
        _write(session.connection(), rows)


def _forget(session: Session, *_args: Any) -> None:
    """After a commit or a rollback: nothing queued (a rolled-back transaction's rows are
    dropped with it), and the next transaction of the session queues again."""
    session.info.pop(_PENDING, None)
    session.info.pop(_SEALED, None)


class AuditedSession(Session):
    """The store's session class: the audit hooks listen on it (and only on it)."""


event.listen(AuditedSession, "before_flush", _before_flush)
event.listen(AuditedSession, "after_flush", _after_flush)
# last of the before_commit hooks (the review hook is inserted before it, store/_review.py)
event.listen(AuditedSession, "before_commit", write_pending)
event.listen(AuditedSession, "after_commit", _forget)
event.listen(AuditedSession, "after_rollback", _forget)
event.listen(AuditedSession, "after_soft_rollback", _forget)


def insert_audited(session: Session, obj: Any) -> None:
    """Insert the new audited record ``obj`` with one Core ``INSERT … RETURNING id`` and its
    audit rows with one multi-row insert, in the session's (write) transaction.

    The audit rows are those a flush of ``obj`` writes (:func:`_rows_for`, the same code); the
    unit of work is skipped, which makes a single insert several times cheaper. ``obj`` stays
    transient (not in the session) with its ``id`` set; every column must be set on it.
    """
    ctx = session.info.get("audit")
    if not isinstance(ctx, AuditContext):
        raise StateError(Message("a write to study data outside an audited store transaction"))
    if type(obj) not in _ENTITY_OF:  # pragma: no cover - programming error
        raise TypeError(f"{type(obj).__name__} is not an audited record")
    mapper = inspect(type(obj))
    values = {a.key: getattr(obj, a.key) for a in mapper.column_attrs if a.key != "id"}
    conn = session.connection()
    obj.id = conn.execute(_insert_returning_id(type(obj)), values).scalar_one()
    _append(session, _rows_for(obj, "insert", ctx))
    touch(session, obj, "insert")


_INSERTS: dict[type[Any], Any] = {}


def _insert_returning_id(cls: type[Any]) -> Any:
    """``INSERT INTO <table of cls> … RETURNING id``, built once per class (the columns come
    with the parameters; every column attribute is named like its column)."""
    stmt = _INSERTS.get(cls)
    if stmt is None:
        table = cls.__table__
        stmt = _INSERTS[cls] = insert(table).returning(table.c.id)
    return stmt


def audit_refusal(
    session: Session,
    *,
    entity: str,
    study_id: int,
    subject_pk: int | None,
    field: str,
    value: Any,
    reason: str,
) -> None:
    """Audit a write the store refused (action ``refused``, record id 0, the refused ``value``
    of ``field`` and why) in the session's write transaction; no data row is written, so the
    caller lets the transaction commit and raises afterwards."""
    ctx = session.info.get("audit")
    if not isinstance(ctx, AuditContext):
        raise StateError(Message("a refusal audited outside an audited store transaction"))
    row = {
        "txn": ctx.txn,
        "at": ctx.at,
        "username": ctx.username,
        "role": ctx.role,
        "study_id": study_id,
        "subject_pk": subject_pk,
        "entity": entity,
        "record_id": 0,
        "action": "refused",
        "field": field,
        "old_value": None,
        "new_value": _text(entity, field, value),
        "reason": reason,
    }
    _append(session, [row])


@dataclass(frozen=True)
class ImportBatch:
    """Where the records of one batch of an import come from: the file's name, the SHA-256 of
    its bytes and the file lines of the batch's first and last rows."""

    file: str
    file_sha256: str
    first_line: int
    last_line: int


def _new_ids(conn: Connection, table: Any, count: int) -> list[int]:
    """``count`` new primary keys of ``table``: on PostgreSQL drawn from its sequence (one
    round trip); on SQLite the next ones after the largest, which the write transaction's lock
    keeps free (inserting them explicitly moves an ``AUTOINCREMENT`` sequence on)."""
    if conn.dialect.name == "postgresql":
        stmt = text(
            "SELECT nextval(pg_get_serial_sequence(:table, 'id')) FROM generate_series(1, :n)"
        )
        return [int(i) for i in conn.execute(stmt, {"table": table.name, "n": count}).scalars()]
    last = conn.execute(select(func.max(table.c.id))).scalar() or 0
    return list(range(int(last) + 1, int(last) + 1 + count))


def _encoded(values: Sequence[Any]) -> Sequence[Any]:
    """A column's values encoded for the audit trail (:func:`encode`; text, integers and
    missing values are their own encoding, so such a column is taken as it is)."""
    if all(v is None or type(v) in (str, int) for v in values):
        return values
    return [encode(v) for v in values]


def _insert_many(
    conn: Connection, table: Any, names: list[str], columns: list[Sequence[Any]]
) -> None:
    """One executemany ``INSERT`` of rows given column by column: each column's values bound
    through its type's bind processor once per column (as a Core insert binds them, without
    its per-row parameter assembly, the import's bulk cost)."""
    dialect = conn.dialect
    bound: list[Sequence[Any]] = []
    for name, values in zip(names, columns, strict=True):
        process = table.c[name].type.dialect_impl(dialect).bind_processor(dialect)
        bound.append(values if process is None else [process(v) for v in values])
    quote = dialect.identifier_preparer.quote
    mark = "?" if dialect.paramstyle == "qmark" else "%s"
    sql = (
        f"INSERT INTO {quote(table.name)} ({', '.join(quote(n) for n in names)}) "
        f"VALUES ({', '.join(mark for _ in names)})"
    )
    conn.exec_driver_sql(sql, list(zip(*bound, strict=True)))


def insert_imported(
    session: Session,
    model: type[Any],
    columns: Mapping[str, Sequence[Any]],
    *,
    batch: ImportBatch,
    review: bool = True,
) -> list[int]:
    """Insert new records of the audited ``model``, given column by column (``columns``: field
    → one value per record), with one executemany ``INSERT``, and audit them all with **one**
    chained audit row (action ``import``) per subject of the batch (one for study-level
    records), in the session's write transaction; their ids, in
    order.

    The audit row is who / when / why as any (the import's reason), the study, the entity, the
    first id as ``record_id``, and as ``new_value`` the canonical JSON object::

        {"content_sha256": sha256(records), "file": name, "file_sha256": …,
         "lines": [first, last], "records": {"fields": [...], "ids": [...],
                                             "values": [[...], ...]}}

    ``records`` holds every record's fields encoded as an insert's audit rows encode them
    (:func:`encode`), so replay rebuilds the records from the trail alone, and the row's hash
    in the study's chain covers them (``audit verify``). ``content_sha256`` is the SHA-256 of
    the canonical JSON of ``records``: a reader can check a batch against the data tables or
    the file without trusting the rest of the row. With ``review``, the subjects written are
    noted for the review hook (``store/_review.py``) as :func:`touch` notes them; a new study
    being written under its staging name has nothing to review.
    """
    ctx = session.info.get("audit")
    if not isinstance(ctx, AuditContext):
        raise StateError(Message("a write to study data outside an audited store transaction"))
    names = sorted(columns)
    count = len(columns[names[0]]) if names else 0
    if not count:
        return []
    table = model.__table__
    conn = session.connection()
    ids = _new_ids(conn, table, count)
    data: list[Sequence[Any]] = [ids, *(columns[n] for n in names)]
    _insert_many(conn, table, ["id", *names], data)
    entity = _ENTITY_OF[model]
    encoded = [_encoded(columns[n]) for n in names]
    study_id = columns["study_id"][0] if "study_id" in columns else None
    # one audit row per subject of the batch (the subject's own row for the subject table), so
    # that the trail of one subject, and a site-limited reader's trail, finds and shows only
    # that subject's imported records; study-level records share one row
    if "subject_pk" in columns:
        owners: Sequence[int | None] = columns["subject_pk"]
    elif model is SubjectRow:
        owners = ids
    else:
        owners = [None] * count
    groups: dict[int | None, list[int]] = {}
    for i, owner in enumerate(owners):
        groups.setdefault(owner, []).append(i)
    rows = []
    for owner, members in groups.items():
        records = dumps(
            {
                "fields": names,
                "ids": [ids[i] for i in members],
                "values": [tuple(col[i] for col in encoded) for i in members],
            }
        )
        head = dumps(
            {
                "content_sha256": hashlib.sha256(records.encode("utf-8")).hexdigest(),
                "file": batch.file,
                "file_sha256": batch.file_sha256,
                "lines": [batch.first_line, batch.last_line],
            }
        )
        rows.append(
            {
                "txn": ctx.txn,
                "at": ctx.at,
                "username": ctx.username,
                "role": ctx.role,
                "study_id": study_id,
                "subject_pk": owner,
                "entity": entity,
                "record_id": ids[members[0]],
                "action": "import",
                "field": None,
                "old_value": None,
                "new_value": f'{head[:-1]},"records":{records}}}',
                "reason": ctx.reason,
            }
        )
    _append(session, rows)
    if review and entity not in REVIEW_ENTITIES:
        touched = session.info.setdefault("touched", {})
        mark = touched.setdefault(study_id, ({}, set(), set()))
        for pk in columns.get("subject_pk", ()):
            mark[0].setdefault(pk, set()).add(entity)
    return ids
