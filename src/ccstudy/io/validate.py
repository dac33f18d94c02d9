"""Validate a study's raw inputs against the schemas and report every problem.

:func:`validate_study` reads every declared input, maps the export's headers
to the canonical column names, parses every cell and runs the checks declared
in :mod:`ccstudy.io.schemas` plus the cross-file checks (agents in the roster,
item columns in the item map, waves present).  It collects **all** problems
instead of stopping at the first and returns a :class:`ValidationReport`.

Only *fatal* problems are reported here: things no rule can fix without
guessing (an unknown item column, text in a numeric KPI, an unparseable date,
an agent missing from the roster ...).  Problems that a declared cleaning rule
fixes (an out-of-range answer, an exact duplicate row, a straight-liner ...)
are left to :mod:`ccstudy.clean` and logged there.

Every problem names the file, the spreadsheet row(s) (1-based, header = row 1),
the column, the value(s) found and the rule broken; rows breaking the same
rule in the same column are grouped ("rows 14, 15, 88 and 212 more").
"""

from __future__ import annotations

import dataclasses
import logging
import sys
from pathlib import Path
from typing import Any, TextIO

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from ccstudy.escape import markdown, visible
from ccstudy.io.parsers import (  # noqa: F401  (re-exported: the cell parsers used to live here)
    DATE_FORMATS,
    _arrow,
    _np_bool,
    blank_mask,
    excel_letter,
    norm_key,
    norm_label,
    parse_date,
    parse_flag,
    parse_month,
    parse_number,
    parse_scores,
    parse_text,
    to_float,
)
from ccstudy.io.readers import ROW, Grid, ReadProblem, read_grid
from ccstudy.io.schemas import (
    DEFAULT_RATE_SCALE,
    INPUT_ORDER,
    TableSchema,
    schema_for,
)

log = logging.getLogger(__name__)

MAX_ROWS_KEPT = 50       # row numbers stored per grouped problem
MAX_VALUES_SHOWN = 3     # distinct values quoted per grouped problem
ROWS_SHOWN = 3           # row numbers written before "and N more"

# =========================================================================== problems and report

@dataclasses.dataclass(frozen=True)
class Problem:
    """One broken rule, in one file and column, on one or more rows."""

    file: str
    rule: str
    message: str                        # what is wrong / how to fix it (no location)
    column: str | None = None
    rows: tuple[int, ...] = ()          # the first MAX_ROWS_KEPT rows, ascending
    values: tuple[str, ...] = ()        # distinct values found (first few)
    count: int = 0                      # rows affected (0 = a file- or column-level problem)
    header: str | None = None           # the export's own header when it differs from `column`

    @property
    def row(self) -> int | None:
        return self.rows[0] if self.rows else None

    def location(self) -> str:
        parts = [self.file]
        if self.rows:
            n = max(self.count, len(self.rows))
            if n == 1:
                parts.append(f"row {self.rows[0]}")
            else:
                shown = [str(r) for r in self.rows[:ROWS_SHOWN]]
                more = n - len(shown)
                if more > 0:
                    parts.append(f"rows {', '.join(shown)} and {more} more")
                else:
                    parts.append(f"rows {', '.join(shown[:-1])} and {shown[-1]}")
        if self.column is not None:
            col = f"column {self.column}"
            if self.header and self.header != self.column:
                col += f' ("{self.header}")'
            parts.append(col)
        return ", ".join(parts)

    def values_text(self) -> str:
        if not self.values:
            return ""
        quoted = ", ".join(_quote(v) for v in self.values[:MAX_VALUES_SHOWN])
        label = "value" if len(self.values) == 1 else "values"
        more = " …" if len(self.values) > MAX_VALUES_SHOWN else ""
        return f"{label} {quoted}{more}"

    def to_text(self) -> str:
        vals = self.values_text()
        head = self.location() + (f": {vals}" if vals else "")
        return f"{head} — {self.message} [rule: {self.rule}]"


def _quote(v: str) -> str:
    v = visible(v)  # invisible and control characters as escapes: 'A0194\u200b'
    v = v if len(v) <= 60 else v[:57] + "..."
    return "'" + v.replace("'", "\\'") + "'" if v != "" else "(blank)"


