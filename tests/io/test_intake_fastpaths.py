"""The column-wise fast paths of the intake give what the per-cell code gives, cell for cell.

Each fast path (a byte scan that rules a check out, answers and dates read from their bytes, the
cleaning rules run on one answer matrix, the sort skipped for a file already in order, the Arrow
CSV reader) is compared with the reference it replaces: the pandas / Arrow per-cell computation, the
frame-by-frame cleaning functions, ``sort_values``, the C reader.  Inputs are generated (Hypothesis
and seeded random studies) with the cells that matter: digits, blanks and missing-value tokens,
labels, long numbers, non-ASCII digits, whitespace and control characters, dates out of range.
"""

from __future__ import annotations

import re
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ccstudy import clean as C
from ccstudy.io import parsers as P
from ccstudy.io import readers
from ccstudy.io import validate as V
from ccstudy.io.schemas import NA_TOKENS

ROOT = Path(__file__).resolve().parents[2]
EXAMPLES = settings(max_examples=150, deadline=None, derandomize=True,
                    suppress_health_check=[HealthCheck.too_slow])

CELLS = st.one_of(
    st.sampled_from(["", "1", "2", "3", "4", "5", "9", "0", "-", "NA", "n/a", "—", "null", "10", "3.0", "2.5", "+3",
                     "1e0", "05", ".", "x", "Agree", "agree ", "٣", "１２", "3\u00a0", "\u200b", "a\nb", "\x1c",
                     "2017-01", "2017-13", "2017-1", "2017-02-28", "2017-02-29", "2016-02-29", "1677-12-31",
                     "1678-01-01", "2261-12-31", "2262-01-01", "0000-01-01", "2017/02/07", "42430", "合计",
                     "Total", "Sub-Total", "TOTAL:", "ｔｏｔａｌ", "Sum 1", "avg", "A000123", "\ufeffx", "%", "50%"]),
    st.text(max_size=8),
    st.text(alphabet="0123456789-./: ", max_size=12),
)
COLUMNS = st.lists(CELLS, min_size=0, max_size=40)


def _series(cells: list[str], chunks: int = 1) -> pd.Series:
    """A str column as the readers make it; *chunks* > 1 spreads it over several Arrow chunks."""
    cells = [c.replace("\x00", "") for c in cells]
    if chunks > 1 and len(cells) > 1:
        cut = np.array_split(np.array(cells, dtype=object), chunks)
        arr = pa.chunked_array([pa.array(list(c), type=pa.large_string()) for c in cut if len(c)],
                               type=pa.large_string())
        return pd.Series(arr, dtype=pd.Series([], dtype=str).dtype)
    return pd.Series(cells, dtype=str)


# --------------------------------------------------------------------------- cell kernels

@EXAMPLES
@given(COLUMNS, st.integers(1, 3))
def test_short_numbers_equal_blank_mask_and_to_float(cells, chunks):
    s = _series(cells, chunks)
    blank, num = P._short_numbers(s)
    ref_blank = P._np_bool(pc.is_in(P._arrow(s), value_set=pa.array(sorted(NA_TOKENS)))) if len(s) else \
        np.zeros(0, bool)
    assert (blank == ref_blank).all()
    np.testing.assert_array_equal(num, P.to_float(s, ref_blank))
    out = np.full(len(s), 7.0)
    P._short_numbers(s, out)
    np.testing.assert_array_equal(out, num)


