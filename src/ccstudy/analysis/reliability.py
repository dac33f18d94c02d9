"""Stage 10: reliability of every competency, dimension and the total scale."""

from __future__ import annotations

import warnings
from typing import Any

import numpy as np
import pandas as pd

from ccstudy import stats
from ccstudy.analysis.scoring import labels, reversed_items, scales

#: Alpha a scale must reach to be called reliable enough for decisions about individuals' development
#: (Nunnally 1978's 0.70 for early-stage research instruments); recorded in the results.
ALPHA_THRESHOLD = 0.70

# Reasons a scale's reliability cannot be estimated (recorded, never a crash).
ONE_ITEM = "not estimable: a one-item scale has no internal consistency"


def reliability_tables(
    responses: pd.DataFrame,
    items: pd.DataFrame,
    *,
    scale: tuple[int, int],
    wave: str,
    missing: str = "pairwise",
    confidence: float = 0.95,
    n_boot: int = 0,
    seed: int | None = None,
    correlation: str = "pearson",
) -> dict[str, Any]:
    """Reliability of each scale in one wave.

    ``correlation`` chooses the headline statistics (``alpha``, ``omega_total``
    and relatives): ``"pearson"`` or ``"polychoric"`` (ordinal alpha and
    omega).  For Likert scales with at most :data:`MAX_ORDINAL_CATEGORIES`
    categories the other kind is added as ``ordinal_alpha``/``ordinal_omega``
    (or ``pearson_alpha``/``pearson_omega``), so both can be shown.

    Returns a dict with ``scales`` (one row per scale: level, scale, label, k,
    n, alpha with Feldt CI, standardized alpha, average r, lambda6, omega
    total, warnings) and ``items`` (item-rest r and alpha-if-deleted within the
    item's competency and within the total scale).  The bootstrap CI is
    computed for the total scale only (``n_boot`` resamples, seeded).
    """
    data = responses.loc[responses["wave"] == wave]
    if data.empty:
        raise ValueError(f"reliability: no responses in wave {wave!r}; waves present: "
                         f"{sorted(responses['wave'].unique().tolist())}")
    reverse = set(reversed_items(items))
    names = labels(items)
    n_categories = int(scale[1] - scale[0] + 1)
    other = {"pearson": "polychoric", "polychoric": "pearson"}[correlation] \
        if n_categories <= MAX_ORDINAL_CATEGORIES else None
    other_prefix = {"polychoric": "ordinal", "pearson": "pearson", None: None}[other]
    rows, item_rows = [], []
    not_estimable: dict[str, str] = {}
    for level, groups in scales(items).items():
        for name, cols in groups.items():
            if len(cols) < 2:
                rows.append({"level": level, "scale": name, "label": names.get(name, name), "k": len(cols),
                             "n": int(data[cols].notna().all(axis=1).sum()), "n_rows": int(len(data)),
                             "method": None, "warnings": ONE_ITEM})
                not_estimable[f"reliability of {level} '{names.get(name, name)}'"] = ONE_ITEM
                continue
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                rel = stats.reliability(
                    data[cols], reverse=tuple(c for c in cols if c in reverse), scale=scale,
                    missing=missing, confidence=confidence,
                    n_boot=n_boot if (level == "total" and correlation == "pearson") else 0, seed=seed,
                    correlation=correlation,
                )
                extra = {}
                if other is not None:
                    try:
                        rel2 = stats.reliability(data[cols], reverse=tuple(c for c in cols if c in reverse),
                                                 scale=scale, missing=missing, confidence=confidence,
                                                 correlation=other)
                        extra = {f"{other_prefix}_alpha": rel2.alpha, f"{other_prefix}_omega": rel2.omega_total}
                    except ValueError as exc:  # e.g. an item with one answered category in this wave
                        extra = {f"{other_prefix}_alpha": None, f"{other_prefix}_omega": None,
                                 "other_warning": str(exc)}
            rows.append({
                "level": level, "scale": name, "label": names.get(name, name), "k": rel.k,
                "n": rel.n, "n_rows": rel.n_rows, "alpha": rel.alpha, "ci_low": rel.alpha_ci_low,
                "ci_high": rel.alpha_ci_high, "boot_ci_low": rel.alpha_boot_ci_low,
                "boot_ci_high": rel.alpha_boot_ci_high, "std_alpha": rel.std_alpha,
                "average_r": rel.average_r, "lambda6": rel.lambda6, "omega_total": rel.omega_total,
                "method": rel.method, "correlation": rel.correlation,
                "warnings": "; ".join(rel.warnings + ((extra.pop("other_warning"),) if "other_warning" in extra
                                                      else ())),
                **extra,
            })
            if level in ("competency", "total"):
                it = rel.items.copy()
                it.index.name = "item"
                it = it.reset_index()
                it.insert(0, "scale", name)
                it.insert(0, "level", level)
                item_rows.append(it)
    columns = _SCALE_COLUMNS + ([f"{other_prefix}_alpha", f"{other_prefix}_omega"] if other else [])
    table = pd.DataFrame(rows, columns=columns)
    items_table = pd.concat(item_rows, ignore_index=True)
    comp = table[table["level"] == "competency"]
    est = comp.dropna(subset=["alpha"])
    dims = table[table["level"] == "dimension"].dropna(subset=["alpha"])
    total = table[table["level"] == "total"].iloc[0]
    k_per = comp["k"].astype(int)
    summary = {
        "wave": wave,
        "correlation": correlation,
        "also_shown": other,
        **{f"total_{kind}_alpha": _total_alpha(total, kind, correlation) for kind in ("pearson", "ordinal")},
        "confidence": confidence,
        "missing": missing,
        "scale_min": scale[0],
        "scale_max": scale[1],
        "total_alpha": float(total["alpha"]),
        "total_ci_low": float(total["ci_low"]),
        "total_ci_high": float(total["ci_high"]),
        "total_n": int(total["n"]),
        "total_k": int(total["k"]),
        "competency_alpha_min": float(est["alpha"].min()) if len(est) else None,
        "competency_alpha_max": float(est["alpha"].max()) if len(est) else None,
        "competency_alpha_min_scale": str(est.loc[est["alpha"].idxmin(), "label"]) if len(est) else None,
        "competency_alpha_max_scale": str(est.loc[est["alpha"].idxmax(), "label"]) if len(est) else None,
        "alpha_threshold": ALPHA_THRESHOLD,
        "competencies_below_0_7": est.loc[est["alpha"] < ALPHA_THRESHOLD, "label"].tolist(),
        "n_competencies": int(len(comp)),
        "n_competencies_estimable": int(len(est)),
        "n_dimensions": int((table["level"] == "dimension").sum()),
        "items_per_competency_min": int(k_per.min()),
        "items_per_competency_max": int(k_per.max()),
        "dimension_alphas": [{"scale": r["scale"], "label": r["label"], "k": int(r["k"]), "alpha": float(r["alpha"]),
                              "ci_low": float(r["ci_low"]), "ci_high": float(r["ci_high"])}
                             for _, r in dims.iterrows()],
    }
    return {"summary": summary, "scales": table, "items": items_table, "not_estimable": not_estimable}