@dataclasses.dataclass
class ValidationReport:
    """Every problem found in a study's inputs (empty = ok)."""

    study: str = ""
    input_dir: str = ""
    problems: list[Problem] = dataclasses.field(default_factory=list)
    files: dict[str, dict[str, Any]] = dataclasses.field(default_factory=dict)  # input name -> info

    @property
    def ok(self) -> bool:
        return not self.problems

    def sorted_problems(self) -> list[Problem]:
        order = {info.get("file"): i for i, info in enumerate(self.files.values())}
        return sorted(self.problems, key=lambda p: (order.get(p.file, -1), p.row or 0, p.column or "", p.rule))

    def to_text(self) -> str:
        if self.ok:
            return f"Inputs of study '{self.study}' ({self.input_dir}): no problems found."
        nfiles = len({p.file for p in self.problems})
        lines = [
            f"Input validation failed for study '{self.study}' ({self.input_dir}): "
            f"{len(self.problems)} problem(s) in {nfiles} file(s). Nothing was analysed; "
            "fix the files (or the params) and run again.",
        ]
        lines += [f"  - {p.to_text()}" for p in self.sorted_problems()]
        return "\n".join(lines)

    def to_markdown(self) -> str:
        out = [f"# Input validation: study `{self.study}`", ""]
        out.append(f"Input folder: `{self.input_dir}`")
        out.append("")
        if self.files:
            out += ["| input | file | format / encoding | data rows |", "|---|---|---|---|"]
            for name, info in self.files.items():
                rows = info.get("rows_read")
                out.append(f"| {name} | {_md(info.get('file', ''))} | {info.get('encoding', '')} | "
                           f"{'' if rows is None else rows} |")
            out.append("")
        if self.ok:
            out.append("**No problems found.**")
            return "\n".join(out) + "\n"
        out.append(f"**{len(self.problems)} problem(s) found; nothing was analysed.** "
                   "Fix the files (or the params) and run again.")
        out += ["", "| file | rows | column | values | rule | problem |", "|---|---|---|---|---|---|"]
        for p in self.sorted_problems():
            loc = p.location()
            rows = ""
            if p.rows:
                rows = loc.split(", ")[1] if ", " in loc else ""
                rows = rows.removeprefix("rows ").removeprefix("row ")
            col = "" if p.column is None else p.column + (f' ("{p.header}")' if p.header and p.header != p.column
                                                          else "")
            vals = ", ".join(_quote(v) for v in p.values[:MAX_VALUES_SHOWN])
            out.append(f"| {_md(p.file)} | {_md(rows)} | {_md(col)} | {_md(vals)} | {p.rule} | {_md(p.message)} |")
        return "\n".join(out) + "\n"


def _md(s: str) -> str:
    return markdown(s)  # file names, headers and cell values are user text


class InputValidationError(ValueError):
    """Raised by :func:`ccstudy.io.intake.run_intake` when the inputs have fatal problems."""

    def __init__(self, report: ValidationReport):
        self.report = report
        super().__init__(report.to_text())


# =========================================================================== problem collection

class Problems:
    """Collects problems for one file; vectorised helpers take a boolean mask."""

    def __init__(self, file: str, sink: list[Problem], headers: dict[str, str] | None = None):
        self.file = file
        self.sink = sink
        self.headers = headers or {}

    def add(self, rule: str, message: str, column: str | None = None, rows: Any = (), values: Any = (),
            count: int | None = None) -> None:
        rows = tuple(int(r) for r in rows)
        vals: list[str] = []
        for v in values:
            v = "" if v is None else str(v)
            if v not in vals:
                vals.append(v)
            if len(vals) > MAX_VALUES_SHOWN:
                break
        n = len(rows) if count is None else count
        self.sink.append(Problem(file=self.file, rule=rule, message=message, column=column,
                                 rows=rows[:MAX_ROWS_KEPT], values=tuple(vals), count=n,
                                 header=self.headers.get(column) if column else None))

    def add_mask(self, frame: pd.DataFrame, mask: Any, column: str | None, rule: str, message: str,
                 values: Any = None) -> None:
        mask = np.asarray(mask, dtype=bool)
        if not mask.any():
            return
        rows = frame[ROW].to_numpy()[mask]
        order = np.argsort(rows, kind="stable")
        if values is None:
            values = frame[column].to_numpy()[mask] if column in frame.columns else []
        else:
            values = np.asarray(values, dtype=object)[mask] if len(values) == len(mask) else values
        values = [values[i] for i in order[: 4 * MAX_ROWS_KEPT]] if len(values) else []
        self.add(rule, message, column, rows[order][:MAX_ROWS_KEPT], values, count=int(mask.sum()))


# =========================================================================== params-level labels

def score_labels(params: Any, problems: list[Problem], params_file: str) -> dict[str, float]:
    labels = params.get("scale.labels", {}) or {}
    out: dict[str, float] = {}
    bad = []
    for k, v in labels.items():
        if isinstance(v, bool) or not isinstance(v, (int, float)):
            bad.append(f"{k!r}: {v!r}")
            continue
        out[norm_label(k)] = float(v)
    if bad:
        problems.append(Problem(file=params_file, rule="params_labels", column="scale.labels",
                                message="every label must map to a number, e.g. {\"Strongly agree\": 5}; got "
                                + ", ".join(bad), values=()))
    return out


