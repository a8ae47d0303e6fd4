"""Who may do what: the one permission table (role × action × scope), used by the store's
services and the web app's pages, navigation and API alike.

A role may perform an action within a **scope**:

* ``sites``: at the sites the user belongs to (a site is a site of one study: a
  ``(study, site code)`` pair);
* ``study``: anywhere in a study where the user belongs to at least one site;
* ``all``: in every study, whatever the user's sites.

A user whose site list is ``None`` belongs to every site of every study (the admin created
without sites). Roles are defined here and nowhere else (issue 10: the store's role sets and
the web app's table had drifted apart).

Example::

    >>> allowed("monitor", "read_subject"), allowed("monitor", "write_data")
    (True, False)
    >>> scope_of("statistician", "export")
    <Scope.STUDY: 'study'>
    >>> cora = frozenset({("A", "s02")})
    >>> permits("coordinator", "write_data", sites=cora, study="A", site="s02")
    True
    >>> permits("coordinator", "write_data", sites=cora, study="B", site="s02")
    False
    >>> permits("admin", "write_data", sites=cora, study="B", site="s02")
    True
"""

from __future__ import annotations

from collections.abc import Mapping
from enum import StrEnum
from types import MappingProxyType
from typing import Final

from autoserum.errors import Expected, Message, PermissionDeniedError, ValidationError

__all__ = [
    "ACTIONS",
    "PATIENT_ACTIONS",
    "PATIENT_ROLE",
    "ROLES",
    "TABLE",
    "Scope",
    "SiteKey",
    "allowed",
    "allowed_actions",
    "check_role",
    "patient_actor_name",
    "permits",
    "require",
    "scope_of",
    "table_markdown",
]

SiteKey = tuple[str, str]
"""A site as (study name, site code): a site code alone names a site only within its study."""


class Scope(StrEnum):
    """How far a permitted action reaches."""

    SITES = "sites"
    STUDY = "study"
    ALL = "all"


ROLES: Final[tuple[str, ...]] = (
    "admin",
    "investigator",
    "coordinator",
    "monitor",
    "data_manager",
    "statistician",
    "preparer",
    "central_rater",
)
"""Every role, in order of reach (the ``users.role`` CHECK constraint lists the same)."""

ACTIONS: Final[Mapping[str, str]] = MappingProxyType(
    {
        "read_study": "studies list, study dashboard (aggregate counts, no subject identifiers)",
        "read_subject": "subject list, subject page, assessments, records, deviations",
        "read_audit": "audit trail",
        "export": "de-identified tidy export",
        "screen": "screen a subject (eligibility)",
        "randomise": "enrol and randomise a subject",
        "override_eligibility": "randomise despite a failing or unknown rule, with a reason",
        "write_data": (
            "record and correct visits, assessments, injections, labs, AEs, con-meds, vital "
            "signs, demographics and AD history"
        ),
        "record_consent": "record a subject's informed consent and its withdrawal",
        "withdraw": "withdraw a subject",
        "report_sae": "the SAE report (PDF) of a serious adverse event, arm masked when blinded",
        "unblind": "emergency unblinding of one subject (a reason, audited)",
        "review_unblindings": "the study's list of emergency unblindings",
        "see_arms": "see allocation arms in a blinded study without an unblinded grant",
        "prepare_product": (
            "record blood draws, processing, aliquots, storage, disposal and blinded kits "
            "(the product's chain of identity; unblinded)"
        ),
        "rate_photos": (
            "rate lesion photographs blind (coded photographs only: no subject, site, arm, "
            "visit or date)"
        ),
        "import_data": "import a tidy file into the store",
        "lock": "lock a record, a visit or a subject's data (reviewed)",
        "lock_database": "lock the database, lift any lock (with a reason)",
        "raise_query": "open a data query on a record or a field of it",
        "answer_query": "answer a data query (with the correction, if any)",
        "resolve_query": "close, re-open or cancel a data query",
        "verify_source": "mark a record verified against the source (SDV)",
        "sign": "sign a visit, a casebook or the study electronically (password re-entered)",
        "run_checks": "run the automatic checks (they raise data queries)",
        "manage_study": "create studies, add and rename sites",
        "manage_users": "create and change accounts, tokens of other users",
        "issue_patient_links": (
            "issue, re-issue and revoke a subject's self-report link (QR card); see the "
            "self-report compliance"
        ),
    }
)
"""Every action with what it covers."""

_S, _T, _A = Scope.SITES, Scope.STUDY, Scope.ALL
_CLINICAL = {"read_study": _S, "read_subject": _S, "read_audit": _S, "screen": _S}

