"""Display tables of the safety section: adverse events and laboratory shifts.

>>> from autoserum.analysis import study_from_frames
>>> from autoserum.simulate import simulate_study
>>> sim = simulate_study("ast-nahm2023", 30, seed=1)
>>> study = study_from_frames(sim.visits, sim.adverse_events, "simulated AST")
>>> from autoserum.analysis import build_adsl
>>> from autoserum.analysis._safety import ae_table
>>> ae = ae_table(build_adsl(study.visits), study.adverse_events, "term")
>>> table = ae_display(ae, "term", "By term", "ae-term")
>>> table.columns
('Term', 'placebo (N = 14)', 'serum (N = 16)')
>>> table.rows[0]
('appendicitis', '1 (7.1 %) [1]', '0 (0.0 %) [0]')
"""

from __future__ import annotations

import polars as pl

from autoserum.display import number as fmt
from autoserum.i18n import N_
from autoserum.report._i18n import arm_label, word
from autoserum.report._i18n import gettext as _
from autoserum.report._tables import Table, label

__all__ = ["ae_display", "lab_shift_display", "rescue_display", "sae_listing_display"]

_LEVEL_ORDER: dict[str, list[object]] = {
    "severity": ["mild", "moderate", "severe"],
    "related": ["not_related", "unlikely", "possible", "probable", "definite"],
    "serious": [False, True],
    "category": [
        N_("any adverse event"),
        N_("serious"),
        N_("severe"),
        N_("related (possible, probable, definite)"),
        N_("leading to death"),
    ],
}
#: The heading of the first column of an adverse-event table, by what it is grouped by.
_BY = {
    "category": N_("Category"),
    "term": N_("Term"),
    "severity": N_("Severity"),
    "serious": N_("Serious"),
    "related": N_("Related"),
    "aesi": N_("Aesi"),
}


def ae_display(table: pl.DataFrame, by: str, title: str, table_id: str) -> Table:
    """An adverse-event table (subjects n (%) and events per arm)."""
    arms = sorted(table["arm"].unique().to_list())
    levels = table[by].unique(maintain_order=True).to_list()
    order = _LEVEL_ORDER.get(by)
    if order:
        levels = sorted(levels, key=lambda v: order.index(v) if v in order else len(order))
    pops = {r["arm"]: r["n_population"] for r in table.iter_rows(named=True)}
    rows = []
    for level in levels:
        cells = []
        for arm in arms:
            hit = table.filter((pl.col(by) == level) & (pl.col("arm") == arm))
            if hit.height:
                r = hit.row(0, named=True)
                cells.append(f"{r['n_subjects']} ({fmt(r['percent'])} %) [{r['n_events']}]")
            else:
                cells.append("0 (0.0 %) [0]")
        if by == "serious":
            shown = _("serious") if level is True else _("not serious") if level is False else level
        else:
            shown = level if by == "term" else word(level)  # a term is the data's own text
        rows.append((str(shown).replace("_", " "), *cells))
    heading = _(_BY[by]) if by in _BY else by.replace("_", " ").capitalize()
    return Table(
        table_id,
        title,
        (heading, *(f"{arm_label(a)} (N = {pops[a]})" for a in arms)),
        tuple(rows),
        _("Subjects with at least one event, n (%%) of the safety population [number of events]."),
    )


_CRITERIA = ("death", "life_threatening", "hospitalisation", "disability", "congenital_anomaly",
             "important_medical_event")  # fmt: skip


def sae_listing_display(ae: pl.DataFrame) -> Table:
    """The listing of serious adverse events (ICH E2A): one row per event, its subject (and
    arm when the data carry it), onset week, seriousness criteria, relatedness to the product
    and to the procedure, expectedness and outcome."""
    serious = ae.filter(pl.col("serious").fill_null(False)).sort("subject_id", "onset_week")
    with_arm = "arm" in serious.columns
    rows = []
    for r in serious.iter_rows(named=True):
        criteria = ", ".join(word(c) for c in _CRITERIA if r.get(f"sae_{c}")) or "–"
        expected = r.get("expected")
        rows.append((
            r["subject_id"], *((arm_label(r["arm"]),) if with_arm else ()), str(r["term"]),
            "–" if r.get("onset_week") is None else fmt(r["onset_week"]), criteria,
            word(r.get("related") or "–"),
            word(r.get("related_procedure") or "–"),
            "–" if expected is None else (_("yes") if expected else _("no")),
            word(r.get("outcome") or "–"),
        ))  # fmt: skip
    columns = (_("Subject"), *((_("Arm"),) if with_arm else ()), _("Event"), _("Onset week"),
               _("Seriousness criteria"), _("Related (product)"), _("Related (procedure)"),
               _("Expected"), _("Outcome"))  # fmt: skip
    return Table(
        "sae-listing",
        _("Listing of serious adverse events"),
        columns,
        tuple(rows),
        _(
            "ICH E2A seriousness criteria; relatedness to the study product and to the "
            "injection procedure (WHO-UMC); expected: listed in the protocol's reference "
            "safety information."
        ),
    )


def lab_shift_display(shifts: pl.DataFrame) -> Table:
    """Laboratory shift table: baseline × last post-baseline category per arm."""
    rows = tuple(
        (
            label(r["lab"]),
            arm_label(r["arm"]),
            word(r["baseline_category"]),
            word(r["post_category"]),
            str(r["n_subjects"]),
        )
        for r in shifts.iter_rows(named=True)
    )
    return Table(
        "lab-shifts",
        _("Laboratory shifts against reference ranges"),
        (_("Laboratory value"), _("Arm"), _("Baseline"), _("Last post-baseline"), _("Subjects")),
        rows,
        _(
            "Reference ranges: total IgE < 100 kU/L; eosinophils 0.0–0.5 ×10⁹/L; eosinophils "
            "0–5 %% of leucocytes (adult ranges)."
        ),
    )


def rescue_display(table: pl.DataFrame) -> Table:
    """Rescue medication by arm and study week (:func:`autoserum.analysis.rescue_table`):
    subjects using rescue n/N (%) and grams of rescue topical corticosteroid, total (per
    subject in the study that week)."""
    arms = sorted(table["arm"].unique().to_list())
    rows = []
    for week in sorted(table["week"].unique().to_list()):
        cells: list[str] = [str(week)]
        for arm in arms:
            hit = table.filter((pl.col("arm") == arm) & (pl.col("week") == week))
            if not hit.height:
                cells += ["–", "–"]
                continue
            r = hit.row(0, named=True)
            cells.append(f"{r['n_rescue']}/{r['n_subjects']} ({fmt(r['percent'])} %)")
            cells.append(f"{fmt(r['tcs_grams'])} ({fmt(r['tcs_grams_per_subject'])})")
        rows.append(tuple(cells))
    missing = int(table["n_tcs_no_amount"].sum())
    note = _(
        "Study week k covers days 7(k-1) to 7k-1 after the first injection; N: subjects in the "
        "study that week. TCS: topical corticosteroid given as rescue, grams (fingertip units "
        "at 0.5 g) weighted by the days of the week it was used; in brackets per subject."
    )
    if missing:
        note += " " + _(
            "%(n)s rescue TCS record-weeks had no amount and are not in the grams.", n=missing
        )
    columns = [_("Week")]
    for arm in arms:
        shown = arm_label(arm)
        columns += [_("%(arm)s: using rescue", arm=shown), _("%(arm)s: TCS g", arm=shown)]
    return Table(
        "rescue", _("Rescue medication by arm and week"), tuple(columns), tuple(rows), note
    )
