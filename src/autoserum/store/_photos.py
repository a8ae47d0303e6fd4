"""``store.photos``: lesion photographs and their blinded central rating (docs/photos.md).

An upload (``write_data``) names the subject, the visit and the body region; it is refused
unless the subject's valid consent agreed to the ``photographs`` component
(:func:`autoserum.study.consent.check_component`), its type is recognised from its content,
and it is re-encoded without metadata (:mod:`autoserum.store._photofiles`) before its bytes go
to the file store; the database holds the metadata and the SHA-256 (the ``photo`` record,
audited). Readers of the subject see the gallery; a central rater (``rate_photos``) sees the
study's photographs in a random order of their own, by coded id only, and rates each once.
"""

from __future__ import annotations

import random
import secrets
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from autoserum.errors import Expected, Message, NotFoundError, StateError, ValidationError
from autoserum.store._base import Actor, Service
from autoserum.store._consent import consents_of
from autoserum.store._locks import require_unlocked
from autoserum.store._photofiles import PhotoFiles, sanitise, sniff
from autoserum.store._views import domain_record, fraction_text
from autoserum.store.models import PhotoRatingRow, PhotoRow, StudyRow, SubjectRow, VisitRow
from autoserum.study.consent import check_component
from autoserum.study.entities import entity
from autoserum.study.locks import Target
from autoserum.study.model import Photo, PhotoRating
from autoserum.study.photos import Agreement, PhotoScore, agreement, rating_values
from autoserum.study.status import TERMINAL_STATUSES, SubjectStatus

__all__ = ["CodedPhoto", "PhotoService"]


@dataclass(frozen=True)
class CodedPhoto:
    """What a blinded central rater sees of a photograph: its coded id, the body region
    (the EASI region rated), its size in pixels and whether this rater has rated it. No
    subject, site, arm, visit or date."""

    code: str
    region: str
    width: int
    height: int
    rated: bool


