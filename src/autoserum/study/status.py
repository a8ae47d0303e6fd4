"""Subject status and its allowed transitions (the subject's path through a study).

::

    screened ──> screen_failed
        │
        └──> enrolled ──> run_in ──> treatment ──> follow_up ──> completed
                  │                      ▲
                  └──────────────────────┘   (only when the protocol has no run-in)

    withdrawn  <── any active state (enrolled, run_in, treatment, follow_up), with a reason

Reference: CONSORT 2010 flow diagram (Schulz et al., BMJ 2010;340:c332) for the stages.

>>> transition(SubjectStatus.SCREENED, SubjectStatus.ENROLLED)
<SubjectStatus.ENROLLED: 'enrolled'>
"""

from __future__ import annotations

from enum import StrEnum

from autoserum.errors import Expected, Message, StateError, ValidationError

__all__ = [
    "ACTIVE_STATUSES",
    "TERMINAL_STATUSES",
    "SubjectStatus",
    "allowed_transitions",
    "parse_status",
    "transition",
]


class SubjectStatus(StrEnum):
    """Where a subject stands in a study."""

    SCREENED = "screened"
    SCREEN_FAILED = "screen_failed"
    ENROLLED = "enrolled"
    RUN_IN = "run_in"
    TREATMENT = "treatment"
    FOLLOW_UP = "follow_up"
    COMPLETED = "completed"
    WITHDRAWN = "withdrawn"


ACTIVE_STATUSES: frozenset[SubjectStatus] = frozenset(
    {
        SubjectStatus.ENROLLED,
        SubjectStatus.RUN_IN,
        SubjectStatus.TREATMENT,
        SubjectStatus.FOLLOW_UP,
    }
)
TERMINAL_STATUSES: frozenset[SubjectStatus] = frozenset(
    {SubjectStatus.SCREEN_FAILED, SubjectStatus.COMPLETED, SubjectStatus.WITHDRAWN}
)

_FORWARD: dict[SubjectStatus, frozenset[SubjectStatus]] = {
    SubjectStatus.SCREENED: frozenset({SubjectStatus.SCREEN_FAILED, SubjectStatus.ENROLLED}),
    SubjectStatus.ENROLLED: frozenset({SubjectStatus.RUN_IN}),
    SubjectStatus.RUN_IN: frozenset({SubjectStatus.TREATMENT}),
    SubjectStatus.TREATMENT: frozenset({SubjectStatus.FOLLOW_UP}),
    SubjectStatus.FOLLOW_UP: frozenset({SubjectStatus.COMPLETED}),
}


def parse_status(value: str) -> SubjectStatus:
    """The status named ``value``; :class:`ValidationError` naming the allowed values otherwise.

    >>> parse_status("run_in")
    <SubjectStatus.RUN_IN: 'run_in'>
    """
    try:
        return SubjectStatus(value)
    except ValueError:
        allowed = ", ".join(s.value for s in SubjectStatus)
        raise ValidationError(
            "status", value, Expected("one of %(values)s", values=allowed)
        ) from None


def allowed_transitions(
    current: SubjectStatus, *, has_run_in: bool = True
) -> frozenset[SubjectStatus]:
    """The statuses reachable from ``current`` in one step.

    ``has_run_in=False`` (a protocol without a run-in phase) allows enrolled → treatment and
    forbids enrolled → run_in.

    >>> sorted(allowed_transitions(SubjectStatus.ENROLLED, has_run_in=False))
    [<SubjectStatus.TREATMENT: 'treatment'>, <SubjectStatus.WITHDRAWN: 'withdrawn'>]
    """
    nxt = set(_FORWARD.get(current, frozenset()))
    if current is SubjectStatus.ENROLLED and not has_run_in:
        nxt = {SubjectStatus.TREATMENT}
    if current in ACTIVE_STATUSES:
        nxt.add(SubjectStatus.WITHDRAWN)
    return frozenset(nxt)


def transition(
    current: SubjectStatus | str,
    new: SubjectStatus | str,
    *,
    has_run_in: bool = True,
    reason: str | None = None,
) -> SubjectStatus:
    """Check the step ``current`` → ``new`` and return ``new``.

    Raises :class:`StateError` for a step the status graph does not allow, and
    :class:`ValidationError` for a withdrawal without a reason.

    >>> transition("treatment", "follow_up")
    <SubjectStatus.FOLLOW_UP: 'follow_up'>
    >>> transition("screened", "treatment")  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    autoserum.errors.StateError: illegal status transition screened -> treatment; ...
    """
    cur = parse_status(current) if isinstance(current, str) else current
    nxt = parse_status(new) if isinstance(new, str) else new
    allowed = allowed_transitions(cur, has_run_in=has_run_in)
    if nxt not in allowed:
        names = ", ".join(sorted(s.value for s in allowed)) or "none (terminal status)"
        raise StateError(
            Message(
                "illegal status transition %(value)s -> %(value2)s; allowed: %(names)s",
                value=cur.value,
                value2=nxt.value,
                names=names,
            )
        )
    if nxt is SubjectStatus.WITHDRAWN and not (reason and reason.strip()):
        raise ValidationError("reason", reason, Expected("a non-empty reason for the withdrawal"))
    return nxt
