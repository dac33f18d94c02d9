"""Wording and rounding helpers of the reporting layer (closed-form cases)."""

import math

import pandas as pd

from ccstudy import report as rp


def test_number_formats():
    assert rp.num(0.8567) == "0.86" and rp.num(None) == "–" and rp.num(math.nan) == "–"
    assert rp.pct(0.8627) == "86.27%" and rp.pct(0.98, 0) == "98%"
    assert rp.pp(0.56) == "+0.56 pp" and rp.pp(-1.2345) == "-1.23 pp"
    assert rp.ci(0.1, 0.25, level=0.9) == "90% CI 0.10 to 0.25"


def test_apa_p_values():
    assert rp.p_value(0.0004) == "p < .001"
    assert rp.p_value(0.0342) == "p = .034"
    assert rp.p_value(0.5) == "p = .500"
    assert rp.p_value(None) == "p = –"


def test_verdicts():
    assert [rp.reliability_verdict(a) for a in (0.95, 0.85, 0.75, 0.65, 0.5)] == [
        "excellent", "good", "acceptable", "questionable", "poor"]
    assert [rp.strength(r) for r in (0.1, -0.35, 0.6)] == ["weak", "moderate", "strong"]


def test_md_table():
    t = rp.md_table(pd.DataFrame({"a_b": [1.23456], "p_adj": [0.0001], "s": ["x|y"]}), digits=3)
    assert t.splitlines() == ["| a b | p adj | s |", "|---|---|---|", "| 1.235 | < .001 | x\\|y |"]


def _fake(total_alpha=0.86, anc_p=0.0001, did_p=0.0001, fcr_p=0.4, comp_alphas=None, r=0.21, r_ci=(0.14, 0.28),
          p_adj=1e-6, n_comp=11, training=True, follow_up=None):
    """A results bundle as the stages write it (default study's figures)."""
    from types import SimpleNamespace

    comp_alphas = comp_alphas if comp_alphas is not None else [0.62] + [0.72] * (n_comp - 2) + [0.78]
    labels = ["Loyalty"] + [f"C{i}" for i in range(len(comp_alphas) - 2)] + ["Comprehension"]
    params = SimpleNamespace(get=lambda key, default=None: {"confidence": 0.95}.get(key, default))
    rel = {"summary": {"total_k": 33, "total_alpha": total_alpha, "total_ci_low": 0.84, "total_ci_high": 0.87,
                       "total_n": 714, "n_competencies": n_comp, "n_competencies_estimable": len(comp_alphas),
                       "n_dimensions": 3 if n_comp > 1 else 0,
                       "items_per_competency_min": 3, "items_per_competency_max": 3,
                       "competency_alpha_min": min(comp_alphas) if comp_alphas else None,
                       "competency_alpha_min_scale": labels[comp_alphas.index(min(comp_alphas))] if comp_alphas else None,
                       "competency_alpha_max": max(comp_alphas) if comp_alphas else None,
                       "competency_alpha_max_scale": labels[comp_alphas.index(max(comp_alphas))] if comp_alphas else None,
                       "competencies_below_0_7": [lab for lab, a in zip(labels, comp_alphas) if a < 0.7],
                       "dimension_alphas": []}}
    val = {"summary": {"total": {"fcr": {"r": r, "ci_low": r_ci[0], "ci_high": r_ci[1], "p_adj": p_adj, "n": 730}},
                       "adjust": "holm", "n_significant_adj": 51, "n_pairs": 60, "focus_team": "VIP",
                       "focus": {"fcr": {"n": 21, "r": 0.13, "p": 0.573}}}}
    tr = {"ancova": {"b": 0.166, "ci_low": 0.14, "ci_high": 0.19, "p": anc_p, "n": 722},
          "total": {"trained": {"mean_diff": 0.17, "cohens_dz": 0.86, "ci_low": 0.15, "ci_high": 0.19, "p": 1e-9,
                                "n": 362}},
          "main_group": "trained", "pre": "pre", "post": "post",
          "did_fcr": {"estimate": 0.70, "ci_low": 0.56, "ci_high": 0.84, "p": did_p, "n_clusters": 815},
          "focus_month_on_month": {"team": "VIP", "fcr_before": 0.8918, "fcr_after": 0.8974, "fcr_change_pp": 0.56,
                                   "before_month": "2017-02", "after_month": "2017-05",
                                   "staff_satisfaction_change_pp": 0.88, "fcr_test": {"p": fcr_p, "n": 21}},
          "sensitivity": {"focus_team_fcr": {"min_effect": 0.64, "power": 0.8}},
          "training_satisfaction": {"share_satisfied": 0.981, "n_rated": 372}, "follow_up": follow_up}
    if not training:
        tr = {"total": {}, "skipped": {"pre/post change in competency scores": "one wave of responses only"}}
    co = {"focus_weakest": [{"label": "Interpersonal skills", "mean": 3.317, "dimension_label": "Work ability"},
                            {"label": "Affinity", "mean": 3.532, "dimension_label": "Work ability"}],
          "focus_team": "VIP", "focus_n": 21, "focus_mean_total": 3.909, "centre_mean_total": 3.79,
          "n_agents_with_weak_spots": 688, "n_mentoring_pairs": 205}
    return SimpleNamespace(params=params, reliability=rel, validity=val, training=tr, trends={}, coaching=co,
                           scale=(1, 5))