class PhotoService(Service):
    """``store.photos``: upload (``write_data``), gallery and image (``read_subject``), the
    rater's queue, image and ratings (``rate_photos``), the ratings' agreement."""

    def __init__(self, uow: Any, files: PhotoFiles) -> None:
        super().__init__(uow)
        self.files = files

    # --- upload -------------------------------------------------------------------------
    def upload(
        self,
        study: str,
        subject_id: str,
        visit_code: str,
        region: str,
        data: bytes,
        *,
        actor: Actor,
        max_bytes: int | None = None,
    ) -> Photo:
        """Store a photograph of ``region`` taken at visit ``visit_code`` (see the module
        docstring); ``max_bytes`` is the upload limit (the web app's)."""
        spec = entity("photo")
        region = spec.field("region").convert(region)
        with self._write(actor, f"photograph {region}") as s:
            self._require(actor, "write_data")
            st = self._study(s, study)
            subject = self._subject(s, st, subject_id, actor, action="write_data", lock=True)
            if not data:
                raise ValidationError(
                    "photo", "0 bytes", Expected("an image file (JPEG, PNG or HEIC)")
                )
            if max_bytes is not None and len(data) > max_bytes:
                raise ValidationError(
                    "photo",
                    f"{len(data)} bytes",
                    Expected("at most %(max_bytes)s bytes", max_bytes=max_bytes),
                )
            source = sniff(data)
            if SubjectStatus(subject.status) in TERMINAL_STATUSES - {SubjectStatus.COMPLETED}:
                raise StateError(
                    Message(
                        "subject %(subject_id)s is %(status)s: no new data",
                        subject_id=repr(subject_id),
                        status=subject.status,
                    )
                )
            visit = s.scalar(
                select(VisitRow).where(
                    VisitRow.subject_pk == subject.id, VisitRow.visit_code == visit_code
                )
            )
            if visit is None:
                raise ValidationError(
                    "visit",
                    visit_code,
                    Expected("a recorded visit of subject %(subject_id)s", subject_id=subject_id),
                )
            require_unlocked(s, st, Target(subject.id, visit.id), what=Message("add a photograph"))
            documents, consents = consents_of(s, st, subject)
            check_component(
                subject.subject_id, documents, consents, "photographs",
                on=self._today(), what=Message("store a photograph"),
            )  # fmt: skip
            clean = sanitise(data, source)
            digest = self.files.put(clean.data)
            row = PhotoRow(
                study_id=st.id,
                subject_pk=subject.id,
                visit_id=visit.id,
                code=_new_code(s, st),
                region=region,
                media_type=clean.media_type,
                source_type=source,
                sha256=digest,
                size_bytes=len(clean.data),
                width=clean.width,
                height=clean.height,
                uploaded_at=self._now(),
                uploaded_by=actor.username,
                version=1,
            )
            s.add(row)
            s.flush()
            return domain_record("photo", row, subject.subject_id)

    # --- readers of the subject ---------------------------------------------------------
    def gallery(self, study: str, subject_id: str, *, actor: Actor) -> tuple[Photo, ...]:
        """The subject's photographs, by visit and region (``read_subject``)."""
        with self._read() as s:
            st = self._study(s, study)
            subject = self._subject(s, st, subject_id, actor, action="read_subject")
            rows = s.scalars(
                select(PhotoRow)
                .join(VisitRow, VisitRow.id == PhotoRow.visit_id)
                .where(PhotoRow.subject_pk == subject.id)
                .order_by(VisitRow.visit_date, VisitRow.id, PhotoRow.region, PhotoRow.id)
            )
            return tuple(domain_record("photo", r, subject.subject_id) for r in rows)

    def image(
        self, study: str, subject_id: str, photo_id: int, *, actor: Actor
    ) -> tuple[bytes, str]:
        """The bytes and media type of one of the subject's photographs (``read_subject``; a
        photograph of a subject out of reach is not found)."""
        with self._read() as s:
            st = self._study(s, study)
            subject = self._subject(s, st, subject_id, actor, action="read_subject")
            row = s.get(PhotoRow, photo_id)
            if row is None or row.subject_pk != subject.id:
                raise NotFoundError(
                    Message(
                        "no photograph %(photo_id)s of subject %(subject_id)s",
                        photo_id=photo_id,
                        subject_id=repr(subject_id),
                    )
                )
            digest, media = row.sha256, row.media_type
        return self.files.get(digest), media

    # --- the blinded central rater ------------------------------------------------------
    def _rater_study(self, s: Session, study: str, actor: Actor) -> StudyRow:
        st = self._study(s, study)
        self._require(actor, "rate_photos", study=st.name)
        return st

    def queue(self, study: str, *, actor: Actor) -> tuple[CodedPhoto, ...]:
        """The study's photographs as the rater sees them, in the rater's own random order
        (seeded by study and rater: stable across visits of the page, different per rater)."""
        with self._read() as s:
            st = self._rater_study(s, study, actor)
            rows = list(s.scalars(select(PhotoRow).where(PhotoRow.study_id == st.id)))
            rated = set(
                s.scalars(
                    select(PhotoRatingRow.photo_id).where(
                        PhotoRatingRow.study_id == st.id, PhotoRatingRow.rater == actor.username
                    )
                )
            )
        rows.sort(key=lambda r: r.code)
        random.Random(f"{st.name}\x00{actor.username}").shuffle(rows)
        return tuple(CodedPhoto(r.code, r.region, r.width, r.height, r.id in rated) for r in rows)

    def _coded(self, s: Session, st: StudyRow, code: str) -> PhotoRow:
        row: PhotoRow | None = s.scalar(
            select(PhotoRow).where(PhotoRow.study_id == st.id, PhotoRow.code == code)
        )
        if row is None:
            raise NotFoundError(
                Message(
                    "no photograph coded %(code)s in study %(name)s",
                    code=repr(code),
                    name=repr(st.name),
                )
            )
        return row

    def coded(self, study: str, code: str, *, actor: Actor) -> CodedPhoto:
        """One photograph as the rater sees it."""
        with self._read() as s:
            st = self._rater_study(s, study, actor)
            row = self._coded(s, st, code)
            rated = s.scalar(
                select(PhotoRatingRow.id).where(
                    PhotoRatingRow.photo_id == row.id, PhotoRatingRow.rater == actor.username
                )
            )
            return CodedPhoto(row.code, row.region, row.width, row.height, rated is not None)

    def coded_image(self, study: str, code: str, *, actor: Actor) -> tuple[bytes, str]:
        """The bytes of a coded photograph for the rater (re-encoded at upload: no EXIF)."""
        with self._read() as s:
            row = self._coded(s, self._rater_study(s, study, actor), code)
            digest, media = row.sha256, row.media_type
        return self.files.get(digest), media

    def rate(
        self, study: str, code: str, values: Mapping[str, Any], *, actor: Actor
    ) -> PhotoRating:
        """Record ``actor``'s rating of the photograph coded ``code``: the EASI signs and
        area of its region and the vIGA-AD grade (:func:`autoserum.study.photos.rating_values`).
        One rating per rater and photograph."""
        with self._write(actor, f"photo rating {code}") as s:
            st = self._rater_study(s, study, actor)
            row = self._coded(s, st, code)
            subject = s.get(SubjectRow, row.subject_pk)
            assert subject is not None  # foreign key
            scored = rating_values(row.region, values, age=subject.age)
            again = s.scalar(
                select(PhotoRatingRow.id).where(
                    PhotoRatingRow.photo_id == row.id, PhotoRatingRow.rater == actor.username
                )
            )
            if again is not None:
                raise StateError(
                    Message(
                        "photograph %(code)s is rated by %(username)s already",
                        code=code,
                        username=actor.username,
                    )
                )
            rating = PhotoRatingRow(
                study_id=st.id,
                subject_pk=row.subject_pk,
                photo_id=row.id,
                rater=actor.username,
                rated_at=self._now(),
                version=1,
                **{k: (fraction_text(v) if k == "region_score" else v) for k, v in scored.items()},
            )
            s.add(rating)
            s.flush()
            return domain_record("photo_rating", rating, code)

    # --- agreement ----------------------------------------------------------------------
    def scores(self, study: str, *, actor: Actor) -> tuple[PhotoScore, ...]:
        """Every rating of the study as (photo code, rater, region score, grade), for the
        agreement (``read_study``: aggregate use, no subject identifiers)."""
        with self._read() as s:
            st = self._study(s, study)
            self._require(actor, "read_study", study=st.name)
            rows = s.execute(
                select(PhotoRow.code, PhotoRatingRow)
                .join(PhotoRow, PhotoRow.id == PhotoRatingRow.photo_id)
                .where(PhotoRatingRow.study_id == st.id)
                .order_by(PhotoRow.code, PhotoRatingRow.rater)
            ).all()
            out = []
            for code, r in rows:
                rating = domain_record("photo_rating", r, code)
                out.append(PhotoScore(code, r.rater, rating.region_score, r.viga_grade))
            return tuple(out)

    def agreement(self, study: str, *, actor: Actor) -> Agreement:
        """The inter-rater agreement of the study's blinded ratings."""
        return agreement(self.scores(study, actor=actor))


def _new_code(s: Session, st: StudyRow) -> str:
    """A fresh coded id (``PH-`` and 10 random hex digits): nothing of the subject, the
    visit or the order of upload can be read from it."""
    while True:
        code = f"PH-{secrets.token_hex(5).upper()}"
        taken = s.scalar(
            select(PhotoRow.id).where(PhotoRow.study_id == st.id, PhotoRow.code == code)
        )
        if taken is None:
            return code