_SCALE_COLUMNS = ["level", "scale", "label", "k", "n", "n_rows", "alpha", "ci_low", "ci_high", "boot_ci_low",
                  "boot_ci_high", "std_alpha", "average_r", "lambda6", "omega_total", "method", "correlation",
                  "warnings"]

def _total_alpha(total: pd.Series, kind: str, correlation: str) -> float | None:
    """The total scale's Pearson or ordinal alpha, from the headline or the extra column (None if absent)."""
    if (kind == "ordinal") == (correlation == "polychoric"):
        v = total["alpha"]
    else:
        v = total.get(f"{kind}_alpha")
    return None if v is None or pd.isna(v) else float(v)


#: Likert scales with at most this many categories also get the other reliability (ordinal or Pearson).
MAX_ORDINAL_CATEGORIES = 7


def reliability_by_wave(responses: pd.DataFrame, items: pd.DataFrame, *, scale: tuple[int, int],
                        waves: list[str], missing: str = "pairwise", confidence: float = 0.95) -> pd.DataFrame:
    """Alpha (Feldt CI) of every scale at every wave: one row per wave and scale.

    Used by multi-wave studies to show that the instrument stays reliable from
    one assessment to the next (one-item scales are left out).
    """
    frames = []
    for w in waves:
        if not (responses["wave"] == w).any():
            continue
        t = reliability_tables(responses, items, scale=scale, wave=w, missing=missing, confidence=confidence)
        sc = t["scales"].dropna(subset=["alpha"])[["level", "scale", "label", "k", "n", "alpha", "ci_low", "ci_high"]]
        sc.insert(0, "wave", w)
        frames.append(sc)
    return pd.concat(frames, ignore_index=True)


def cfa_structure(items: pd.DataFrame) -> dict[str, Any]:
    """The estimable part of the competency model, and notes on what had to be left out.

    * A competency with one item cannot be a factor: its item is left out of the CFA.
    * A higher-order (dimension) factor needs at least two competency factors under it; a
      dimension holding a single competency keeps that competency as a first-order factor
      (correlated with the others) and its higher-order factor is "not estimable".
    * A higher-order factor with exactly two lower factors is identified only when there is
      another top-level factor to correlate with; otherwise the model stays first-order.
    * A model with a single factor needs at least three items.
    """
    names = labels(items)
    groups = scales(items)
    notes: list[str] = []
    comp = {c: cols for c, cols in groups["competency"].items() if len(cols) >= 2}
    for c, cols in groups["competency"].items():
        if len(cols) < 2:
            notes.append(f"competency '{names.get(c, c)}' has one item: left out of the factor model")
    higher: dict[str, list[str]] = {}
    if "dimension" in items and groups["dimension"]:
        dim_of = {str(c): str(d) for c, d in zip(items["competency"], items["dimension"]) if pd.notna(d)}
        for d in groups["dimension"]:
            lows = [c for c in comp if dim_of.get(c) == d]
            if len(lows) >= 2:
                higher[d] = lows
            else:
                notes.append(f"higher-order factor '{names.get(d, d)}' not estimable: the dimension holds "
                             f"{len(lows)} competency factor(s), and a higher-order factor needs at least 2")
        tops = len(higher) + len([c for c in comp if not any(c in v for v in higher.values())])
        for d, lows in list(higher.items()):
            if len(lows) == 2 and tops < 2:
                notes.append(f"higher-order factor '{names.get(d, d)}' not estimable: two lower factors and "
                             f"nothing else to correlate with")
                del higher[d]
    reason = None
    if not comp:
        reason = "no competency has two or more items, so there is no factor to estimate"
    elif len(comp) == 1 and len(next(iter(comp.values()))) < 3:
        reason = "a single factor with two items is not identified (needs at least 3 items)"
    return {"model": comp, "higher": higher, "notes": notes, "reason": reason}


