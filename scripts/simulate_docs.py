"""Rewrite the generated parameter tables of docs/simulate.md from the scenarios.

Usage: .venv/bin/python scripts/simulate_docs.py
"""

from __future__ import annotations

from pathlib import Path

from autoserum.simulate._docs import END, START, parameter_markdown

DOC = Path(__file__).resolve().parent.parent / "docs" / "simulate.md"


def main() -> None:
    text = DOC.read_text(encoding="utf-8")
    head, rest = text.split(START, 1)
    tail = rest.split(END, 1)[1]
    DOC.write_text(f"{head}{START}{parameter_markdown()}{END}{tail}", encoding="utf-8")
    print(f"wrote {DOC}")


if __name__ == "__main__":
    main()
