"""Keeping the catalogs: extract every marked string of the sources into
``locale/messages.pot`` and merge it into each language's ``messages.po`` (``make i18n``, the
equivalent of ``pybabel extract -F babel.cfg`` then ``pybabel update``, through Babel's API).

The same extraction runs in ``tests/test_i18n_catalogs.py``, which fails on any message of the
sources without a Korean or Chinese translation. Marked strings are:

- in templates, ``{% trans %}…{% endtrans %}``, ``_("…")``, ``gettext``/``ngettext``;
- in Python, ``N_("…")`` (marked where it is written, translated where it is shown),
  ``translate(request_or_language, "…")`` and ``translate_plural(…, "…", "…", n)``, and what a
  core error expected, ``Expected("a number from %(low)s to %(high)s", …)``, and the text of any
  other core error, ``Message("no study named %(name)s", …)`` (``autoserum.errors``);
- every label, title and help text of the entity registry (:mod:`autoserum.study.entities`),
  by :func:`registry_messages`, so the registry stays the one place a label is written;
- every name, item label, group heading, answer code, band and component of the instrument
  registry (:mod:`autoserum.instruments`), by :func:`instrument_messages` (a licensed wording,
  DLQI's or POEM's, is not in the registry: a site installs it, ``docs/i18n.md``);
- every paragraph of every command's help but its examples, and every option's and argument's
  help, from the Typer application (:func:`cli_messages`, ``autoserum.cli.help_messages``).

Run ``python -m autoserum.i18n.extract`` (what ``make i18n`` does).
"""

from __future__ import annotations

import re
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import IO, Any, Final

from autoserum.i18n._catalogs import DEFAULT_LANGUAGE, LANGUAGES, LOCALE_DIR, babel_locale

__all__ = [
    "KEYWORDS",
    "MAPPING",
    "POT",
    "cli_messages",
    "extract_catalog",
    "instrument_messages",
    "main",
    "registry_messages",
]

#: The gettext keywords (name → argument positions of the messages, 1-based); a template's
#: ``_``/``gettext``/``ngettext`` and Python's ``translate(request_or_language, message)``.
KEYWORDS: Final[dict[str, Any]] = {
    "_": None,
    "N_": None,
    "gettext": None,
    "ngettext": (1, 2),
    "pgettext": ((1, "c"), 2),
    "translate": (2,),
    "translate_plural": (2, 3),
    "Expected": None,
    "Message": None,
}
_JINJA: Final[dict[str, str]] = {
    "extensions": "jinja2.ext.i18n",
    "newstyle_gettext": "true",
    "trimmed": "true",
}
#: The extraction methods, as in ``babel.cfg``: (glob under ``src/autoserum``, method, options).
MAPPING: Final[tuple[tuple[str, str, dict[str, str]], ...]] = (
    ("study/entities.py", "autoserum.i18n.extract:registry_messages", {}),
    ("instruments/_registry.py", "autoserum.i18n.extract:instrument_messages", {}),
    ("cli/_app.py", "autoserum.i18n.extract:cli_messages", {}),
    ("i18n/_errors.py", "python", {}),
    ("i18n/**.py", "ignore", {}),
    ("**.py", "python", {}),
    ("**/templates/**.html", "jinja2", _JINJA),
    ("**/templates/**.j2", "jinja2", _JINJA),
)
POT: Final = LOCALE_DIR / "messages.pot"
#: The actions of the audit trail (``store._chain.ACTIONS``), shown on the audit page.
_AUDIT_ACTIONS: Final = ("insert", "update", "delete", "refused")
#: A vocabulary value that is a word (``moderate``), not a code (``F``, ``IV``, ``g``).
_WORD: Final = re.compile(r"^[a-z][a-z_]{2,}$")


