"""Write the small synthetic studies the analysis and report tests read (seeded; run once).

    .venv/bin/python tests/analysis/data/generate.py

``two_arm.csv``: a serum-vs-placebo RCT (24 + 24 subjects, weeks -2, 0, 2, 4, 8, 12) with
dropouts, a missing week-0 EASI (baseline falls back to week -2) and adverse events.
``three_arm.csv``: serum vs IgG vs placebo (20 per arm, weeks 0, 4, 8, 12) with dropouts, for
the comparisons of each active arm with the control.
``single_arm.csv``: an ASIM-like single-arm pilot (15 subjects, integer scores with ties).
Synthetic data only.
"""

from __future__ import annotations

import csv
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent
TERMS = ("injection site pain", "injection site bruising", "headache", "eczema flare", "fatigue")
SEVERITY = ("mild", "moderate", "severe")
RELATED = ("not_related", "unlikely", "possible", "probable", "definite")


def _study(
    name: str, arms: dict[str, float], n_per_arm: int, weeks: list[int], seed: int, decimals: int
) -> None:
    rng = np.random.default_rng(seed)
    rows: list[dict[str, object]] = []
    aes: list[dict[str, object]] = []
    sid = 0
    for arm, effect in arms.items():
        for _ in range(n_per_arm):
            sid += 1
            subject = f"S{sid:03d}"
            age = int(rng.integers(18, 65))
            sex = "F" if rng.random() < 0.5 else "M"
            easi0 = float(rng.uniform(8, 40))
            eos = round(float(rng.lognormal(-1.2, 0.5)), 2)
            ige = round(float(rng.lognormal(6.0, 1.0)), 1)
            drop_after = 12 if rng.random() > 0.15 else int(rng.choice([2, 4, 8]))
            pp = bool(rng.random() > 0.1)
            resp = rng.normal(effect, 0.15)
            for w in weeks:
                if w > drop_after:
                    break
                frac = min(max(w, 0) / 12, 1.0)
                improvement = min(max(resp * frac + rng.normal(0, 0.08), -0.3), 1.0)
                easi = round(min(max(easi0 * (1 - improvement), 0), 72), decimals)
                row: dict[str, object] = {
                    "subject_id": subject,
                    "arm": arm,
                    "site": "A" if sid % 2 else "B",
                    "week": w,
                    "visit": "screening" if w < 0 else ("baseline" if w == 0 else f"week_{w}"),
                    "age": age,
                    "sex": sex,
                    "per_protocol": "true" if pp else "false",
                    "treated": "true",
                    "easi": easi,
                    "scorad": round(min(max(easi * 1.3 + 15 + rng.normal(0, 4), 0), 103), decimals),
                    "dlqi": int(min(max(round(easi / 3 + rng.normal(0, 2)), 0), 30)),
                    "poem": int(min(max(round(easi / 2 + rng.normal(0, 2)), 0), 28)),
                    "viga_ad": int(min(max(round(easi / 10 + 0.5), 0), 4)),
                    "eosinophils": eos if w in (0, 12) else "",
                    "ige": ige if w in (0, 12) else "",
                }
                if w == 0 and sid == 3:
                    row["easi"] = ""  # baseline falls back to the screening value
                if w < 0:
                    for c in ("scorad", "dlqi", "poem", "viga_ad"):
                        row[c] = ""
                rows.append(row)
            for _ in range(int(rng.poisson(0.8))):
                aes.append(
                    {
                        "subject_id": subject,
                        "arm": arm,
                        "term": str(rng.choice(TERMS)),
                        "onset_week": int(rng.integers(0, drop_after + 1)),
                        "severity": str(rng.choice(SEVERITY, p=[0.7, 0.25, 0.05])),
                        "serious": "true" if rng.random() < 0.03 else "false",
                        "related": str(rng.choice(RELATED)),
                        "outcome": "recovered",
                    }
                )
    for fname, data in ((f"{name}.csv", rows), (f"{name}.ae.csv", aes)):
        with (HERE / fname).open("w", newline="", encoding="utf-8") as fh:
            writer = csv.DictWriter(fh, fieldnames=list(data[0]))
            writer.writeheader()
            writer.writerows(data)


def main(only: str | None = None) -> None:
    if only in (None, "three_arm"):
        _study(
            "three_arm",
            {"serum": 0.55, "igg": 0.45, "placebo": 0.2},
            20,
            [0, 4, 8, 12],
            seed=20261201,
            decimals=1,
        )
    if only == "three_arm":
        return
    _study(
        "two_arm",
        {"serum": 0.55, "placebo": 0.25},
        24,
        [-2, 0, 2, 4, 8, 12],
        seed=20261121,
        decimals=1,
    )
    _study("single_arm", {"asim": 0.5}, 15, [0, 4, 8, 12], seed=7, decimals=0)


if __name__ == "__main__":
    import sys

    main(sys.argv[1] if len(sys.argv) > 1 else None)
