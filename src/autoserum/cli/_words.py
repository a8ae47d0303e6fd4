"""Typer's own words in the command line's language (issue 14, item 5): the help page's frame
(``Usage:``, the panels' titles, ``[default: …]``, ``[required]``), the descriptions of the
commands and of the root's options, and the usage errors (``Missing argument 'NAME'.``, ``No such
option: --x``, ``No such command 'x'.``, ``Invalid value for '--n': …``).

Typer (0.29) carries its own copy of Click, whose messages are plain English f-strings: there is
no gettext domain to hook into. So this module is their one owner: it marks the messages as
autoserum's (``N_``: the extraction puts them in autoserum's catalogs), renders a usage error
again from what Click wrote (:func:`usage_message`), and, in a process whose language is not
English, gives Typer's help renderer and the Click command tree their translations
(:func:`frame`, :func:`localise`). The commands' help texts (every paragraph of a docstring,
an ``Example:`` paragraph's label, every option's and argument's help) are extracted from the
Typer application itself (:func:`help_messages`, used by ``autoserum.i18n.extract``), so a
docstring or a ``typer.Option(help=…)`` stays the one place a help text is written. What a
value's check said inside ``Invalid value for …`` (pydantic's or Typer's English) is rendered
again from the error itself (:func:`problem_text`).

English changes nothing and reads no catalog: this module is imported by
:func:`autoserum.cli._app.run` only for another language, and for a usage error.

>>> usage_message("No such command 'x'.", "en")
"No such command 'x'."
>>> usage_message("Missing argument 'NAME'.", "ko")
"인수 누락: 'NAME'"
>>> usage_message("No such option: --bogus", "zh-Hans")
'没有这样的选项：--bogus'
>>> help_text("Example: autoserum instruments", "ko")
'예: autoserum instruments'
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any, Final

from autoserum.i18n import DEFAULT_LANGUAGE, N_, translate, translations

__all__ = [
    "frame",
    "help_messages",
    "help_text",
    "localise",
    "problem_text",
    "usage_hint",
    "usage_message",
]

#: Typer's help frame: ``typer.rich_utils``'s constant → its message.
_FRAME: Final[dict[str, str]] = {
    "DEPRECATED_STRING": N_("(deprecated) "),
    "DEFAULT_STRING": N_("[default: {}]"),
    "ENVVAR_STRING": N_("[env var: {}]"),
    "REQUIRED_LONG_STRING": N_("[required]"),
    "ARGUMENTS_PANEL_TITLE": N_("Arguments"),
    "OPTIONS_PANEL_TITLE": N_("Options"),
    "COMMANDS_PANEL_TITLE": N_("Commands"),
    "ERRORS_PANEL_TITLE": N_("Error"),
    "ABORTED_TEXT": N_("Aborted."),
    "RICH_HELP": N_("Try [blue]'{command_path} {help_option}'[/] for help."),
}
_USAGE: Final = N_("Usage: ")
#: A help's example paragraph: its label is translated, its command line stays as written.
_EXAMPLE: Final = re.compile(r"\s*Example: (?P<command>autoserum .*)", re.S)
_EXAMPLE_LABEL: Final = N_("Example: %(command)s")
_HELP_OPTION: Final = N_("Show this message and exit.")
#: What a missing parameter is (Click's ``param_type_name``).
_KINDS: Final[dict[str, str]] = {
    "argument": N_("Missing argument %(name)s."),
    "option": N_("Missing option %(name)s."),
    "parameter": N_("Missing parameter %(name)s."),
}
#: Click's usage errors as it writes them → autoserum's message (the groups are its values).
_ERRORS: Final[tuple[tuple[re.Pattern[str], str], ...]] = (
    (re.compile(r"No such option: (?P<option>\S+)"), N_("No such option: %(option)s")),
    (
        re.compile(r"No such option: (?P<option>\S+) \(Possible options: (?P<options>.+)\)"),
        N_("No such option: %(option)s (possible options: %(options)s)"),
    ),
    (re.compile(r"No such command (?P<name>.+)\."), N_("No such command %(name)s.")),
    (
        re.compile(r"No such command (?P<name>.+)\. Did you mean (?P<suggestions>.+)\?"),
        N_("No such command %(name)s. Did you mean %(suggestions)s?"),
    ),
    (re.compile(r"Missing command\."), N_("Missing command.")),
    (
        re.compile(r"Invalid value for (?P<name>.+?): (?P<problem>.*)", re.S),
        N_("Invalid value for %(name)s: %(problem)s"),
    ),
    (re.compile(r"Invalid value: (?P<problem>.*)", re.S), N_("Invalid value: %(problem)s")),
    (
        re.compile(r"Got unexpected extra argument(?:s|\(s\))? \((?P<arguments>.+)\)"),
        N_("Got unexpected extra arguments (%(arguments)s)"),
    ),
    (
        re.compile(r"Option (?P<option>'.+') requires an argument\."),
        N_("Option %(option)s requires an argument."),
    ),
    (
        re.compile(r"Option (?P<option>'.+') requires (?P<n>\d+) arguments\."),
        N_("Option %(option)s requires %(n)s arguments."),
    ),
    (
        re.compile(r"Option (?P<option>'.+') does not take a value\."),
        N_("Option %(option)s does not take a value."),
    ),
    (
        re.compile(r"Argument (?P<name>'.+') takes (?P<n>\d+) values\."),
        N_("Argument %(name)s takes %(n)s values."),
    ),
)
_MISSING: Final = re.compile(r"Missing (?P<kind>argument|option|parameter) (?P<name>.+?)\.")
#: What pydantic (Typer converts a value with it) found wrong, by its error ``type`` → the
#: problem in autoserum's words (``%(limit)s``: the constraint's bound, from the error's ``ctx``).
_PROBLEMS: Final[dict[str, str]] = {
    "int_parsing": N_("got %(value)s; expected an integer"),
    "int_from_float": N_("got %(value)s; expected an integer"),
    "int_type": N_("got %(value)s; expected an integer"),
    "float_parsing": N_("got %(value)s; expected a number"),
    "float_type": N_("got %(value)s; expected a number"),
    "finite_number": N_("got %(value)s; expected a finite number"),
    "bool_parsing": N_("got %(value)s; expected true or false"),
    "greater_than_equal": N_("got %(value)s; expected a number of at least %(limit)s"),
    "greater_than": N_("got %(value)s; expected a number greater than %(limit)s"),
    "less_than_equal": N_("got %(value)s; expected a number of at most %(limit)s"),
    "less_than": N_("got %(value)s; expected a number less than %(limit)s"),
    "path_type": N_("got %(value)s; expected a path"),
    "date_parsing": N_("got %(value)s; expected a date (YYYY-MM-DD)"),
    "date_from_datetime_parsing": N_("got %(value)s; expected a date (YYYY-MM-DD)"),
}
#: Typer's own texts of a value's check (a choice, a path's existence) → autoserum's message.
_CHECKS: Final[tuple[tuple[re.Pattern[str], str], ...]] = (
    (
        re.compile(r"(?:Value error, )?(?P<value>.+?) is not one of (?P<choices>.+?)\.?"),
        N_("got %(value)s; expected one of %(choices)s"),
    ),
    (
        re.compile(
            r"(?:Value error, )?(?P<value>.+?) does not match the formats (?P<formats>.+?)\."
        ),
        N_("got %(value)s; expected a date or time in one of the formats %(formats)s"),
    ),
    (re.compile(r"File (?P<path>.+) does not exist\."), N_("no such file: %(path)s")),
    (re.compile(r"Directory (?P<path>.+) does not exist\."), N_("no such folder: %(path)s")),
    (re.compile(r"Path (?P<path>.+) does not exist\."), N_("no such path: %(path)s")),
    (re.compile(r"\w+ (?P<path>.+) is a file\."), N_("a file, not a folder: %(path)s")),
    (re.compile(r"\w+ (?P<path>.+) is a directory\."), N_("a folder, not a file: %(path)s")),
    (re.compile(r"\w+ (?P<path>.+) is not readable\."), N_("not readable: %(path)s")),
    (re.compile(r"\w+ (?P<path>.+) is not writable\."), N_("not writable: %(path)s")),
)
_LIMITS: Final = ("ge", "gt", "le", "lt")


def usage_message(message: str, language: str, *, error: BaseException | None = None) -> str:
    """Click's usage error ``message`` (its ``format_message()``) in ``language``; what a
    value's check said inside ``Invalid value for …`` is rendered again from ``error`` (the
    exception, :func:`problem_text`). A message this module does not know stays as written."""
    if language == DEFAULT_LANGUAGE:
        return message
    missing = _MISSING.fullmatch(message)
    if missing:
        return translate(language, _KINDS[missing["kind"]], name=missing["name"])
    for pattern, text in _ERRORS:
        found = pattern.fullmatch(message)
        if found:
            values = found.groupdict()
            if "problem" in values:
                values["problem"] = problem_text(values["problem"], language, error=error)
            return translate(language, text, **values)
    return message


def problem_text(problem: str, language: str, *, error: BaseException | None = None) -> str:
    """What a value's check said (``Input should be a valid integer, …``, ``File 'x' does not
    exist.``) in ``language``: from the pydantic error that caused ``error`` (its ``type``, its
    input and its bound), else from Typer's text; an unknown problem stays as written.

    >>> problem_text("Path 'x.csv' does not exist.", "ko")
    "없는 경로: 'x.csv'"
    """
    if language == DEFAULT_LANGUAGE:
        return problem
    cause = getattr(error, "__cause__", None)
    details = getattr(cause, "errors", None)
    found = details() if callable(details) else None
    if found:
        first = found[0]
        text = _PROBLEMS.get(first.get("type", ""))
        if text is not None:
            bounds = first.get("ctx") or {}
            limit = next((bounds[k] for k in _LIMITS if k in bounds), "")
            return translate(language, text, value=repr(first.get("input")), limit=limit)
        reason = (first.get("ctx") or {}).get("error")
        problem = str(reason) if reason is not None else problem
    flat = " ".join(problem.split())
    for pattern, message in _CHECKS:
        matched = pattern.fullmatch(flat)
        if matched:
            return translate(language, message, **matched.groupdict())
    return problem


def usage_hint(command_path: str, language: str) -> str:
    """The hint after a usage error: `` (see: autoserum study create --help)``."""
    return translate(language, " (see: %(command)s --help)", command=command_path)


def _key(text: str) -> str:
    return " ".join(text.split())


def help_text(text: str | None, language: str) -> str | None:
    """A help text in ``language``: each paragraph the catalog translates is replaced; an
    example keeps its command line as written (only its label, ``Example:``, is translated); a
    ``\\b`` block stays as written."""
    if not text or language == DEFAULT_LANGUAGE:
        return text
    catalog = translations(language)
    paragraphs = []
    for paragraph in text.split("\n\n"):
        example = _EXAMPLE.fullmatch(paragraph)
        if example:
            paragraphs.append(translate(language, _EXAMPLE_LABEL, command=example["command"]))
            continue
        key = _key(paragraph)
        found = catalog.gettext(key) if key and not paragraph.startswith("\b") else key
        paragraphs.append(found if found != key else paragraph)
    return "\n\n".join(paragraphs)


def _commands(command: Any) -> Iterator[tuple[Any, bool]]:
    """Every command of the tree under ``command`` (the root first, flagged ``True``)."""
    from typer._click import Context

    todo = [(command, True)]
    while todo:
        current, root = todo.pop()
        yield current, root
        if hasattr(current, "list_commands"):
            ctx = Context(current)
            for name in current.list_commands(ctx):
                todo.append((current.get_command(ctx, name), False))


def help_messages() -> Iterator[str]:
    """The messages of the commands' help pages, whitespace made single spaces: every paragraph
    of each command's help but its examples (the first is what a list of commands shows) and
    every option's and argument's help."""
    import typer.main

    from autoserum.cli._app import app

    seen: set[str] = set()
    for command, _root in _commands(typer.main.get_command(app)):
        texts = [command.help, command.short_help]
        texts += [getattr(p, "help", None) for p in command.params]
        for text in texts:
            for paragraph in (text or "").split("\n\n"):
                key = _key(paragraph)
                if not key or key in seen or paragraph.startswith("\b"):
                    continue
                if not _EXAMPLE.fullmatch(paragraph):
                    seen.add(key)
                    yield key


def frame(language: str) -> None:
    """Set Typer's help frame (its panels' titles, ``Usage:``, ``[default: …]``) to
    ``language``'s words; English restores Typer's own."""
    import typer.rich_utils as rich
    from typer._click import formatting

    english = language == DEFAULT_LANGUAGE
    for name, message in _FRAME.items():
        setattr(rich, name, message if english else translate(language, message))
    _install_usage_prefix(formatting)
    prefix = _USAGE if english else translate(language, _USAGE)
    setattr(formatting.HelpFormatter, "usage_prefix", prefix)  # noqa: B010 - not a declared attribute


def localise(command: Any, language: str) -> None:
    """Give ``command`` (a Click command tree built for ``language``, not English) the
    translations of its help texts: each command's, its ``--help`` option's and every option's
    and argument's."""
    from typer._click import Context

    for current, _root in _commands(command):
        current.help = help_text(current.help, language)
        current.short_help = help_text(current.short_help, language)
        option = current.get_help_option(Context(current))
        if option is not None:
            option.help = translate(language, _HELP_OPTION)
        for param in current.params:
            if getattr(param, "help", None) and param is not option:
                param.help = help_text(param.help, language)


def _install_usage_prefix(formatting: Any) -> None:
    """Click's usage line starts ``Usage: `` unless told otherwise: make its default the
    formatter class's ``usage_prefix`` (set by :func:`localise`)."""
    formatter = formatting.HelpFormatter
    if getattr(formatter, "usage_prefix", None) is not None:
        return
    write_usage = formatter.write_usage

    def localised(self: Any, prog: str, args: str = "", prefix: str | None = None) -> None:
        write_usage(self, prog, args, self.usage_prefix if prefix is None else prefix)

    formatter.usage_prefix = _USAGE
    formatter.write_usage = localised
