"""Write the SDTM XPT files (and ADaM's ADSL) that ``haven_sdtm.R`` reads (run from the
repository root):

    PYTHONPATH=src:. python tests/exports/reference/make_sdtm.py
    Rscript tests/exports/reference/haven_sdtm.R

The study is the export tests' fixture (``tests/exports/conftest.py``, seeded and synthetic).
QS is left out here (its file is large); the tests read it back with pyreadstat only. ADSL
(with the subject history) is written to ``adam/``.
"""

from __future__ import annotations

import tempfile
from datetime import UTC, datetime
from pathlib import Path

from tests.exports.conftest import NOW, STUDY, build_study
from tests.store.helpers import ADMIN, TODAY

from autoserum.analysis import write_adam
from autoserum.store import open_store
from autoserum.study.cdisc import write_sdtm

HERE = Path(__file__).parent
IN_R = (
    "dm", "ds", "sv", "ex", "ae", "cm", "mh", "lb", "vs", "dv", "ta", "te", "tv", "ti", "ts",
)  # fmt: skip


def main() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        store = open_store(f"sqlite:///{tmp}/study.db", clock=lambda: TODAY, now=lambda: NOW)
        try:
            build_study(store)
            content = store.exports.package(STUDY, actor=ADMIN)
            _, frames = store.exports.adam(STUDY, actor=ADMIN)
        finally:
            store.close()
        meta = content.descriptor["autoserum"]
        out = Path(tmp) / "sdtm"
        write_sdtm(
            meta["study"], content.rows, out, masked=False, created=datetime(2026, 1, 1, tzinfo=UTC)
        )
        for name in IN_R:
            (HERE / "sdtm" / f"{name}.xpt").write_bytes((out / f"{name}.xpt").read_bytes())
        adam = Path(tmp) / "adam"
        write_adam(STUDY, {"ADSL": frames["ADSL"]}, adam, created=NOW)
        (HERE / "adam").mkdir(exist_ok=True)
        (HERE / "adam" / "adsl.xpt").write_bytes((adam / "adsl.xpt").read_bytes())


if __name__ == "__main__":
    main()
