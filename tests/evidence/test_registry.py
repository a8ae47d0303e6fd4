"""The evidence registry: it loads, every value has a source, every derived value its method,
gaps stay NR, the data-quality flags of sources.md are kept, and effects match R.

Expected numbers: ``reference/evidence_reference.json`` from ``reference/evidence_reference.R``
(metafor 3.8-1 ``escalc``/``rma`` on the reported numbers); tolerance 1e-6 relative.
"""

from __future__ import annotations

import json
from importlib import resources
from pathlib import Path

import pytest

from autoserum.errors import ValidationError
from autoserum.evidence import (
    PROTOCOL_CODES,
    load_registry,
    parse_registry,
    pool_analysis,
    study_effect,
)

REF = json.loads((Path(__file__).parent / "reference" / "evidence_reference.json").read_text())
RTOL = 1e-6
DATA = resources.files("autoserum.evidence") / "data"
TEXTS = {
    name: (DATA / name).read_text(encoding="utf-8")
    for name in ("studies.yaml", "results.csv", "effects.yaml", "analyses.yaml")
}


def _parse(**replace: tuple[str, str]) -> object:
    texts = dict(TEXTS)
    for name, (old, new) in replace.items():
        key = name.replace("_", ".")
        assert old in texts[key]
        texts[key] = texts[key].replace(old, new, 1)
    return parse_registry(
        texts["studies.yaml"], texts["results.csv"], texts["effects.yaml"], texts["analyses.yaml"]
    )


def test_registry_loads_both_conditions() -> None:
    reg = load_registry()
    conditions = {s.condition for s in reg.studies.values()}
    assert conditions == {"AD", "CSU", "eczema", "healthy", "AD+CSU"}
    included = {s.condition for s in reg.studies.values() if s.status == "included"}
    assert included == {"AD", "CSU"}
    assert {"Pittler2003", "Nahm2023", "Nahm2020", "Kocaturk2012", "IJAAI_AST"} <= set(reg.studies)


def test_every_value_has_a_source_and_every_derived_value_its_method() -> None:
    reg = load_registry()
    for res in reg.results.values():
        assert res.source_url.startswith(("http://", "https://")), res.result_id
        assert res.reported_as, res.result_id
        if res.status == "derived":
            assert res.method.strip(), res.result_id
        if res.status == "NR":
            assert res.value is None, res.result_id
        else:
            assert res.value is not None, res.result_id


def test_every_effect_records_how_it_was_derived() -> None:
    reg = load_registry()
    for effect_id, spec in reg.effects.items():
        eff = study_effect(reg, effect_id)
        assert eff.effect.method, effect_id
        assert eff.effect.description, effect_id
        assert spec.assumptions, effect_id
        assert eff.sources, effect_id
        if any(reg.results[r].status == "derived" for r in eff.result_ids):
            assert eff.derived, effect_id


def test_gaps_stay_nr() -> None:
    reg = load_registry()
    # Nahm 2023 SDs, Pittler arm means and Choi 2024 values are NR in the sources
    for rid in (
        "nahm2023.scorad.w8.serum.sd_change",
        "pittler2003.sassad.w9.abt.mean_endpoint",
        "choi2024.easi.w4.serum.mean_change",
    ):
        assert reg.results[rid].status == "NR"
        assert reg.results[rid].value is None


@pytest.mark.parametrize(
    ("study", "flag"),
    [
        ("Nahm2023", "sign_ambiguity"),
        ("Debbarman2014", "unlabelled_spread"),
        ("Kocaturk2012", "secondary_arm_sizes"),
        ("Pittler2003", "conflicting_secondary"),
        ("Choi2024", "dose_count"),
        ("Staubach2006", "citation_correction"),
        ("Postepy2023", "arithmetic"),
    ],
)
def test_data_quality_flags_of_sources_md_are_kept(study: str, flag: str) -> None:
    assert flag in {f.code for f in load_registry().studies[study].flags}