def registry_messages(
    fileobj: IO[bytes], keywords: Any, comment_tags: Any, options: Any
) -> Iterator[tuple[int, str | None, str, list[str]]]:
    """A Babel extractor yielding every label, title, help text and rule of the entity registry,
    the words of its vocabularies (``moderate``, ``not_related``: shown with the ``tr`` filter) and
    the roles of the permission table."""
    from autoserum.permissions import ROLES
    from autoserum.study.entities import REGISTRY
    from autoserum.study.locks import LEVELS
    from autoserum.study.queries import QUERY_STATUSES
    from autoserum.study.rules import SUBJECT_ID_RULE
    from autoserum.study.safety import ACTIONS_TAKEN, SERIOUSNESS_CRITERIA
    from autoserum.study.sdv import SDV_PLANS
    from autoserum.study.signatures import MEANINGS

    yield from _python_messages(fileobj, keywords, comment_tags, options)
    for spec in REGISTRY.values():
        for text in (spec.label, spec.title):
            if text:
                yield 1, None, text, [f"entity {spec.name}"]
        for field in spec.fields:
            for text in (field.label, field.help, field.rule):
                if text:
                    yield 1, None, text, [f"field {spec.name}.{field.name}"]
            # a column of the subject page's tables is headed by the field's name
            yield 1, None, field.name, [f"column {spec.name}.{field.name}: {field.label}"]
            if field.name != "language":
                for choice in field.choices or ():
                    if _WORD.match(choice):
                        yield 1, None, choice, [f"a value of {spec.name}.{field.name}"]
    # the rule of a subject identifier (study.rules), the expected text of a refused one
    yield 1, None, SUBJECT_ID_RULE, ["study.rules.SUBJECT_ID_RULE"]
    for role in ROLES:
        yield 1, None, role, ["a role"]
    for word in (*LEVELS, *QUERY_STATUSES, *SDV_PLANS, *_AUDIT_ACTIONS, *REGISTRY):
        yield 1, None, word, ["a lock level, query status, SDV plan, audit action or record type"]
    for word in MEANINGS:  # the review page's signature form
        yield 1, None, word, ["a signature's meaning"]
    for word in (*SERIOUSNESS_CRITERIA, *ACTIONS_TAKEN):  # the SAE report's and listing's words
        if _WORD.match(word):
            yield 1, None, word, ["a seriousness criterion (ICH E2A) or an action taken"]
    yield from _library_codes()


def instrument_messages(
    fileobj: IO[bytes], keywords: Any, comment_tags: Any, options: Any
) -> Iterator[tuple[int, str | None, str, list[str]]]:
    """A Babel extractor yielding the texts the instrument forms show from the instrument
    registry: each instrument's name, its items' labels, its groups' headings (EASI's regions),
    the words of its answer codes (``a_little``), its band codes (``almost_clear``) and its
    components (``extent_a``): shown with the ``tr``/``vocab`` filters."""
    from autoserum.instruments import get_instrument, instrument_codes

    yield from _python_messages(fileobj, keywords, comment_tags, options)
    for code in instrument_codes():
        inst = get_instrument(code)
        yield 1, None, inst.name, [f"instrument {code}"]
        for group, label in inst.group_labels.items():
            yield 1, None, label, [f"items {code}.{group}.*"]
        for item in inst.items:
            yield 1, None, item.label, [f"item {code}.{item.path}"]
            if item.kind == "choice":
                for answer in item.allowed or ():
                    word = ("true" if answer else "false") if isinstance(answer, bool) else answer
                    if isinstance(word, str) and _WORD.match(word):
                        yield 1, None, word, [f"an answer of {code}.{item.path}"]
        for band_set in inst.band_sets.values():
            bands = [*band_set.bands, *(b for e in band_set.extra_bands.values() for b in e)]
            for band in bands:
                if _WORD.match(band.code):
                    yield 1, None, band.code, [f"a band of {code} ({band.label})"]
        for component in inst.components:
            if _WORD.match(component):
                yield 1, None, component, [f"a component of {code}"]
    from autoserum.instruments.responders import RESPONDER_DEFINITIONS

    for rule in RESPONDER_DEFINITIONS.values():  # the report's responder tables
        yield 1, None, rule.label, [f"a responder definition ({rule.code})"]


