"""Writing a study's SDTM datasets: one ``<domain>.xpt`` per domain and ``define.xml``."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from pathlib import Path
from typing import Any

from autoserum.study.cdisc._define import define_xml
from autoserum.study.cdisc._sdtm import sdtm_domains
from autoserum.study.cdisc._vars import DATASETS
from autoserum.study.cdisc._xpt import write_xpt

__all__ = ["write_sdtm"]


def write_sdtm(
    settings: Mapping[str, Any],
    rows: Mapping[str, Sequence[Mapping[str, Any]]],
    out: Path,
    *,
    masked: bool,
    created: datetime,
) -> list[Path]:
    """Write the SDTM domains of a study (see :func:`sdtm_domains`) to the folder ``out``."""
    frames = sdtm_domains(settings, rows, masked=masked)
    out.mkdir(parents=True, exist_ok=True)
    written = [write_xpt(DATASETS[n], f, out / f"{n.lower()}.xpt") for n, f in frames.items()]
    define = out / "define.xml"
    define.write_bytes(define_xml(str(settings["name"]), frames, created=created))
    return [*written, define]
