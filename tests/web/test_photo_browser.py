"""Issue 13 acceptance in headless Chromium, lesion photographs (docs/photos.md): a coordinator
tries to upload a JPEG carrying GPS EXIF tags before the subject consented to photographs
(refused, nothing stored), records the consent with the photographs component on the subject
page, uploads the photograph for a visit and region; the gallery shows it and the stored file
(and the image served) carries no EXIF or GPS. The central rater then sees the coded
photograph with no subject id, site, date or arm anywhere on the pages and rates EASI/vIGA-AD;
axe-core finds no WCAG 2.1 A/AA violation on those pages."""

from __future__ import annotations

import io
import re

import pytest
from PIL import ExifTags, Image
from playwright.sync_api import Browser, Page, expect

from autoserum.store.service import default_photo_dir

from .axe import assert_accessible
from .conftest import PASSWORD, SYSTEM, LiveServer, Seeded

pytestmark = [pytest.mark.browser, pytest.mark.slow]

GPS_LATITUDE = (37.0, 33.0, 59.56)  # 37°33'59.56" N
SUBJECT = "S1-001"
#: what the rater's pages must not show: subject ids, site codes or names, ISO or written
#: dates, arms or products
IDENTITY = re.compile(
    r"S[12]-\d{3}|\bS[12]\b|Site (one|two)|\b20\d\d-\d\d-\d\d\b|\b(Jan|Feb|Mar|Apr|May|Jun|Jul|"
    r"Aug|Sep|Oct|Nov|Dec)[a-z]* \d{1,2}, 20\d\d\b|\b(serum|placebo|saline)\b|baseline",
    re.IGNORECASE,
)


def jpeg_with_gps() -> bytes:
    """A JPEG carrying EXIF with GPS tags, a camera make and a date (Pillow's EXIF writer)."""
    exif = Image.Exif()
    exif[ExifTags.Base.Make] = "TestCam"
    exif[ExifTags.Base.DateTime] = "2026:03:02 10:11:12"
    gps = exif.get_ifd(ExifTags.IFD.GPSInfo)
    gps[ExifTags.GPS.GPSLatitudeRef] = "N"
    gps[ExifTags.GPS.GPSLatitude] = GPS_LATITUDE
    gps[ExifTags.GPS.GPSLongitudeRef] = "E"
    gps[ExifTags.GPS.GPSLongitude] = (126.0, 58.0, 0.0)
    out = io.BytesIO()
    Image.new("RGB", (64, 48), (190, 90, 80)).save(out, format="JPEG", exif=exif, quality=95)
    return out.getvalue()


def assert_no_metadata(data: bytes, what: str) -> None:
    """``data`` is an image without EXIF (hence no GPS) and without the camera's strings."""
    image = Image.open(io.BytesIO(data))
    assert dict(image.getexif()) == {}, f"{what} keeps EXIF"
    assert "exif" not in image.info, what
    assert b"Exif\x00\x00" not in data, what
    assert b"TestCam" not in data, what
    assert b"2026:03:02" not in data, what


def login(page: Page, base: str, username: str) -> None:
    page.goto(f"{base}/login")
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    expect(page.get_by_role("button", name="Log out")).to_be_visible()


def upload(page: Page, raw: bytes) -> None:
    page.get_by_text("Upload a photograph", exact=True).first.click()
    page.get_by_label("Visit of the photograph").select_option("baseline")
    page.get_by_label("Body region").select_option("trunk")
    page.get_by_label("Photograph (JPEG, PNG or HEIC)").set_input_files(
        {"name": "lesion.jpg", "mimeType": "image/jpeg", "buffer": raw}
    )
    page.get_by_role("button", name="Upload photograph").click()


