"""The injected volume against the protocol's dose (``protocols.dose_deviation``): the one
place the store raises and closes a subject's ``injection_dose`` deviations.

Every write of an injection reconciles them (:func:`reconcile_dose_deviations`): recording it
(``records.add_injection``), correcting it (``records.update``: the web's correction form and
the API's PATCH call it) and deleting it (``records.delete``). Each injection of the subject
is numbered by its sitting (one more than the days with an injection before it), compared with
the dose the protocol declares for that number (more than 10 % away deviates) and the subject's
deviations of the kind are made to match: a deviation no injection calls for any more (a
volume corrected within 10 %, a date corrected so that the injection's number changes, an
injection deleted) is **closed**, deleted in the same audited transaction with the write's
reason, its content kept in the audit trail as a deletion; a deviation a corrected injection
now calls for is raised. A deviation that still holds is left as it is.

A complete data package restores a study's deviations as they were exported (its import
writes the rows as given); the tidy import writes no injections.
"""

from __future__ import annotations

from collections import Counter

from sqlalchemy import select
from sqlalchemy.orm import Session

from autoserum.protocols import Protocol, dose_deviation
from autoserum.store.models import DeviationRow, InjectionRow, SubjectRow
from autoserum.study.deviations import DOSE

__all__ = ["DOSE_KIND", "reconcile_dose_deviations"]

#: The deviation category of an injected volume off the protocol's dose.
DOSE_KIND = "injection_dose"


def _descriptions(
    protocol: Protocol, subject: SubjectRow, injections: list[InjectionRow]
) -> list[str]:
    """The description of the dose deviation each injection calls for (in order)."""
    out: list[str] = []
    days = sorted({i.given_on for i in injections})
    number = {day: k + 1 for k, day in enumerate(days)}
    for injection in injections:
        if injection.volume_ml is None or subject.arm is None:
            continue
        found = dose_deviation(
            protocol, subject.arm, number[injection.given_on], injection.volume_ml
        )
        if found is not None:
            out.append(DOSE(date=injection.given_on, found=found))
    return out


def reconcile_dose_deviations(s: Session, protocol: Protocol, subject: SubjectRow) -> None:
    """Raise and close ``subject``'s ``injection_dose`` deviations so that they are the ones
    its injections call for now (see the module docstring); flushed by the caller's write."""
    if subject.arm is None:
        return
    s.flush()
    injections = list(
        s.scalars(
            select(InjectionRow)
            .where(InjectionRow.subject_pk == subject.id)
            .order_by(InjectionRow.given_on, InjectionRow.id)
        )
    )
    wanted = Counter(_descriptions(protocol, subject, injections))
    for row in s.scalars(
        select(DeviationRow)
        .where(DeviationRow.subject_pk == subject.id, DeviationRow.kind == DOSE_KIND)
        .order_by(DeviationRow.id)
    ):
        if wanted[row.description] > 0:
            wanted[row.description] -= 1
        elif row.description.startswith("injection on "):
            s.delete(row)  # closed: no injection calls for it any more (audited deletion)
    for description, count in wanted.items():
        for _ in range(count):
            s.add(
                DeviationRow(
                    study_id=subject.study_id,
                    subject_pk=subject.id,
                    kind=DOSE_KIND,
                    description=description,
                    version=1,
                )
            )
