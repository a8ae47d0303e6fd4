"""The store's public face: :func:`open_store` and :class:`Store`.

>>> from autoserum.store import Actor
>>> store = open_store("sqlite://")
>>> admin = Actor("ada", "admin")
>>> store.create_study("DEMO", "ast-nahm2023", admin, seed=1).open_label
False
>>> sorted({r.field for r in store.audit_trail("DEMO", actor=admin)})[:3]
['allocation_n', 'created_at', 'has_run_in']
"""

from __future__ import annotations

from sqlalchemy.exc import DBAPIError

from autoserum.errors import ConfigurationError
from autoserum.store._admin import AdminMixin
from autoserum.store._edit import EditMixin
from autoserum.store._engine import make_engine
from autoserum.store._io import IOMixin
from autoserum.store._logins import LoginMixin
from autoserum.store._migrate import current_revision, head_revision, migrate
from autoserum.store._trail import TrailMixin

__all__ = ["Store", "open_store"]


class Store(IOMixin, TrailMixin, EditMixin, AdminMixin, LoginMixin):
    """The durable audited store of studies (SQLite or PostgreSQL).

    Every write method is one transaction, audited with the actor, the UTC time, the entity,
    field, old and new value and the reason. Arms are masked for actors who may not see them.
    """

    def schema_revision(self) -> tuple[str | None, str]:
        """``(current, expected)``: the database's schema revision and the one this code needs
        (equal when the schema is current)."""
        return current_revision(self.engine), head_revision()


def open_store(url: str = "sqlite:///autoserum.db", *, create: bool = True) -> Store:
    """Open the store at ``url``; with ``create`` (default) the schema is created or migrated.

    ``create=False`` refuses a database that is not at the newest schema revision.
    """
    engine = make_engine(url)
    shown = engine.url.render_as_string(hide_password=True)
    try:
        if create:
            migrate(engine)
        elif current_revision(engine) != head_revision():
            raise ConfigurationError(
                f"the database at {shown} is not at schema revision {head_revision()}; "
                "open it with create=True to migrate"
            )
    except DBAPIError as err:
        engine.dispose()
        reason = " ".join(str(err.orig).split())
        raise ConfigurationError(f"cannot open the database at {shown}: {reason}") from None
    except ConfigurationError:
        engine.dispose()
        raise
    return Store(engine)