@EXAMPLES
@given(COLUMNS, st.integers(1, 3))
def test_byte_checks_equal_per_cell_checks(cells, chunks):
    s = _series(cells, chunks)
    arr = P._arrow(s)
    assert (P.nonempty_cells(s) == (s != "").to_numpy()).all()
    assert (P.byte_lengths(arr) == np.array([len(c.encode()) for c in s.tolist()], dtype=np.int64)).all()
    blank = P._np_bool(pc.is_in(arr, value_set=pa.array(sorted(NA_TOKENS)))) if len(s) else np.zeros(0, bool)
    assert (P.blank_mask(s) == blank).all()
    text = "".join(s.tolist()).encode()
    assert P.any_byte(arr, P._line_break_byte, (0x0E, 0xFF)) == (b"\n" in text or b"\r" in text)
    invisible = re.compile(P._INVISIBLE_RE)
    if not P.any_byte(arr, P._maybe_invisible_byte, (0x20, 0x7E)):
        assert not any(invisible.search(c) for c in s.tolist())
    if not P.any_byte(arr, readers._space_byte, (0x21, 0x7F)):
        assert all(c == c.strip() for c in s.tolist())
    months = P._np_bool(pc.match_substring_regex(arr, r"^\d{4}-(0[1-9]|1[0-2])$")) if len(s) else np.zeros(0, bool)
    assert (P._canonical_months(arr) == months).all() if len(s) else True


@EXAMPLES
@given(COLUMNS, st.integers(1, 3))
def test_iso_dates_are_the_dates_pandas_reads(cells, chunks):
    s = _series(cells, chunks)
    todo = np.ones(len(s), dtype=bool)
    hit, values = P._iso_dates(P._arrow(s), todo) if len(s) else (np.zeros(0, bool), None)
    ref = pd.to_datetime(s, format="%Y-%m-%d", errors="coerce")
    for i, cell in enumerate(s.tolist()):
        iso = bool(re.fullmatch(r"\d{4}-\d{2}-\d{2}", cell)) and 1678 <= int(cell[:4]) <= 2261
        assert hit[i] == (iso and ref.iloc[i] is not pd.NaT), cell   # every valid ISO date in range, nothing else
    if len(s) and hit.any():
        np.testing.assert_array_equal(values, ref[hit].astype("datetime64[ns]").to_numpy())


@EXAMPLES
@given(COLUMNS)
def test_summary_values_equal_keying_every_distinct_cell(cells):
    s = _series(cells)
    ref = [u for u in pd.unique(s.to_numpy()) if isinstance(u, str) and 0 < len(u) <= 16
           and V._summary_key(u) in V.SUMMARY_TOKENS]
    assert sorted(V._summary_values(s)) == sorted(ref)


@EXAMPLES
@given(st.lists(st.tuples(st.sampled_from(["A", "B", "", "c", "é"]), st.sampled_from(["pre", "post", "x"])),
                max_size=30))
def test_key_groups_group_as_duplicated(pairs):
    df = pd.DataFrame(pairs, columns=["agent_id", "wave"]).astype(str)
    g = V.key_groups(df, ["agent_id", "wave"])
    assert (V._repeated(g) == df.duplicated(["agent_id", "wave"], keep=False).to_numpy()).all()
    assert (pd.Series(g).duplicated().to_numpy() == df.duplicated(["agent_id", "wave"]).to_numpy()).all()


def test_waves_in_order_matches_the_frame_check():
    rng = np.random.default_rng(4)
    for _ in range(300):
        n = int(rng.integers(1, 25))
        base = pd.DataFrame({"agent_id": rng.choice(["A", "B", "C"], n), "wave": rng.choice(["pre", "post"], n),
                             "submitted": pd.to_datetime(rng.choice(["2017-01-02", "2017-03-01", None], n)),
                             "_row": np.arange(2, n + 2)})
        base["agent_id"] = base["agent_id"].astype(str)
        base["wave"] = base["wave"].astype(str)
        first = base[base["wave"] == "pre"].drop_duplicates("agent_id").set_index("agent_id")["submitted"]
        nxt = base[base["wave"] == "post"]
        if first.empty:   # (Series.map with an empty datetime mapper raises; nothing can be out of order)
            assert V._waves_in_order(base, "pre", "post")
            continue
        first_date = nxt["agent_id"].map(first)
        bad = (nxt["submitted"].notna() & first_date.notna() & (nxt["submitted"] < first_date)).to_numpy()
        assert V._waves_in_order(base, "pre", "post") == (not bad.any())


# --------------------------------------------------------------------------- cleaning and order

