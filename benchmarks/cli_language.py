"""What the command line's languages cost at start-up (issue 14 item 5 against issue 18).

Each figure is a median over fresh interpreters, the trees alternated run by run:

- ``import autoserum.cli`` and ``import autoserum.cli._app`` (what ``--help`` loads), from
  ``python -X importtime`` (cumulative microseconds of the module);
- the CPU time (user + system of the child) of ``autoserum --version`` and ``autoserum --help``
  with ``AUTOSERUM_LANG`` = ``--lang`` (``ko`` by default: a Korean terminal, whose ``--help`` is
  written in Korean since the help is translated, so it reads the catalog; ``en`` reads none);
- the first Korean message of a process (``translate("ko", …)``: Babel's import and the
  catalog compiled in memory) and then the first Chinese one (the catalog alone), wall time.

With ``--before SRC`` (a checkout's ``src`` of an earlier commit) the import and command figures
are measured for both trees.

Run: ``.venv/bin/python benchmarks/cli_language.py [--before /tmp/old/src] [--runs 15]
[--lang en]``.
"""

from __future__ import annotations

import argparse
import os
import resource
import statistics
import subprocess
import sys
from pathlib import Path

SRC = Path(__file__).resolve().parents[1] / "src"
FIRST_MESSAGES = (
    "import time\n"
    "from autoserum.i18n import translate\n"
    "t0 = time.perf_counter(); translate('ko', 'Studies'); t1 = time.perf_counter()\n"
    "translate('zh-Hans', 'Studies'); t2 = time.perf_counter()\n"
    "print((t1 - t0) * 1000, (t2 - t1) * 1000)"
)


LANGUAGE = {"name": "ko"}


def _env(src: str) -> dict[str, str]:
    return {**os.environ, "PYTHONPATH": src, "AUTOSERUM_LANG": LANGUAGE["name"]}


def _import_ms(src: str, module: str) -> float:
    err = subprocess.run(
        [sys.executable, "-X", "importtime", "-c", f"import {module}"],
        env=_env(src), capture_output=True, text=True, check=True,
    ).stderr  # fmt: skip
    for line in reversed(err.splitlines()):
        parts = [p.strip() for p in line.split("|")]
        if len(parts) == 3 and parts[2] == module:
            return int(parts[1]) / 1000
    raise RuntimeError(f"{module} not in the import times")


def _cpu_ms(src: str, argv: list[str]) -> float:
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    subprocess.run(
        [sys.executable, "-m", "autoserum", *argv], env=_env(src), capture_output=True, check=True
    )
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    used = after.ru_utime + after.ru_stime - before.ru_utime - before.ru_stime
    return used * 1000


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--before", help="src folder of the earlier tree")
    parser.add_argument("--runs", type=int, default=15)
    parser.add_argument("--lang", default="ko", help="AUTOSERUM_LANG of the commands (ko)")
    args = parser.parse_args()
    LANGUAGE["name"] = args.lang
    trees = {"after": str(SRC), **({"before": args.before} if args.before else {})}
    found: dict[tuple[str, str], list[float]] = {}
    for _ in range(args.runs):
        for name, src in trees.items():
            for module in ("autoserum.cli", "autoserum.cli._app"):
                found.setdefault((f"import {module}", name), []).append(_import_ms(src, module))
            for argv in (["--version"], ["--help"]):
                key = (f"autoserum {' '.join(argv)} (CPU)", name)
                found.setdefault(key, []).append(_cpu_ms(src, argv))
        out = subprocess.run(
            [sys.executable, "-c", FIRST_MESSAGES],
            env=_env(str(SRC)), capture_output=True, text=True, check=True,
        ).stdout.split()  # fmt: skip
        found.setdefault(("first Korean message (Babel + ko catalog)", "after"), []).append(
            float(out[0])
        )
        found.setdefault(("then the first Chinese message (zh catalog)", "after"), []).append(
            float(out[1])
        )
    for (what, tree), values in found.items():
        print(f"{what:44} {tree:6} median {statistics.median(values):7.1f} ms (n={len(values)})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
