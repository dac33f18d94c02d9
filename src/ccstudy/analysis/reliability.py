"""Stage 10: reliability of every competency, dimension and the total scale."""

from __future__ import annotations

import warnings
from typing import Any

import pandas as pd

from ccstudy import stats
from ccstudy.analysis.scoring import labels, scales


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
) -> dict[str, Any]:
    """Reliability of each scale in one wave.

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
    reverse = set(items.loc[items["reverse"].astype(int) == 1, "item"].astype(str))
    names = labels(items)
    rows, item_rows = [], []
    for level, groups in scales(items).items():
        for name, cols in groups.items():
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                rel = stats.reliability(
                    data[cols], reverse=tuple(c for c in cols if c in reverse), scale=scale,
                    missing=missing, confidence=confidence,
                    n_boot=n_boot if level == "total" else 0, seed=seed,
                )
            rows.append({
                "level": level, "scale": name, "label": names.get(name, name), "k": rel.k,
                "n": rel.n, "n_rows": rel.n_rows, "alpha": rel.alpha, "ci_low": rel.alpha_ci_low,
                "ci_high": rel.alpha_ci_high, "boot_ci_low": rel.alpha_boot_ci_low,
                "boot_ci_high": rel.alpha_boot_ci_high, "std_alpha": rel.std_alpha,
                "average_r": rel.average_r, "lambda6": rel.lambda6, "omega_total": rel.omega_total,
                "method": rel.method, "warnings": "; ".join(rel.warnings),
            })
            if level in ("competency", "total"):
                it = rel.items.copy()
                it.index.name = "item"
                it = it.reset_index()
                it.insert(0, "scale", name)
                it.insert(0, "level", level)
                item_rows.append(it)
    table = pd.DataFrame(rows)
    items_table = pd.concat(item_rows, ignore_index=True)
    comp = table[table["level"] == "competency"]
    total = table[table["level"] == "total"].iloc[0]
    summary = {
        "wave": wave,
        "confidence": confidence,
        "missing": missing,
        "total_alpha": float(total["alpha"]),
        "total_ci_low": float(total["ci_low"]),
        "total_ci_high": float(total["ci_high"]),
        "total_n": int(total["n"]),
        "total_k": int(total["k"]),
        "competency_alpha_min": float(comp["alpha"].min()),
        "competency_alpha_max": float(comp["alpha"].max()),
        "competency_alpha_min_scale": str(comp.loc[comp["alpha"].idxmin(), "label"]),
        "competencies_below_0_7": comp.loc[comp["alpha"] < 0.7, "label"].tolist(),
        "n_competencies": int(len(comp)),
    }
    return {"summary": summary, "scales": table, "items": items_table}


def factor_model(
    responses: pd.DataFrame, items: pd.DataFrame, *, scale: tuple[int, int], wave: str
) -> dict[str, Any]:
    """Confirmatory factor analysis of the competency model (items → competencies → dimensions).

    Fits the higher-order model (each item on its competency, each competency on
    its dimension) by maximum likelihood on complete responses and reports the
    fit indices, standardized loadings and ω hierarchical.  A model that does
    not converge is reported as such, not hidden.
    """
    from ccstudy.stats.factor import cfa

    data = responses.loc[responses["wave"] == wave, items["item"].astype(str).tolist()]
    groups = scales(items)
    comp = groups["competency"]
    dim_of = dict(zip(items["competency"], items["dimension"]))
    higher = {d: [c for c in comp if dim_of[c] == d] for d in groups["dimension"]}
    reverse = tuple(items.loc[items["reverse"].astype(int) == 1, "item"].astype(str))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        res = cfa(data, comp, higher, reverse=reverse, scale=scale)
    fit = {k: getattr(res, k) for k in ("n", "n_dropped", "chi2", "df", "p", "cfi", "tli", "rmsea", "rmsea_ci_low",
                                        "rmsea_ci_high", "srmr", "omega_h", "converged", "method")}
    fit["warnings"] = list(res.warnings)
    fit["model"] = "33 items on 11 competencies; competencies on 3 dimensions (higher-order)"
    omega = res.omega.copy()
    if omega.index.name is not None or not isinstance(omega.index, pd.RangeIndex):
        omega = omega.reset_index().rename(columns={"index": "factor"})
    return {"fit": fit, "loadings": res.loadings, "omega": omega}
