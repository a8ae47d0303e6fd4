"""The durable audited store (adapter): SQLAlchemy models, Alembic migrations, audit trail,
import and export, as services over one unit of work (see :class:`Store`).

>>> store = open_store("sqlite://")
>>> store.dialect
'sqlite'
"""

from autoserum.store._accounts import ApiTokenRecord, UserRecord
from autoserum.store._backup import BackupInfo, backup, restore
from autoserum.store._base import SYSTEM, SYSTEM_CLI, Actor, SiteKey
from autoserum.store._chain import (
    KEY_VARIABLE,
    SECURITY_CHAIN,
    ChainProblem,
    ChainStatus,
    Verification,
    audit_key,
)
from autoserum.store._changes import ChangeEvent, FieldChange, change_events
from autoserum.store._events import SecurityEvent
from autoserum.store._login import LoginAttempt, LoginLimits
from autoserum.store._package import PackageContent, package_files, write_package
from autoserum.store._progress import VisitProgress
from autoserum.store._redcap import redcap_files
from autoserum.store._self_report import (
    Agenda,
    DueSlot,
    IssuedLink,
    PatientAccess,
    PatientLink,
    SubjectCompliance,
    Submitted,
)
from autoserum.store._slots import SharedSlots
from autoserum.store._trail import (
    ARM_REVEALING,
    DEFAULT_PAGE,
    MAX_PAGE,
    AuditFilter,
    AuditPage,
    AuditRecord,
)
from autoserum.store.service import Store, open_store

__all__ = [
    "ARM_REVEALING",
    "DEFAULT_PAGE",
    "KEY_VARIABLE",
    "MAX_PAGE",
    "SECURITY_CHAIN",
    "SYSTEM",
    "SYSTEM_CLI",
    "Actor",
    "Agenda",
    "ApiTokenRecord",
    "AuditFilter",
    "AuditPage",
    "AuditRecord",
    "BackupInfo",
    "ChainProblem",
    "ChainStatus",
    "ChangeEvent",
    "DueSlot",
    "FieldChange",
    "IssuedLink",
    "LoginAttempt",
    "LoginLimits",
    "PackageContent",
    "PatientAccess",
    "PatientLink",
    "SecurityEvent",
    "SharedSlots",
    "SiteKey",
    "Store",
    "SubjectCompliance",
    "Submitted",
    "UserRecord",
    "Verification",
    "VisitProgress",
    "audit_key",
    "backup",
    "change_events",
    "open_store",
    "package_files",
    "redcap_files",
    "restore",
    "write_package",
]
