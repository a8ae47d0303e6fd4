"""Writing a simulated study as files of the tidy long format (CSV or Parquet).

The visit file goes to ``path``; the adverse events to ``<stem>.ae.csv`` (or ``.ae.parquet``)
and the concomitant medication to ``<stem>.conmed.csv`` beside it (``docs/data-format.md``).
Output is byte-identical for identical frames.

>>> ae_path(Path("out/serum.csv")), conmed_path(Path("out/serum.parquet"))
(PosixPath('out/serum.ae.csv'), PosixPath('out/serum.conmed.parquet'))
"""

from __future__ import annotations

from pathlib import Path

from autoserum.errors import Expected, ValidationError
from autoserum.simulate._study import SimulatedStudy

__all__ = ["ae_path", "conmed_path", "write_study"]

SUFFIXES = (".csv", ".parquet")


def ae_path(path: Path) -> Path:
    """The adverse-event file beside a visit file: ``<stem>.ae<suffix>``."""
    return path.with_name(f"{path.stem}.ae{path.suffix}")


def conmed_path(path: Path) -> Path:
    """The concomitant-medication file beside a visit file: ``<stem>.conmed<suffix>``."""
    return path.with_name(f"{path.stem}.conmed{path.suffix}")


def write_study(study: SimulatedStudy, path: Path) -> tuple[Path, Path]:
    """Write the visit, adverse-event and con-med files; returns the first two paths (the
    con-med file is :func:`conmed_path`)."""
    suffix = path.suffix.lower()
    if suffix not in SUFFIXES:
        raise ValidationError(
            "--out", str(path), Expected("a file name ending in .csv or .parquet")
        )
    if not path.parent.is_dir():
        raise ValidationError("--out", str(path), Expected("a file in an existing directory"))
    events = ae_path(path)
    if suffix == ".csv":
        study.visits.write_csv(path)
        study.adverse_events.write_csv(events)
        study.con_meds.write_csv(conmed_path(path))
    else:
        study.visits.write_parquet(path, statistics=False)
        study.adverse_events.write_parquet(events, statistics=False)
        study.con_meds.write_parquet(conmed_path(path), statistics=False)
    return path, events