TABLE: Final[Mapping[str, Mapping[str, Scope]]] = MappingProxyType(
    {
        "admin": MappingProxyType(dict.fromkeys(ACTIONS, _A)),
        "investigator": MappingProxyType(
            {
                **_CLINICAL,
                "issue_patient_links": _S,
                "export": _S,
                "randomise": _S,
                "override_eligibility": _S,
                "write_data": _S,
                "record_consent": _S,
                "withdraw": _S,
                "report_sae": _S,
                "unblind": _S,
                "answer_query": _S,
                "sign": _S,
                "run_checks": _S,
            }
        ),
        "coordinator": MappingProxyType(
            {
                **_CLINICAL,
                "issue_patient_links": _S,
                "randomise": _S,
                "write_data": _S,
                "record_consent": _S,
                "answer_query": _S,
                "run_checks": _S,
                "report_sae": _S,
            }
        ),
        "monitor": MappingProxyType(
            {
                "read_study": _S,
                "read_subject": _S,
                "read_audit": _S,
                "lock": _S,
                "raise_query": _S,
                "resolve_query": _S,
                "verify_source": _S,
                "run_checks": _S,
                "report_sae": _S,
            }
        ),
        # the data manager cleans the data at their sites (give them every site of the
        # study to work centrally): queries (not their answers), the automatic checks, SDV
        # progress (read), exports; never clinical data, randomisation, unblinding, SDV or
        # signatures; blinded (no ``see_arms``)
        "data_manager": MappingProxyType(
            {
                **dict.fromkeys(("read_study", "read_subject", "read_audit", "export"), _S),
                **dict.fromkeys(("raise_query", "resolve_query", "run_checks"), _S),
            }
        ),
        "statistician": MappingProxyType({"read_study": _T, "export": _T}),
        # the unblinded preparer makes each subject's product (or saline kit) per allocation:
        # no clinical data, no injections, no export
        "preparer": MappingProxyType({"read_study": _S, "see_arms": _S, "prepare_product": _S}),
        # the blinded central rater scores coded photographs of the study (every site's) and
        # sees nothing else: no subject, no site, no arm, no date
        "central_rater": MappingProxyType({"rate_photos": _T}),
    }
)
"""role → action → scope; an action missing from a role's row is not allowed."""


PATIENT_ROLE: Final = "patient"
"""The principal of a self-report link: not an account role (no user has it, the ``users.role``
CHECK refuses it). A patient actor (``patient:<subject>``) holds no action of :data:`TABLE`;
it may do :data:`PATIENT_ACTIONS`, for its own subject only, through the link's token."""

PATIENT_ACTIONS: Final[Mapping[str, str]] = MappingProxyType(
    {"self_report": "see one's own due questionnaires and submit them (nothing else)"}
)
"""What a patient actor may do, on its own subject only (``store.self_report``)."""


def patient_actor_name(subject_id: str) -> str:
    """The audit name of the patient of ``subject_id``.

    >>> patient_actor_name("S1-001"), permits(PATIENT_ROLE, "read_subject", sites=None)
    ('patient:S1-001', False)
    """
    return f"{PATIENT_ROLE}:{subject_id}"


def check_role(role: str) -> str:
    """``role`` if it is one of :data:`ROLES`; :class:`ValidationError` otherwise.

    >>> check_role("monitor")
    'monitor'
    """
    if role not in ROLES:
        raise ValidationError("role", role, Expected("one of %(values)s", values=", ".join(ROLES)))
    return role


def _check_action(action: str) -> str:
    if action not in ACTIONS:  # a programming error, never user input: fail loudly
        raise ValidationError(
            "action", action, Expected("one of %(values)s", values=", ".join(ACTIONS))
        )
    return action


def scope_of(role: str, action: str) -> Scope | None:
    """How far ``role`` may perform ``action`` (``None``: not at all; unknown roles: never)."""
    return TABLE.get(role, {}).get(_check_action(action))


def allowed(role: str, action: str) -> bool:
    """True iff ``role`` may perform ``action`` somewhere."""
    return scope_of(role, action) is not None


def allowed_actions(role: str) -> frozenset[str]:
    """Every action ``role`` may perform."""
    return frozenset(TABLE.get(role, {}))


def permits(
    role: str,
    action: str,
    *,
    sites: frozenset[SiteKey] | None,
    study: str | None = None,
    site: str | None = None,
) -> bool:
    """True iff a user with ``role`` and ``sites`` may perform ``action`` on site ``site`` of
    ``study`` (``study=None``: outside any study). ``site=None`` asks about the study as a
    whole: within the ``study`` scope the user must belong to one of its sites; within the
    ``sites`` scope the answer is yes and every record is then filtered by its site.

    >>> permits("statistician", "export", sites=frozenset({("A", "s1")}), study="A", site="s2")
    True
    >>> permits("monitor", "read_subject", sites=frozenset({("A", "s1")}), study="A", site="s2")
    False
    """
    scope = scope_of(role, action)
    if scope is None:
        return False
    if scope is Scope.ALL or sites is None or study is None:
        return True
    if scope is Scope.STUDY:
        return any(name == study for name, _ in sites)
    # sites scope: a study-level request (a listing) is filtered site by site
    return site is None or (study, site) in sites


def require(
    role: str,
    action: str,
    *,
    username: str,
    sites: frozenset[SiteKey] | None = None,
    study: str | None = None,
    site: str | None = None,
) -> None:
    """:class:`PermissionDeniedError` unless :func:`permits` allows the action.

    >>> require("monitor", "write_data", username="mo")
    Traceback (most recent call last):
    ...
    autoserum.errors.PermissionDeniedError: mo (monitor) may not record and correct visits, ...
    """
    if not allowed(role, action):
        raise PermissionDeniedError(
            Message(
                "%(username)s (%(role)s) may not %(actions)s",
                username=username,
                role=role,
                actions=ACTIONS[action],
            )
        )
    if not permits(role, action, sites=sites, study=study, site=site):
        where = f"site {site!r} of study {study!r}" if site is not None else f"study {study!r}"
        raise PermissionDeniedError(
            Message("%(username)s has no access to %(where)s", username=username, where=where)
        )


def table_markdown() -> str:
    """The table as a Markdown table (``docs/web.md`` holds this text; a test compares).

    >>> table_markdown().splitlines()[0]
    '| action | what it covers | admin | investigator | coordinator | ... | central_rater |'
    """
    lines = [
        "| action | what it covers | " + " | ".join(ROLES) + " |",
        "|---|---|" + "---|" * len(ROLES),
    ]
    for action, text in ACTIONS.items():
        cells = [str(s) if (s := scope_of(role, action)) else "–" for role in ROLES]
        lines.append(f"| `{action}` | {text} | " + " | ".join(cells) + " |")
    return "\n".join(lines) + "\n"
