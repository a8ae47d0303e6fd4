"""Emergency unblinding from the web app and the API: the same rules for both.

One subject's arm is revealed to the caller (admin or investigator at the subject's site, in a
blinded study) when they give a reason and confirm explicitly; the store records the unblinding
with its reason in the audit trail and lists it for the study admin
(:meth:`autoserum.store.Store.unblindings`). The arm is shown on the response only, never
stored in the session or shown on later pages.

Example::

    >>> NOTICE.startswith("This emergency unblinding is recorded")
    True
"""

from __future__ import annotations

from autoserum.errors import Expected, Message, StateError, ValidationError
from autoserum.store import Store
from autoserum.web.deps import CurrentUser
from autoserum.web.views import StudyView

__all__ = ["NOTICE", "emergency_unblind"]

NOTICE = (
    "This emergency unblinding is recorded in the audit trail with your name, the time and "
    "your reason, and is listed for the study admin. The arm is shown on this page only."
)


def emergency_unblind(
    store: Store,
    user: CurrentUser,
    view: StudyView,
    subject_id: str,
    reason: str | None,
    confirmed: bool,
) -> str:
    """Unblind ``subject_id`` for ``user``; returns the arm.

    :class:`ValidationError` without a reason or confirmation, :class:`StateError` in an
    open-label study (nothing is concealed) or for a subject not yet randomised.
    """
    user.require("unblind")
    if reason is None or not reason.strip():
        raise ValidationError(
            "reason", reason or "", Expected("a reason for the emergency unblinding")
        )
    if confirmed is not True:
        raise ValidationError("confirm", confirmed, Expected("an explicit confirmation (true)"))
    if view.study.open_label:
        raise StateError(
            Message("study %(name)s is open-label: no arm is concealed", name=repr(view.name))
        )
    arm = store.subjects.unblind(view.name, subject_id, actor=user.actor, reason=reason.strip())
    store.events.record(
        "unblinding_view",
        actor=user.actor,
        detail={"study": view.name, "subject": subject_id},
    )
    return arm