def test_regimens_link_to_the_protocol_library() -> None:
    reg = load_registry()
    linked = {s.protocol_code: s.id for s in reg.studies.values() if s.protocol_code}
    assert set(linked) == set(PROTOCOL_CODES)
    assert linked["abt-pittler2003"] == "Pittler2003"
    assert linked["aigt-nahm2020"] == "Nahm2020"


def test_kocaturk_counts_are_derived_from_percentages_and_secondary_arm_sizes() -> None:
    reg = load_registry()
    events = reg.results["kocaturk2012.uas_response_30.w10.placebo_asst_pos.events"]
    n = reg.results["kocaturk2012.enrolled.w0.placebo_asst_pos.n"]
    # arithmetic: 79% of 19 = 15.01 -> 15 (15/19 = 78.9%)
    assert (events.status, events.value) == ("derived", 15.0)
    assert n.source_kind == "secondary_review"


@pytest.mark.parametrize(
    ("effect_id", "key", "index"),
    [
        ("pittler2003_sassad_w9_smd", "pittler_w9_smd", None),
        ("pittler2003_sassad_w5_smd", "pittler_w5_smd", None),
        ("nahm2023_scorad_w8_smd", "nahm2023_smd", None),
        ("nahm2020_exacerbation_w16_rr", "nahm2020_rr", None),
        ("kocaturk2012_uas30_asst_pos_rr", "kocaturk_rr", 0),
        ("kocaturk2012_uas30_asst_neg_rr", "kocaturk_rr", 1),
        ("kocaturk2012_uas30_asst_pos_smd", "kocaturk_smd", 0),
        ("kocaturk2012_uas30_asst_neg_smd", "kocaturk_smd", 1),
    ],
)
def test_study_effects_match_r(effect_id: str, key: str, index: int | None) -> None:
    # R: escalc("SMD", ti=...), escalc("RR", ...), escalc("OR2DL", ...) (evidence_reference.R)
    eff = study_effect(load_registry(), effect_id).effect
    yi, vi = REF[key]["yi"], REF[key]["vi"]
    if index is not None:
        yi, vi = yi[index], vi[index]
    assert eff.yi == pytest.approx(yi, rel=RTOL)
    assert eff.vi == pytest.approx(vi, rel=RTOL)


@pytest.mark.parametrize(
    ("analysis", "method", "hk", "key"),
    [
        ("ad_blood_serum_severity", "REML", False, ("ad_severity", "REML")),
        ("ad_blood_serum_severity", "DL", False, ("ad_severity", "DL")),
        ("ad_blood_serum_severity", "FE", False, ("ad_severity", "FE")),
        ("ad_blood_serum_severity", "REML", True, ("ad_severity", "REML_knha")),
        ("csu_response", "REML", False, ("csu_response", "REML")),
        ("csu_severity", "REML", False, ("csu_severity", "REML")),
        ("csu_severity", "PM", False, ("csu_severity", "PM")),
    ],
)
def test_pooled_analyses_match_r(
    analysis: str, method: str, hk: bool, key: tuple[str, str]
) -> None:
    # R: rma(yi, vi, method=, test=) on the R-computed effects (evidence_reference.R); 1e-6
    # AD and CSU severity mix derivations: pooled only as an exploratory check of the arithmetic
    res = pool_analysis(load_registry(), analysis, method=method, hk=hk, exploratory=True).result
    assert res is not None
    expected = REF[key[0]][key[1]]
    for name in ("estimate", "se", "ci_low", "ci_high", "p_value", "q"):
        assert getattr(res, name) == pytest.approx(expected[name], rel=RTOL), name
    assert res.tau2 == pytest.approx(expected["tau2"], rel=RTOL, abs=1e-12)


def test_subgroup_test_by_product_matches_r() -> None:
    # R: rma(yi, vi, mods = ~ factor(therapy), method = "REML")$QMp on the split-control RRs
    res = pool_analysis(load_registry(), "csu_response_by_therapy")
    assert res.subgroup is not None
    assert res.subgroup.qm_p_value == pytest.approx(REF["csu_by_therapy"]["qm_p_value"], rel=RTOL)


