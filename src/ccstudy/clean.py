"""Cleaning rules: fix what a declared rule can fix, and log every change.

The rules and their thresholds come from the study's params (``cleaning.*``);
each is documented in ``docs/data-formats.md``.  Every removed or recoded value
becomes one row of the cleaning log (``file, row, column, old, new, rule``),
where ``row`` is the 1-based spreadsheet row of the raw file (header = row 1).
A dropped row is logged once, with column ``*``.

Rules, in the order they are applied to the responses:

``duplicate_row``       an exact copy of an earlier row (same agent, wave, date and
                        answers): the first copy is kept.
``out_of_range``        an answer outside [scale.min, scale.max] (``cleaning.out_of_range``:
                        ``missing`` recodes it to missing, ``drop_row`` drops the response).
``not_on_scale``        a number inside the range but not a whole number (3.5): same policy.
``partial_response``    fewer than ``cleaning.min_answered_share`` of the items answered:
                        the response is dropped.
``straightlining``      the same answer to every answered item (at least 2 answered):
                        flagged in the ``straightliner`` column (``flag``) or dropped (``drop``).
``left_before_post``    the agent's roster exit_date is before the post wave started
                        (``cleaning.drop_left_before_post``): all their responses are dropped.
                        Applies only when the study has a post wave, a roster with exit dates
                        and a known post-wave start (``waves.post_start`` or submitted dates).

Other inputs:

``blank_row``           a row with every cell blank (any input): dropped.
``empty_column``        a column with no header and no values (any input): ignored.
``min_contacts``        an agent-month with fewer than ``cleaning.min_contacts_per_month``
                        contacts: dropped from the agent KPIs.
"""

from __future__ import annotations

import logging
from typing import Any, Iterable

import numpy as np
import pandas as pd

ROW = "_row"
POS = "_pos"
LOG_COLUMNS = ["file", "row", "column", "old", "new", "rule"]
DROPPED = "dropped"

log = logging.getLogger(__name__)


class CleaningLog:
    """Accumulates cleaning-log rows; :meth:`frame` returns them in a fixed order."""

    def __init__(self) -> None:
        self._parts: list[pd.DataFrame] = []

    def add(self, file: str, rows: Iterable[int] | np.ndarray, column: Any, old: Any, new: Any, rule: str) -> int:
        rows = np.asarray(list(rows) if not isinstance(rows, np.ndarray) else rows, dtype=np.int64)
        n = len(rows)
        if n == 0:
            return 0

        def vec(v: Any) -> np.ndarray:
            if isinstance(v, (list, tuple, np.ndarray, pd.Series, pd.Index)):
                arr = np.asarray(v, dtype=object)
                if len(arr) != n:
                    raise ValueError("cleaning-log vectors must have one value per row")
                return arr
            return np.full(n, v, dtype=object)

        part = pd.DataFrame({
            "file": np.full(n, file, dtype=object), "row": rows, "column": vec(column),
            "old": vec(old), "new": vec(new), "rule": np.full(n, rule, dtype=object),
            "_seq": np.arange(n) + sum(len(p) for p in self._parts),
        })
        self._parts.append(part)
        return n

    def __len__(self) -> int:
        return sum(len(p) for p in self._parts)

    def frame(self) -> pd.DataFrame:
        """The log sorted by file, row, then the order the rules were applied."""
        if not self._parts:
            out = pd.DataFrame({c: pd.Series([], dtype=str) for c in LOG_COLUMNS})
            out["row"] = out["row"].astype(np.int64)
            return out
        out = pd.concat(self._parts, ignore_index=True)
        out = out.sort_values(["file", "row", "_seq"], kind="stable").drop(columns="_seq").reset_index(drop=True)
        for c in ("file", "column", "old", "new", "rule"):
            out[c] = out[c].astype(str)
        out["row"] = out["row"].astype(np.int64)
        return out[LOG_COLUMNS]

    def counts(self) -> dict[str, int]:
        if not self._parts:
            return {}
        rules = pd.concat([p["rule"] for p in self._parts])
        return {str(k): int(v) for k, v in sorted(rules.value_counts().items())}


