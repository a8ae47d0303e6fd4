"""A text the system generates and stores as data in English, read back into the catalog
message that wrote it, so that a page shows it in its reader's language while the stored value
never changes (issue 14, item 5). The owners of the wordings: :mod:`autoserum.study.deviations`
(the deviations' descriptions), :mod:`autoserum.study.checks` (the automatic checks' queries).

>>> w = Wording("%(what)s is %(pct)s %% off")
>>> text = w(what="EASI", pct=12)
>>> text
'EASI is 12 % off'
>>> w.read(text).params
{'what': 'EASI', 'pct': '12'}
>>> w.read("something else") is None
True
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from autoserum.errors import Message

__all__ = ["SEPARATOR", "Joined", "Wording", "joined", "read_parts"]

_PLACEHOLDER = re.compile(r"%\((\w+)\)s")
#: The separator of a list of parts inside one description (``a; b``).
SEPARATOR = "; "


class Wording:
    """One generated text: ``message`` (a catalog message id) written with its values
    (``wording(**values)``, the English text stored) and read back (:meth:`read`). Values
    named in ``parts`` are lists of other wordings' texts joined by ``"; "``; the others are
    shown as written."""

    __slots__ = ("_pattern", "message", "parts")

    def __init__(self, message: str, *, parts: dict[str, Sequence[Wording]] | None = None):
        self.message = message
        self.parts = dict(parts or {})
        pieces, seen, regex = _PLACEHOLDER.split(message), set[str](), ""
        for i, piece in enumerate(pieces):
            if i % 2 == 0:  # a literal piece: its "%%" is the text's "%"
                regex += re.escape(piece.replace("%%", "%"))
            else:  # a value; the same value again where it is named twice
                regex += f"(?P={piece})" if piece in seen else f"(?P<{piece}>.+?)"
                seen.add(piece)
        self._pattern = re.compile(rf"^{regex}$", re.DOTALL)

    def __call__(self, **values: object) -> str:
        """The English text stored."""
        return self.message % values

    def read(self, text: str) -> Message | None:
        """``text`` as this wording's message with its values (each part of a list read by
        its own wordings), or ``None`` when this wording did not write it."""
        found = self._pattern.match(text)
        if found is None:
            return None
        values: dict[str, object] = dict(found.groupdict())
        for name, wordings in self.parts.items():
            values[name] = read_parts(str(values[name]), wordings)
        return Message(self.message, **values)


class Joined(Message):
    """A list of read parts shown joined by ``; `` (each a :class:`Message` or a text)."""

    def __init__(self, parts: Sequence[Message | str]) -> None:
        values = {f"p{i}": part for i, part in enumerate(parts)}
        super().__init__(SEPARATOR.join(f"%({name})s" for name in values), **values)


def read_parts(text: str, wordings: Sequence[Wording]) -> Message | str:
    """A list value (parts joined by ``; ``) read part by part (a part no wording wrote is
    kept as it is); one part is its message alone."""
    parts: list[Message | str] = []
    for piece in text.split(SEPARATOR):
        parts.append(next((m for w in wordings if (m := w.read(piece)) is not None), piece))
    return parts[0] if len(parts) == 1 else Joined(parts)


def joined(parts: Sequence[str]) -> str:
    """The parts of a list value as stored."""
    return SEPARATOR.join(parts)
