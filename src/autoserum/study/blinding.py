"""Who may see a subject's arm.

A role with the ``see_arms`` action of the permission table (:mod:`autoserum.permissions`: the
admin) sees arms always; the others see them only in an open-label study or with the explicit
``unblinded`` grant. Roles are defined in :mod:`autoserum.permissions`.
Reference: ICH E9 §2.3.1 (blinding) and CONSORT item 11a.

>>> can_see_arm("monitor", unblinded=False, open_label=False)
False
>>> can_see_arm("admin", unblinded=False, open_label=False)
True
"""

from __future__ import annotations

from autoserum.permissions import allowed, check_role

__all__ = ["MASK", "can_see_arm"]

MASK = "blinded"
"""What a blinded actor sees in place of an arm or another arm-revealing value."""


def can_see_arm(role: str, *, unblinded: bool, open_label: bool) -> bool:
    """Whether an actor with ``role`` may see allocation arms in a study.

    >>> can_see_arm("statistician", unblinded=True, open_label=False)
    True
    >>> can_see_arm("coordinator", unblinded=False, open_label=True)
    True
    """
    check_role(role)
    return allowed(role, "see_arms") or unblinded or open_label