def cli_messages(
    fileobj: IO[bytes], keywords: Any, comment_tags: Any, options: Any
) -> Iterator[tuple[int, str | None, str, list[str]]]:
    """A Babel extractor yielding what ``autoserum --help`` and each command's ``--help`` show
    of the commands: every paragraph of each command's help but its examples (its docstring, so
    the command stays the one place it is written) and every option's and argument's help."""
    from autoserum.cli import help_messages

    yield from _python_messages(fileobj, keywords, comment_tags, options)
    for text in help_messages():
        yield 1, None, text, ["a command's help (autoserum --help)"]


def _python_messages(
    fileobj: IO[bytes], keywords: Any, comment_tags: Any, options: Any
) -> Iterator[Any]:
    """What the file marks as Python source (``Expected("…")``, ``Message("…")``, ``N_("…")``):
    a registry module is also code that raises errors."""
    from babel.messages.extract import extract_python

    yield from extract_python(fileobj, keywords, comment_tags, options)


def _library_codes() -> Iterator[tuple[int, str | None, str, list[str]]]:
    """The codes the protocols show on the pages and in the reports: every design and blinding,
    and the shipped protocols' arms, phases, visits and adverse events of special interest (a
    protocol's own labels and titles are its text, shown as written)."""
    from typing import get_args

    from autoserum.protocols import Protocol, load_protocol, protocol_codes

    seen: set[str] = set()
    for kind in ("design", "blinding"):  # every value a protocol may declare
        for word in get_args(Protocol.model_fields[kind].annotation):
            if word not in seen and _WORD.match(word):
                seen.add(word)
                yield 1, None, word, [f"a {kind} of a protocol"]
    for code in protocol_codes():
        protocol = load_protocol(code)
        words: list[tuple[str, str]] = [("blinding", protocol.blinding)]
        words += [("arm", arm.code) for arm in protocol.arms]
        words += [("phase", phase.code) for phase in protocol.phases]
        words += [("visit", visit.code) for visit in protocol.visits]
        words += [("special interest", s.code) for s in protocol.safety.special_interest]
        for kind, word in words:
            if word not in seen and _WORD.match(word):
                seen.add(word)
                yield 1, None, word, [f"a {kind} code of the shipped protocols"]


def extract_catalog(root: Path | None = None) -> Any:
    """Every marked message of the sources under ``root`` (``src/autoserum``), as a Babel
    :class:`~babel.messages.catalog.Catalog` (no locations: catalogs merge without noise)."""
    from babel.messages.catalog import Catalog
    from babel.messages.extract import extract_from_dir

    catalog = Catalog(project="autoserum", fuzzy=False)
    method_map = [(pattern, method) for pattern, method, _ in MAPPING]
    options_map = {pattern: options for pattern, _, options in MAPPING}
    for _file, _line, message, comments, context in extract_from_dir(
        root or LOCALE_DIR.parent,
        method_map,
        options_map,
        keywords=KEYWORDS,
        comment_tags=("Translators:",),
        strip_comment_tags=True,
    ):
        catalog.add(message, None, auto_comments=comments, context=context)
    return catalog


def main() -> int:
    """Write ``messages.pot`` and update every language's ``messages.po`` from it."""
    from babel.messages.pofile import read_po, write_po

    template = extract_catalog()
    with POT.open("wb") as fp:
        write_po(fp, template, omit_header=True, sort_output=True, no_location=True, width=100)
    for language in LANGUAGES:
        locale = babel_locale(language)
        path = LOCALE_DIR / str(locale) / "LC_MESSAGES" / "messages.po"
        with path.open("rb") as fp:
            catalog = read_po(fp, locale=locale)
        catalog.update(
            template, no_fuzzy_matching=language == DEFAULT_LANGUAGE, update_creation_date=False
        )
        with path.open("wb") as fp:
            write_po(fp, catalog, sort_output=True, no_location=True, width=100,
                     ignore_obsolete=True)  # fmt: skip
        missing = sum(1 for m in catalog if m.id and not m.string)
        fuzzy = sum(1 for m in catalog if m.id and m.fuzzy)
        sys.stdout.write(
            f"{path}: {len(catalog)} messages, {missing} untranslated, {fuzzy} fuzzy\n"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