# =========================================================================== header mapping

@dataclasses.dataclass
class Loaded:
    """One input after reading, header mapping and parsing (cells typed, ``_row`` kept)."""

    name: str
    file: str
    path: Path
    grid: Grid | None = None
    frame: pd.DataFrame | None = None        # canonical columns, text cells, data rows only
    typed: pd.DataFrame | None = None        # parsed values
    headers: dict[str, str] = dataclasses.field(default_factory=dict)  # canonical -> export header
    extras: list[str] = dataclasses.field(default_factory=list)
    rows_read: int = 0
    blank_rows: list[int] = dataclasses.field(default_factory=list)
    empty_columns: list[tuple[int, str]] = dataclasses.field(default_factory=list)  # (position, label)
    header_row: int = 1                      # spreadsheet row of the header
    ok: bool = False                         # parsed without any problem in this file


def _resolve_headers(cells: list[str], schema: TableSchema, mapping: dict[str, str],
                     items: list[str] | None) -> tuple[dict[int, str], list[int]]:
    """Map header cells to canonical names; return {position: name} and the blank-header positions."""
    by_export = {norm_key(v): k for k, v in mapping.items()}
    by_canon = {norm_key(c): c for c in schema.names}
    by_item = {norm_key(i): i for i in (items or [])}
    out: dict[int, str] = {}
    blanks: list[int] = []
    for pos, cell in enumerate(cells):
        cell = cell.replace("\ufeff", "").strip()
        if cell == "":
            blanks.append(pos)
            continue
        k = norm_key(cell)
        out[pos] = by_export.get(k) or by_canon.get(k) or by_item.get(k) or cell
    return out, blanks


