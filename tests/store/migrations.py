"""What the tests of one Alembic migration share: the migration's revision and the one before
it (found by its file's name), the rows of a study with a site that its data rows need, and a
downgrade on either engine (SQLite with its foreign keys off, as batch mode needs)."""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.script import ScriptDirectory
from sqlalchemy import Engine, text

from autoserum.store._migrate import _pragma, alembic_config, migrate

__all__ = ["NOW", "STUDY_AND_SITE", "downgrade", "revisions", "upgrade_over"]

NOW = "2026-01-01T00:00:00.000000Z"
#: A study (id 1) and its site (id 1), as raw rows of the schema before a migration.
STUDY_AND_SITE = [
    "INSERT INTO studies (id, name, protocol_code, protocol, open_label, has_run_in, seed,"
    f" allocation_n, created_at, version) VALUES (1, 'A', 'p', '{{}}', false, false, 1, 10,"
    f" '{NOW}', 1)",
    "INSERT INTO sites (id, study_id, code, name, version) VALUES (1, 1, 's01', 'one', 1)",
]


def revisions(name: str) -> tuple[str, str]:
    """(the revision, the one before it) of the migration whose file ends in ``_<name>``."""
    script = next(
        s
        for s in ScriptDirectory.from_config(alembic_config()).walk_revisions()
        if s.path is not None and Path(s.path).stem.endswith(f"_{name}")
    )
    return script.revision, str(script.down_revision)


def downgrade(engine: Engine, to: str) -> None:
    """Downgrade the database of ``engine`` to revision ``to``."""
    with engine.connect() as conn:
        if conn.dialect.name == "sqlite":
            _pragma(conn, "foreign_keys=OFF")
        with conn.begin():
            config = alembic_config()
            config.attributes["connection"] = conn
            command.downgrade(config, to)


def upgrade_over(engine: Engine, seed: list[str], *, before: str, revision: str) -> None:
    """Migrate to ``before``, write the ``seed`` rows, then migrate to ``revision``."""
    assert migrate(engine, before) == before
    with engine.begin() as conn:
        for sql in seed:
            conn.execute(text(sql))
    assert migrate(engine, revision) == revision
