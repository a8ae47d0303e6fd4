"""Who may do what: one table of actions by role, used by pages and API alike.

Roles (issue 6): ``admin`` (everything, every site, sees arms), ``investigator`` and
``coordinator`` (data entry at their sites), ``monitor`` (read-only at their sites),
``statistician`` (de-identified read and export: dashboards and the export, no subject
pages, no audit trail). Emergency unblinding of one subject: admin and investigator (the
store's rule); the list of unblindings: admin only. Arms are shown only when
:func:`autoserum.study.blinding.can_see_arm` allows it.

Example::

    >>> allowed("monitor", "read_subject"), allowed("monitor", "write_data")
    (True, False)
"""

from __future__ import annotations

from typing import Final, Literal

__all__ = ["ACTIONS", "ROLES", "Action", "Role", "allowed", "allowed_actions"]

Role = Literal["admin", "investigator", "coordinator", "monitor", "statistician"]
Action = Literal[
    "read_study",  # studies list, dashboard (aggregate counts)
    "read_subject",  # subject list, subject page, assessments
    "read_audit",  # audit trail of a record
    "export",  # de-identified tidy export
    "screen",  # screening / eligibility, enrolment
    "randomise",
    "write_data",  # visits, assessments, injections, labs, AEs, con-meds, corrections
    "record_consent",  # a subject's informed consent and its withdrawal
    "withdraw",
    "unblind",  # emergency unblinding of one subject (a reason, audited)
    "review_unblindings",  # the study's list of emergency unblindings
    "manage_study",  # create studies and sites
    "manage_users",
]

ROLES: Final[tuple[str, ...]] = ("admin", "investigator", "coordinator", "monitor", "statistician")

_TABLE: Final[dict[str, frozenset[str]]] = {
    "admin": frozenset(
        {
            "read_study",
            "read_subject",
            "read_audit",
            "export",
            "screen",
            "randomise",
            "write_data",
            "record_consent",
            "withdraw",
            "unblind",
            "review_unblindings",
            "manage_study",
            "manage_users",
        }
    ),
    "investigator": frozenset(
        {
            "read_study",
            "read_subject",
            "read_audit",
            "export",
            "screen",
            "randomise",
            "write_data",
            "record_consent",
            "withdraw",
            "unblind",
        }
    ),
    "coordinator": frozenset(
        {
            "read_study",
            "read_subject",
            "read_audit",
            "screen",
            "randomise",
            "write_data",
            "record_consent",
        }
    ),
    "monitor": frozenset({"read_study", "read_subject", "read_audit"}),
    "statistician": frozenset({"read_study", "export"}),
}

ACTIONS: Final[tuple[str, ...]] = tuple(sorted(_TABLE["admin"]))


def allowed(role: str, action: str) -> bool:
    """True iff ``role`` may perform ``action`` (unknown roles may do nothing)."""
    return action in _TABLE.get(role, frozenset())


def allowed_actions(role: str) -> frozenset[str]:
    """Every action ``role`` may perform."""
    return _TABLE.get(role, frozenset())
