"""Reading and validating the tidy long format (visit file and its adverse-event and
concomitant-medication companions).

Reference: ``docs/data-format.md``.

>>> from autoserum.analysis import read_long
>>> from autoserum.simulate import simulate_study, write_study
>>> csv, _ = write_study(simulate_study("ast-nahm2023", 30, seed=1), tmp_path / "ast.csv")
>>> read_long(csv).height
117
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import polars as pl

from autoserum.errors import Expected, ValidationError
from autoserum.study.consort import ConsortSubject
from autoserum.study.photos import PhotoScore
from autoserum.study.tidy import (
    AE_SCHEMA,
    CONMED_SCHEMA,
    as_text_frame,
    restore_formulas,
    validate_adverse_events,
    validate_con_meds,
    validate_visits,
)

__all__ = [
    "StudyData",
    "ae_path_for",
    "conmed_path_for",
    "read_adverse_events",
    "read_con_meds",
    "read_long",
    "read_study",
    "study_from_frames",
    "validate_adverse_events",
    "validate_long",
]


@dataclass(frozen=True)
class StudyData:
    """A validated study: the visit file, the adverse events and the concomitant medication
    (each empty when there are none)."""

    visits: pl.DataFrame
    adverse_events: pl.DataFrame
    source: str
    #: the concomitant-medication table (``CONMED_SCHEMA``, with ``rescue``); empty when none
    con_meds: pl.DataFrame = field(default_factory=lambda: pl.DataFrame(schema=CONMED_SCHEMA))
    #: screening counts when the source knows them (a database): assessed for eligibility and
    #: excluded (screen failures); ``None`` for files, which hold enrolled subjects only
    assessed: int | None = None
    excluded: int | None = None
    #: the study's audit chain as verified when read from a database (its head hash, length and
    #: problems, see ``autoserum audit verify``); ``None`` for files
    audit_chain: str | None = None
    #: randomisations of subjects whose eligibility failed or was unknown, each with the
    #: investigator's reason (a database knows them; ``()`` for files)
    eligibility_overrides: tuple[str, ...] = ()
    #: the protocol deviations as the report lists them (``subject: importance category on
    #: date: description; corrective action``), the major ones first; ``()`` for files
    deviations: tuple[str, ...] = ()
    #: visits outside the schedule (flares), analysed apart from the planned weeks
    #: (``subject: code on date (day d): reason``); ``()`` for files
    unscheduled_visits: tuple[str, ...] = ()
    #: every screened subject as the store records it for the CONSORT flow (status, arm,
    #: failed eligibility rules, reason for leaving, treated); ``()`` for files
    registry: tuple[ConsortSubject, ...] = ()
    #: the subjects' history for the baseline table (one row per subject, columns
    #: :data:`autoserum.study.history.BASELINE_HISTORY_COLUMNS`); ``None`` for files
    history: pl.DataFrame | None = None
    #: the autologous product's accountability as the store counts it
    #: (``store.product.accountability``: per allocated subject the draws, aliquots, kits and
    #: injections given and planned; the refused injections with their kind), arms masked as
    #: ``"blinded"`` for a reader who may not see them; ``None`` for files
    product_subjects: pl.DataFrame | None = None
    product_refusals: pl.DataFrame | None = None
    #: the blinded central ratings of the lesion photographs (``store.photos.scores``);
    #: ``None`` for files
    photo_scores: tuple[PhotoScore, ...] | None = None


def ae_path_for(path: str | Path) -> Path:
    """The adverse-event companion of a visit file: ``<stem>.ae.csv`` in the same folder."""
    p = Path(path)
    return p.with_name(f"{p.stem}.ae.csv")


def conmed_path_for(path: str | Path) -> Path:
    """The concomitant-medication companion of a visit file: ``<stem>.conmed.csv``."""
    p = Path(path)
    return p.with_name(f"{p.stem}.conmed.csv")


def _read_text(path: Path) -> tuple[pl.DataFrame, int]:
    """Read a CSV or Parquet file with every column as text; return it and the first data line."""
    if not path.exists():
        raise ValidationError("path", str(path), Expected("an existing CSV or Parquet file"))
    suffix = path.suffix.lower()
    try:
        if suffix == ".parquet":
            raw = pl.read_parquet(path)
            return as_text_frame(raw), 1
        if suffix == ".csv":
            frame = pl.read_csv(path, infer_schema=False, encoding="utf8")
            return restore_formulas(frame), 2
    except (pl.exceptions.ComputeError, pl.exceptions.PolarsError, OSError) as err:
        raise ValidationError(
            "path", str(path), Expected("a readable tidy long file (%(err)s)", err=err)
        ) from err
    raise ValidationError("path", str(path), Expected("a file ending in .csv or .parquet"))


def validate_long(
    frame: pl.DataFrame, source: str = "<frame>", first_line: int | None = 2
) -> pl.DataFrame:
    """Validate a visit table whose cells are text; return it typed
    (:func:`autoserum.study.tidy.validate_visits`, the one validator of the format)."""
    return validate_visits(frame, source, first_line)


def _read_visits(path: Path) -> pl.DataFrame:
    text, first_line = _read_text(path)
    return validate_long(text, path.name, first_line)


def read_adverse_events(path: str | Path, subjects: pl.Series | None = None) -> pl.DataFrame:
    """Read and validate an adverse-event file (``<stem>.ae.csv``).

    With ``subjects``, every ``subject_id`` of the file must be one of them.
    """
    p = Path(path)
    text, first_line = _read_text(p)
    return validate_adverse_events(text, p.name, first_line, subjects)


def read_con_meds(path: str | Path, subjects: pl.Series | None = None) -> pl.DataFrame:
    """Read and validate a concomitant-medication file (``<stem>.conmed.csv``).

    With ``subjects``, every ``subject_id`` of the file must be one of them.
    """
    p = Path(path)
    text, first_line = _read_text(p)
    return validate_con_meds(text, p.name, first_line, subjects)


def study_from_frames(
    visits: pl.DataFrame,
    adverse_events: pl.DataFrame | None,
    source: str,
    *,
    con_meds: pl.DataFrame | None = None,
    assessed: int | None = None,
    excluded: int | None = None,
    eligibility_overrides: tuple[str, ...] = (),
    deviations: tuple[str, ...] = (),
    unscheduled_visits: tuple[str, ...] = (),
    registry: tuple[ConsortSubject, ...] = (),
    product: tuple[pl.DataFrame, pl.DataFrame] | None = None,
    photo_scores: tuple[PhotoScore, ...] | None = None,
) -> StudyData:
    """Validate typed frames of the long format (e.g. ``Store.export_long``) as a study.

    The frames are records, not a file: an error names ``source`` (e.g. ``study AST``), the
    subject and the visit of the bad row. ``product`` is the store's (subjects, refusals) of
    the product's accountability, ``photo_scores`` the central photo ratings.
    """
    typed = validate_visits(as_text_frame(visits), source, first_line=None)
    if adverse_events is not None and adverse_events.height:
        ae = validate_adverse_events(
            as_text_frame(adverse_events),
            f"{source} (adverse events)",
            None,
            typed["subject_id"],
        )
    else:
        ae = _empty_ae("arm" in typed.columns)
    cm = _empty_con_meds()
    if con_meds is not None and con_meds.height:
        cm = validate_con_meds(
            as_text_frame(con_meds),
            f"{source} (concomitant medication)",
            None,
            typed["subject_id"],
        )
    return StudyData(
        visits=typed,
        adverse_events=ae,
        source=source,
        con_meds=cm,
        assessed=assessed,
        excluded=excluded,
        eligibility_overrides=eligibility_overrides,
        deviations=deviations,
        unscheduled_visits=unscheduled_visits,
        registry=registry,
        product_subjects=None if product is None else product[0],
        product_refusals=None if product is None else product[1],
        photo_scores=photo_scores,
    )


def _empty_ae(with_arm: bool) -> pl.DataFrame:
    return pl.DataFrame(schema={c: t for c, t in AE_SCHEMA.items() if with_arm or c != "arm"})


def _empty_con_meds() -> pl.DataFrame:
    return pl.DataFrame(schema=CONMED_SCHEMA)


def read_study(path: str | Path) -> StudyData:
    """Read a visit file and, when they exist, its ``<stem>.ae.csv`` and ``<stem>.conmed.csv``
    companions; validate all three.

    >>> from autoserum.simulate import simulate_study, write_study
    >>> csv, _ = write_study(simulate_study("ast-nahm2023", 30, seed=1), tmp_path / "ast.csv")
    >>> study = read_study(csv)
    >>> study.visits.height, study.adverse_events.height
    (117, 38)
    >>> int(study.con_meds["rescue"].sum()) > 0
    True
    """
    p = Path(path)
    visits = _read_visits(p)
    ae_file = ae_path_for(p)
    if ae_file.exists():
        ae = read_adverse_events(ae_file, visits["subject_id"])
    else:
        ae = _empty_ae("arm" in visits.columns)
    cm_file = conmed_path_for(p)
    cm = read_con_meds(cm_file, visits["subject_id"]) if cm_file.exists() else _empty_con_meds()
    return StudyData(visits=visits, adverse_events=ae, source=str(p), con_meds=cm)


def read_long(path: str | Path) -> pl.DataFrame:
    """Read and validate a tidy long visit file (CSV or Parquet); return the typed visit table.

    The ``<stem>.ae.csv`` companion is read and validated too when present (use
    :func:`read_study` to get it). A bad cell raises one ValidationError with its line and
    column.

    Reference: ``docs/data-format.md``.

    >>> from autoserum.simulate import simulate_study, write_study
    >>> csv, _ = write_study(simulate_study("ast-nahm2023", 30, seed=1), tmp_path / "ast.csv")
    >>> read_long(csv).columns[:3]
    ['subject_id', 'arm', 'site']
    """
    return read_study(path).visits
