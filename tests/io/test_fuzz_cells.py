"""Fuzzing: one cell of a valid study mutated to anything -> validation never crashes and locates the reject.

Each example takes the valid fixture (tests/data/good), replaces ONE data cell of ONE input with a
generated value (any unicode, huge and tiny numbers, NUL and control characters, invisible
characters, dates far in the past and future, summary-row words, formula text ...) and validates a
study made of that input plus the required ones.  Asserted for every example:

* no exception escapes validation (every problem is a report entry, never a traceback);
* every problem is located: it names the mutated file, the mutated spreadsheet row and column, or it
  is one of the cross-checks a changed key legitimately triggers elsewhere (listed below), which
  name their own file, rows and column.

``FUZZ_EXAMPLES`` (default 2000) sets the number of examples; they are derandomised so a run is
reproducible.
"""

from __future__ import annotations

import csv
import io
import os
import shutil
from pathlib import Path

import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ccstudy.io.validate import validate_study
from ccstudy.params import load_params

GOOD = Path(__file__).resolve().parents[1] / "data" / "good"
EXAMPLES = int(os.environ.get("FUZZ_EXAMPLES", "2000"))

INPUTS = ("items", "responses", "roster", "agent_kpis", "centre_kpis", "training", "staff_survey",
          "customer_survey")

# Problems a changed cell may legitimately cause on other rows or files (each is located there).
CROSS_RULES = {"agent_not_in_roster", "duplicate_key", "wave_missing", "item_missing", "unknown_item",
               "wave_order", "submitted_differs", "competency_dimension", "date_in_future", "rate_mixed_scale",
               "rate_scale", "exceeds", "date_order", "no_data"}
# Problems about the file as a whole that a single cell can cause (binary byte, undecodable text ...).
FILE_RULES = {"not_text", "encoding", "encoding_ambiguous", "csv_syntax", "delimiter", "header_row",
              "empty_file", "missing_column"}


def _rows(name: str) -> list[list[str]]:
    return list(csv.reader(io.StringIO((GOOD / f"{name}.csv").read_text(encoding="utf-8"))))


TABLES = {name: _rows(name) for name in INPUTS}

values = st.one_of(
    st.text(max_size=12),
    st.text(alphabet=st.characters(codec="utf-8"), max_size=6),
    st.sampled_from(["", " ", "\x00", "A01\x00", "\u200b", "A05\u200b", "\ufeff", "\u00a0", "\x07", "\ud7ff",
                     "合计", "Total", "小计", "Average", "NA", "-", "=1+1", "@SUM(1)", "+1", "-1", "1e308", "-1e308",
                     "1e309", "nan", "inf", "-inf", "0x10", "1_000", "１２", "٣", "9" * 40, "0.5", "50%", "150%",
                     "9999-12-31", "0001-01-01", "1600-02-06", "2262-04-12", "10000-01-01", "2017-02-30",
                     "2017-13", "42430", "1.5", "pre", "post", "A99", "Q99", "T01", "VIP", "\"", "'", ",", ";",
                     "a\nb", "a\rb", "a\tb", "<script>", "😀", "客服一组"]),
    st.integers(min_value=-(10 ** 30), max_value=10 ** 30).map(str),
    st.floats(allow_nan=True, allow_infinity=True).map(repr),
    st.dates(min_value=__import__("datetime").date(1, 1, 1)).map(lambda d: d.isoformat()),
)


@st.composite
def mutations(draw):
    name = draw(st.sampled_from(INPUTS))
    rows = TABLES[name]
    r = draw(st.integers(min_value=2, max_value=len(rows)))       # spreadsheet row (header = 1)
    c = draw(st.integers(min_value=0, max_value=len(rows[0]) - 1))
    v = draw(values)
    if "\x00" in v:   # a NUL is located by physical line; keep it on one line
        v = v.replace("\n", " ").replace("\r", " ")
    return name, r, c, v


def _study(root: Path, name: str) -> Path:
    params = yaml.safe_load((GOOD / "params.yaml").read_text(encoding="utf-8"))
    keep = {"items", "responses", name}   # the inputs validation requires, plus *name*
    params["inputs"] = {k: v for k, v in params["inputs"].items() if k == "dir" or k in keep}
    params["inputs"]["dir"] = str(root)
    params["outputs"] = {"processed": str(root / "p"), "reports": str(root / "r")}
    path = root / f"params_{name}.yaml"
    path.write_text(yaml.safe_dump(params, allow_unicode=True), encoding="utf-8")
    return path


def _write(path: Path, rows: list[list[str]]) -> None:
    buf = io.StringIO()
    csv.writer(buf, lineterminator="\r\n").writerows(rows)   # quotes any cell holding \r or \n
    path.write_bytes(buf.getvalue().encode("utf-8", errors="surrogatepass"))


def test_fuzz_single_cell_mutations(tmp_path_factory):
    root = tmp_path_factory.mktemp("fuzz")
    for name in INPUTS:
        shutil.copy(GOOD / f"{name}.csv", root / f"{name}.csv")
    params = {name: load_params(_study(root, name)) for name in INPUTS}
    seen = {"rejected": 0, "accepted": 0}

    @settings(max_examples=EXAMPLES, deadline=None, derandomize=True, database=None,
              suppress_health_check=list(HealthCheck))
    @given(mutations())
    def check(m):
        name, r, c, v = m
        rows = [list(x) for x in TABLES[name]]
        rows[r - 1][c] = v
        target = root / f"{name}.csv"
        _write(target, rows)
        try:
            report = validate_study(params[name])   # any exception here fails the test
        finally:
            shutil.copy(GOOD / f"{name}.csv", target)
        header = rows[0][c]
        file = f"{name}.csv"
        seen["accepted" if report.ok else "rejected"] += 1
        for p in report.problems:
            assert p.file in {f"{n}.csv" for n in INPUTS}, p.to_text()
            if p.rule in CROSS_RULES:
                assert p.rows or p.column, p.to_text()   # located where it is
                continue
            if p.rule in FILE_RULES:
                assert p.file == file, p.to_text()
                continue
            assert p.file == file and r in p.rows, (m, p.to_text())
            assert p.column is not None and header in (p.column, p.header, *p.column.split(" + ")), (m, p.to_text())

    check()
    assert seen["rejected"] > EXAMPLES // 10 and seen["accepted"] > 0, seen
