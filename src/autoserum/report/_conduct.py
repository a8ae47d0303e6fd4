"""The report's tables of the trial's conduct records (issue 13 item 6): the autologous
product's accountability by arm and the agreement of the blinded central photo ratings.

Both come from the analysis of the records a database holds (``StudyData.product_subjects``,
``product_refusals``, ``photo_scores``: ``None`` for a data file, and then no section). The
accountability table is **masked** in a blinded report: when the visits carry no arm (a
blinded export, the DSMB's open part) or the store masked the arms for the reader, every arm
is the one pooled column ``pooled (blinded)`` (:func:`masked_arms`), so no count can reveal
an arm.
The photo ratings carry no arm (the rater never sees one).

Texts are marked for translation (``docs/i18n.md``) and rendered in the current language
(English outside :func:`autoserum.i18n.using`).

>>> import polars as pl
>>> subjects = pl.DataFrame({"subject_id": ["A", "B"], "arm": ["serum", "placebo"],
...     "draws": [1, 1], "aliquots": [4, 4], "kits": [0, 0], "injections_given": [2, 1],
...     "injections_planned": [2, 2]})
>>> refusals = pl.DataFrame(schema={"subject_id": pl.String, "arm": pl.String,
...                                 "kind": pl.String})
>>> t = product_display(product_accountability(subjects, refusals))
>>> t.columns
('Item', 'placebo (n = 1)', 'serum (n = 1)')
>>> t.rows[4]
('Injections given', '1 of 2 (50.0 %)', '2 of 2 (100.0 %)')
>>> masked_arms(subjects)["arm"].to_list()
['blinded', 'blinded']
"""

from __future__ import annotations

import polars as pl

from autoserum.analysis import ARM_BLINDED, StudyData, product_accountability
from autoserum.display import number as fmt
from autoserum.i18n import N_, current_language, translate
from autoserum.report._document import Section
from autoserum.report._i18n import arm_label
from autoserum.report._tables import Table
from autoserum.study.blinding import MASK
from autoserum.study.photos import ICC_SHOWN, Agreement, agreement

__all__ = [
    "ITEM_LABELS",
    "agreement_display",
    "masked_arms",
    "photo_section",
    "product_display",
    "product_section",
]

ITEM_LABELS: dict[str, str] = {
    "blood draws": N_("Blood draws"),
    "aliquots": N_("Aliquots"),
    "blinded kits": N_("Blinded kits"),
    "injections planned": N_("Injections planned"),
    "injections given": N_("Injections given"),
    "refused: another subject's product": N_("Refused: another subject's product"),
    "refused: expired": N_("Refused: expired"),
    "refused: already used": N_("Refused: already used"),
    "refused: disposed of": N_("Refused: disposed of"),
    "refused: thawed too often": N_("Refused: thawed too often"),
    "refused: volume left too small": N_("Refused: volume left too small"),
    "refused: unknown or foreign label": N_("Refused: unknown or foreign label"),
    "refused: draw-to-injection time exceeded": N_("Refused: draw-to-injection time exceeded"),
    "refused: other": N_("Refused: another reason"),
    "refused: blinded": N_("Refused (any reason)"),
}
"""The display label of each item of :func:`autoserum.analysis.product_accountability`
(its counted items, :data:`autoserum.analysis.PRODUCT_ITEMS`, and ``refused: <kind>`` for
every kind of :data:`autoserum.study.aliquots.REFUSAL_KINDS`, and a blinded reader's one count
``refused: blinded``; ``tests/report/test_conduct.py``
checks that every item has its label)."""

_ICC_LABELS: dict[str, str] = {
    "ICC2": N_("ICC2: two-way random effects, absolute agreement, single rater"),
    "ICC3": N_("ICC3: two-way mixed effects, consistency, single rater"),
    "ICC2k": N_("ICC2k: two-way random effects, absolute agreement, mean of the raters"),
    "ICC3k": N_("ICC3k: two-way mixed effects, consistency, mean of the raters"),
}


def _t(message: str, **variables: object) -> str:
    """``message`` (already marked where it is written) in the current language."""
    return translate(current_language(), message, **variables)


def masked_arms(frame: pl.DataFrame | None) -> pl.DataFrame | None:
    """``frame`` with every ``arm`` replaced by the mask (``blinded``)."""
    return None if frame is None else _masked(frame)


def _masked(frame: pl.DataFrame) -> pl.DataFrame:
    if "arm" not in frame.columns:
        return frame
    return frame.with_columns(pl.lit(MASK).alias("arm"))