def map_columns(loaded: Loaded, schema: TableSchema, spec: dict[str, Any], problems: list[Problem],
                items: list[str] | None) -> None:
    """Find the header row, map headers to canonical names, keep data rows (blank rows noted)."""
    grid = loaded.grid
    assert grid is not None
    pr = Problems(loaded.file, problems)
    frame = grid.frame
    cols = [c for c in frame.columns if c != ROW]
    nonblank = np.zeros(len(frame), dtype=bool)
    for c in cols:
        nonblank |= (frame[c] != "").to_numpy()
    mapping = spec.get("columns") or {}
    if not isinstance(mapping, dict) or not all(isinstance(k, str) and isinstance(v, (str, int))
                                                for k, v in mapping.items()):
        pr.add("params_columns", f"inputs.{loaded.name}.columns must map canonical names to export headers, "
               "e.g. {agent_id: 工号}")
        mapping = {}
    mapping = {k: str(v) for k, v in mapping.items()}
    required = set(schema.required_names)

    header_row = spec.get("header_row")
    if header_row is not None:
        if isinstance(header_row, bool) or not isinstance(header_row, int) or header_row < 1:
            pr.add("params_header_row", f"inputs.{loaded.name}.header_row must be a row number (1 = first row)")
            return
        pos = np.flatnonzero(frame[ROW].to_numpy() == header_row)
        if not pos.size:
            pr.add("header_row", f"inputs.{loaded.name}.header_row is {header_row} but the file has "
                   f"{len(frame)} row(s)")
            return
        hidx = int(pos[0])
    else:
        first = np.flatnonzero(nonblank)
        if not first.size:
            pr.add("empty_file", "the file has no header and no data (every row is blank)")
            return
        hidx = int(first[0])

    def header_at(i: int) -> tuple[dict[int, str], list[int]]:
        return _resolve_headers([frame.iloc[i][c] for c in cols], schema, mapping, items)

    names, blank_pos = header_at(hidx)
    missing = required - set(names.values())
    if missing and header_row is None:
        for j in range(hidx + 1, min(len(frame), hidx + 11)):
            cand, _ = header_at(j)
            if required <= set(cand.values()):
                r0, r1 = int(frame[ROW].iloc[hidx]), int(frame[ROW].iloc[j])
                pr.add("header_row",
                       f"row {r0} does not hold the column names; they appear on row {r1} (rows above it look "
                       f"like a title or merged header rows): delete "
                       f"{f'row {r0}' if r1 - r0 == 1 else f'rows {r0}–{r1 - 1}'} or set "
                       f"inputs.{loaded.name}.header_row: {r1}",
                       rows=[r0], values=[v for v in (frame.iloc[hidx][c] for c in cols) if v][:3], count=1)
                return
    hrow = int(frame[ROW].iloc[hidx])
    loaded.header_row = hrow
    header_cells = {pos: frame.iloc[hidx][cols[pos]] for pos in range(len(cols))}
    loaded.headers = {}

    # mapped export headers that are not in the file
    present = {norm_key(header_cells[p]) for p in names}
    for canon, exp in mapping.items():
        if norm_key(exp) not in present:
            pr.add("mapped_column_missing",
                   f"inputs.{loaded.name}.columns maps {canon} to the header '{exp}', which is not in the "
                   f"header row (row {hrow}); the headers are: " + _header_list(header_cells),
                   column=canon, rows=[hrow], count=1)

    data = frame.iloc[hidx + 1:]
    data_nonblank = nonblank[hidx + 1:]
    # blank headers: ignored when the column is empty, an error when it has values
    for pos in blank_pos:
        c = cols[pos]
        has = (data[c] != "").to_numpy()
        if has.any():
            pr.add_mask(data, has, excel_letter(pos), "blank_header",
                        f"column {excel_letter(pos)} has values but no header in row {hrow}; give it a header "
                        "or delete the column", values=data[c].to_numpy())
        else:
            loaded.empty_columns.append((pos, excel_letter(pos)))

    # duplicate canonical names
    seen: dict[str, list[int]] = {}
    for pos, name in names.items():
        seen.setdefault(name, []).append(pos)
    for name, poss in seen.items():
        if len(poss) > 1:
            pr.add("duplicate_column",
                   f"{len(poss)} columns ({', '.join(excel_letter(p) for p in poss)}) are all read as {name}; "
                   "keep one of them (or map them apart in inputs." + loaded.name + ".columns)",
                   column=name, rows=[hrow], values=[header_cells[p] for p in poss], count=1)
    for name in sorted(missing, key=schema.names.index):
        hint = ""
        unknown = [header_cells[p] for p, n in names.items() if n not in schema.names and n not in (items or [])]
        if unknown:
            hint = (f"; headers not recognised: {', '.join(repr(u) for u in unknown[:8])}"
                    f"{' …' if len(unknown) > 8 else ''} — if one of them is this column, map it in params: "
                    f"inputs.{loaded.name}.columns: {{{name}: \"<header>\"}}")
        pr.add("missing_column", f"required column {name} is not in the header row (row {hrow}){hint}",
               column=name, rows=[hrow], count=1)

    keep = {}
    for pos, name in names.items():
        if name in seen and len(seen[name]) > 1 and seen[name][0] != pos:
            continue
        keep[cols[pos]] = name
        loaded.headers[name] = header_cells[pos]
    out = data[list(keep) + [ROW]].rename(columns=keep)
    loaded.blank_rows = out[ROW].to_numpy()[~data_nonblank].tolist()
    loaded.rows_read = len(out)
    loaded.frame = (out if data_nonblank.all() else out[data_nonblank]).reset_index(drop=True)


def _header_list(cells: dict[int, str]) -> str:
    shown = [f"{excel_letter(p)} '{v}'" for p, v in cells.items() if v][:12]
    more = len([v for v in cells.values() if v]) - len(shown)
    return ", ".join(shown) + (f" and {more} more" if more > 0 else "")


# =========================================================================== per-table parsing