class _Params:
    def __init__(self, **cleaning):
        self.v = {"scale": {"min": 1, "max": 5}, "waves": {"pre": "pre", "post": "post"},
                  "cleaning": {"out_of_range": "missing", "straightlining": "flag", "min_answered_share": 0.8,
                               "drop_left_before_post": True, **cleaning}}

    def get(self, key, default=None):
        cur = self.v
        for part in key.split("."):
            if not isinstance(cur, dict) or part not in cur:
                return default
            cur = cur[part]
        return cur


def _rule_by_rule(resp, items, params, roster, dup):
    """The cleaning rules applied one frame function at a time (the reference for clean_responses)."""
    log = C.CleaningLog()
    lo, hi = float(params.get("scale.min")), float(params.get("scale.max"))
    r = resp.assign(**{C.POS: np.arange(len(resp))})
    r = C.drop_duplicates(r, dup, [c for c in ["agent_id", "wave", "submitted", *items] if c in r.columns],
                          "f", log)
    start = C.post_wave_start(r, "post", params.get("waves.post_start"))
    r = C.recode_out_of_range(r, items, lo, hi, params.get("cleaning.out_of_range"), "f", log)
    r = C.drop_partial(r, items, float(params.get("cleaning.min_answered_share")), "f", log)
    r = C.handle_straightlining(r, items, params.get("cleaning.straightlining"), "f", log)
    if params.get("cleaning.drop_left_before_post"):
        r = C.drop_left_before_post(r, roster, start, "f", log)
    return r.drop(columns=C.POS), log.frame()


@pytest.mark.parametrize("seed", range(6))
def test_clean_responses_equals_the_rules_one_by_one(seed):
    rng = np.random.default_rng(seed)
    roster = pd.DataFrame({"agent_id": ["A", "B", "C", "D"],
                           "exit_date": pd.to_datetime(["2017-05-01", None, "2018-01-01", None])})
    for _ in range(60):
        n, m = int(rng.integers(0, 30)), int(rng.integers(1, 6))
        items = [f"Q{i}" for i in range(m)]
        vals = rng.choice([1, 2, 3, 4, 5, 5, 3, 0, 9, 2.5, np.nan, np.inf, -1], size=(n, m)).astype(float)
        waves = rng.choice(["pre", "post"], n)
        df = pd.DataFrame({"agent_id": pd.Series(rng.choice(["A", "B", "C", "D"], n), dtype=str),
                           "wave": pd.Series(waves, dtype=str),
                           "submitted": pd.to_datetime(np.where(waves == "pre", "2017-01-02", "2017-06-01"))
                           .astype("datetime64[ns]")})
        for j, it in enumerate(items):
            df[it] = vals[:, j]
        if n and rng.random() < 0.5:
            df = pd.concat([df, df.iloc[rng.integers(0, n, 3)]], ignore_index=True)
        df["_row"] = np.arange(2, len(df) + 2)
        dup = df.duplicated(["agent_id", "wave", "submitted", *items]).to_numpy()
        params = _Params(out_of_range=str(rng.choice(["missing", "drop_row"])),
                         straightlining=str(rng.choice(["flag", "drop"])),
                         min_answered_share=float(rng.choice([0.5, 0.8, 1.0])))
        ref, ref_log = _rule_by_rule(df, items, params, roster, dup)
        log = C.CleaningLog()
        got = C.clean_responses(df, items, params, "f", log, roster=roster, duplicates=dup)
        pd.testing.assert_frame_equal(log.frame(), ref_log)
        pd.testing.assert_frame_equal(got, ref)


@EXAMPLES
@given(st.lists(st.tuples(st.sampled_from(["A1", "A10", "A2", "b", "B", "é", "中", "", "A1 "]),
                          st.sampled_from(["pre", "post", "follow", "other"])), max_size=30),
       st.integers(1, 3), st.booleans())
