"""Rebuild the state of a study from its audit trail alone, and read the current state in the
same shape, so that the two can be compared (the audit trail is complete iff they are equal).

State: ``{(entity, record id): {field: value}}`` with values encoded as in the audit trail
(JSON-ready: decimals and dates as text) and null fields left out.

>>> from autoserum.store import Actor, open_store
>>> store = open_store("sqlite://")
>>> admin = Actor("ada", "admin")
>>> _ = store.studies.create("S", "abt-pittler2003", actor=admin, seed=1)
>>> replay_audit(store.audit.raw_rows("S")) == current_state(store, "S")
True
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from sqlalchemy import inspect, select

from autoserum.store._audit import NOT_AUDITED_FIELDS, encode
from autoserum.store._base import Service
from autoserum.store._trail import AuditRecord
from autoserum.store.models import AUDITED, StudyRow
from autoserum.store.service import Store

__all__ = ["State", "current_state", "replay_audit"]

State = dict[tuple[str, int], dict[str, Any]]


def replay_audit(records: Iterable[AuditRecord]) -> State:
    """Apply audit records in order: inserts create, updates set a field, deletes remove (a
    refusal wrote no data and changes nothing); an import's batch row creates each of its
    records (``store/_audit.py:insert_imported``), a removal's batch row deletes each of its
    ids (``store/_staging.py``), a publication moves an import's staging study into the
    study (:func:`_publish`)."""
    state: State = {}
    for r in records:
        key = (r.entity, r.record_id)
        if r.action == "refused":
            continue
        if r.action == "import":
            batch = r.new_value["records"]
            for record_id, values in zip(batch["ids"], batch["values"], strict=True):
                state[(r.entity, record_id)] = {
                    f: v for f, v in zip(batch["fields"], values, strict=True) if v is not None
                }
        elif r.action == "publish":
            _publish(state, r.record_id, r.new_value)
        elif r.action == "remove":
            for record_id in r.old_value["ids"]:
                state.pop((r.entity, record_id), None)
        elif r.action == "insert":
            state.setdefault(key, {})[r.field or ""] = r.new_value
        elif r.action == "update":
            fields = state.setdefault(key, {})
            if r.new_value is None:
                fields.pop(r.field or "", None)
            else:
                fields[r.field or ""] = r.new_value
        else:
            state.pop(key, None)
    return state


def _publish(state: State, study_id: int, published: dict[str, Any]) -> None:
    """An import's staging study moved into study ``study_id`` (``store/_staging.py:publish``):
    its records take the study's id, its subjects the merged sites; the staging study and the
    merged sites go."""
    staging = published["from_study"]
    merged = {int(k): v for k, v in published["sites_merged"].items()}
    state.pop(("study", staging), None)
    for site in merged:
        state.pop(("site", site), None)
    for (entity, _), fields in state.items():
        if fields.get("study_id") == staging:
            fields["study_id"] = study_id
            if entity == "subject" and fields.get("site_id") in merged:
                fields["site_id"] = merged[fields["site_id"]]


def current_state(store: Store, study: str) -> State:
    """The study's rows of every audited table, encoded like the audit trail."""
    state: State = {}
    with store.uow.read() as s:
        st = Service._study(s, study)
        for entity, model in AUDITED.items():
            if entity in {"user", "user_site"}:  # accounts are not study data
                continue
            column = model.id if model is StudyRow else model.study_id
            skip = NOT_AUDITED_FIELDS.get(entity, frozenset())
            for row in s.scalars(select(model).where(column == st.id)):
                fields = {
                    a.key: encode(getattr(row, a.key))
                    for a in inspect(model).column_attrs
                    if a.key != "id" and a.key not in skip and getattr(row, a.key) is not None
                }
                state[(entity, row.id)] = fields
    return state