def parse_table(loaded: Loaded, schema: TableSchema, params: Any, problems: list[Problem], *,
                waves: tuple[str, ...], labels: dict[str, float], items: list[str] | None) -> None:
    """Parse every column of *loaded.frame* by its schema kind; fill *loaded.typed*."""
    frame = loaded.frame
    assert frame is not None
    name = loaded.name
    spec = params.get(f"inputs.{name}", {}) or {}
    pr = Problems(loaded.file, problems, loaded.headers)
    rate_scale = spec.get("rate_scale", DEFAULT_RATE_SCALE.get(name, "fraction"))
    date_format = spec.get("date_format")
    lo, hi = int(params.get("scale.min")), int(params.get("scale.max"))
    typed: dict[str, pd.Series] = {}
    known = set(schema.names)
    ignore = {norm_key(c) for c in (spec.get("ignore_columns") or [])}
    present = [c for c in frame.columns if c != ROW]
    for c in schema.one_of:
        if not any(x in present for x in c):
            pr.add("missing_column", f"one of the columns {', '.join(c)} is required", column=c[0], rows=[1],
                   count=1)

    for col in schema.columns:
        if col.name not in frame.columns:
            continue
        if col.kind in ("id", "text", "category"):
            allowed = waves if (col.name == "wave") else None
            typed[col.name] = parse_text(frame, col, pr, allowed=allowed)
        elif col.kind == "date":
            typed[col.name] = parse_date(frame, col, pr, name, date_format)
        elif col.kind == "month":
            typed[col.name] = parse_month(frame, col, pr)
        elif col.kind in ("int", "number", "rate", "fraction"):
            typed[col.name] = parse_number(frame, col, pr, name, rate_scale)
        elif col.kind == "flag":
            typed[col.name] = parse_flag(frame, col, pr)
        elif col.kind == "score":
            typed[col.name] = parse_scores(frame, col.name, pr, labels, lo, hi)
        else:  # pragma: no cover - schema error
            raise ValueError(f"unknown column kind {col.kind!r}")

    extras = [c for c in present if c not in known and norm_key(c) not in ignore]
    if name == "responses" and schema.extra == "forbid" and "item" not in schema.names:
        item_set = set(items) if items is not None else None
        for c in extras:
            if item_set is not None and c not in item_set:
                pr.add("unknown_item",
                       f"column '{c}' is not an item of the item map — add it to the item map, map the header in "
                       f"inputs.responses.columns, or list it in inputs.responses.ignore_columns",
                       column=c, rows=[1], values=[], count=1)
            else:
                typed[c] = parse_scores(frame, c, pr, labels, lo, hi)
        if items is not None:
            for it in items:
                if it not in frame.columns:
                    pr.add("item_missing",
                           f"item {it} of the item map has no column in the responses (map its header in "
                           "inputs.responses.columns if the export names it differently)", column=it)
            loaded.extras = [c for c in items if c in typed]
        else:
            loaded.extras = [c for c in extras if c in typed]
    elif schema.extra == "forbid":
        for c in extras:
            pr.add("unknown_column", f"column '{c}' is not part of the {name} format "
                   f"(list it in inputs.{name}.ignore_columns to skip it)", column=c, rows=[1], count=1)
    else:
        for c in extras:
            s = frame[c]
            blank = blank_mask(s)
            if schema.extra == "numeric":
                num = to_float(s, blank)
                if bool((np.isfinite(num) | blank).all()) and (~blank).any():
                    typed[c] = pd.Series(num, index=s.index, dtype=float)
                    loaded.extras.append(c)
                    continue
            typed[c] = s.where(~blank, "").astype(str)
            loaded.extras.append(c)

    scores = [c for c in loaded.extras if c in typed and name == "responses" and "item" not in schema.names]
    if scores:  # one float block for the answers: fast row-wise cleaning later
        block = pd.DataFrame(np.column_stack([typed.pop(c).to_numpy(dtype=float) for c in scores]),
                             columns=scores, index=frame.index)
        out = pd.concat([pd.DataFrame(typed, index=frame.index), block], axis=1)
    else:
        out = pd.DataFrame(typed, index=frame.index)
    out[ROW] = frame[ROW].to_numpy()
    loaded.typed = out


# =========================================================================== cross checks

def exact_duplicates(frame: pd.DataFrame, columns: list[str], key: list[str] | None = None) -> np.ndarray:
    """Rows that repeat an earlier row in every one of *columns* (the first copy is not marked).

    With *key* (a subset of *columns*), only rows whose key repeats are compared in full.
    """
    out = np.zeros(len(frame), dtype=bool)
    if frame.empty:
        return out
    if key:
        cand = frame.duplicated(subset=key, keep=False).to_numpy()
        if not cand.any():
            return out
        out[cand] = frame[cand].duplicated(subset=columns, keep="first").to_numpy()
        return out
    return frame.duplicated(subset=columns, keep="first").to_numpy()


def check_unique(loaded: Loaded, key: tuple[str, ...], problems: list[Problem], exclude: np.ndarray | None = None,
                 what: str = "") -> None:
    t = loaded.typed
    if t is None or not key or any(k not in t.columns for k in key):
        return
    sub = t if exclude is None else t[~exclude]
    dup = sub.duplicated(subset=list(key), keep=False).to_numpy()
    if not dup.any():
        return
    vals = sub[list(key)].astype(str).agg(" / ".join, axis=1).to_numpy() if len(key) > 1 else \
        sub[key[0]].astype(str).to_numpy()
    pr = Problems(loaded.file, problems, loaded.headers)
    label = " + ".join(key)
    pr.add_mask(sub, dup, key[0] if len(key) == 1 else label, "duplicate_key",
                what or f"{label} must be unique, but these rows repeat it", values=vals)


