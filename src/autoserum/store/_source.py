"""Tidy files read in chunks: a visit file (CSV or Parquet) as a re-iterable sequence of text
frames of a bounded number of rows, so that an import holds one chunk in memory at a time,
whatever the size of the file (Polars' streaming engine: ``scan_csv``/``scan_parquet`` and
``collect_batches``).

CSV cells are read as text (as the format's validator reads them) and the export's formula
guard is undone (:func:`autoserum.study.tidy.restore_formulas`); a Parquet file keeps its types.

>>> import polars as pl
>>> frame = pl.DataFrame({"subject_id": ["S1", "S2", "S3"], "week": ["0", "0", "0"]})
>>> [(line, chunk.height) for line, chunk in FrameSource(frame, rows=2).chunks()]
[(2, 2), (4, 1)]
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

import polars as pl

from autoserum.errors import Expected, ValidationError
from autoserum.study.tidy import restore_formulas

__all__ = ["CHUNK_ROWS", "FileSource", "FrameSource", "TidySource", "read_whole"]

CHUNK_ROWS = 20_000
"""Rows per chunk read from a file (a chunk of the widest format is a few tens of MB)."""


class TidySource(Protocol):
    """A visit file read in chunks; :meth:`chunks` can be called again (imports read twice)."""

    @property
    def name(self) -> str:
        """The file's name, as errors locate rows in it."""
        ...

    def chunks(self) -> Iterator[tuple[int, pl.DataFrame]]:
        """(file line of the chunk's first row, chunk) pairs; at least one (maybe empty)
        chunk, so that the header is always checked."""
        ...

    def sha256(self) -> str:
        """The SHA-256 of the file's bytes (of a frame: of its CSV), as hex digits."""
        ...


@dataclass(frozen=True)
class FrameSource:
    """A frame already in memory, sliced into chunks of ``rows``."""

    frame: pl.DataFrame
    name: str = "import"
    rows: int = CHUNK_ROWS

    def chunks(self) -> Iterator[tuple[int, pl.DataFrame]]:
        """Slices of the frame (lines counted as in its CSV file: the first row is line 2)."""
        if self.frame.height == 0:
            yield 2, self.frame
            return
        for offset in range(0, self.frame.height, self.rows):
            yield 2 + offset, self.frame.slice(offset, self.rows)

    def sha256(self) -> str:
        """The SHA-256 of the frame written as CSV."""
        return hashlib.sha256(self.frame.write_csv().encode("utf-8")).hexdigest()


@dataclass(frozen=True)
class FileSource:
    """A ``.csv`` or ``.parquet`` file on disk, streamed in chunks of ``rows``."""

    path: Path
    rows: int = CHUNK_ROWS

    @property
    def name(self) -> str:
        """The file's name, as errors locate rows in it."""
        return self.path.name

    def __post_init__(self) -> None:
        if not self.path.is_file():
            raise ValidationError(
                "FILE", str(self.path), Expected("an existing .csv or .parquet file")
            )

    def sha256(self) -> str:
        """The SHA-256 of the file's bytes, read in blocks."""
        digest = hashlib.sha256()
        with self.path.open("rb") as handle:
            for block in iter(lambda: handle.read(1 << 20), b""):
                digest.update(block)
        return digest.hexdigest()

    def _scan(self) -> pl.LazyFrame:
        if self.path.suffix.lower() == ".parquet":
            return pl.scan_parquet(self.path)
        return pl.scan_csv(self.path, infer_schema=False, encoding="utf8")

    def chunks(self) -> Iterator[tuple[int, pl.DataFrame]]:
        """The file's rows in order, ``rows`` at a time."""
        csv = self.path.suffix.lower() != ".parquet"
        line = 2
        try:
            columns = self._scan().collect_schema()
            batches = self._scan().collect_batches(chunk_size=self.rows, maintain_order=True)
            seen = False
            for batch in batches:
                if batch.height == 0:
                    continue
                seen = True
                yield line, restore_formulas(batch) if csv else batch
                line += batch.height
            if not seen:
                yield line, pl.DataFrame(schema=columns)
        except (pl.exceptions.PolarsError, OSError) as err:
            kind = "a UTF-8 CSV file with a header row" if csv else "a Parquet file"
            raise ValidationError(
                "FILE",
                str(self.path),
                Expected("%(kind)s (%(err)s)", kind=kind, err=err),
                location=f"{self.name}, near line {line}",
            ) from None


def read_whole(path: Path) -> pl.DataFrame:
    """A small tidy file (the adverse events beside a visit file) read whole, as text."""
    source = FileSource(path)
    frames = [chunk for _, chunk in source.chunks()]
    return pl.concat(frames, how="vertical") if len(frames) > 1 else frames[0]