def factor_model(
    responses: pd.DataFrame, items: pd.DataFrame, *, scale: tuple[int, int], wave: str
) -> dict[str, Any]:
    """Confirmatory factor analysis of the competency model (items → competencies → dimensions).

    Fits the estimable part of the model (:func:`cfa_structure`): each item on
    its competency and, where a dimension holds two or more competencies, each
    competency on its dimension, by maximum likelihood on complete responses.
    Reports the fit indices, standardized loadings and ω.  Item, competency and
    dimension names are passed to the estimator as neutral ids (``i1``, ``f1``,
    ``h1``), so names with spaces, punctuation or any script are safe, and are
    mapped back in the tables.  What cannot be estimated is reported with the
    reason (``fit["estimable"]``, ``fit["reason"]``, ``fit["notes"]``), never
    raised; a model that does not converge is reported as such, not hidden.
    """
    from ccstudy.stats.factor import cfa

    st = cfa_structure(items)
    names = labels(items)
    k_items = sum(len(v) for v in st["model"].values())
    n_top = len(st["higher"]) + len([c for c in st["model"] if not any(c in v for v in st["higher"].values())])
    desc = (f"{k_items} items on {len(st['model'])} competenc{'y' if len(st['model']) == 1 else 'ies'}"
            + (f"; competencies on {len(st['higher'])} dimension{'s' if len(st['higher']) != 1 else ''} (higher-order)"
               if st["higher"] else ("; competencies correlated" if n_top > 1 else "")))
    base = {"model": desc, "notes": st["notes"], "estimable": st["reason"] is None, "reason": st["reason"]}
    empty = pd.DataFrame(columns=["factor", "indicator", "level", "estimate", "std_estimate"])
    if st["reason"] is not None:
        return {"fit": base, "loadings": empty, "omega": pd.DataFrame(columns=["factor"])}
    # Neutral ids for the estimator's model syntax; mapped back below.
    item_id = {it: f"i{n}" for n, it in enumerate(items["item"].astype(str), start=1)}
    fac_id = {c: f"f{n}" for n, c in enumerate(st["model"], start=1)}
    high_id = {d: f"h{n}" for n, d in enumerate(st["higher"], start=1)}
    back = {v: k for k, v in {**item_id, **fac_id, **high_id}.items()}
    model = {fac_id[c]: [item_id[i] for i in cols] for c, cols in st["model"].items()}
    higher = {high_id[d]: [fac_id[c] for c in lows] for d, lows in st["higher"].items()}
    used = [i for cols in st["model"].values() for i in cols]
    data = responses.loc[responses["wave"] == wave, used].rename(columns=item_id)
    reverse = tuple(item_id[i] for i in reversed_items(items) if i in used)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            res = cfa(data, model, higher or None, reverse=reverse, scale=scale)
    except (ValueError, np.linalg.LinAlgError) as exc:
        base.update(estimable=False, reason=f"not estimable on these data: {exc}")
        return {"fit": base, "loadings": empty, "omega": pd.DataFrame(columns=["factor"])}
    fit = {k: getattr(res, k) for k in ("n", "n_dropped", "chi2", "df", "p", "cfi", "tli", "rmsea", "rmsea_ci_low",
                                        "rmsea_ci_high", "srmr", "omega_h", "converged", "method")}
    fit["warnings"] = list(res.warnings)
    fit.update(base)
    loadings = res.loadings.copy()
    if loadings.index.name is not None:
        loadings = loadings.reset_index()
    for col in ("factor", "indicator"):
        if col in loadings:
            loadings[col] = loadings[col].map(lambda v: back.get(v, v))
    omega = res.omega.copy()
    if omega.index.name is not None or not isinstance(omega.index, pd.RangeIndex):
        omega = omega.reset_index().rename(columns={"index": "factor"})
    if "factor" in omega:
        omega["factor"] = omega["factor"].map(lambda v: back.get(v, v))
    for frame in (loadings, omega):
        if "factor" in frame:
            frame.insert(frame.columns.get_loc("factor") + 1, "factor_label",
                         frame["factor"].map(lambda v: names.get(v, v)))
    return {"fit": fit, "loadings": loadings, "omega": omega}
