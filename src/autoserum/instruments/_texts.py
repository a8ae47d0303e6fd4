"""Item texts of the questionnaires: autoserum's own labels, or a licensed wording a site installs.

autoserum ships the item labels it wrote itself (the NRS items, the patient global ratings and
its topic labels of every item), translated in the catalogs. A questionnaire whose wording is
licensed (``Instrument.wording_licence``: DLQI, CDLQI, POEM) is never shipped: a site that holds
a licence installs the wording, one file per instrument and language, in a directory
(``AUTOSERUM_INSTRUMENT_TEXTS``). The **item codes are the contract**: a file names every item the
patient answers and every answer code of it, nothing else; :func:`load_text_file` refuses a file
that does not (the error names the file, the code and what was expected). A site may install a
file for an instrument whose labels are shipped too (its licensed PP-NRS wording, say): the file
wins. Scoring never reads a text: :func:`autoserum.instruments.score` takes the answer codes.

A file ``<instrument>.<language>.toml`` (or ``.json``, the same structure)::

    instrument = "dlqi"
    language = "ko"
    licence = "DLQI © AY Finlay, GK Khan 1992; Korean version used under licence no. 123"
    title = "..."              # optional: the questionnaire's heading
    instructions = "..."       # optional: shown above the questions

    [items.q1]
    text = "..."
    [items.q1.answers]         # every answer code of the item (numbers as text: "0" … "4")
    very_much = "..."
    a_lot = "..."
    a_little = "..."
    not_at_all = "..."

>>> import tempfile, pathlib
>>> folder = pathlib.Path(tempfile.mkdtemp())
>>> _ = (folder / "pp_nrs.en.toml").write_text('''
... instrument = "pp_nrs"
... language = "en"
... licence = "a made-up wording for this example"
... [items.score]
... text = "Made-up itch question"
... answers = {''' + ", ".join(f'"{n}" = "{n}"' for n in range(11)) + '''}
... ''')
>>> library = load_texts(folder)
>>> library.get("pp_nrs", "en").items["score"].text
'Made-up itch question'
>>> question_texts("pp_nrs", "ko", library).installed
False
"""

from __future__ import annotations

import json
import re
import tomllib
from collections.abc import Collection, Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from fractions import Fraction
from pathlib import Path
from typing import Any, Final

from autoserum.errors import Expected, ValidationError
from autoserum.instruments._model import Instrument, Item
from autoserum.instruments._registry import get_instrument, instrument_codes

__all__ = [
    "InstrumentText",
    "ItemText",
    "QuestionText",
    "Questionnaire",
    "TextLibrary",
    "answer_code",
    "answered_items",
    "load_text_file",
    "load_texts",
    "question_texts",
]

#: The largest text file read (a questionnaire's wording is a few kilobytes).
MAX_FILE_BYTES: Final = 1_000_000
#: The longest text of one item, answer, title or instruction.
MAX_TEXT: Final = 4000
_NAME = re.compile(r"^(?P<instrument>[a-z][a-z0-9_]*)\.(?P<language>[A-Za-z]{2,3}(?:-[A-Za-z0-9]+)*)\.(?P<ext>toml|json)$")  # fmt: skip  # noqa: E501
_TOP: Final = ("instrument", "language", "licence", "title", "instructions", "items")
_ITEM: Final = ("text", "answers")


