"""Stage 40: centre-level KPI trends before and after the programme, and the voice of the customer."""

from __future__ import annotations

from typing import Any

import pandas as pd

from ccstudy import stats

KPI_LABELS = {
    "fcr": "First-contact resolution",
    "attrition": "Monthly attrition",
    "answer_rate": "Answer rate",
    "csat": "Customer satisfaction",
}


def kpi_trends(centre_kpis: pd.DataFrame, *, kpis: list[str], intervention: str, se: str = "hac",
               seasonal: bool = False, confidence: float = 0.95) -> dict[str, Any]:
    """Interrupted time series per KPI (percentage points), plus first/last values."""
    df = centre_kpis.sort_values("month").set_index("month")
    unknown = [k for k in kpis if k not in df.columns]
    if unknown:
        raise ValueError(f"trends.kpis names columns not in the centre KPIs: {unknown}; "
                         f"available: {list(df.columns)}")
    rows, fitted = [], []
    not_estimable: dict[str, str] = {}
    for k in kpis:
        series = (df[k] * 100).astype("float64").dropna()
        series.index = pd.PeriodIndex(series.index, freq="M")
        try:
            s = stats.its(series, intervention=intervention, se=se, seasonal=seasonal, confidence=confidence)
        except ValueError as exc:
            not_estimable[f"interrupted time series of {KPI_LABELS.get(k, k).lower()}"] = f"not estimable: {exc}"
            continue
        rows.append({
            "kpi": k, "label": KPI_LABELS.get(k, k), "n": s.n, "first_month": str(series.index[0]),
            "last_month": str(series.index[-1]), "first": float(series.iloc[0]), "last": float(series.iloc[-1]),
            "pre_slope": s.pre_slope, "pre_slope_ci_low": s.pre_slope_ci_low, "pre_slope_ci_high": s.pre_slope_ci_high,
            "level_change": s.level_change, "level_ci_low": s.level_ci_low, "level_ci_high": s.level_ci_high,
            "level_p": s.level_p, "slope_change": s.slope_change, "slope_ci_low": s.slope_ci_low,
            "slope_ci_high": s.slope_ci_high, "slope_p": s.slope_p, "se": s.se,
        })
        fitted.append(pd.DataFrame({"kpi": k, "month": series.index.astype(str), "observed": series.to_numpy(),
                                    "fitted": s.fitted.to_numpy(), "counterfactual": s.counterfactual.to_numpy()}))
    table = pd.DataFrame(rows)
    if not rows:
        return {"summary": None, "table": table, "fitted": pd.DataFrame(), "not_estimable": not_estimable}
    summary = {r["kpi"]: {c: r[c] for c in ("first", "last", "first_month", "last_month", "level_change",
                                            "level_ci_low", "level_ci_high", "level_p", "slope_change",
                                            "slope_ci_low", "slope_ci_high", "slope_p", "pre_slope")}
               for r in rows}
    summary["intervention"] = intervention
    summary["se"] = se
    summary["unit"] = "percentage points (rates × 100)"
    return {"summary": summary, "table": table, "fitted": pd.concat(fitted, ignore_index=True),
            "not_estimable": not_estimable}


def pareto(customer_survey: pd.DataFrame, top: int = 3) -> dict[str, Any]:
    """Mentions per category, sorted, with cumulative share; the top categories' share."""
    counts = customer_survey["category"].value_counts()
    counts = counts.sort_values(ascending=False, kind="stable")
    tab = pd.DataFrame({"category": counts.index, "mentions": counts.to_numpy()})
    tab["share"] = tab["mentions"] / tab["mentions"].sum()
    tab["cumulative_share"] = tab["share"].cumsum()
    return {
        "n_respondents": int(customer_survey["respondent_id"].nunique()),
        "n_mentions": int(tab["mentions"].sum()),
        "top": tab["category"].head(top).tolist(),
        "top_share": float(tab["share"].head(top).sum()),
        "table": tab,
    }
