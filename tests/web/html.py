"""Read tables out of the pages, so that a test checks a cell, not a word anywhere on the page
(the page chrome, a heading or a form label would match a bare ``"lab" in page``)."""

from __future__ import annotations

from html.parser import HTMLParser

__all__ = ["table_rows"]


class _Tables(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.tables: list[tuple[str | None, list[list[str]]]] = []
        self._section: str | None = None
        self._row: list[str] | None = None
        self._cell: list[str] | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        names = dict(attrs)
        if tag == "section":
            self._section = names.get("aria-labelledby")
        elif tag == "table":
            self.tables.append((names.get("id") or self._section, []))
        elif tag == "tr" and self.tables:
            self._row = []
        elif tag == "td" and self._row is not None:
            self._cell = []

    def handle_endtag(self, tag: str) -> None:
        if tag == "td" and self._row is not None and self._cell is not None:
            self._row.append(" ".join("".join(self._cell).split()))
            self._cell = None
        elif tag == "tr" and self._row is not None:
            if self._row:
                self.tables[-1][1].append(self._row)
            self._row = None

    def handle_data(self, data: str) -> None:
        if self._cell is not None:
            self._cell.append(data)


def table_rows(html: str, key: str) -> list[list[str]]:
    """The body rows (cell texts) of the table with id ``key``, or of the table in the section
    labelled by ``key`` (``labs-h`` on the subject page).

    >>> page = '<section aria-labelledby="labs-h"><table><tr><th>x</th></tr>'
    >>> page += '<tr><td>ige</td><td> high </td></tr></table></section>'
    >>> table_rows(page, "labs-h")
    [['ige', 'high']]
    """
    parser = _Tables()
    parser.feed(html)
    found = [rows for name, rows in parser.tables if name == key]
    if not found:
        raise LookupError(f"no table {key!r} on the page")
    return found[0]
