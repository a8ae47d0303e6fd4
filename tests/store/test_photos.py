"""Lesion photographs (issue 13 item 5): upload per visit and region, EXIF/GPS stripped,
content hash and file store, the photo consent component, blinded central rating and the
raters' agreement, on SQLite and PostgreSQL."""

from __future__ import annotations

import hashlib
import io
import itertools
import os
from collections.abc import Iterator
from decimal import Decimal
from fractions import Fraction

import pillow_heif
import psycopg
import pytest
from PIL import ExifTags, Image
from sqlalchemy.engine import make_url

from autoserum.errors import NotFoundError, PermissionDeniedError, StateError, ValidationError
from autoserum.store import Actor, Store, open_store

from .helpers import (
    ADMIN,
    COORDINATOR,
    ELIGIBLE,
    INVESTIGATOR,
    MONITOR,
    PREPARER,
    SCREENED_ON,
    STATISTICIAN,
    TODAY,
    SiteInEveryStudy,
    double_blind_study,
)


def rater(name: str, study: str) -> Actor:
    """A central rater of ``study`` (a member of its site s01: the rating reaches the study)."""
    return Actor(name, "central_rater", frozenset({(study, "s01")}))


OTHER_SITE = Actor("otto", "investigator", SiteInEveryStudy("s02"))
_names = itertools.count(1)
GPS_LATITUDE = (37.0, 33.0, 59.56)  # 37°33'59.56" N: Seoul