def test_photo_upload_strips_gps_and_the_rater_sees_no_identity(
    browser: Browser, live: LiveServer, seeded: Seeded
) -> None:
    store = seeded.store
    store.consent.add_document("AST-1", "1.0", "en", "2026-01-05", actor=SYSTEM, sha256="ab" * 32)
    raw = jpeg_with_gps()
    carried = Image.open(io.BytesIO(raw)).getexif()  # the test file does carry GPS tags
    assert carried.get_ifd(ExifTags.IFD.GPSInfo)[ExifTags.GPS.GPSLatitude] == GPS_LATITUDE

    page = browser.new_page()
    login(page, live.url, "coord1")
    subject_url = f"{live.url}/studies/AST-1/subjects/{SUBJECT}"
    page.goto(subject_url)
    # no consent to photographs yet: refused, the reason named, nothing stored
    upload(page, raw)
    error = page.locator("#photo_file-error")
    expect(error).to_contain_text("consent")
    assert store.photos.gallery("AST-1", SUBJECT, actor=SYSTEM) == ()

    # the consent, with the photographs component agreed, recorded on the subject page
    page.goto(subject_url)
    page.get_by_text("Record a consent").click()
    page.get_by_label("Document version signed").select_option("1.0")
    page.get_by_label("Signed at (e.g. 2026-02-16T09:30+01:00)").fill("2026-02-16T09:30+01:00")
    page.get_by_label("Person obtaining consent").fill("Dr Kim")
    page.get_by_label("Photographs", exact=True).select_option("yes")
    page.get_by_role("button", name="Save a consent").click()
    expect(page.get_by_role("status")).to_be_visible()

    upload(page, raw)
    expect(page.get_by_role("status")).to_contain_text("Photograph stored")
    gallery = page.locator("ul.gallery img")
    expect(gallery).to_have_count(1)
    expect(page.locator("ul.gallery figcaption")).to_contain_text("baseline")
    assert_accessible(page, "the subject page with its photograph")
    # the image the gallery serves and the file stored: no EXIF, no GPS
    served = page.request.get(live.url + str(gallery.first.get_attribute("src")))
    assert served.ok
    assert_no_metadata(served.body(), "the gallery's image")
    (photo,) = store.photos.gallery("AST-1", SUBJECT, actor=SYSTEM)
    root = default_photo_dir(store.engine)
    assert root is not None
    stored = (root / photo.sha256[:2] / photo.sha256).read_bytes()
    assert_no_metadata(stored, "the stored file")
    assert Image.open(io.BytesIO(stored)).size == (64, 48)
    # the control: the staff's subject page does show identity (the check below can fail)
    assert IDENTITY.search(page.content()) is not None
    page.close()

    # the blinded central rater: the coded photograph only
    rater = browser.new_page()
    login(rater, live.url, "rater1")
    rater.goto(f"{live.url}/studies/AST-1/rating")
    expect(rater.get_by_role("link", name=photo.code)).to_be_visible()
    shown = IDENTITY.search(rater.content())
    assert shown is None, f"the rating list shows {shown.group(0)!r}"
    assert_accessible(rater, "the rater's list of coded photographs")
    rater.get_by_role("link", name=photo.code).click()
    expect(rater.get_by_role("heading", name=f"Photograph {photo.code}")).to_be_visible()
    shown = IDENTITY.search(rater.content())
    assert shown is None, f"the rating page shows {shown.group(0)!r}"
    assert_accessible(rater, "the rating page of a coded photograph")
    image = rater.request.get(f"{live.url}/studies/AST-1/rating/{photo.code}/image")
    assert image.ok
    assert_no_metadata(image.body(), "the rater's image")
    for label, value in (
        ("Erythema (0-3)", "2"), ("Oedema/induration/papulation (0-3)", "1.5"),
        ("Excoriation (0-3)", "1"), ("Lichenification (0-3)", "0"), ("Area score (0-6)", "3"),
        ("vIGA-AD grade (0-4)", "3"),
    ):  # fmt: skip
        rater.get_by_label(label).select_option(value)
    rater.get_by_role("button", name="Save rating").click()
    expect(rater.get_by_role("status")).to_contain_text(f"Rating of {photo.code} saved")
    shown = IDENTITY.search(rater.content())
    assert shown is None, f"the list after rating shows {shown.group(0)!r}"
    assert_accessible(rater, "the rater's list after a rating")
    rated = {
        (r.username, r.record_id)
        for r in store.audit.raw_rows("AST-1")
        if r.entity == "photo_rating" and r.action == "insert"
    }
    assert [name for name, _ in rated] == ["rater1"]  # one rating, audited as the rater's
