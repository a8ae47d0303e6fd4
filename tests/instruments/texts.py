"""Synthetic, made-up wordings of licensed questionnaires for the tests: every text is
``[made-up <instrument> <code> <language>]`` (never a real questionnaire's wording), built from
the registry so that the file names exactly the item and answer codes the contract asks for."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from autoserum.instruments import TextLibrary, question_texts


def made_up(instrument: str, language: str) -> dict[str, Any]:
    """A complete made-up wording of ``instrument`` in ``language`` (a dict, TOML/JSON shape)."""
    items: dict[str, Any] = {}
    for question in question_texts(instrument, language, TextLibrary()).questions:
        items[question.path] = {
            "text": f"[made-up {instrument} {question.path} {language}]",
            "answers": {
                code: f"[made-up answer {code} {language}]" for code, _ in question.answers
            },
        }
    return {
        "instrument": instrument,
        "language": language,
        "licence": f"[made-up licence of {instrument} in {language}]",
        "title": f"[made-up title {instrument} {language}]",
        "instructions": f"[made-up instructions {instrument} {language}]",
        "items": items,
    }


def to_toml(data: dict[str, Any]) -> str:
    """The made-up wording as TOML (strings only: ``json.dumps`` quotes them as TOML does)."""
    lines = [
        f"{key} = {json.dumps(data[key], ensure_ascii=False)}" for key in data if key != "items"
    ]
    for code, entry in data["items"].items():
        lines += [
            "",
            f"[items.{json.dumps(code)}]",
            f"text = {json.dumps(entry['text'], ensure_ascii=False)}",
        ]
        if entry["answers"]:
            lines.append(f"[items.{json.dumps(code)}.answers]")
            lines += [
                f"{json.dumps(k)} = {json.dumps(v, ensure_ascii=False)}"
                for k, v in entry["answers"].items()
            ]
    return "\n".join(lines) + "\n"


def write(folder: Path, instrument: str, language: str, *, ext: str = "toml") -> Path:
    """Write the made-up wording as ``<instrument>.<language>.<ext>`` into ``folder``."""
    data = made_up(instrument, language)
    path = folder / f"{instrument}.{language}.{ext}"
    text = to_toml(data) if ext == "toml" else json.dumps(data, ensure_ascii=False, indent=1)
    path.write_text(text, encoding="utf-8")
    return path