def check_order(loaded: Loaded, a: str, b: str, problems: list[Problem]) -> None:
    """``a <= b`` on every row where both are given (dates: b is blamed; numbers: a is blamed)."""
    t = loaded.typed
    if t is None or a not in t.columns or b not in t.columns:
        return
    va, vb = t[a], t[b]
    bad = (va.notna() & vb.notna() & (va > vb)).to_numpy()
    if not bad.any():
        return
    pr = Problems(loaded.file, problems, loaded.headers)
    if pd.api.types.is_datetime64_any_dtype(va):
        fa, fb = va.dt.strftime("%Y-%m-%d").astype(str), vb.dt.strftime("%Y-%m-%d").astype(str)
        vals = (fb + " (" + a + " " + fa + ")").to_numpy()
        pr.add_mask(t, bad, b, "date_order", f"{b} is before {a}", values=vals)
    else:
        fa, fb = va.map("{:g}".format).astype(str), vb.map("{:g}".format).astype(str)
        vals = (fa + " (" + b + " " + fb + ")").to_numpy()
        pr.add_mask(t, bad, a, "exceeds", f"{a} must not exceed {b}", values=vals)


def check_in_roster(loaded: Loaded, roster_ids: set[str] | None, roster_file: str, problems: list[Problem]) -> None:
    t = loaded.typed
    if t is None or roster_ids is None or "agent_id" not in t.columns:
        return
    ids = t["agent_id"]
    known = _np_bool(pc.is_in(_arrow(ids), value_set=pa.array(sorted(roster_ids), type=pa.string()))) \
        if len(ids) else np.zeros(0, dtype=bool)
    bad = ~known & (ids != "").to_numpy()
    Problems(loaded.file, problems, loaded.headers).add_mask(
        t, bad, "agent_id", "agent_not_in_roster", f"agent not in the roster ({roster_file})",
        values=ids.to_numpy())


def pivot_long(loaded: Loaded, items: list[str] | None, problems: list[Problem]) -> tuple[pd.DataFrame, np.ndarray,
                                                                                            np.ndarray]:
    """Long responses -> wide; returns (wide frame, per-cell raw rows, exact-duplicate mask of long rows)."""
    t = loaded.typed
    assert t is not None
    pr = Problems(loaded.file, problems, loaded.headers)
    if items is not None:
        bad = (~t["item"].isin(items) & (t["item"] != "")).to_numpy()
        pr.add_mask(t, bad, "item", "unknown_item", "not an item of the item map", values=t["item"].to_numpy())
    dups = exact_duplicates(t, ["agent_id", "wave", "item", "submitted", "score"])
    check_unique(loaded, ("agent_id", "wave", "item"), problems, exclude=dups,
                 what="the same agent, wave and item appear more than once with different answers")
    u = t[~dups]
    nsub = u.groupby(["agent_id", "wave"], sort=False)["submitted"].transform("nunique").to_numpy()
    pr.add_mask(u, nsub > 1, "submitted", "submitted_differs",
                "one response (agent and wave) has different submitted dates on its rows",
                values=u["submitted"].astype(str).to_numpy())
    cols = list(items) if items is not None else sorted(u["item"].unique().tolist())
    u = u[u["item"].isin(cols)]
    keys = u.groupby(["agent_id", "wave"], sort=True).agg(submitted=("submitted", "min"), _row=(ROW, "min"))
    keys = keys.reset_index()
    pos = pd.MultiIndex.from_frame(keys[["agent_id", "wave"]])
    ri = pos.get_indexer(pd.MultiIndex.from_frame(u[["agent_id", "wave"]]))
    ci = pd.Index(cols).get_indexer(u["item"])
    ok = (ri >= 0) & (ci >= 0)
    vals = np.full((len(keys), len(cols)), np.nan)
    rows = np.zeros((len(keys), len(cols)), dtype=np.int64)
    # keep the first row for any (agent, wave, item) repeated with different answers (reported above)
    order = np.argsort(u[ROW].to_numpy()[ok], kind="stable")[::-1]
    vals[ri[ok][order], ci[ok][order]] = u["score"].to_numpy()[ok][order]
    rows[ri[ok][order], ci[ok][order]] = u[ROW].to_numpy()[ok][order]
    wide = keys[["agent_id", "wave", "submitted"]].copy()
    wide[cols] = pd.DataFrame(vals, columns=cols)
    wide[ROW] = keys[ROW].to_numpy()
    return wide, rows, dups


# =========================================================================== the study

@dataclasses.dataclass
class Checked:
    """Everything validation learned; cleaning continues from here."""

    report: ValidationReport
    loaded: dict[str, Loaded]
    items: list[str] | None
    responses: pd.DataFrame | None = None       # wide, typed, with _row (exact duplicates still in)
    response_cell_rows: np.ndarray | None = None  # long layout: raw row of each answer (0 = none)
    long_duplicates: np.ndarray | None = None     # long layout: exact duplicate long rows
    response_duplicates: np.ndarray | None = None  # wide: exact duplicate rows


