"""Root test configuration: seeded, deterministic property tests everywhere; the migrated
database templates (``tests/dbtemplates.py``) shared by the store and web fixtures."""

from __future__ import annotations

import importlib
import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from hypothesis import HealthCheck, settings

import autoserum
from tests.dbtemplates import make_sqlite_template, pg_base_url, pg_template

# One BLAS thread per test process (xdist workers and the commands tests start inherit this;
# the process that loads this file has numpy loaded already, so `make pytest` sets it too). The
# tests' matrices are small: threaded OpenBLAS gains nothing on them and spins on a shared
# 2-core machine (the Kenward-Roger finite-difference test: 19 s CPU with 2 threads, 1 s with 1).
for _blas in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS"):
    os.environ.setdefault(_blas, "1")

# The command line speaks the terminal's language (``autoserum.i18n.cli_language``): the tests,
# and the commands they start, compare English output whatever LANG the machine has. A test of
# another language sets AUTOSERUM_LANG (or removes it and sets LANG) itself.
os.environ["AUTOSERUM_LANG"] = "en"

# Seeded randomness only: Hypothesis runs derandomized (its seed is fixed), with no deadline so
# that a loaded 2-core CI machine never fails a test on time.
settings.register_profile(
    "autoserum",
    derandomize=True,
    deadline=None,
    max_examples=100,
    suppress_health_check=[HealthCheck.too_slow],
)
settings.load_profile("autoserum")


def _package_modules() -> list[str]:
    """Every module of the ``autoserum`` package (not its migration scripts, which run only
    under Alembic, nor ``__main__``, which runs the command line)."""
    root = Path(autoserum.__path__[0])
    names = []
    for path in sorted(root.rglob("*.py")):
        parts = path.relative_to(root.parent).with_suffix("").parts
        if "migrations" in parts or parts[-1] == "__main__":
            continue
        names.append(".".join(parts[:-1] if parts[-1] == "__init__" else parts))
    return names


def pytest_collection_finish(session: pytest.Session) -> None:
    """Load every module of the package before the first test, so that the values Hypothesis
    generates do not depend on which tests ran before.

    Hypothesis draws a share of its values (about 5 %) from a pool of constants that it reads
    from the source of the project's modules loaded at that moment (``sys.modules``, test files
    excluded), and the pool grows as modules are imported. A derandomized test therefore made
    other choices after a test that had imported, say, ``autoserum.simulate``: the state machine
    of ``tests/store/test_replay.py`` then never reached a disposal in its ten sequences and
    failed its coverage check. With the whole package loaded first, the pool is the same in
    every run, whatever the selection or order of the tests. (A whole run loads every module
    anyway, to collect the docstring examples; a run of a few files pays about 4 s of CPU.)"""
    del session
    for name in _package_modules():
        importlib.import_module(name)


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A SQLite file migrated to the newest revision once per session: copy it, never open it."""
    return make_sqlite_template(tmp_path_factory.mktemp("template") / "migrated.db")


@pytest.fixture(scope="session")
def pg_template_name() -> Iterator[str]:
    """A PostgreSQL database migrated to the newest revision once per session (its name), the
    template of the tests' migrated databases; never connect to it."""
    with pg_template(pg_base_url()) as name:
        yield name
