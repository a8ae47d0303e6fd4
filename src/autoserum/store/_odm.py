"""A study as CDISC ODM 1.3.2 in and out of the store (``docs/exports.md``).

Out: the study's data package rows (:func:`~autoserum.store._package.read_records`, blinded and
de-identified as asked and as the actor's role requires) written by
:func:`autoserum.study.odm.odm_xml`, with the audit trail and the valid signatures the actor may
read when asked (their arm-revealing values masked in a blinded export).

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
from autoserum.store._trail import AuditService
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
        records = AuditService(uow).pages(study, actor=actor, blinded=bool(meta["blinded"]))
        audit = [r.to_json() for r in records]
        signatures = SignatureService(uow).signatures(study, actor=actor)
    return odm_xml(meta, content.rows, created=created, audit=audit, signatures=signatures)


def odm_package(path: Path) -> PackageContent:
    """An ODM file written by autoserum as the package content the importer writes."""
    if not path.is_file():
        raise ValidationError("FILE", str(path), Expected("an existing ODM XML file"))
    read = read_odm(path.read_bytes())
    meta = read.meta
    desc = descriptor(meta["study"], blinded=meta["blinded"], deidentified=meta["deidentified"])
    return PackageContent(desc, read.rows, read.places)