def _display_file(params: Any, path: Path) -> str:
    return path.name


def check_study(params: Any) -> Checked:
    """Read, map, parse and cross-check every declared input."""
    problems: list[Problem] = []
    report = ValidationReport(study=params.study, input_dir=_rel(params, params.input_dir), problems=problems)
    params_file = Path(params.path).name
    labels = score_labels(params, problems, params_file)
    waves = (str(params.get("waves.pre")), str(params.get("waves.post")))
    declared = {n: p for n, p in params.input_files().items()}
    unknown_inputs = [n for n in declared if n not in INPUT_ORDER]
    for n in unknown_inputs:
        log.warning("input %r is not a known input and is not read", n)
    loaded: dict[str, Loaded] = {}
    items: list[str] | None = None
    roster_ids: set[str] | None = None
    checked = Checked(report=report, loaded=loaded, items=None)

    for name in INPUT_ORDER:
        if name not in declared:
            continue
        path = declared[name]
        spec = params.get(f"inputs.{name}", {}) or {}
        schema = schema_for(name, spec)
        ld = Loaded(name=name, file=_display_file(params, path), path=path)
        loaded[name] = ld
        n_before = len(problems)
        try:
            ld.grid = read_grid(path, spec)
        except ReadProblem as rp:
            col = rp.column
            msg = rp.message.replace("inputs.<name>", f"inputs.{name}").replace(str(path), _rel(params, path))
            problems.append(Problem(file=ld.file, rule=rp.rule, message=msg, column=col,
                                    rows=(rp.row,) if rp.row else (), values=(rp.value,) if rp.value else (),
                                    count=1 if rp.row else 0))
            _finish_info(report, ld)
            continue
        if ld.grid.fmt == "csv" and ld.grid.frame.shape[1] == 2:  # one data column + _row
            _delimiter_problem(ld, spec, problems)
            _finish_info(report, ld)
            continue
        wide_items = items if (name == "responses" and schema.name == "responses"
                               and "item" not in schema.names) else None
        map_columns(ld, schema, spec, problems, wide_items)
        if ld.frame is None or len(problems) > n_before and any(
                p.rule in ("missing_column", "header_row", "duplicate_column", "empty_file")
                for p in problems[n_before:]):
            _finish_info(report, ld)
            continue
        if ld.frame.empty and schema.required_input:
            problems.append(Problem(file=ld.file, rule="no_data", message="the file has a header but no data rows"))
            _finish_info(report, ld)
            continue
        parse_table(ld, schema, params, problems, waves=waves, labels=labels, items=items)
        t = ld.typed
        assert t is not None

        if name == "items":
            check_unique(ld, ("item",), problems)
            if "competency" in t.columns and "dimension" in t.columns:
                nd = t.groupby("competency")["dimension"].transform("nunique").to_numpy()
                Problems(ld.file, problems, ld.headers).add_mask(
                    t, nd > 1, "dimension", "competency_dimension",
                    "a competency must belong to exactly one dimension", values=t["competency"].to_numpy())
            if len(problems) == n_before:
                items = t["item"].tolist()
                checked.items = items
        elif name == "roster":
            check_unique(ld, ("agent_id",), problems, what="agent_id appears more than once in the roster")
            for a, b in schema.order_checks:
                check_order(ld, a, b, problems)
            if "agent_id" in t.columns:
                roster_ids = set(t["agent_id"].tolist())
        elif name == "responses":
            _check_responses(ld, schema, checked, items, roster_ids, problems, waves)
        else:
            if schema.key:
                check_unique(ld, schema.key, problems)
            for a, b in schema.order_checks:
                check_order(ld, a, b, problems)
            if "agent_id" in schema.names:
                check_in_roster(ld, roster_ids, loaded["roster"].file if "roster" in loaded else "roster",
                                problems)
        ld.ok = len(problems) == n_before
        _finish_info(report, ld)
    for name in INPUT_ORDER:
        if name not in declared and name in ("items", "responses", "roster", "agent_kpis"):
            problems.append(Problem(file=params_file, rule="input_missing",
                                    message=f"inputs.{name}.file is required"))
    return checked


