"""Who may see a subject's arm.

Roles: ``admin`` sees arms always; ``investigator``, ``coordinator``, ``monitor`` and
``statistician`` see them only in an open-label study or with the explicit ``unblinded`` grant.
Reference: ICH E9 §2.3.1 (blinding) and CONSORT item 11a.

>>> can_see_arm("monitor", unblinded=False, open_label=False)
False
>>> can_see_arm("admin", unblinded=False, open_label=False)
True
"""

from __future__ import annotations

from autoserum.errors import ValidationError

__all__ = ["MASK", "ROLES", "can_see_arm", "check_role"]

ROLES: tuple[str, ...] = ("admin", "investigator", "coordinator", "monitor", "statistician")
MASK = "blinded"
"""What a blinded actor sees in place of an arm or another arm-revealing value."""


def check_role(role: str) -> str:
    """``role`` if it is one of :data:`ROLES`; :class:`ValidationError` otherwise.

    >>> check_role("monitor")
    'monitor'
    """
    if role not in ROLES:
        raise ValidationError("role", role, f"one of {', '.join(ROLES)}")
    return role


def can_see_arm(role: str, *, unblinded: bool, open_label: bool) -> bool:
    """Whether an actor with ``role`` may see allocation arms in a study.

    >>> can_see_arm("statistician", unblinded=True, open_label=False)
    True
    >>> can_see_arm("coordinator", unblinded=False, open_label=True)
    True
    """
    check_role(role)
    return role == "admin" or unblinded or open_label
