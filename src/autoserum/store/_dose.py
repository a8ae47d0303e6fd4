"""The injected volume against the protocol's dose (``protocols.dose_deviation``): the one
place the store raises and closes a subject's ``injection_dose`` deviations.

Every write of an injection reconciles them (:func:`reconcile_dose_deviations`): recording it
(``records.add_injection``), correcting it (``records.update``: the web's correction form and
the API's PATCH call it), deleting it (``records.delete``) and importing a complete data
package (``store/_package.py``). Each injection of the subject is numbered by its sitting (one
more than the days with an injection before it), compared with the dose the protocol declares
for that number (more than 10 % away deviates) and the subject's deviations of the kind are
made to match. A dose deviation names its injection (``deviations.injection_id``, the link the
entity registry declares) and is matched by that link, never by its text: a deviation no
injection calls for any more (a volume corrected within 10 %, a date corrected so that the
injection's number changes, an injection deleted) or whose finding changed (another volume)
is **closed**, deleted in the same audited transaction with the write's reason, its content
kept in the audit trail as a deletion; a deviation a corrected injection now calls for is
raised, linked to it. A deviation that still holds is left as it is.

A dose deviation recorded before the link (migration ``0028``) has none: it is matched by its
description (``injection on <date>: …``) as before and, when it still holds, linked to its
injection (an audited update); one no injection calls for is closed. A deviation of the kind
entered by hand (any other description) is left alone. The tidy import writes no injections.
"""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from autoserum.protocols import Protocol, dose_deviation
from autoserum.store.models import DeviationRow, InjectionRow, SubjectRow
from autoserum.study.deviations import DOSE

__all__ = ["DOSE_KIND", "reconcile_dose_deviations"]

#: The deviation category of an injected volume off the protocol's dose.
DOSE_KIND = "injection_dose"


def _findings(
    protocol: Protocol, subject: SubjectRow, injections: list[InjectionRow]
) -> dict[int, str]:
    """Injection id → the description of the dose deviation it calls for (those that do)."""
    out: dict[int, str] = {}
    days = sorted({i.given_on for i in injections if i.given_on is not None})
    number = {day: k + 1 for k, day in enumerate(days)}
    for injection in injections:
        if injection.volume_ml is None or injection.given_on is None or subject.arm is None:
            continue
        found = dose_deviation(
            protocol, subject.arm, number[injection.given_on], injection.volume_ml
        )
        if found is not None:
            out[injection.id] = DOSE(date=injection.given_on, found=found)
    return out


def reconcile_dose_deviations(
    s: Session,
    protocol: Protocol,
    subject: SubjectRow,
    *,
    deleting: InjectionRow | None = None,
) -> None:
    """Raise and close ``subject``'s ``injection_dose`` deviations so that they are the ones
    its injections call for now (see the module docstring). ``deleting``: an injection about to
    be deleted (counted as gone; its deviation is closed and flushed before the caller deletes
    it, so that no deviation links to a deleted injection)."""
    if subject.arm is None:
        return
    s.flush()
    injections = [
        i
        for i in s.scalars(
            select(InjectionRow)
            .where(InjectionRow.subject_pk == subject.id)
            .order_by(InjectionRow.given_on, InjectionRow.id)
        )
        if deleting is None or i.id != deleting.id
    ]
    wanted = _findings(protocol, subject, injections)
    rows = list(
        s.scalars(
            select(DeviationRow)
            .where(DeviationRow.subject_pk == subject.id, DeviationRow.kind == DOSE_KIND)
            .order_by(DeviationRow.id)
        )
    )
    for row in rows:  # linked: matched by the injection they name
        if row.injection_id is None:
            continue
        if wanted.get(row.injection_id) == row.description:
            del wanted[row.injection_id]
        else:
            s.delete(row)  # closed: its injection no longer calls for it (audited deletion)
    for row in rows:  # recorded before the link: matched by their text, then linked
        if row.injection_id is not None or not row.description.startswith("injection on "):
            continue
        match = next((k for k, text in wanted.items() if text == row.description), None)
        if match is None:
            s.delete(row)
        else:
            row.injection_id = match
            del wanted[match]
    for injection_id, description in wanted.items():
        s.add(
            DeviationRow(
                study_id=subject.study_id,
                subject_pk=subject.id,
                injection_id=injection_id,
                kind=DOSE_KIND,
                description=description,
                version=1,
            )
        )
    if deleting is not None:
        s.flush()
