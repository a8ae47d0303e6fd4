"""The text of a PDF the report wrote, read back with pypdf, so that a test checks what the
reader sees, not only that the file starts with ``%PDF``."""

from __future__ import annotations

from pathlib import Path

from pypdf import PdfReader

__all__ = ["pdf_text"]


def pdf_text(path: Path) -> str:
    """Every page's text, whitespace runs made one space, the typographic minus made ``-`` (so
    that a test compares with Python's own formatting of a number)."""
    reader = PdfReader(path)
    text = " ".join(page.extract_text() or "" for page in reader.pages)
    return " ".join(text.replace("−", "-").split())