def jpeg_with_gps(*, orientation: int = 1, size: tuple[int, int] = (40, 20)) -> bytes:
    """A JPEG carrying EXIF with GPS tags, a camera make, a date and an orientation (written
    by Pillow's own EXIF writer)."""
    exif = Image.Exif()
    exif[ExifTags.Base.Make] = "TestCam"
    exif[ExifTags.Base.Orientation] = orientation
    exif[ExifTags.Base.DateTime] = "2026:03:02 10:11:12"
    gps = exif.get_ifd(ExifTags.IFD.GPSInfo)
    gps[ExifTags.GPS.GPSLatitudeRef] = "N"
    gps[ExifTags.GPS.GPSLatitude] = GPS_LATITUDE
    gps[ExifTags.GPS.GPSLongitudeRef] = "E"
    gps[ExifTags.GPS.GPSLongitude] = (126.0, 58.0, 0.0)
    out = io.BytesIO()
    image = Image.new("RGB", size, (200, 80, 60))
    image.paste((10, 10, 250), (0, 0, size[0] // 2, size[1] // 4))  # a blue mark top-left
    image.save(out, format="JPEG", exif=exif, quality=95)
    return out.getvalue()


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def store(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Store]:
    """One migrated store per engine for the module (each test makes its own study)."""
    folder = tmp_path_factory.mktemp("photos")
    if request.param == "sqlite":
        url = f"sqlite:///{folder / 'store.db'}"
        st = open_store(url, clock=lambda: TODAY, photo_dir=folder / "files")
        yield st
        st.close()
        return
    database: str = request.getfixturevalue("pg_database")
    schema = f"photos{os.getpid()}"
    conninfo = make_url(database).set(drivername="postgresql").render_as_string(hide_password=False)
    with psycopg.connect(conninfo, autocommit=True) as conn:
        conn.execute(f"CREATE SCHEMA {schema}")
        try:
            url = (
                make_url(database)
                .update_query_dict({"options": f"-csearch_path={schema}"})
                .render_as_string(hide_password=False)
            )
            st = open_store(url, clock=lambda: TODAY, photo_dir=folder / "files")
            yield st
            st.close()
        finally:
            conn.execute(f"DROP SCHEMA {schema} CASCADE")


def _consented(store: Store, study: str, subject: str, *, photographs: bool | None) -> None:
    components = {} if photographs is None else {"photographs": photographs}
    store.consent.record(
        study, subject, "1.0", "2026-02-16T09:00:00+00:00", actor=COORDINATOR,
        obtained_by="Dr Kim", components=components,
    )  # fmt: skip


@pytest.fixture
def study(store: Store) -> str:
    name = double_blind_study(store, f"PH{next(_names)}")
    store.studies.add_site(name, "s02", "Busan", actor=ADMIN)
    store.consent.add_document(name, "1.0", "en", "2026-01-05", actor=ADMIN, sha256="ab" * 32)
    for subject, agreed in (("S01", True), ("S02", False), ("S03", None)):
        store.subjects.screen(
            name, "s01", subject, ELIGIBLE, screened_on=SCREENED_ON, actor=COORDINATOR
        )
        _consented(store, name, subject, photographs=agreed)
        store.subjects.randomise(name, subject, actor=ADMIN)
        store.records.add_visit(name, subject, "baseline", "2026-03-02", actor=COORDINATOR)
    return name


def test_upload_strips_exif_and_gps_keeps_orientation_and_hash(store: Store, study: str) -> None:
    raw = jpeg_with_gps(orientation=6)  # 6: rotate 90° clockwise to show upright
    carried = Image.open(io.BytesIO(raw)).getexif()  # the test file does carry GPS tags
    assert carried.get_ifd(ExifTags.IFD.GPSInfo)[ExifTags.GPS.GPSLatitude] == GPS_LATITUDE
    photo = store.photos.upload(study, "S01", "baseline", "trunk", raw, actor=COORDINATOR)
    data, media = store.photos.image(study, "S01", photo.id, actor=INVESTIGATOR)
    assert media == photo.media_type == "image/jpeg"
    assert photo.source_type == "image/jpeg"
    assert hashlib.sha256(data).hexdigest() == photo.sha256
    assert len(data) == photo.size_bytes
    stored = Image.open(io.BytesIO(data))
    assert "exif" not in stored.info
    assert not stored.getexif()
    assert not stored.getexif().get_ifd(ExifTags.IFD.GPSInfo)
    assert b"TestCam" not in data
    assert b"Exif" not in data
    # the orientation is applied to the pixels: 40x20 turned upright is 20x40
    assert (photo.width, photo.height) == stored.size == (20, 40)
    # the file store holds it by its hash; the database holds no bytes
    assert (store.photos.files.root / photo.sha256[:2] / photo.sha256).read_bytes() == data
    trail = store.audit.trail(study, actor=ADMIN)
    audited = {r.field: r.new_value for r in trail if r.entity == "photo"}
    assert (audited["sha256"], audited["uploaded_by"]) == (photo.sha256, "cora")


def test_png_stays_png_and_heic_becomes_jpeg(store: Store, study: str) -> None:
    out = io.BytesIO()
    Image.new("RGBA", (8, 6), (1, 2, 3, 128)).save(out, format="PNG")
    png = store.photos.upload(study, "S01", "baseline", "head_neck", out.getvalue(), actor=ADMIN)
    assert (png.media_type, png.width, png.height) == ("image/png", 8, 6)
    heif = pillow_heif.from_pillow(Image.new("RGB", (16, 16), (90, 90, 90)))
    out = io.BytesIO()
    heif.save(out, quality=80)
    heic = store.photos.upload(study, "S01", "baseline", "upper_limbs", out.getvalue(), actor=ADMIN)
    assert (heic.source_type, heic.media_type) == ("image/heic", "image/jpeg")
    data, _ = store.photos.image(study, "S01", heic.id, actor=ADMIN)
    assert data[:3] == b"\xff\xd8\xff"


def test_upload_needs_the_photo_consent_component(store: Store, study: str) -> None:
    for subject, value in (("S02", "photographs declined"), ("S03", "photographs not asked")):
        with pytest.raises(ValidationError, match="'photographs'") as err:
            store.photos.upload(study, subject, "baseline", "trunk", jpeg_with_gps(), actor=ADMIN)
        assert (err.value.field, err.value.value) == ("consent", value)
        assert store.photos.gallery(study, subject, actor=ADMIN) == ()
    assert not any(r.entity == "photo" for r in store.audit.trail(study, actor=ADMIN))


def test_upload_refuses_content_not_an_image_and_over_the_limit(store: Store, study: str) -> None:
    with pytest.raises(ValidationError, match="recognised from its content") as err:
        store.photos.upload(study, "S01", "baseline", "trunk", b"%PDF-1.7 fake.jpg", actor=ADMIN)
    assert err.value.field == "photo"
    with pytest.raises(ValidationError, match="at most 100 bytes"):
        store.photos.upload(
            study, "S01", "baseline", "trunk", jpeg_with_gps(), actor=ADMIN, max_bytes=100
        )
    with pytest.raises(ValidationError, match="region"):
        store.photos.upload(study, "S01", "baseline", "face", jpeg_with_gps(), actor=ADMIN)
    with pytest.raises(ValidationError, match="visit"):
        store.photos.upload(study, "S01", "week4", "trunk", jpeg_with_gps(), actor=ADMIN)
    assert store.photos.gallery(study, "S01", actor=ADMIN) == ()


def test_who_may_upload_see_and_rate(store: Store, study: str) -> None:
    photo = store.photos.upload(study, "S01", "baseline", "trunk", jpeg_with_gps(), actor=ADMIN)
    for actor in (MONITOR, STATISTICIAN, PREPARER, rater("rhea", study)):
        with pytest.raises(PermissionDeniedError):
            store.photos.upload(study, "S01", "baseline", "trunk", jpeg_with_gps(), actor=actor)
    assert [p.id for p in store.photos.gallery(study, "S01", actor=MONITOR)] == [photo.id]
    for actor in (STATISTICIAN, PREPARER, rater("rhea", study)):
        with pytest.raises(PermissionDeniedError):
            store.photos.gallery(study, "S01", actor=actor)
    # another site's subject: answered as missing (least disclosure)
    with pytest.raises(NotFoundError):
        store.photos.image(study, "S01", photo.id, actor=OTHER_SITE)
    for actor in (INVESTIGATOR, MONITOR, STATISTICIAN):
        with pytest.raises(PermissionDeniedError):
            store.photos.queue(study, actor=actor)


def _rate(store: Store, study: str, rater: Actor, code: str, signs: int, grade: int) -> None:
    values = dict.fromkeys(("erythema", "induration", "excoriation", "lichenification"), signs)
    store.photos.rate(study, code, {**values, "area": 2, "viga_grade": grade}, actor=rater)


def test_blinded_rating_queue_rating_and_agreement(store: Store, study: str) -> None:
    RATER_A, RATER_B = rater("rhea", study), rater("rolf", study)
    with pytest.raises(PermissionDeniedError):  # a rater of another study
        store.photos.queue(study, actor=rater("rhea", "ELSEWHERE"))
    for region in ("trunk", "head_neck", "lower_limbs"):
        store.photos.upload(study, "S01", "baseline", region, jpeg_with_gps(), actor=ADMIN)
    queue = store.photos.queue(study, actor=RATER_A)
    assert len(queue) == 3
    assert not any(p.rated for p in queue)
    assert {p.code[:3] for p in queue} == {"PH-"}
    shown = set(vars(queue[0]))
    assert shown == {"code", "region", "width", "height", "rated"}  # no subject, site, date
    assert queue == store.photos.queue(study, actor=RATER_A)  # the rater's order is stable
    data, _ = store.photos.coded_image(study, queue[0].code, actor=RATER_A)
    assert b"TestCam" not in data
    assert b"Exif" not in data
    by_region = {p.region: p.code for p in queue}
    rating = store.photos.rate(
        study, by_region["trunk"],
        {"erythema": 2, "induration": "1.5", "excoriation": 1, "lichenification": 0, "area": 3,
         "viga_grade": 3},
        actor=RATER_A,
    )  # fmt: skip
    # (2 + 1.5 + 1 + 0) × area 3 × trunk multiplier 0.3 (age 30) = 4.05 (Hanifin 2001)
    assert (rating.region_score, rating.erythema) == (Fraction(81, 20), Decimal(2))
    assert rating.subject_id == by_region["trunk"]  # labelled by code, not by subject
    with pytest.raises(StateError, match="already"):
        _rate(store, study, RATER_A, by_region["trunk"], 1, 1)
    with pytest.raises(ValidationError) as err:
        store.photos.rate(
            study, by_region["head_neck"],
            {"erythema": "0.5", "induration": 0, "excoriation": 0, "lichenification": 0,
             "area": 1, "viga_grade": 1},
            actor=RATER_A,
        )  # fmt: skip
    assert err.value.field == "erythema"
    with pytest.raises(ValidationError) as err:
        _rate(store, study, RATER_A, by_region["head_neck"], 1, 5)
    assert err.value.field == "viga_grade"
    _rate(store, study, RATER_A, by_region["head_neck"], 1, 1)
    _rate(store, study, RATER_A, by_region["lower_limbs"], 3, 4)
    _rate(store, study, RATER_B, by_region["trunk"], 2, 3)
    _rate(store, study, RATER_B, by_region["head_neck"], 1, 2)
    _rate(store, study, RATER_B, by_region["lower_limbs"], 3, 4)
    assert all(p.rated for p in store.photos.queue(study, actor=RATER_B))
    result = store.photos.agreement(study, actor=ADMIN)
    assert (result.photos, result.raters, result.ratings) == (3, ("rhea", "rolf"), 6)
    assert result.icc is not None
    assert len(result.kappas) == 1
    rows = result.rows()
    assert [r["statistic"][:6] for r in rows[:4]] == ["ICC2: ", "ICC3: ", "ICC2k:", "ICC3k:"]
    audited = [r for r in store.audit.trail(study, actor=ADMIN) if r.entity == "photo_rating"]
    assert {r.username for r in audited} == {"rhea", "rolf"}
