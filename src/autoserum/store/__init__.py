"""The durable audited store (adapter): SQLAlchemy models, Alembic migrations, audit trail,
import and export, as services over one unit of work (see :class:`Store`).

>>> store = open_store("sqlite://")
>>> store.dialect
'sqlite'
"""

from autoserum.store._accounts import ApiTokenRecord, UserRecord
from autoserum.store._backup import BackupInfo, backup, restore
from autoserum.store._base import SYSTEM, Actor, SiteKey
from autoserum.store._chain import KEY_VARIABLE, ChainProblem, ChainStatus, Verification, audit_key
from autoserum.store._trail import ARM_REVEALING, AuditRecord
from autoserum.store.service import Store, open_store

__all__ = [
    "ARM_REVEALING",
    "KEY_VARIABLE",
    "SYSTEM",
    "Actor",
    "ApiTokenRecord",
    "AuditRecord",
    "BackupInfo",
    "ChainProblem",
    "ChainStatus",
    "SiteKey",
    "Store",
    "UserRecord",
    "Verification",
    "audit_key",
    "backup",
    "open_store",
    "restore",
]