def product_display(table: pl.DataFrame) -> Table:
    """The accountability table (:func:`autoserum.analysis.product_accountability`): one row
    per item, one column per arm headed with its number of subjects; injections given as
    ``n of planned (%)``."""
    arms = list(dict.fromkeys(table["arm"].to_list()))
    subjects = {r["arm"]: r["n_subjects"] for r in table.iter_rows(named=True)}
    columns = [
        translate(current_language(), "Item"),
        *(
            translate(
                current_language(), "%(arm)s (n = %(n)s)", arm=arm_label(arm), n=subjects[arm]
            )
            for arm in arms
        ),
    ]
    planned = {
        r["arm"]: r["n"] for r in table.iter_rows(named=True) if r["item"] == "injections planned"
    }
    rows = []
    for item in dict.fromkeys(table["item"].to_list()):
        cells = [_t(ITEM_LABELS.get(item, item))]
        for arm in arms:
            hit = table.filter((pl.col("item") == item) & (pl.col("arm") == arm)).row(0, named=True)
            if item == "injections given":
                cells.append(
                    translate(
                        current_language(),
                        "%(n)s of %(planned)s (%(percent)s %%)",
                        n=hit["n"],
                        planned=planned.get(arm, 0),
                        percent=fmt(hit["percent"]),
                    )
                )
            else:
                cells.append(str(hit["n"]))
        rows.append(tuple(cells))
    if "blood draws" in table["item"].to_list():
        footnote = translate(
            current_language(),
            "Blood draws, aliquots and blinded kits recorded in the product's chain of "
            "identity; injections given against those planned (the protocol's injections for "
            "every allocated subject); injections refused by the chain-of-identity checks, by "
            "reason.",
        )
    else:  # a blinded reader's table: nothing named that only an active arm has
        footnote = translate(
            current_language(),
            "Blinded kits recorded for the subjects; injections given against those planned "
            "(the protocol's injections for every allocated subject); injections refused by "
            "the product checks, counted together.",
        )
    if arms == [ARM_BLINDED]:
        footnote += " " + translate(
            current_language(), "Arms are pooled: this report does not show the allocation."
        )
    return Table(
        "product-accountability",
        translate(current_language(), "Product accountability by arm"),
        tuple(columns),
        tuple(rows),
        footnote,
    )


def product_section(study: StudyData) -> Section | None:
    """The accountability section; ``None`` when the data hold no product records (a file).
    Masked when the visits carry no arm."""
    subjects, refusals = study.product_subjects, study.product_refusals
    if subjects is None or refusals is None:
        return None
    title = translate(current_language(), "Study product accountability")
    if not subjects.height:
        text = translate(current_language(), "No subject has been allocated yet.")
        return Section("product", title, paragraphs=(text,))
    if "arm" not in study.visits.columns:  # a blinded report: one pooled column
        subjects, refusals = _masked(subjects), _masked(refusals)
    table = product_accountability(subjects, refusals)
    return Section("product", title, tables=(product_display(table),))


def agreement_display(result: Agreement) -> Table | None:
    """The agreement of the central ratings: the ICCs of the region scores (two-way, absolute
    agreement and consistency, single and mean rater) and each pair's weighted kappa of the
    vIGA-AD grades; ``None`` when nothing can be computed (fewer than two raters or
    photographs)."""
    rows: list[tuple[str, ...]] = []
    easi = translate(current_language(), "EASI region score")
    viga = translate(current_language(), "vIGA-AD grade")
    if result.icc is not None:
        for kind in ICC_SHOWN:
            r = result.icc.get(kind)
            rows.append((_t(_ICC_LABELS[kind]), easi, str(result.icc.n), fmt(r.icc, 3),
                         _ci(r.ci_low, r.ci_high)))  # fmt: skip
    for k in result.kappas:
        r2 = k.result
        rows.append((
            translate(current_language(), "Weighted kappa (quadratic weights), %(a)s vs %(b)s",
                      a=k.rater_a, b=k.rater_b),
            viga,
            str(k.n),
            fmt(None if r2 is None else r2.weighted_kappa, 3),
            _ci(None if r2 is None else r2.weighted_ci_low,
                None if r2 is None else r2.weighted_ci_high),
        ))  # fmt: skip
    if not rows:
        return None
    return Table(
        "photo-agreement",
        translate(current_language(), "Agreement of the blinded central photo ratings"),
        (
            translate(current_language(), "Statistic"),
            translate(current_language(), "Measure"),
            "n",
            translate(current_language(), "Estimate"),
            translate(current_language(), "95 % CI"),
        ),
        tuple(rows),
        translate(
            current_language(),
            "%(photos)s photographs rated by all %(raters)s raters (%(ratings)s ratings in "
            "all). Intraclass correlations of the region's EASI score as R's psych::ICC; "
            "Cohen's kappa of the vIGA-AD grades with quadratic weights over the grades 0 to 4 "
            "(psych::cohen.kappa), on the photographs both raters rated.",
            photos=result.photos,
            raters=len(result.raters),
            ratings=result.ratings,
        ),
    )


def _ci(low: object, high: object) -> str:
    return translate(current_language(), "%(low)s to %(high)s", low=fmt(low, 3), high=fmt(high, 3))


def photo_section(study: StudyData) -> Section | None:
    """The agreement section; ``None`` for a file (no ratings can be there), a sentence when
    the database holds no central ratings (or too few to compare)."""
    if study.photo_scores is None:
        return None
    title = translate(current_language(), "Central photo rating agreement")
    if not study.photo_scores:
        text = translate(
            current_language(), "No central (blinded) ratings of lesion photographs exist."
        )
        return Section("photo-agreement", title, paragraphs=(text,))
    result = agreement(study.photo_scores)
    table = agreement_display(result)
    if table is None:
        text = translate(
            current_language(),
            "Agreement needs at least two raters who rated the same two or more photographs "
            "(central ratings so far: %(ratings)s; raters: %(raters)s).",
            ratings=result.ratings,
            raters=len(result.raters),
        )
        return Section("photo-agreement", title, paragraphs=(text,))
    return Section("photo-agreement", title, tables=(table,))
