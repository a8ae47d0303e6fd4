"""The wording of an instrument's items on a page: the site's licensed text in the page's
language when one is installed (``AUTOSERUM_INSTRUMENT_TEXTS``, loaded once by the app), else
autoserum's labels and, for a licensed questionnaire, its item codes with a notice.

The staff forms and the patient pages both ask :func:`questionnaire`; the texts themselves
are owned by :mod:`autoserum.instruments` (``load_texts``, ``question_texts``). See
``docs/i18n.md``.
"""

from __future__ import annotations

from fastapi import Request

from autoserum.instruments import Questionnaire, TextLibrary, question_texts
from autoserum.web.templating import language_of

__all__ = ["questionnaire", "text_library"]


def text_library(request: Request) -> TextLibrary:
    """The wordings the app loaded at start (an empty library when none is installed)."""
    library = getattr(request.app.state, "instrument_texts", None)
    return library if isinstance(library, TextLibrary) else TextLibrary()


def questionnaire(request: Request, code: str, *, language: str | None = None) -> Questionnaire:
    """Instrument ``code`` as ``request``'s page shows it, in ``language`` (the page's by
    default)."""
    return question_texts(code, language or language_of(request), text_library(request))
