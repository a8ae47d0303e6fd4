"""A study as CDISC ODM 1.3.2 in and out of the store (``docs/exports.md``).

Out: the study's data package rows (:func:`~autoserum.store._package.read_records`, blinded and
de-identified as asked and as the actor's role requires) written by
:func:`autoserum.study.odm.odm_xml`, with the audit trail and the valid signatures the actor may
read when asked (their arm-revealing values masked in a blinded export, the audit records of the
record types whose presence reveals the arm left out).

In: an ODM document written by autoserum read back (:func:`autoserum.study.odm.read_odm`) and
written as a new study by the package's importer, all or nothing.
"""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import Any

from autoserum.errors import Expected, ValidationError
from autoserum.store._base import Actor, UnitOfWork
from autoserum.store._package import PackageContent
from autoserum.store._signatures import SignatureService
from autoserum.store._trail import ARM_REVEALING, AuditRecord, AuditService
from autoserum.study.entities import PRODUCT_DEVIATION, REGISTRY, REVIEW_REGISTRY
from autoserum.study.odm import odm_xml, read_odm
from autoserum.study.package import descriptor

__all__ = ["odm_bytes", "odm_package"]


def odm_bytes(
    uow: UnitOfWork,
    study: str,
    content: PackageContent,
    *,
    actor: Actor,
    created: datetime,
    with_audit: bool,
) -> bytes:
    """The ODM document of ``content`` (read for ``actor``), with the audit trail and
    signatures when ``with_audit``."""
    meta = content.descriptor["autoserum"]
    audit: list[dict[str, Any]] | None = None
    signatures = None
    if with_audit:
        if meta["deidentified"]:
            raise ValidationError(
                "--with-audit",
                "de-identified",
                Expected(
                    "an identified export (audit records and signatures name people and times)"
                ),
            )
        blinded = bool(meta["blinded"])
        # read as a blinded reader reads the trail (masked; the rows whose presence reveals
        # the arm left out, store/_trail.py), then without what a blinded package leaves out
        records = list(AuditService(uow).pages(study, actor=actor, blinded=blinded))
        about = _about_masked(records) if blinded else set()
        audit = [
            r.to_json()
            for r in records
            if not (blinded and (_reveals_arm(r) or (r.entity, r.record_id) in about))
        ]
        signatures = SignatureService(uow).signatures(study, actor=actor)
    return odm_xml(meta, content.rows, created=created, audit=audit, signatures=signatures)


def _reveals_arm(record: AuditRecord) -> bool:
    """Whether a blinded export leaves out an audit record because its mere presence reveals
    the arm: a record of a type whose records do (the registry's ``masked_for_blinded`` record
    types: the product chain), or the change of an arm-revealing field or link, recorded only
    when it has a value (a kit's ``aliquot_id``: serum kits only), whose value is masked anyway.
    A record of a whole row keeps its arm-revealing keys, masked."""
    spec = REGISTRY.get(record.entity)
    if spec is not None and spec.masked_for_blinded:
        return True
    return (record.entity, record.field) in ARM_REVEALING


def _about_masked(records: list[AuditRecord]) -> set[tuple[str, int]]:
    """The records (entity, id) a blinded package leaves out because they are about a record
    of the product chain (``store._package``: a query, verification or lock naming a blood
    draw, and the messages of such a query; a processing's deviation), read from their audit
    records."""
    chain = {name for name, spec in REGISTRY.items() if spec.masked_for_blinded}
    out = {
        (r.entity, r.record_id)
        for r in records
        if (r.entity in REVIEW_REGISTRY and r.field == "entity" and r.new_value in chain)
        or (r.entity == "deviation" and r.field == "kind" and r.new_value == PRODUCT_DEVIATION)
    }
    queries = {i for e, i in out if e == "query"}
    out |= {
        (r.entity, r.record_id)
        for r in records
        if r.entity == "query_message" and r.field == "query_id" and r.new_value in queries
    }
    return out


def odm_package(path: Path) -> PackageContent:
    """An ODM file written by autoserum as the package content the importer writes."""
    if not path.is_file():
        raise ValidationError("FILE", str(path), Expected("an existing ODM XML file"))
    read = read_odm(path.read_bytes())
    meta = read.meta
    desc = descriptor(meta["study"], blinded=meta["blinded"], deidentified=meta["deidentified"])
    return PackageContent(desc, read.rows, read.places)