def fmt_value(v: Any) -> str:
    """A number as the cleaning log writes it (9.0 -> '9'); NaN -> ''."""
    if v is None:
        return ""
    if isinstance(v, (float, np.floating)):
        if np.isnan(v):
            return ""
        if float(v).is_integer() and abs(v) < 1e15:
            return str(int(v))
        return f"{float(v):.10g}"
    return str(v)


def _fmt_array(values: np.ndarray) -> list[str]:
    """:func:`fmt_value` of every value (each distinct value formatted once)."""
    values = np.asarray(values)
    if values.dtype.kind != "f" or len(values) < 64:
        return [fmt_value(v) for v in values]
    uniq, inverse = np.unique(values, return_inverse=True)   # NaN sort last (several NaN: each its own)
    text = np.array([fmt_value(v) for v in uniq], dtype=object)
    return text[inverse.ravel()].tolist()


# --------------------------------------------------------------------------- responses
# Each rule has a core working on arrays (answers as one float matrix, a mask of the rows still kept)
# that writes the log rows; the frame functions below apply one rule, and clean_responses applies
# them all in order on one matrix and filters the frame once.

def _rows_sharing_key(resp: pd.DataFrame, dup: np.ndarray, ids: list[str]) -> np.ndarray:
    """Rows whose key (*ids*) is the key of some marked row."""
    first = resp[ids[0]]
    pre = first.isin(first[dup]).to_numpy(dtype=bool)  # a superset, by one hash lookup per row
    sel = np.zeros(len(resp), dtype=bool)
    sub = resp[pre]
    exact = sub.set_index(ids).index.isin(resp[dup].set_index(ids).index)
    sel[np.flatnonzero(pre)[np.asarray(exact, dtype=bool)]] = True
    return sel


def _copy_sources(resp: pd.DataFrame, dup: np.ndarray, key_cols: list[str]) -> list[str]:
    """'copy of row N' for every marked row: N is the earlier row with the same values."""
    # found by hashing only the rows that share an (agent, wave) key with a duplicate
    ids = [c for c in ("agent_id", "wave") if c in resp.columns]
    if ids:
        sel = _rows_sharing_key(resp, dup, ids)
        cand, cdup = resp[sel], dup[sel]
    else:
        cand, cdup = resp, dup
    hashes = pd.util.hash_pandas_object(cand[key_cols], index=False).to_numpy()
    first = pd.Series(cand[ROW].to_numpy()[~cdup], index=hashes[~cdup])
    first = first[~first.index.duplicated(keep="first")]
    of = pd.Series(hashes[cdup]).map(first).to_numpy()
    return [f"copy of row {int(r)}" if r == r else "copy of an earlier row" for r in of]


def drop_duplicates(resp: pd.DataFrame, dup: np.ndarray, key_cols: list[str], file: str,
                    log_: CleaningLog) -> pd.DataFrame:
    """Drop exact duplicate rows (``dup`` marks every copy after the first)."""
    dup = np.asarray(dup, dtype=bool)
    if not dup.any():
        return resp
    log_.add(file, resp[ROW].to_numpy()[dup], "*", _copy_sources(resp, dup, key_cols), DROPPED, "duplicate_row")
    return resp[~dup]


def _off_scale(vals: np.ndarray, lo: float, hi: float, live: np.ndarray | None = None
               ) -> tuple[np.ndarray, np.ndarray]:
    """Cells outside [lo, hi], and cells inside it but not whole, among the *live* rows."""
    outside = np.empty(vals.shape, dtype=bool, order="F")
    frac = np.empty(vals.shape, dtype=bool, order="F")
    with np.errstate(invalid="ignore"):
        for j in range(vals.shape[1]):   # one item at a time: its temporaries stay in cache
            v = vals[:, j]
            out_j = (v < lo) | (v > hi)                  # NaN compares False
            outside[:, j] = out_j
            frac[:, j] = (v != np.rint(v)) & np.isfinite(v) & ~out_j
    if live is not None and not live.all():
        outside &= live[:, None]
        frac &= live[:, None]
    return outside, frac


