"""The de-identified export of a study (tidy long format, docs/data-format.md).

De-identified: calendar dates are removed (``visit_date``; adverse-event onset is kept as
``onset_week``, a con-med's start and end as ``start_week``/``end_week``), only subjects within
the reach of the user's ``export`` permission are included, and ``arm`` is absent unless the
user may see arms. Text cells a spreadsheet would run as a formula are neutralised
(:func:`autoserum.study.tidy.neutralise_formulas`; ``import`` restores them). Every export is
recorded as a security event (``export``: study, what, rows, whether arms were included).
"""

from __future__ import annotations

from typing import Literal

from autoserum.store import Store
from autoserum.study.tidy import neutralise_formulas
from autoserum.web.deps import CurrentUser

__all__ = ["DROPPED_COLUMNS", "Exported", "export_csv"]

DROPPED_COLUMNS = ("visit_date", "onset_date", "start_date", "end_date")

Exported = Literal["visits", "adverse_events", "con_meds"]
"""What a de-identified export holds: the visit, adverse-event or con-med file."""


def export_csv(store: Store, user: CurrentUser, study: str, *, what: Exported) -> str:
    """The visit, adverse-event or concomitant-medication frame of ``study`` as CSV text."""
    user.require("export")
    if what == "adverse_events":
        frame = store.exports.adverse_events(study, actor=user.actor)
    elif what == "con_meds":
        frame = store.exports.con_meds(study, actor=user.actor)
    else:
        frame = store.exports.long(study, actor=user.actor)
    frame = frame.drop([c for c in DROPPED_COLUMNS if c in frame.columns])
    text = neutralise_formulas(frame).write_csv()
    store.events.record(
        "export",
        actor=user.actor,
        detail={
            "study": study,
            "what": what,
            "rows": frame.height,
            "arms": "arm" in frame.columns,
            "via": "web",
        },
    )
    return text
