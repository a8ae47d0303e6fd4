"""The review's protocol (question, PICO, outcomes, methods) and its rendering as Markdown.

>>> text = render_review_protocol()
>>> text.splitlines()[0].startswith("# Review protocol:")
True
"""

from __future__ import annotations

from functools import cache
from importlib import resources
from typing import Any

import yaml

from autoserum.errors import Expected, ValidationError

__all__ = ["load_review_protocol", "render_review_protocol"]

_REQUIRED = ("title", "registration", "question", "pico", "outcomes", "methods", "limitations")


@cache
def load_review_protocol() -> dict[str, Any]:
    """The protocol shipped with the package (``data/review_protocol.yaml``), checked."""
    text = (resources.files("autoserum.evidence") / "data" / "review_protocol.yaml").read_text(
        encoding="utf-8"
    )
    doc: dict[str, Any] = yaml.safe_load(text)
    for key in _REQUIRED:
        if not doc.get(key):
            raise ValidationError(key, None, Expected("a value"), location="review_protocol.yaml")
    for key in ("population", "intervention", "comparator", "designs"):
        if not doc["pico"].get(key):
            raise ValidationError(
                f"pico.{key}", None, Expected("a value"), location="review_protocol.yaml"
            )
    return doc


def render_review_protocol() -> str:
    """The protocol as a Markdown document."""
    doc = load_review_protocol()
    out = [f"# Review protocol: {doc['title']}", "", f"Registration: {doc['registration']}", ""]
    out += ["## Question", "", doc["question"], "", "## PICO", ""]
    for key in ("population", "intervention", "comparator", "designs"):
        out.append(f"- **{key.capitalize()}**: {doc['pico'][key]}")
    out += ["", "## Outcomes", ""]
    for kind in ("primary", "secondary"):
        out.append(f"**{kind.capitalize()}**")
        out.append("")
        out += [f"- {o}" for o in doc["outcomes"][kind]]
        out.append("")
    out += ["## Methods", ""]
    for key, text in doc["methods"].items():
        out.append(f"- **{key.replace('_', ' ').capitalize()}**: {text}")
    out += ["", "## Limitations of this protocol", ""]
    out += [f"- {x}" for x in doc["limitations"]]
    return "\n".join(out) + "\n"