def test_subgroup_test_by_condition_matches_r() -> None:
    # R: rma(yi, vi, mods = ~ factor(condition), method = "REML"): QM, QMp, tau2; 1e-6
    res = pool_analysis(load_registry(), "ad_csu_severity_by_condition", exploratory=True)
    expected = REF["by_condition"]
    assert res.result is not None
    assert res.subgroup is not None
    assert res.result.estimate == pytest.approx(expected["estimate"], rel=RTOL)
    assert res.result.tau2 == pytest.approx(expected["tau2"], rel=RTOL)
    assert res.subgroup.levels == ("AD", "CSU")
    assert res.subgroup.qm == pytest.approx(expected["qm"], rel=RTOL)
    assert res.subgroup.qm_p_value == pytest.approx(expected["qm_p_value"], rel=RTOL)
    assert res.subgroup.tau2_residual == pytest.approx(expected["tau2_residual"], abs=1e-12)


def test_single_study_analysis_is_not_pooled() -> None:
    res = pool_analysis(load_registry(), "ad_igg_exacerbation")
    assert res.result is None
    assert len(res.effects) == 1
    assert any("k = 1" in lim for lim in res.limits)


def test_therapy_filter_keeps_matching_effects() -> None:
    res = pool_analysis(load_registry(), "csu_response_by_therapy", therapy="AST")
    assert {e.spec.therapy for e in res.effects} == {"AST"}
    assert res.result is not None
    assert res.result.k == 2


def test_a_derived_value_without_method_is_refused() -> None:
    with pytest.raises(ValidationError) as err:
        _parse(
            results_csv=(
                "derived,count_from_percent: round(11.5% x 26) = 3; 3/26 = 11.5%,",
                "derived,,",
            )
        )
    assert err.value.field == "method"


def test_a_value_without_source_url_is_refused() -> None:
    with pytest.raises(ValidationError) as err:
        _parse(results_csv=(",https://suppr.wilddata.cn/browses/detail/pubmed/12588384,", ",,"))
    assert err.value.field == "source_url"


def test_an_nr_input_is_refused() -> None:
    with pytest.raises(ValidationError) as err:
        _parse(
            effects_yaml=(
                "m1: ijaai_ast.tss.w9.ast.mean_endpoint",
                "m1: ijaai_ast.tss.w0.ast.mean_baseline",
            )
        )
    assert "NR" in err.value.expected


def test_a_p_value_bound_cannot_give_an_smd() -> None:
    reg = _parse(
        effects_yaml=(
            "nahm2020.dlqi.w16.igg-placebo.p_value",
            "nahm2020.easi.w16.igg-placebo.p_value",
        )
    )
    with pytest.raises(ValidationError, match="bound"):
        study_effect(reg, "nahm2020_dlqi_w16_smd")  # type: ignore[arg-type]


def test_unknown_protocol_code_is_refused() -> None:
    with pytest.raises(ValidationError) as err:
        _parse(studies_yaml=("protocol_code: abt-pittler2003", "protocol_code: abt-unknown"))
    assert err.value.field == "protocol_code"


def test_linked_studies_match_the_protocol_library() -> None:
    # the registry's protocol codes are the library's, with the same arms, products and controls
    from autoserum.protocols import load_protocol, protocol_codes

    assert set(PROTOCOL_CODES) == set(protocol_codes())
    for study in load_registry().studies.values():
        if study.protocol_code is None:
            continue
        proto = load_protocol(study.protocol_code)
        assert {(a.code, a.product, a.is_control) for a in study.arms} == {
            (a.code, a.product, a.is_control) for a in proto.arms
        }, study.id


def test_counts_derived_from_percentages_reproduce_the_printed_percentage() -> None:
    # arithmetic: round(100 * events / n) equals the printed percentage (0 decimals)
    reg = load_registry()
    checked = 0
    for res in reg.results.values():
        if not res.method.startswith("count_from_percent") or res.study_id != "Kocaturk2012":
            continue
        stem = res.result_id.rsplit(".", 1)[0]
        pct = reg.results[f"{stem}.percent"].value
        n = reg.results[f"kocaturk2012.enrolled.w0.{res.arm}.n"].value
        assert res.value is not None
        assert pct is not None
        assert n is not None
        assert round(100 * res.value / n) == pct, res.result_id
        checked += 1
    assert checked == 11  # 12 arm x outcome cells, one (placebo ASST+ DLQI, 90% of 19) left NR
    assert reg.results["kocaturk2012.dlqi_response_30.w10.placebo_asst_pos.events"].status == "NR"


