"""The wording of the protocol deviations the system records itself (pure core): the one owner
of each generated description, used by the writer (the store, the protocol's product checks)
and by the display (issue 14, item 5).

A generated description is stored as data, in English, and never changes (the audit trail
keeps it as written). Each is written by a :class:`Wording`, a catalog message with
``%(name)s`` placeholders; the display reads a stored description back into the same
message and its values (:func:`described`) and shows it in the reader's language
(``autoserum.i18n.message_text``). A description no wording reads (typed by staff, imported,
written by an older version) is shown as stored. The machinery is
:mod:`autoserum.study.wording` (shared with the automatic checks' query texts).

>>> text = VISIT_EARLY(visit="screening", date="2026-02-16", days=3,
...                    earliest="2026-02-19", latest="2026-03-01")
>>> text
'visit screening on 2026-02-16: 3 day(s) early, window 2026-02-19 to 2026-03-01'
>>> found = described(text)
>>> found.message == VISIT_EARLY.message, found.params["days"], found.params["latest"]
(True, '3', '2026-03-01')
>>> described("noticed by the monitor")
'noticed by the monitor'
"""

from __future__ import annotations

from autoserum.errors import Message
from autoserum.i18n import N_
from autoserum.study.wording import Joined, Wording, joined, read_parts

__all__ = [
    "DOSE",
    "DOSE_VOLUME",
    "ELIGIBILITY_FAILED",
    "ELIGIBILITY_OVERRIDE",
    "ELIGIBILITY_UNKNOWN",
    "NOT_DONE",
    "PARAMETER_MISSING",
    "PARAMETER_OFF",
    "PARAMETER_WORDINGS",
    "PROCESSING",
    "PROHIBITED",
    "RESCUE_NOT_ALLOWED",
    "VISIT_EARLY",
    "VISIT_LATE",
    "Joined",
    "Wording",
    "described",
    "joined",
    "read_parts",
]

# --- the wordings (each the one place its text is written) ---------------------------------
#: A visit outside its window (``store/_records.evaluate_windows``).
VISIT_EARLY = Wording(
    N_("visit %(visit)s on %(date)s: %(days)s day(s) early, window %(earliest)s to %(latest)s")
)
VISIT_LATE = Wording(
    N_("visit %(visit)s on %(date)s: %(days)s day(s) late, window %(earliest)s to %(latest)s")
)
#: A planned assessment recorded as not done, with the reason typed (``records.not_done``).
NOT_DONE = Wording(N_("%(instrument)s at %(visit)s not done: %(why)s"))
#: A processing outside the protocol (``protocols.process_deviations``): each parameter.
PARAMETER_OFF = Wording(N_("%(name)s: %(value)s (protocol: %(bound)s)"))
PARAMETER_MISSING = Wording(N_("%(name)s: not recorded (protocol: %(bound)s)"))
#: The deviation of a processing (``store/_product``): the draw and its parameters.
#: The wordings of a processing's parameters (its stored ``deviations``, joined by ``; ``).
PARAMETER_WORDINGS: tuple[Wording, ...] = (PARAMETER_MISSING, PARAMETER_OFF)
PROCESSING = Wording(N_("processing of %(draw)s: %(found)s"), parts={"found": PARAMETER_WORDINGS})
#: An injected volume off the protocol's dose (``protocols.dose_deviation``, ``store/_dose``).
DOSE_VOLUME = Wording(N_("injection %(number)s: volume_ml %(volume)s (protocol: %(declared)s)"))
DOSE = Wording(N_("injection on %(date)s: %(found)s"), parts={"found": (DOSE_VOLUME,)})
#: A subject randomised although eligibility rules failed or were unknown (``subjects``).
ELIGIBILITY_FAILED = Wording(N_("failed %(rules)s"))
ELIGIBILITY_UNKNOWN = Wording(N_("unknown %(rules)s"))
ELIGIBILITY_OVERRIDE = Wording(
    N_("randomised with eligibility %(rules)s: %(reason)s"),
    parts={"rules": (ELIGIBILITY_FAILED, ELIGIBILITY_UNKNOWN)},
)
#: A concomitant medication against the protocol's rules (``protocols.medication_findings``).
PROHIBITED = Wording(N_("%(drug)s taken during the study: prohibited by the protocol (%(rule)s)"))
RESCUE_NOT_ALLOWED = Wording(
    N_("%(drug)s given as rescue: not an allowed rescue medication (allowed: %(allowed)s)")
)

#: The wordings of a whole description, tried in this order.
_DESCRIPTIONS: tuple[Wording, ...] = (
    VISIT_EARLY,
    VISIT_LATE,
    PROCESSING,
    DOSE,
    ELIGIBILITY_OVERRIDE,
    PROHIBITED,
    RESCUE_NOT_ALLOWED,
    NOT_DONE,
)


def described(description: str) -> Message | str:
    """A stored deviation description as the message its wording wrote, or the text as
    stored when no wording wrote it (see the module docstring).

    >>> found = described("processing of BD-1: clotting_minutes: 10 min (protocol: ≥ 30 min)")
    >>> found.params["draw"], found.params["found"].params
    ('BD-1', {'name': 'clotting_minutes', 'value': '10 min', 'bound': '≥ 30 min'})
    """
    for wording in _DESCRIPTIONS:
        found = wording.read(description)
        if found is not None:
            return found
    return description
