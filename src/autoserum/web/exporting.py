"""The de-identified export of a study (tidy long format, docs/data-format.md).

De-identified: calendar dates are removed (``visit_date``; adverse-event onset is kept as
``onset_week``, a con-med's start and end as ``start_week``/``end_week``), only subjects within
the reach of the user's ``export`` permission are included, and ``arm`` is absent unless the
user may see arms. Text cells a spreadsheet would run as a formula are neutralised
(:func:`autoserum.study.tidy.neutralise_formulas`; ``import`` restores them). Every export is
recorded as a security event (``export``: study, what, rows, whether arms were included).
"""

from __future__ import annotations

import io
import json
import tempfile
import zipfile
from datetime import UTC, datetime
from pathlib import Path
from typing import Literal

from autoserum.analysis import write_adam
from autoserum.errors import Expected, ValidationError
from autoserum.store import Store, package_files
from autoserum.study.cdisc import write_sdtm
from autoserum.study.fhir import fhir_bundle
from autoserum.study.tidy import neutralise_formulas
from autoserum.web.deps import CurrentUser

__all__ = ["DROPPED_COLUMNS", "RECORD_FORMATS", "Exported", "export_csv", "export_records"]

RECORD_FORMATS = ("package", "sdtm", "adam", "fhir")
"""Formats of every record of a study (``docs/exports.md``): downloaded as one ``.zip``, the
FHIR Bundle as one JSON document."""
_ZIP_TIME = (1980, 1, 1, 0, 0, 0)

DROPPED_COLUMNS = ("visit_date", "onset_date", "start_date", "end_date", "entry_date")

Exported = Literal["visits", "adverse_events", "con_meds", "pro"]
"""What a de-identified export holds: the visit, adverse-event, con-med or self-report file."""


def export_csv(store: Store, user: CurrentUser, study: str, *, what: Exported) -> str:
    """The visit, adverse-event or concomitant-medication frame of ``study`` as CSV text."""
    user.require("export")
    if what == "adverse_events":
        frame = store.exports.adverse_events(study, actor=user.actor)
    elif what == "con_meds":
        frame = store.exports.con_meds(study, actor=user.actor)
    elif what == "pro":
        frame = store.exports.pro(study, actor=user.actor)
    else:
        frame = store.exports.long(study, actor=user.actor)
    frame = frame.drop([c for c in DROPPED_COLUMNS if c in frame.columns])
    text = neutralise_formulas(frame).write_csv()
    store.events.record(
        "export",
        actor=user.actor,
        detail={
            "study": study,
            "what": what,
            "rows": frame.height,
            "arms": "arm" in frame.columns,
            "via": "web",
        },
    )
    return text


def export_records(store: Store, user: CurrentUser, study: str, fmt: str) -> bytes:
    """Every record of ``study`` in ``fmt`` (the data package, SDTM or ADaM as ``.zip`` bytes,
    FHIR as a JSON Bundle), always de-identified from the web (no dates, no names of people),
    blinded as the user's role and the study's state require, the user's sites only; recorded
    as a security event."""
    user.require("export")
    if fmt not in RECORD_FORMATS:
        raise ValidationError(
            "format", fmt, Expected("one of %(values)s", values=", ".join(RECORD_FORMATS))
        )
    if fmt == "adam":
        content, frames = store.exports.adam(study, actor=user.actor, deidentified=True)
    else:
        content = store.exports.package(study, actor=user.actor, deidentified=True)
    meta = content.descriptor["autoserum"]
    out: bytes
    if fmt == "fhir":
        bundle = fhir_bundle(meta["study"], content.rows)
        out = (json.dumps(bundle, indent=1, ensure_ascii=False) + "\n").encode("utf-8")
    else:
        if fmt == "package":
            files = package_files(content)
        else:
            with tempfile.TemporaryDirectory() as tmp:
                created = datetime.now(UTC)
                if fmt == "adam":
                    written = write_adam(study, frames, Path(tmp), created=created)
                else:
                    written = write_sdtm(meta["study"], content.rows, Path(tmp),
                                         masked=meta["blinded"], created=created)  # fmt: skip
                files = {f.name: f.read_bytes() for f in written}
        buffer = io.BytesIO()
        with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as archive:
            for name, data in files.items():
                archive.writestr(zipfile.ZipInfo(name, date_time=_ZIP_TIME), data)
        out = buffer.getvalue()
    store.events.record(
        "export",
        actor=user.actor,
        detail={
            "study": study,
            "what": "every record",
            "rows": sum(len(r) for r in content.rows.values()),
            "arms": not meta["blinded"],
            "deidentified": True,
            "via": "web",
            "format": fmt,
        },
    )
    return out