def _log_off_scale_rows(vals: np.ndarray, outside: np.ndarray, bad: np.ndarray, items: list[str],
                        rows: np.ndarray, file: str, log_: CleaningLog) -> np.ndarray:
    """``drop_row`` policy: log every row with an off-scale answer; return the mask of those rows."""
    rows_bad = bad.any(axis=1)
    olds = []
    for i in np.flatnonzero(rows_bad):
        olds.append("; ".join(f"{items[j]}={fmt_value(vals[i, j])}" for j in np.flatnonzero(bad[i])))
    rule_rows = np.where(outside[rows_bad].any(axis=1), "out_of_range", "not_on_scale")
    raw = rows[rows_bad]
    for rule in ("out_of_range", "not_on_scale"):
        m = rule_rows == rule
        log_.add(file, raw[m], "*", np.asarray(olds, dtype=object)[m], DROPPED, rule)
    return rows_bad


def _log_off_scale_cells(vals: np.ndarray, outside: np.ndarray, frac: np.ndarray, items: list[str],
                         raw_row: Any, file: str, log_: CleaningLog) -> None:
    """``missing`` policy: log every off-scale cell (``raw_row(ri, ci)``: its raw row)."""
    for rule, mask in (("out_of_range", outside), ("not_on_scale", frac)):
        if not mask.any():
            continue
        hit_rows = np.flatnonzero(mask.any(axis=1))
        ri, ci = np.nonzero(mask[hit_rows])   # row-major, as np.nonzero(mask), on the rows with a hit only
        ri = hit_rows[ri]
        log_.add(file, raw_row(ri, ci), np.asarray(items, dtype=object)[ci], _fmt_array(vals[ri, ci]), "", rule)


def recode_out_of_range(resp: pd.DataFrame, items: list[str], lo: float, hi: float, policy: str, file: str,
                        log_: CleaningLog, cell_rows: np.ndarray | None = None) -> pd.DataFrame:
    """Answers outside [lo, hi] (rule ``out_of_range``) or not whole (``not_on_scale``)."""
    if not items or resp.empty:
        return resp
    vals = np.ascontiguousarray(resp[items].to_numpy(dtype=float))
    outside, frac = _off_scale(vals, lo, hi)
    bad = outside | frac
    if not bad.any():
        return resp
    vals = vals.copy()
    if policy == "drop_row":
        return resp[~_log_off_scale_rows(vals, outside, bad, items, resp[ROW].to_numpy(), file, log_)]
    if cell_rows is not None:
        pos = resp[POS].to_numpy()
        _log_off_scale_cells(vals, outside, frac, items, lambda ri, ci: cell_rows[pos[ri], ci], file, log_)
    else:
        rows = resp[ROW].to_numpy()
        _log_off_scale_cells(vals, outside, frac, items, lambda ri, ci: rows[ri], file, log_)
    vals[bad] = np.nan
    block = pd.DataFrame(vals, columns=items, index=resp.index)
    return pd.concat([resp.drop(columns=items), block], axis=1)[list(resp.columns)]


def _partial(vals: np.ndarray, n_items: int, min_share: float, live: np.ndarray | None = None
             ) -> tuple[np.ndarray, np.ndarray]:
    """(answers per row, rows answering fewer than *min_share* of the items among the *live* rows)."""
    answered = (~np.isnan(vals)).sum(axis=1)
    bad = answered / n_items < min_share - 1e-12
    if live is not None:
        bad &= live
    return answered, bad


def drop_partial(resp: pd.DataFrame, items: list[str], min_share: float, file: str,
                 log_: CleaningLog) -> pd.DataFrame:
    """Drop responses answering fewer than *min_share* of the items (rule ``partial_response``)."""
    if not items or resp.empty:
        return resp
    answered, bad = _partial(resp[items].to_numpy(dtype=float), len(items), min_share)
    if bad.any():
        old = [f"{a} of {len(items)} items answered" for a in answered[bad]]
        log_.add(file, resp[ROW].to_numpy()[bad], "*", old, DROPPED, "partial_response")
    return resp[~bad]


