"""The photo file store: images re-encoded without metadata, kept by their SHA-256.

An upload's type is recognised from its content (:func:`sniff`: the JPEG, PNG or HEIC
signature), never from its name. :func:`sanitise` decodes it with Pillow (HEIC through
``pillow-heif``), applies the EXIF orientation to the pixels and re-encodes the pixels alone
(a new image: no EXIF, no GPS, no XMP, no ICC profile, no text chunks); HEIC is stored as JPEG
(browsers do not show HEIC). :class:`PhotoFiles` writes the bytes under ``<root>/ab/<sha256>``
(atomic rename; the same content is stored once) and checks the hash again on every read.

>>> import io
>>> from PIL import Image
>>> out = io.BytesIO()
>>> Image.new("RGB", (4, 3), "red").save(out, format="PNG")
>>> sniff(out.getvalue())
'image/png'
>>> clean = sanitise(out.getvalue(), "image/png")
>>> clean.media_type, clean.width, clean.height
('image/png', 4, 3)
>>> sniff(b"GIF89a;")
Traceback (most recent call last):
...
autoserum.errors.ValidationError: photo: got 'GIF89a;'; expected a JPEG, PNG or HEIC image (...)
"""

from __future__ import annotations

import hashlib
import io
import os
import tempfile
import warnings
from dataclasses import dataclass
from pathlib import Path
from typing import Final

import pillow_heif
from PIL import Image, ImageOps, UnidentifiedImageError

from autoserum.errors import ConfigurationError, Expected, Message, StateError, ValidationError

__all__ = ["MAX_PIXELS", "Clean", "PhotoFiles", "sanitise", "sha256_of", "sniff"]

#: Largest image accepted, in pixels (a decompression bomb is refused, not decoded).
MAX_PIXELS: Final[int] = 64_000_000
_HEIF_BRANDS: Final[frozenset[bytes]] = frozenset(
    {b"heic", b"heix", b"heim", b"heis", b"hevc", b"hevx", b"mif1", b"msf1"}
)
_FORMAT = {"image/jpeg": "JPEG", "image/png": "PNG"}

pillow_heif.register_heif_opener()


def sniff(data: bytes) -> str:
    """The image type of ``data`` from its signature (``image/jpeg``, ``image/png`` or
    ``image/heic``); a :class:`ValidationError` for anything else."""
    if data[:3] == b"\xff\xd8\xff":
        return "image/jpeg"
    if data[:8] == b"\x89PNG\r\n\x1a\n":
        return "image/png"
    if data[4:8] == b"ftyp" and data[8:12] in _HEIF_BRANDS:
        return "image/heic"
    shown = data[:8].decode("latin-1") + ("..." if len(data) > 8 else "")
    raise ValidationError(
        "photo", shown, Expected("a JPEG, PNG or HEIC image (recognised from its content)")
    )


@dataclass(frozen=True)
class Clean:
    """An image re-encoded from its pixels alone: bytes, type and size in pixels."""

    data: bytes
    media_type: str
    width: int
    height: int


def _decode(data: bytes, source_type: str) -> Image.Image:
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            image = Image.open(io.BytesIO(data))
            if image.width * image.height > MAX_PIXELS:
                raise ValidationError(
                    "photo",
                    f"{image.width}x{image.height}",
                    Expected("at most %(max_pixels)s pixels", max_pixels=MAX_PIXELS),
                )
            image.load()
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError) as err:
        raise ValidationError(
            "photo",
            source_type,
            Expected(
                "a readable %(source_type)s image (%(err)s)", source_type=source_type, err=err
            ),
        ) from None
    except (Image.DecompressionBombError, Image.DecompressionBombWarning):
        raise ValidationError(
            "photo", source_type, Expected("at most %(max_pixels)s pixels", max_pixels=MAX_PIXELS)
        ) from None
    return image


def sanitise(data: bytes, source_type: str) -> Clean:
    """``data`` (of ``source_type``, from :func:`sniff`) decoded, turned upright by its EXIF
    orientation and re-encoded from its pixels alone: every metadata block is dropped. PNG
    stays PNG; JPEG and HEIC become JPEG (quality 95)."""
    image = ImageOps.exif_transpose(_decode(data, source_type))
    keep_png = source_type == "image/png"
    mode = "RGBA" if "A" in image.getbands() or "transparency" in image.info else "RGB"
    pixels = image.convert(mode if keep_png else "RGB")
    fresh = Image.new(pixels.mode, pixels.size)  # a new image: no info, no EXIF, no profile
    fresh.paste(pixels)
    media_type = "image/png" if keep_png else "image/jpeg"
    out = io.BytesIO()
    options = {"optimize": True} if keep_png else {"quality": 95}
    fresh.save(out, format=_FORMAT[media_type], **options)
    return Clean(out.getvalue(), media_type, fresh.width, fresh.height)


def sha256_of(data: bytes) -> str:
    """The lower-case hex SHA-256 of ``data``."""
    return hashlib.sha256(data).hexdigest()


class PhotoFiles:
    """Photographs on disk under ``root`` (created on first write), addressed by SHA-256."""

    def __init__(self, root: Path | str | None) -> None:
        self.root = None if root is None else Path(root)

    def _where(self, digest: str) -> Path:
        if self.root is None:
            raise ConfigurationError(
                Message(
                    "no photo file store: set AUTOSERUM_PHOTO_DIR (a folder beside the database)"
                )
            )
        return self.root / digest[:2] / digest

    def put(self, data: bytes) -> str:
        """Store ``data``; returns its SHA-256 (the same content is kept once)."""
        digest = sha256_of(data)
        path = self._where(digest)
        if path.is_file() and sha256_of(path.read_bytes()) == digest:
            return digest
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".upload-")
        try:
            with os.fdopen(fd, "wb") as fh:
                fh.write(data)
                fh.flush()
                os.fsync(fh.fileno())
            Path(tmp).replace(path)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise
        return digest

    def get(self, digest: str) -> bytes:
        """The bytes stored under ``digest``; a :class:`StateError` when the file is
        missing or its content no longer has that hash."""
        path = self._where(digest)
        try:
            data = path.read_bytes()
        except FileNotFoundError:
            raise StateError(
                Message(
                    "photo file %(digest)s is missing from %(root)s", digest=digest, root=self.root
                )
            ) from None
        if sha256_of(data) != digest:
            raise StateError(
                Message("photo file %(digest)s no longer matches its SHA-256", digest=digest)
            )
        return data