def test_inconsistencies_are_flagged_with_their_arithmetic() -> None:
    # Issue 17. Jangra 2022: the printed baseline p = 0.03 is impossible for the printed means,
    # SDs and n; recomputed here (Student t, scipy; R: t.test on summary data gives the same).
    from scipy import stats

    reg = load_registry()
    r = reg.results

    def v(key: str) -> float:
        value = r[f"jangra2022.mutss.{key}"].value
        assert value is not None
        return value

    n_pos = reg.results["jangra2022.enrolled.w0.asst_pos.n"].value
    n_neg = reg.results["jangra2022.enrolled.w0.asst_neg.n"].value
    assert (n_pos, n_neg) == (42, 58)
    base = stats.ttest_ind_from_stats(
        v("w0.asst_pos.mean_baseline"), v("w0.asst_pos.sd_baseline"), 42,
        v("w0.asst_neg.mean_baseline"), v("w0.asst_neg.sd_baseline"), 58,
    )  # fmt: skip
    assert base.pvalue == pytest.approx(v("w0.asst_pos-asst_neg.p_recomputed"), abs=5e-5)
    assert base.pvalue == pytest.approx(0.1014, abs=5e-5)  # issue 17: "p ≈ 0.10, not 0.03"
    assert v("w0.asst_pos-asst_neg.p_value") == 0.03
    flags = {f.code: f.text for f in reg.studies["Jangra2022"].flags}
    assert "p = 0.101" in flags["impossible_p_values"]
    # Nahm 2023: 23 randomized, 1 + 2 lost -> 20 completers, not the editorial's 21.
    done = [r[f"nahm2023.completed.w8.{a}.n"].value for a in ("serum", "placebo")]
    assert sum(x or 0 for x in done) == 20
    assert (
        "20 != 21"
        in {f.code: f.text for f in reg.studies["Nahm2023"].flags}["completers_inconsistent"]
    )
    # The AD pool: 31 (Pittler) + 23 (Nahm 2023) = 54 randomized.
    assert r["pittler2003.enrolled.w0.all.n"].value == 31
    assert any("54 randomized" in lim for lim in reg.analyses["ad_blood_serum_severity"].limits)


def test_pooling_needs_one_derivation() -> None:
    # Issue 17: an ANCOVA-adjusted t (Pittler) and an SMD of % change from a p (Nahm 2023) are
    # not pooled; the per-trial effects are shown with the reason.
    reg = load_registry()
    res = pool_analysis(reg, "ad_blood_serum_severity")
    assert res.result is None
    assert not res.pooled_justified
    assert len(res.effects) == 2
    assert any("not pooled" in lim and "ancova_adjusted_md" in lim for lim in res.limits)
    assert pool_analysis(reg, "ad_csu_severity_by_condition").subgroup is None
    ok = pool_analysis(reg, "csu_response")
    assert ok.pooled_justified
    assert ok.result is not None
    exp = pool_analysis(reg, "ad_blood_serum_severity", exploratory=True)
    assert exp.exploratory
    assert exp.result is not None


def test_ancova_smd_sensitivity_over_r() -> None:
    # d_raw = d_resid * sqrt(1 - r^2) (Cochrane 6.5.2.8): r = 0.5, 0.7, 0.8
    reg = load_registry()
    res = pool_analysis(reg, "ad_blood_serum_severity")
    g = study_effect(reg, "pittler2003_sassad_w9_smd").effect.yi
    rows = {row["r"]: row["yi"] for row in res.r_sensitivity}
    assert set(rows) == {0.5, 0.7, 0.8}
    for r, yi in rows.items():
        assert yi == pytest.approx(g * (1 - r * r) ** 0.5, rel=1e-12)
