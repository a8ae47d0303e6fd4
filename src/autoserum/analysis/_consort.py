"""The CONSORT flow of a study read for analysis: the store's subject records (statuses, screen
failures by failed rule, reasons for leaving) joined with what the data say (treated, reached
the last visit, in the full analysis set and why not), counted by
:func:`autoserum.study.consort_flow`.

A data file holds enrolled subjects only: its flow starts at allocation, and a subject without
the last visit is counted as discontinued with the reason not recorded. A database knows every
screened subject and why each left (``StudyData.registry``).

>>> from autoserum.analysis import study_from_frames
>>> from autoserum.simulate import simulate_study
>>> sim = simulate_study("ast-nahm2023", 30, seed=1)
>>> flow = study_consort(study_from_frames(sim.visits, sim.adverse_events, "simulated AST"))
>>> flow.enrolled, {arm: (a.allocated, a.analysed) for arm, a in flow.arms.items()}
(30, {'placebo': (14, 14), 'serum': (16, 16)})
"""

from __future__ import annotations

import dataclasses
from typing import Any

from autoserum.analysis._datasets import build_adsl
from autoserum.analysis._read import StudyData
from autoserum.study.consort import ConsortFlow, ConsortSubject, consort_flow

__all__ = ["NOT_ANALYSED", "consort_subjects", "study_consort"]

#: Why an allocated subject is not in the full analysis set (first that applies).
NOT_ANALYSED = {
    "treated": "did not receive the intervention",
    "baseline_assessed": "no baseline assessment",
    "post_baseline_assessed": "no post-baseline assessment",
}
_NO_DATA = "no assessment recorded"


def _from_data(subject: ConsortSubject, row: dict[str, Any]) -> ConsortSubject:
    """The data's part of a subject's flow: treated (unless the registry knows), reached the
    end, analysed and why not."""
    exclusion = None
    if not row["fas"]:
        exclusion = next(
            (why for col, why in NOT_ANALYSED.items() if not row.get(col)),
            "not in the full analysis set",
        )
    return dataclasses.replace(
        subject,
        treated=bool(row["safety"]) if subject.treated is None else subject.treated,
        reached_end=bool(row["completed"]),
        analysed=bool(row["fas"]),
        exclusion=exclusion,
    )


def consort_subjects(study: StudyData) -> tuple[ConsortSubject, ...]:
    """One :class:`ConsortSubject` per subject: the registry's record (when the study came
    from a database) completed by the analysis datasets; else one per subject of the data."""
    adsl = build_adsl(study.visits)
    data = {
        str(r["subject_id"]): r
        for r in adsl.select(
            "subject_id",
            "arm",
            "safety",
            "completed",
            "fas",
            *(c for c in NOT_ANALYSED if c in adsl.columns),
        ).iter_rows(named=True)
    }
    if not study.registry:
        return tuple(
            _from_data(ConsortSubject(sid, None, str(r["arm"])), r) for sid, r in data.items()
        )
    out = []
    for subject in study.registry:
        row = data.get(subject.subject_id)
        if not subject.enrolled:
            out.append(subject)
        elif row is None:
            out.append(
                dataclasses.replace(
                    subject,
                    analysed=False,
                    exclusion=_NO_DATA if subject.treated is not False else NOT_ANALYSED["treated"],
                    reached_end=False,
                )
            )
        else:
            out.append(_from_data(subject, row))
    return tuple(out)


def study_consort(study: StudyData) -> ConsortFlow:
    """The CONSORT flow of ``study`` (see the module docstring)."""
    return consort_flow(consort_subjects(study))