def test_headlines_state_numbers_and_verdicts():
    h = rp.headlines(_fake())
    assert h["reliable"].startswith("**Mostly.**")
    assert "10 of its 11 competency scales (3 items each) reach Cronbach's alpha 0.70" in h["reliable"]
    assert "33 items on 11 competencies in 3 dimensions, answered on a 1–5 scale" in h["reliable"]
    assert "composite of 11 distinct competencies, has alpha **0.86** (95% CI 0.84 to 0.87, n = 714)" in h["reliable"]
    assert "r = **0.21**" in h["performance"] and "p < .001 after Holm adjustment" in h["performance"]
    assert "a weak positive association" in h["performance"]
    assert h["training"].startswith("**Yes, on the questionnaire and on the job.**")
    assert "**+0.56 pp** month on month; staff satisfaction **+0.88 pp**" in h["training"]
    assert "**not statistically significant** for 21 agents (p = .400)" in h["training"]
    assert "could only detect an effect of d_z ≥ 0.64 with 80% power" in h["training"]
    assert "Interpersonal skills **3.32**, Affinity **3.53** — all in Work ability" in h["weak_spots"]


def test_headline_verdicts_follow_the_tests():
    # Reliability is judged scale by scale; the total of distinct traits is only a composite.
    assert rp.headlines(_fake(comp_alphas=[0.75] * 11))["reliable"].startswith("**Yes.**")
    assert rp.headlines(_fake(comp_alphas=[0.6] * 4 + [0.75] * 7))["reliable"].startswith("**Mostly.**")
    assert rp.headlines(_fake(comp_alphas=[0.6] * 8 + [0.75] * 3))["reliable"].startswith("**Partly.**")
    assert rp.headlines(_fake(comp_alphas=[0.6] * 11, total_alpha=0.9))["reliable"].startswith("**Not yet.**")
    # One competency: the total is the trait.
    one = rp.headlines(_fake(total_alpha=0.65, comp_alphas=[0.65], n_comp=1))["reliable"]
    assert one.startswith("**Not yet.**") and "questionable" in one
    assert rp.headlines(_fake(anc_p=0.2))["training"].startswith("**On the job, not on the questionnaire.**")
    assert rp.headlines(_fake(did_p=0.3))["training"].startswith("**Yes, on the questionnaire.**")
    t = rp.headlines(_fake(anc_p=0.2, did_p=0.3))["training"]
    assert t.startswith("**Not demonstrably.**") and "which is not statistically significant" in t
    assert "a change that is significant" in rp.headlines(_fake(fcr_p=0.01))["training"]


def test_association_wording_comes_from_the_interval():
    assert rp.association(-0.004, -0.08, 0.07) == "no detectable association"
    assert rp.association(0.35, 0.2, 0.5) == "a moderate positive association"
    assert rp.association(-0.6, -0.7, -0.5) == "a strong negative association"
    h = rp.headlines(_fake(r=-0.004, r_ci=(-0.08, 0.07), p_adj=0.9))["performance"]
    assert h.startswith("**Not clearly.**") and "no detectable association" in h and "positive" not in h


def test_baseline_only_study_says_training_was_not_studied():
    h = rp.headlines(_fake(training=False))
    assert h["training"] == "**Not studied yet.** One wave of responses only."
    assert rp.not_studied(_fake(training=False)) == [("pre/post change in competency scores",
                                                        "one wave of responses only")]


def test_follow_up_says_whether_the_gain_held():
    fu = {"waves": ["pre", "post", "fu"], "held": False, "significant_decline_after_post": True,
          "steps": [{"from_wave": "pre", "to_wave": "fu", "mean_diff": 0.02, "ci_low": -0.03, "ci_high": 0.07}]}
    t = rp.headlines(_fake(follow_up=fu))["training"]
    assert "At the last wave (fu) the gain **did not hold**: 0.02 points above pre (95% CI -0.03 to 0.07); " \
           "scores fell significantly after the post-training wave." in t