@dataclass(frozen=True)
class ItemText:
    """The wording of one item: its question and the text of each answer code."""

    text: str
    answers: Mapping[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class InstrumentText:
    """One installed wording: an instrument in one language, from ``source``."""

    instrument: str
    language: str
    licence: str
    items: Mapping[str, ItemText]
    title: str = ""
    instructions: str = ""
    source: str = ""


@dataclass(frozen=True)
class TextLibrary:
    """The wordings a site installed, by (instrument, language); empty when none is.

    >>> TextLibrary().get("dlqi", "ko") is None
    True
    """

    texts: Mapping[tuple[str, str], InstrumentText] = field(default_factory=dict)

    def get(self, instrument: str, language: str) -> InstrumentText | None:
        """The wording of ``instrument`` in ``language``, or ``None`` if none is installed."""
        return self.texts.get((instrument, language))


@dataclass(frozen=True)
class QuestionText:
    """An item as a form shows it: its ``text`` (the site's wording when ``licensed``, else
    autoserum's label, to be translated) and its answers (value, text or ``None`` to show the
    code's own label)."""

    path: str
    text: str
    licensed: bool
    answers: tuple[tuple[str, str | None], ...]


@dataclass(frozen=True)
class Questionnaire:
    """What the forms show of an instrument in a language.

    ``installed``: a site's wording is used. ``missing_licensed``: the wording is licensed and
    none is installed in this language, so the forms show the item codes with autoserum's topic
    labels and a notice.
    """

    instrument: str
    language: str
    questions: tuple[QuestionText, ...]
    text: InstrumentText | None
    licence_holder: str | None

    @property
    def installed(self) -> bool:
        return self.text is not None

    @property
    def missing_licensed(self) -> bool:
        return self.text is None and self.licence_holder is not None


def answer_code(value: Any) -> str:
    """An allowed value as the code a form posts and a text file names (``a_lot``, ``3``).

    >>> from fractions import Fraction
    >>> answer_code("a_lot"), answer_code(Fraction(3)), answer_code(True)
    ('a_lot', '3', 'true')
    """
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        return value
    exact = Fraction(value)
    if exact.denominator == 1:
        return str(exact.numerator)
    return str(Decimal(exact.numerator) / Decimal(exact.denominator))


def answered_items(instrument: Instrument) -> tuple[Item, ...]:
    """The items a respondent answers (the ``score`` items, conditional ones included): the
    codes a text file must name."""
    return tuple(item for item in instrument.items if item.role == "score")


def load_text_file(path: Path | str, *, languages: Collection[str] | None = None) -> InstrumentText:
    """Read and check one text file; :class:`ValidationError` (its ``location`` is the file)
    names the first problem: a name not ``<instrument>.<language>.toml|json``, an unknown
    instrument or language, a missing or unknown item code, a wrong set of answer codes."""
    path = Path(path)
    where = str(path)
    found = _NAME.match(path.name)
    if found is None:
        raise ValidationError(
            "file name",
            path.name,
            Expected("<instrument>.<language>.toml or .json (dlqi.ko.toml)"),
            location=where,
        )
    code, language = found["instrument"], found["language"]
    if code not in instrument_codes():
        raise ValidationError(
            "file name",
            path.name,
            Expected("an instrument among %(values)s", values=", ".join(instrument_codes())),
            location=where,
        )
    if languages is not None and language not in languages:
        raise ValidationError(
            "file name",
            path.name,
            Expected("a language among %(values)s", values=", ".join(languages)),
            location=where,
        )
    data = _read(path)
    return _check(data, get_instrument(code), language, where)


def _read(path: Path) -> dict[str, Any]:
    where = str(path)
    try:
        raw = path.read_bytes()
    except OSError as err:
        raise ValidationError(
            "file", str(path), Expected("a readable file (%(strerror)s)", strerror=err.strerror)
        ) from None
    if len(raw) > MAX_FILE_BYTES:
        raise ValidationError(
            "file",
            f"{len(raw)} bytes",
            Expected("at most %(max_file_bytes)s bytes", max_file_bytes=MAX_FILE_BYTES),
            location=where,
        )
    try:
        text = raw.decode("utf-8")
        data = tomllib.loads(text) if path.suffix == ".toml" else json.loads(text)
    except UnicodeDecodeError:
        raise ValidationError("file", path.name, Expected("UTF-8 text"), location=where) from None
    except (tomllib.TOMLDecodeError, json.JSONDecodeError) as err:
        kind = "a TOML document" if path.suffix == ".toml" else "a JSON document"
        raise ValidationError(
            "file", path.name, Expected("%(kind)s (%(err)s)", kind=kind, err=err), location=where
        ) from None
    if not isinstance(data, dict):
        raise ValidationError("file", type(data).__name__, Expected("an object"), location=where)
    return data


def _text(value: Any, name: str, where: str, *, required: bool = True) -> str:
    if value is None and not required:
        return ""
    if not isinstance(value, str) or not value.strip() or len(value) > MAX_TEXT:
        raise ValidationError(
            name,
            value,
            Expected("a text of 1 to %(max_text)s characters", max_text=MAX_TEXT),
            location=where,
        )
    return value.strip()


def _unknown(keys: Collection[str], allowed: Collection[str], name: str, where: str) -> None:
    extra = sorted(set(keys) - set(allowed))
    if extra:
        raise ValidationError(
            f"{name}{extra[0]}" if name else extra[0], extra[0],
            Expected("no other key than %(values)s", values=', '.join(allowed)), location=where,
        )  # fmt: skip


def _check(data: Mapping[str, Any], inst: Instrument, language: str, where: str) -> InstrumentText:
    _unknown(data, _TOP, "", where)
    for key, expected in (("instrument", inst.code), ("language", language)):
        if data.get(key) != expected:
            raise ValidationError(
                key,
                data.get(key),
                Expected("%(expected)s, as in the file's name", expected=repr(expected)),
                location=where,
            )
    items = data.get("items")
    if not isinstance(items, Mapping):
        raise ValidationError("items", items, Expected("a table of the item codes"), location=where)
    wanted = {item.path: item for item in answered_items(inst)}
    unknown = [c for c in items if c not in wanted]
    if unknown:
        raise ValidationError(
            f"items.{unknown[0]}",
            unknown[0],
            Expected(
                "an item code of %(code)s: %(values)s", code=inst.code, values=", ".join(wanted)
            ),
            location=where,
        )
    missing = [c for c in wanted if c not in items]
    if missing:
        raise ValidationError(
            "items",
            ", ".join(missing) + " missing",
            Expected(
                "every item code of %(code)s: %(values)s", code=inst.code, values=", ".join(wanted)
            ),
            location=where,
        )
    texts = {path: _item(items[path], item, where) for path, item in wanted.items()}
    return InstrumentText(
        instrument=inst.code,
        language=language,
        licence=_text(data.get("licence"), "licence", where),
        items=texts,
        title=_text(data.get("title"), "title", where, required=False),
        instructions=_text(data.get("instructions"), "instructions", where, required=False),
        source=where,
    )


def _item(entry: Any, item: Item, where: str) -> ItemText:
    name = f"items.{item.path}"
    if not isinstance(entry, Mapping):
        raise ValidationError(
            name, entry, Expected("a table with text and answers"), location=where
        )
    _unknown(entry, _ITEM, f"{name}.", where)
    text = _text(entry.get("text"), f"{name}.text", where)
    codes = [answer_code(v) for v in item.allowed or ()]
    answers = entry.get("answers")
    if not codes:
        if answers is not None:
            raise ValidationError(
                f"{name}.answers",
                answers,
                Expected("no answers (the item takes a number)"),
                location=where,
            )
        return ItemText(text)
    if not isinstance(answers, Mapping):
        raise ValidationError(
            f"{name}.answers",
            answers,
            Expected(
                "a table of %(count)s answers keyed by the answer codes %(values)s",
                count=len(codes),
                values=", ".join(codes),
            ),
            location=where,
        )
    given = [str(k) for k in answers]
    if sorted(given) != sorted(codes):
        wrong = sorted(set(given) - set(codes))
        lacking = [c for c in codes if c not in given]
        found = f"{len(given)} answers" + (f", unknown {', '.join(wrong)}" if wrong else "")
        found += f", missing {', '.join(lacking)}" if lacking else ""
        raise ValidationError(
            f"{name}.answers",
            found,
            Expected("%(count)s answers: %(values)s", count=len(codes), values=", ".join(codes)),
            location=where,
        )
    return ItemText(
        text,
        {code: _text(answers[code], f"{name}.answers.{code}", where) for code in codes},
    )


def load_texts(
    directory: Path | str | None, *, languages: Collection[str] | None = None
) -> TextLibrary:
    """Every text file of ``directory`` (``*.toml``, ``*.json``), each checked by
    :func:`load_text_file`; an empty library when ``directory`` is ``None``. Two files for the
    same instrument and language, or another file in the directory, are refused."""
    if directory is None:
        return TextLibrary()
    folder = Path(directory)
    if not folder.is_dir():
        raise ValidationError(
            "instrument texts", str(folder), Expected("a directory of text files")
        )
    texts: dict[tuple[str, str], InstrumentText] = {}
    for path in sorted(folder.iterdir()):
        if path.name.startswith(".") or path.is_dir():
            continue
        text = load_text_file(path, languages=languages)
        key = (text.instrument, text.language)
        if key in texts:
            raise ValidationError(
                "file",
                path.name,
                Expected(
                    "one file per instrument and language (%(source)s has "
                    "%(instrument)s in %(language)s)",
                    source=texts[key].source,
                    instrument=text.instrument,
                    language=text.language,
                ),
                location=str(path),
            )
        texts[key] = text
    return TextLibrary(texts)


def question_texts(code: str, language: str, library: TextLibrary) -> Questionnaire:
    """The items of instrument ``code`` as the forms show them in ``language``: the site's
    wording where one is installed, else autoserum's labels (translated by the caller) and,
    for a licensed wording, the notice flag (:attr:`Questionnaire.missing_licensed`)."""
    inst = get_instrument(code)
    text = library.get(code, language)
    questions = []
    for item in answered_items(inst):
        wording = None if text is None else text.items[item.path]
        answers = tuple(
            (answer_code(v), None if wording is None else wording.answers.get(answer_code(v)))
            for v in item.allowed or ()
        )
        questions.append(
            QuestionText(
                path=item.path,
                text=item.label if wording is None else wording.text,
                licensed=wording is not None,
                answers=answers,
            )
        )
    return Questionnaire(code, language, tuple(questions), text, inst.wording_licence)