def test_sort_responses_equals_the_stable_pandas_sort(rows, n_waves, presorted):
    waves = ["pre", "post", "follow"][:n_waves]
    df = pd.DataFrame(rows, columns=["agent_id", "wave"]).astype(str)
    df["x"] = np.arange(len(df))
    if presorted:
        df = df.sort_values("agent_id", kind="stable").reset_index(drop=True)
    order = {w: i for i, w in enumerate(waves)}
    ref = (df.assign(_w=df["wave"].map(order)).sort_values(["agent_id", "_w"], kind="stable")
           .drop(columns="_w").reset_index(drop=True))
    pd.testing.assert_frame_equal(C.sort_responses(df, waves), ref)


# --------------------------------------------------------------------------- whole intake, both readers

def _bench_study(folder: Path, n_agents: int) -> Path:
    sys.path.insert(0, str(ROOT / "benchmarks"))
    try:
        from intake import generate
    finally:
        sys.path.pop(0)
    generate(folder, n_agents)
    return folder / "params.yaml"


def _messy(folder: Path) -> None:
    """Odd cells the fast paths must leave to the exact code: spaces, labels, decimals, NA tokens, CRLF."""
    path = folder / "responses.csv"
    lines = path.read_text(encoding="utf-8").split("\n")
    rng = np.random.default_rng(9)
    odd = [" 4", "4 ", "NA", "n/a", "—", "3.0", "4.5", "05", "+3", "1e0", "\u3000" + "5", "5\u00a0", "7", ""]
    for i in rng.integers(1, len(lines) - 1, 300):
        cells = lines[i].split(",")
        j = int(rng.integers(3, len(cells)))
        cells[j] = str(rng.choice(odd))
        lines[i] = ",".join(cells)
    path.write_bytes("\r\n".join(lines).encode("utf-8"))


@pytest.mark.parametrize("messy", [False, True])
def test_intake_outputs_equal_with_the_arrow_and_the_c_reader(tmp_path, monkeypatch, messy):
    from ccstudy.io.intake import run_intake
    from ccstudy.params import load_params

    params_file = _bench_study(tmp_path / "study", 1500)
    if messy:
        _messy(tmp_path / "study")

    def run(tag):
        p = load_params(params_file, {"outputs": {"processed": str(tmp_path / tag), "reports": str(tmp_path / tag)}})
        return run_intake(p, write_validation_report=False)

    monkeypatch.setattr(readers, "ARROW_MIN_CHARS", 0)              # every file through Arrow
    fast = run("arrow")
    monkeypatch.setattr(readers, "_parse_csv_arrow", lambda *a: None)  # every file through the C reader
    slow = run("c")
    assert fast.summary == slow.summary
    pd.testing.assert_frame_equal(fast.cleaning_log, slow.cleaning_log)
    assert fast.tables.keys() == slow.tables.keys()
    for name in fast.tables:
        pd.testing.assert_frame_equal(fast.tables[name], slow.tables[name])
    if messy:
        assert {"out_of_range", "not_on_scale"} <= set(fast.cleaning_log["rule"])


def test_a_first_wave_with_no_response_is_reported_not_raised(tmp_path):
    """Waves pre and post declared, every response is post: wave_missing, and no traceback from the
    wave-order check (mapping agents to an empty set of pre-wave dates raised a TypeError)."""
    import csv
    import io
    import shutil

    from ccstudy.io.validate import validate_files

    good = ROOT / "tests" / "data" / "good"
    study = tmp_path / "study"
    shutil.copytree(good, study)
    rows = list(csv.reader(io.StringIO((study / "responses.csv").read_text(encoding="utf-8"))))
    wave = rows[0].index("wave")
    buf = io.StringIO()
    csv.writer(buf, lineterminator="\n").writerows([rows[0]] + [r for r in rows[1:] if r[wave] != "pre"])
    (study / "responses.csv").write_text(buf.getvalue(), encoding="utf-8")
    _, report = validate_files(study / "params.yaml")
    assert [p.rule for p in report.problems] == ["wave_missing"]
    assert "wave 'pre' is declared in waves but no response in responses.csv has it" in report.to_text()