def _check_responses(ld: Loaded, schema: TableSchema, checked: Checked, items: list[str] | None,
                     roster_ids: set[str] | None, problems: list[Problem], waves: tuple[str, ...]) -> None:
    t = ld.typed
    assert t is not None
    check_in_roster(ld, roster_ids, checked.loaded["roster"].file if "roster" in checked.loaded else "roster",
                    problems)
    if "item" in schema.names:  # long layout
        wide, cell_rows, dups = pivot_long(ld, items, problems)
        checked.response_cell_rows = cell_rows
        checked.long_duplicates = dups
        checked.response_duplicates = np.zeros(len(wide), dtype=bool)
        resp = wide
    else:
        cols = ["agent_id", "wave", "submitted"] + ld.extras
        dups = exact_duplicates(t, [c for c in cols if c in t.columns],
                                key=[c for c in ("agent_id", "wave") if c in t.columns])
        check_unique(ld, ("agent_id", "wave"), problems, exclude=dups,
                     what="one agent has more than one response in the same wave, with different answers")
        checked.response_duplicates = dups
        resp = t
    checked.responses = resp
    if "wave" in resp.columns:
        present = set(resp["wave"].unique().tolist())
        for w in waves:
            if w not in present:
                Problems(ld.file, problems, ld.headers).add(
                    "wave_missing", f"no responses for wave '{w}' (waves are set in waves.pre / waves.post)",
                    column="wave")
    if {"agent_id", "wave", "submitted"} <= set(resp.columns):
        base = resp if checked.response_duplicates is None else resp[~checked.response_duplicates]
        pre = base[base["wave"] == waves[0]].drop_duplicates("agent_id").set_index("agent_id")["submitted"]
        post = base[base["wave"] == waves[1]]
        pre_date = post["agent_id"].map(pre)
        bad = (post["submitted"].notna() & pre_date.notna() & (post["submitted"] < pre_date)).to_numpy()
        if bad.any():
            vals = ("post " + post["submitted"].dt.strftime("%Y-%m-%d") + " < pre "
                    + pre_date.dt.strftime("%Y-%m-%d")).to_numpy()
            Problems(ld.file, problems, ld.headers).add_mask(
                post, bad, "submitted", "wave_order", f"the '{waves[1]}' response is dated before the agent's "
                f"'{waves[0]}' response", values=vals)


def _delimiter_problem(ld: Loaded, spec: dict[str, Any], problems: list[Problem]) -> None:
    grid = ld.grid
    assert grid is not None
    first = next((v for v in grid.frame[0].tolist() if v), "")
    counts = {d: first.count(d) for d in (";", "\t", "|", ",")}
    guess = max(counts, key=lambda d: counts[d])
    shown = {"\t": "\\t"}.get(guess, guess)
    used = {"\t": "\\t"}.get(grid.delimiter or ",", grid.delimiter or ",")
    if counts[guess] > 0 and guess != grid.delimiter:
        msg = (f"only one column was found with the delimiter '{used}'; the header row contains '{shown}' "
               f"— set inputs.{ld.name}.delimiter: \"{shown}\"")
    else:
        msg = (f"only one column was found with the delimiter '{used}'; check the file is a table "
               f"(set inputs.{ld.name}.delimiter if it uses another separator)")
    problems.append(Problem(file=ld.file, rule="delimiter", message=msg, rows=(1,), values=(first,), count=1))


def _finish_info(report: ValidationReport, ld: Loaded) -> None:
    info: dict[str, Any] = {"file": ld.file}
    if ld.grid is not None:
        info["format"] = ld.grid.fmt
        info["encoding"] = ld.grid.encoding
        if ld.grid.sheet:
            info["sheet"] = ld.grid.sheet
    info["rows_read"] = ld.rows_read
    report.files[ld.name] = info


def _rel(params: Any, path: Path) -> str:
    try:
        return str(Path(path).resolve().relative_to(Path(params.root).resolve()))
    except ValueError:
        return str(path)


# =========================================================================== public entry points

def validate_study(params: Any) -> ValidationReport:
    """Validate every declared input of *params*; return the report (``report.ok`` when clean)."""
    return check_study(params).report


def write_report(report: ValidationReport, params: Any) -> Path:
    """Write ``validation_report.md`` into ``params.report_dir``."""
    from ccstudy.io.files import write_text

    return write_text(Path(params.report_dir) / "validation_report.md", report.to_markdown())


def main_validate(params_path: str | Path, stream: TextIO | None = None) -> int:
    """``ccstudy validate params/X.yaml``: print the report, write validation_report.md; exit code 0 or 2."""
    from ccstudy.params import ParamsError, load_params

    out = stream if stream is not None else sys.stdout
    try:
        params = load_params(params_path)
    except ParamsError as exc:
        out.write(str(exc) + "\n")
        return 2
    report = validate_study(params)
    path = write_report(report, params)
    out.write(report.to_text() + "\n")
    out.write(f"Report written to {path}\n")
    return 0 if report.ok else 2


__all__ = [
    "InputValidationError", "Problem", "ValidationReport", "validate_study", "main_validate", "write_report",
    "check_study", "Checked", "Loaded", "norm_key",
]