def _straight(vals: np.ndarray, answered: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(straight-liner mask, answers per row, highest answer per row)."""
    if answered is None:
        answered = (~np.isnan(vals)).sum(axis=1)
    hi = np.fmax.reduce(vals, axis=1)   # fmax / fmin ignore NaN
    lo = np.fmin.reduce(vals, axis=1)
    return (answered >= 2) & (hi == lo), answered, hi


def straightliners(resp: pd.DataFrame, items: list[str]) -> np.ndarray:
    """Responses giving the same answer to every answered item (at least two answered)."""
    if not items or resp.empty:
        return np.zeros(len(resp), dtype=bool)
    return _straight(resp[items].to_numpy(dtype=float))[0]


def _log_straight(sl: np.ndarray, answered: np.ndarray, first: np.ndarray, rows: np.ndarray, policy: str,
                  file: str, log_: CleaningLog) -> None:
    old = [f"all {a} answers = {fmt_value(v)}" for a, v in zip(answered[sl], first[sl])]
    if policy == "drop":
        log_.add(file, rows[sl], "*", old, DROPPED, "straightlining")
    else:
        log_.add(file, rows[sl], "straightliner", old, "flagged", "straightlining")


def handle_straightlining(resp: pd.DataFrame, items: list[str], policy: str, file: str,
                          log_: CleaningLog) -> pd.DataFrame:
    """Flag (``straightliner`` column) or drop straight-liners (rule ``straightlining``)."""
    if not items or resp.empty:
        return resp.assign(straightliner=np.zeros(len(resp), dtype=bool))
    sl, answered, first = _straight(resp[items].to_numpy(dtype=float))
    out = resp.assign(straightliner=sl)
    if sl.any():
        _log_straight(sl, answered, first, resp[ROW].to_numpy(), policy, file, log_)
        if policy == "drop":
            out = out[~sl]
    return out


def post_wave_start(resp: pd.DataFrame, post: str, declared: Any = None) -> pd.Timestamp | None:
    """Start of the post wave: ``waves.post_start`` when given, else the earliest post-wave submission."""
    if declared:
        return pd.Timestamp(declared)
    if "submitted" not in resp.columns or "wave" not in resp.columns:
        return None
    sub = resp.loc[resp["wave"] == post, "submitted"]
    return None if sub.dropna().empty else sub.min()


def _left(resp: pd.DataFrame, roster: pd.DataFrame, start: pd.Timestamp | None, live: np.ndarray | None = None
          ) -> tuple[np.ndarray, list[str]] | None:
    """(rows of agents whose exit_date is before *start*, their log text), or None when the rule does not apply."""
    if start is None or "exit_date" not in roster.columns or resp.empty:
        return None
    left = roster.loc[roster["exit_date"].notna() & (roster["exit_date"] < start), ["agent_id", "exit_date"]]
    if left.empty:
        return None
    exits = left.drop_duplicates("agent_id").set_index("agent_id")["exit_date"]
    bad = resp["agent_id"].isin(exits.index).to_numpy(dtype=bool)
    if live is not None:
        bad = bad & live
    if not bad.any():
        return bad, []
    ex = resp["agent_id"][bad].map(exits).astype("datetime64[ns]").to_numpy()
    # nanosecond timestamps lie in the years 1677-2262: ISO text is what '%Y-%m-%d' writes for them
    tail = f" before the post wave ({start:%Y-%m-%d})"
    return bad, ["exit_date " + d + tail for d in np.datetime_as_string(ex, unit="D")]


def drop_left_before_post(resp: pd.DataFrame, roster: pd.DataFrame, start: pd.Timestamp | None, file: str,
                          log_: CleaningLog) -> pd.DataFrame:
    """Drop every response of agents whose exit_date is before *start* (rule ``left_before_post``)."""
    found = _left(resp, roster, start)
    if found is None or not found[0].any():
        return resp
    bad, old = found
    log_.add(file, resp[ROW].to_numpy()[bad], "*", old, DROPPED, "left_before_post")
    return resp[~bad]


def clean_responses(resp: pd.DataFrame, items: list[str], params: Any, file: str, log_: CleaningLog, *,
                    roster: pd.DataFrame | None = None, duplicates: np.ndarray | None = None,
                    cell_rows: np.ndarray | None = None) -> pd.DataFrame:
    """Apply every response rule in order; returns the kept rows (``_row`` kept, ``straightliner`` added).

    The rules are those of the frame functions above, in the same order and logging the same rows:
    they run on one float matrix of the answers and a mask of the rows still kept, and the frame is
    filtered once at the end.
    """
    post = params.get("waves.post")
    lo, hi = float(params.get("scale.min")), float(params.get("scale.max"))
    n = len(resp)
    live = np.ones(n, dtype=bool)
    rows = resp[ROW].to_numpy()
    if duplicates is not None:
        dup = np.asarray(duplicates, dtype=bool)
        if dup.any():
            key = [c for c in ["agent_id", "wave", "submitted", *items] if c in resp.columns]
            log_.add(file, rows[dup], "*", _copy_sources(resp, dup, key), DROPPED, "duplicate_row")
            live &= ~dup
    # the post wave starts with its earliest submission among the (deduplicated) responses
    start = None
    if post is not None:
        dated = resp[[c for c in ("wave", "submitted") if c in resp.columns]]
        start = post_wave_start(dated if live.all() else dated[live], str(post), params.get("waves.post_start"))
    sl = np.zeros(n, dtype=bool)
    vals = resp[items].to_numpy(dtype=float) if items else np.zeros((n, 0))   # as read: never written to
    outside, frac, answered, top, bottom = _answer_pass(vals, lo, hi)
    bad = outside | frac
    if not live.all():
        outside &= live[:, None]
        frac &= live[:, None]
    live_bad = bad & live[:, None] if not live.all() else bad
    recode = None
    if live.any() and live_bad.any():
        if params.get("cleaning.out_of_range", "missing") == "drop_row":
            live &= ~_log_off_scale_rows(vals, outside, live_bad, items, rows, file, log_)
        else:
            raw_row = (lambda ri, ci: cell_rows[ri, ci]) if cell_rows is not None else (lambda ri, ci: rows[ri])
            _log_off_scale_cells(vals, outside, frac, items, raw_row, file, log_)
            recode = bad
    # answers per row, highest and lowest: counted without the off-scale answers, which are missing
    # after the recode (policy missing) or whose rows are gone (policy drop_row)
    if items and live.any():
        part = live & (answered / len(items) < float(params.get("cleaning.min_answered_share", 0.8)) - 1e-12)
        if part.any():
            old = [f"{a} of {len(items)} items answered" for a in answered[part]]
            log_.add(file, rows[part], "*", old, DROPPED, "partial_response")
            live &= ~part
    if items and live.any():
        sl = live & (answered >= 2) & (top == bottom)
        if sl.any():
            policy = params.get("cleaning.straightlining", "flag")
            _log_straight(sl, answered, top, rows, policy, file, log_)
            if policy == "drop":
                live &= ~sl
    if params.get("cleaning.drop_left_before_post", True) and roster is not None and live.any():
        found = _left(resp, roster, start, live)
        if found is not None and found[0].any():
            gone, old = found
            log_.add(file, rows[gone], "*", old, DROPPED, "left_before_post")
            live &= ~gone
    return _kept(resp, items, vals, live, recode).assign(straightliner=sl[live])


def _answer_pass(vals: np.ndarray, lo: float, hi: float) -> tuple[np.ndarray, ...]:
    """One pass over the answers, item by item (the temporaries of one item stay in cache).

    Returns the off-scale cells (:func:`_off_scale`: outside [lo, hi], and inside but not whole) and,
    per row, the number of answers, the highest and the lowest answer once the off-scale ones are
    missing (:func:`_partial`, :func:`_straight` on the recoded answers).
    """
    n, m = vals.shape
    outside = np.empty((n, m), dtype=bool, order="F")
    frac = np.empty((n, m), dtype=bool, order="F")
    answered = np.zeros(n, dtype=np.int64)
    top = np.full(n, np.nan)
    bottom = np.full(n, np.nan)
    with np.errstate(invalid="ignore"):
        for j in range(m):
            v = vals[:, j]
            out_j = (v < lo) | (v > hi)                  # NaN compares False
            frac_j = (v != np.rint(v)) & np.isfinite(v) & ~out_j
            outside[:, j] = out_j
            frac[:, j] = frac_j
            bad_j = out_j | frac_j
            if bad_j.any():
                v = np.where(bad_j, np.nan, v)
            answered += ~np.isnan(v)
            np.fmax(top, v, out=top)                     # fmax / fmin ignore NaN, as their reduce does
            np.fmin(bottom, v, out=bottom)
    return outside, frac, answered, top, bottom


def _kept(resp: pd.DataFrame, items: list[str], vals: np.ndarray, live: np.ndarray,
          recode: np.ndarray | None = None) -> pd.DataFrame:
    """The *live* rows of *resp* with the answers of *vals*, *recode* cells missing (columns in *resp*'s order)."""
    if not items:
        return resp if live.all() else resp[live]
    item_set = set(items)
    other = resp[[c for c in resp.columns if c not in item_set]]
    every = live.all()
    if not every:
        other = other[live]
    block = np.empty((len(other), len(items)), dtype=float, order="F")   # column-major: the block's own layout
    for j in range(len(items)):
        v = vals[:, j]
        if recode is not None and recode[:, j].any():
            v = np.where(recode[:, j], np.nan, v)
        if every:
            block[:, j] = v
        else:
            np.compress(live, v, out=block[:, j])
    out = pd.DataFrame(block, columns=items, index=other.index, copy=False)
    for pos, c in enumerate(resp.columns):   # the other columns put in place around the answers, not copied
        if c not in item_set:
            out.insert(pos, c, other[c])
    return out


def sort_responses(out: pd.DataFrame, waves: Any) -> pd.DataFrame:
    """The responses by agent, then wave in the order of *waves* (a wave not listed last); index reset.

    The order of ``out.assign(_w=out["wave"].map(order)).sort_values(["agent_id", "_w"], kind="stable")``
    with ``order = {w: i for i, w in enumerate(waves)}``: a frame already in that order is kept as it is,
    any other is put in order by Arrow's stable sort (text compared by code point, as pandas does).
    """
    import pyarrow as pa
    import pyarrow.compute as pc

    n = len(out)
    pos = np.full(n, len(waves), dtype=np.int64)       # map -> NaN, sorted after every listed wave
    wave = out["wave"]
    for i, label in enumerate(waves):                  # a label listed twice takes its last place, as in the dict
        pos[(wave == label).to_numpy(dtype=bool, na_value=False)] = i
    agent = pa.array(out["agent_id"], from_pandas=True)
    if n > 1:
        a0, a1 = agent[:-1], agent[1:]
        step = pc.or_(pc.less(a0, a1), pc.and_(pc.equal(a0, a1), pa.array(pos[:-1] <= pos[1:])))
        if pc.all(pc.fill_null(step, False)).as_py():
            return out.reset_index(drop=True)
        # nulls (none expected) go last by default, as pandas puts NaN
        idx = pc.sort_indices(pa.table({"a": agent, "w": pos}),
                              sort_keys=[("a", "ascending"), ("w", "ascending")]).to_numpy()
        out = out.take(idx)
    return out.reset_index(drop=True)


# --------------------------------------------------------------------------- KPIs

def drop_low_contacts(kpis: pd.DataFrame, min_contacts: int, file: str, log_: CleaningLog) -> pd.DataFrame:
    """Drop agent-months with fewer than *min_contacts* contacts (rule ``min_contacts``)."""
    if "contacts" not in kpis.columns or not min_contacts:
        return kpis
    c = kpis["contacts"].to_numpy(dtype=float)
    bad = c < min_contacts
    if bad.any():
        old = [f"contacts={v} < {min_contacts}" for v in _fmt_array(c[bad])]
        log_.add(file, kpis[ROW].to_numpy()[bad], "*", old, DROPPED, "min_contacts")
    return kpis[~bad]


__all__ = [
    "CleaningLog", "LOG_COLUMNS", "clean_responses", "drop_duplicates", "recode_out_of_range", "drop_partial",
    "straightliners", "handle_straightlining", "drop_left_before_post", "post_wave_start", "drop_low_contacts",
    "fmt_value", "sort_responses",
]
