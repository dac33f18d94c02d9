"""Questionnaire scoring: reverse keying and competency / dimension / total scores."""

from __future__ import annotations

import numpy as np
import pandas as pd


def item_columns(items: pd.DataFrame) -> list[str]:
    return items["item"].astype(str).tolist()


def keyed(responses: pd.DataFrame, items: pd.DataFrame, scale: tuple[int, int]) -> pd.DataFrame:
    """Return the item columns with reverse-keyed items scored ``min + max - x``.

    Reverse keying uses the declared scale bounds, never the observed range.
    """
    lo, hi = scale
    cols = item_columns(items)
    out = responses[cols].astype("float64").copy()
    rev = reversed_items(items)
    out[rev] = lo + hi - out[rev]
    return out


def dimensions(items: pd.DataFrame) -> list[str]:
    """Dimension ids in item-map order; empty when the instrument has no dimensions."""
    if "dimension" not in items:
        return []
    return [str(d) for d in dict.fromkeys(items["dimension"].dropna())]


def reversed_items(items: pd.DataFrame) -> list[str]:
    """Reverse-keyed item ids (none when the item map has no ``reverse`` column)."""
    if "reverse" not in items:
        return []
    flag = items["reverse"].fillna(False).astype(bool)
    return items.loc[flag, "item"].astype(str).tolist()


def scales(items: pd.DataFrame) -> dict[str, dict[str, list[str]]]:
    """Item lists per competency, per dimension (none when the study has no dimensions) and for the total."""
    comp = {str(c): g["item"].astype(str).tolist() for c, g in items.groupby("competency", sort=False)}
    dim = {}
    if "dimension" in items:
        dim = {str(d): g["item"].astype(str).tolist()
               for d, g in items.dropna(subset=["dimension"]).groupby("dimension", sort=False)}
    return {"competency": comp, "dimension": dim, "total": {"total": item_columns(items)}}


def labels(items: pd.DataFrame) -> dict[str, str]:
    """Readable labels for competency and dimension ids (the id itself when no label is given)."""
    out = {"total": "Total scale"}
    for kind in ("competency", "dimension"):
        if kind not in items:
            continue
        ids = items[kind]
        lab = items[f"{kind}_label"] if f"{kind}_label" in items else ids
        for i, l in zip(ids, lab):
            if i is None or (isinstance(i, float) and pd.isna(i)):
                continue
            out[str(i)] = str(l) if isinstance(l, str) and l.strip() else str(i)
    return out


def score(responses: pd.DataFrame, items: pd.DataFrame, scale: tuple[int, int]) -> pd.DataFrame:
    """Agent × wave scores: the mean of the answered (keyed) items of each scale.

    Returns one row per response with ``agent_id``, ``wave``, one column per
    competency, one per dimension, ``total`` and ``n_answered``.  A scale with
    no answered item is NaN.
    """
    k = keyed(responses, items, scale)
    out = responses[["agent_id", "wave"]].copy()
    for level in ("competency", "dimension"):
        for name, cols in scales(items)[level].items():
            out[name] = k[cols].mean(axis=1, skipna=True)
    out["total"] = k.mean(axis=1, skipna=True)
    out["n_answered"] = k.notna().sum(axis=1).astype("int64")
    return out.sort_values(["agent_id", "wave"]).reset_index(drop=True)


def team_profile(scores: pd.DataFrame, roster: pd.DataFrame, columns: list[str]) -> pd.DataFrame:
    """Mean score per team (rows) and scale (columns), plus the team size."""
    df = scores.merge(roster[["agent_id", "team"]], on="agent_id", how="left")
    prof = df.groupby("team")[columns].mean()
    prof.insert(0, "n", df.groupby("team").size())
    return prof


def weighted_rate(rate: pd.Series, weight: pd.Series) -> float:
    """Pooled rate: sum(rate × weight) / sum(weight) (e.g. contact-weighted FCR)."""
    w = weight.astype("float64")
    r = rate.astype("float64")
    m = r.notna() & w.notna()
    if w[m].sum() <= 0:
        return float("nan")
    return float(np.sum(r[m] * w[m]) / np.sum(w[m]))
