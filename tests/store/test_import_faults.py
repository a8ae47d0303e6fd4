"""Fault injection on the streamed import: the CLI import killed (``SIGKILL``) 20 times during
its run, at least half of them inside its write phase (short transactions under a hidden
staging name, ``store/_importer.py``): every other kill between two of its transactions (the
test holds the writer gate, so the import stops there: no timing involved), the others at
seeded random moments (mostly inside the write phase, sometimes after the publication).

After every kill: ``PRAGMA integrity_check`` passes, ``audit verify`` finds every hash chain
intact, no partial study is visible (the study is absent or complete, never a part), no
import that exited 0 was lost to a later kill, and a re-run of the same import succeeds; the
re-run (any next import) removes the killed import's staging study (``store/_staging.py``), so
none is left behind. Slow (real processes), run in CI.
"""

from __future__ import annotations

import os
import random
import signal
import sqlite3
import subprocess
import time
from pathlib import Path

import pytest

from autoserum.store import open_store
from autoserum.store._base import STAGING_PREFIX
from autoserum.store._gate import WriterGate
from autoserum.store._staging import REMOVED_PREFIX
from tests.store.helpers import ADMIN, TODAY
from tests.store.test_crash import CLI, SERVE_ENV, _after_a_kill
from tests.store.test_import_stream import tidy_file

pytestmark = pytest.mark.slow

KILLS = 20
SUBJECTS = 120  # × 5 visits: an import of a few short write transactions (batches of 500 first)
PROTOCOL = "ast-nahm2023"


def _import(url: str, file: Path, study: str) -> subprocess.Popen[bytes]:
    return subprocess.Popen(
        [CLI, "import", str(file), "--study", study, "--db", url, "--protocol", PROTOCOL],
        env=SERVE_ENV,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )


def _staging(db: Path) -> list[str]:
    """Staging studies not yet removed (read-only: never takes the write lock)."""
    with sqlite3.connect(f"file:{db}?mode=ro", uri=True) as conn:
        names = [str(r[0]) for r in conn.execute("SELECT name FROM studies")]
    return [n for n in names if n.startswith(STAGING_PREFIX) and not n.startswith(REMOVED_PREFIX)]


def _published(db: Path, study: str) -> bool:
    """Whether the study is visible under its name (read-only)."""
    with sqlite3.connect(f"file:{db}?mode=ro", uri=True) as conn:
        return conn.execute("SELECT 1 FROM studies WHERE name = ?", (study,)).fetchone() is not None


def _writing(proc: subprocess.Popen[bytes], db: Path) -> float:
    """Wait until the import has committed its first write (its staging study); the time."""
    deadline = time.monotonic() + 120
    while not _staging(db) and proc.poll() is None:
        assert time.monotonic() < deadline, "the import never wrote"
        time.sleep(0.003)
    return time.monotonic()


def _kill_at_a_transaction_boundary(proc: subprocess.Popen[bytes], db: Path, study: str) -> None:
    """Kill the import between two of its write transactions, unless it has published its
    study already: the test takes the file's writer gate (``store/_gate.py``), which the import
    takes before each transaction, so the import stops at its next one and cannot publish while
    the gate is held. The kill lands inside the write phase whatever the machine's speed."""
    gate = WriterGate(str(db), timeout=600.0)
    try:
        with gate:
            if not _published(db, study):
                os.kill(proc.pid, signal.SIGKILL)
        proc.wait(timeout=300)
    finally:
        gate.close()


def test_sigkill_during_cli_imports_leaves_no_partial_study_and_no_staging(
    tmp_path: Path,
) -> None:
    db = tmp_path / "imports.db"
    url = f"sqlite:///{db}"
    file = tmp_path / "visits.csv"
    tidy_file(SUBJECTS).write_csv(file)
    open_store(url).close()  # the schema exists: an import's first write is its own
    # calibration: how long the write phase of one import takes on this machine now
    first = _import(url, file, "CAL")
    writing = _writing(first, db)
    while not _published(db, "CAL") and first.poll() is None:
        time.sleep(0.001)
    phase = time.monotonic() - writing  # to the publication, not the process's exit
    _, err = first.communicate(timeout=300)
    assert first.returncode == 0, err
    rng = random.Random(20261202)
    acknowledged = ["CAL"]
    kills = inside = 0
    for round_ in range(3 * KILLS):
        if kills == KILLS:
            break
        study = f"IMP{round_:03d}"
        proc = _import(url, file, study)
        _writing(proc, db)
        if kills % 2 == 0:  # every other kill between two of its transactions
            _kill_at_a_transaction_boundary(proc, db, study)
        else:
            try:  # at a seeded moment: mostly inside the write phase, sometimes just after it
                proc.wait(timeout=rng.uniform(0, 1.1) * phase)
            except subprocess.TimeoutExpired:
                os.kill(proc.pid, signal.SIGKILL)
                proc.wait(timeout=30)
        assert proc.stderr is not None
        err = proc.stderr.read()
        proc.stderr.close()
        subjects, _ = _after_a_kill(url, study)  # integrity_check ok, audit verify ok
        if proc.returncode == 0:
            acknowledged.append(study)
            assert len(subjects) == SUBJECTS
            continue
        assert proc.returncode == -signal.SIGKILL, err
        kills += 1
        assert len(subjects) in {0, SUBJECTS}, len(subjects)  # nothing partial is visible
        if subjects:
            acknowledged.append(study)  # killed after it published the study
            continue
        inside += bool(_staging(db))
        # a re-run succeeds, and removes the killed import's staging study
        store = open_store(url, create=False, clock=lambda: TODAY)
        try:
            counts = store.exports.import_file(study, file, actor=ADMIN, protocol=PROTOCOL)
            assert counts["subjects"] == SUBJECTS
            assert store.audit.verify().ok
        finally:
            store.close()
        assert _staging(db) == []
        assert not list(tmp_path.glob(f"imports.db-{STAGING_PREFIX}*"))  # no lease file left
        acknowledged.append(study)
    assert kills == KILLS, f"only {kills} kills landed in {round_ + 1} imports"
    assert inside >= KILLS // 2, f"only {inside} kills landed inside an import's write phase"
    for done in acknowledged:  # no finished import lost to a later kill
        assert len(_after_a_kill(url, done)[0]) == SUBJECTS, done
