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
import re
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
    _has_letter_or_non_ascii,
    any_byte,
    nonempty_cells,
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
    CONTACT_KPI_COLUMNS,
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
    in_params: bool = False             # a params-file problem: rows hold the line, column the key

    @property
    def row(self) -> int | None:
        return self.rows[0] if self.rows else None

    def location(self) -> str:
        if self.in_params:
            return ", ".join([self.file] + ([f"line {self.rows[0]}"] if self.rows else [])
                             + ([f"key {self.column}"] if self.column else []))
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
            col = f"column {visible(self.column)}"
            if self.header and self.header != self.column:
                col += f' ("{visible(self.header)}")'
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
    notes: list[str] = dataclasses.field(default_factory=list)  # not problems: columns not used ...

    @property
    def ok(self) -> bool:
        return not self.problems

    def sorted_problems(self) -> list[Problem]:
        order = {info.get("file"): i for i, info in enumerate(self.files.values())}
        return sorted(self.problems, key=lambda p: (not p.in_params, order.get(p.file, -1), p.row or 0,
                                                    p.column or "", p.rule))

    def to_text(self) -> str:
        notes = [f"  note: {n}" for n in self.notes]
        encs = "; ".join(f"{info.get('file')}: {info['encoding']}" for info in self.files.values()
                         if info.get("encoding"))
        if encs:
            notes.insert(0, f"  files read (format / encoding): {encs}")
        if self.ok:
            return "\n".join([f"Inputs of study '{self.study}' ({self.input_dir}): no problems found."] + notes)
        nfiles = len({p.file for p in self.problems})
        lines = [
            f"Input validation failed for study '{self.study}' ({self.input_dir}): "
            f"{len(self.problems)} problem(s) in {nfiles} file(s). Nothing was analysed; "
            "fix the files (or the params) and run again.",
        ]
        lines += [f"  - {p.to_text()}" for p in self.sorted_problems()]
        return "\n".join(lines + notes)

    def to_markdown(self) -> str:
        out = [f"# Input validation: study {_md(self.study)}", ""]
        out.append(f"Input folder: {_md(self.input_dir)}")
        out.append("")
        if self.files:
            out += ["| input | file | format / encoding | data rows |", "|---|---|---|---|"]
            for name, info in self.files.items():
                rows = info.get("rows_read")
                out.append(f"| {name} | {_md(info.get('file', ''))} | {_md(info.get('encoding', ''))} | "
                           f"{'' if rows is None else rows} |")
            out.append("")
        if self.notes:
            out += ["Columns not used and other notes:", ""] + [f"- {_md(n)}" for n in self.notes] + [""]
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
    return markdown(s, prose=False)  # file names, headers and cell values are user text


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
    # values changed by a declared option, for the cleaning log: (rows, column, old, new, rule)
    recodes: list[tuple[list[int], str, str, str, str]] = dataclasses.field(default_factory=list)
    not_used: list[str] = dataclasses.field(default_factory=list)  # export headers no analysis reads


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
        nonblank |= nonempty_cells(frame[c])
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
        row = frame.iloc[i]  # one row lookup, not one per column
        return _resolve_headers([row[c] for c in cols], schema, mapping, items)

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
    hdr = frame.iloc[hidx]
    header_cells = {pos: hdr[cols[pos]] for pos in range(len(cols))}
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
    answer_at: dict[str, int] = {}    # wide responses: item column -> its column in the answer block
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
            sentinels = spec.get(f"{col.name}_sentinels") if col.name == "exit_date" else None
            recoded = np.zeros(len(frame), dtype=bool)
            typed[col.name] = parse_date(frame, col, pr, name, date_format, sentinels=sentinels, recoded=recoded)
            if recoded.any():
                rows = frame[ROW].to_numpy()[recoded]
                for old in sorted(set(frame[col.name].to_numpy()[recoded].tolist())):
                    sel = rows[frame[col.name].to_numpy()[recoded] == old]
                    loaded.recodes.append((sel.tolist(), col.name, old, "(blank: still employed)",
                                           "exit_date_sentinel"))
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
        answer_cols = [c for c in extras if item_set is None or c in item_set]
        # the answers are parsed straight into one float block, column-major (the block's own layout)
        answers = np.empty((len(frame), len(answer_cols)), dtype=float, order="F")
        answer_at: dict[str, int] = {}
        for c in extras:
            if item_set is not None and c not in item_set:
                pr.add("unknown_item",
                       f"column '{c}' is not an item of the item map — add it to the item map, map the header in "
                       f"inputs.responses.columns, or list it in inputs.responses.ignore_columns",
                       column=c, rows=[1], values=[], count=1)
            else:
                answer_at[c] = len(answer_at)
                parse_scores(frame, c, pr, labels, lo, hi, out=answers[:, answer_at[c]])
        if items is not None:
            for it in items:
                if it not in frame.columns:
                    pr.add("item_missing",
                           f"item {it} of the item map has no column in the responses (map its header in "
                           "inputs.responses.columns if the export names it differently)", column=it)
            loaded.extras = [c for c in items if c in answer_at]
        else:
            loaded.extras = [c for c in extras if c in answer_at]
    elif schema.extra == "forbid":
        for c in extras:
            pr.add("unknown_column", f"column '{c}' is not part of the {name} format "
                   f"(list it in inputs.{name}.ignore_columns to skip it)", column=c, rows=[1], count=1)
    else:
        loaded.not_used = [loaded.headers.get(c, c) for c in extras]
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

    if answer_at:  # one float block for the answers (item-map order): fast row-wise cleaning later
        scores = loaded.extras
        if scores != list(answer_at):
            answers = np.asfortranarray(answers[:, [answer_at[c] for c in scores]])
        block = pd.DataFrame(answers, columns=scores, index=frame.index, copy=False)
        out = pd.concat([pd.DataFrame(typed, index=frame.index), block], axis=1)
    else:
        out = pd.DataFrame(typed, index=frame.index)
    out[ROW] = frame[ROW].to_numpy()
    loaded.typed = out


# =========================================================================== cross checks

def key_groups(frame: pd.DataFrame, key: Any, codes_of: dict[str, tuple[np.ndarray, int]] | None = None
               ) -> np.ndarray:
    """One integer per row, the same for rows with equal values in every *key* column (missing = missing).

    The grouping ``DataFrame.duplicated(subset=key)`` uses, computed once so that several checks on
    the same key share it.  *codes_of* may give ``pd.factorize`` codes and the number of distinct
    values of some columns (and receives those computed here).
    """
    codes_of = {} if codes_of is None else codes_of
    ids = np.zeros(len(frame), dtype=np.int64)
    for c in key:
        if c not in codes_of:
            codes, uniques = pd.factorize(frame[c])       # -1 for a missing value
            codes_of[c] = (codes, len(uniques))
        codes, n_distinct = codes_of[c]
        ids = ids * (n_distinct + 1) + (codes.astype(np.int64) + 1)
        ids = pd.factorize(ids)[0].astype(np.int64)       # dense again: no overflow with many columns
    return ids


def _repeated(groups: np.ndarray) -> np.ndarray:
    """Rows whose group has more than one row (``duplicated(keep=False)``)."""
    if not len(groups):
        return np.zeros(0, dtype=bool)
    return np.bincount(groups)[groups] > 1


def exact_duplicates(frame: pd.DataFrame, columns: list[str], key: list[str] | None = None,
                     groups: np.ndarray | None = None) -> np.ndarray:
    """Rows that repeat an earlier row in every one of *columns* (the first copy is not marked).

    With *key* (a subset of *columns*), only rows whose key repeats are compared in full; *groups*
    may give :func:`key_groups` of the key when already computed.
    """
    out = np.zeros(len(frame), dtype=bool)
    if frame.empty:
        return out
    if key:
        cand = _repeated(groups if groups is not None else key_groups(frame, key))
        if not cand.any():
            return out
        out[cand] = frame[cand].duplicated(subset=columns, keep="first").to_numpy()
        return out
    return frame.duplicated(subset=columns, keep="first").to_numpy()


def check_unique(loaded: Loaded, key: tuple[str, ...], problems: list[Problem], exclude: np.ndarray | None = None,
                 what: str = "", groups: np.ndarray | None = None) -> None:
    t = loaded.typed
    if t is None or not key or any(k not in t.columns for k in key):
        return
    g = groups if groups is not None else key_groups(t, key)
    if exclude is not None:
        g = pd.factorize(g[~exclude])[0]
    dup = _repeated(g)
    if not dup.any():
        return
    sub = t[list(key) + [ROW]]   # the key columns only: the answers are not copied
    sub = sub if exclude is None else sub[~exclude]
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


def check_in_roster(loaded: Loaded, roster_ids: set[str] | pa.Array | None, roster_file: str,
                    problems: list[Problem]) -> None:
    t = loaded.typed
    if t is None or roster_ids is None or "agent_id" not in t.columns:
        return
    ids = t["agent_id"]
    known_ids = roster_ids if isinstance(roster_ids, (pa.Array, pa.ChunkedArray)) else \
        pa.array(sorted(roster_ids), type=pa.string())
    known = _np_bool(pc.is_in(_arrow(ids), value_set=known_ids)) if len(ids) else np.zeros(0, dtype=bool)
    bad = ~known & (ids != "").to_numpy()
    if bad.any():
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



# =========================================================================== summary rows, unused columns, future dates

#: Cells that mark a spreadsheet's summary row (compared after NFKC, case-folding and dropping spaces/colons).
SUMMARY_TOKENS = frozenset({
    "合计", "总计", "小计", "总和", "汇总", "合計", "總計", "小計", "總和", "彙總", "平均", "平均值", "平均数", "均值",
    "total", "totals", "grandtotal", "subtotal", "sum", "average", "avg",
})


def _summary_key(v: str) -> str:
    return re.sub(r"[\s:：_\-]+", "", norm_label(v))


# No token holds an ASCII digit, and the key of a cell keeps its ASCII digits: a cell with one is no summary.
assert not any(ch in "0123456789" for t in SUMMARY_TOKENS for ch in t)


def _summary_values(s: pd.Series) -> list[str]:
    """The distinct cells of *s* that mark a summary row (``0 < len <= 16`` and their key a token).

    Only cells that could be one are keyed: a column without letters (scores, dates, numbers) has
    none, and a cell holding an ASCII digit (ids, dates) cannot be one.
    """
    if len(s) == 0:
        return []
    arr = _arrow(s)
    if not any_byte(arr, _has_letter_or_non_ascii, (0x00, 0x40)):
        return []
    cand = arr.filter(pc.invert(pc.match_substring_regex(arr, "[0-9]")))
    if len(cand) == 0:
        return []
    uniq = pc.unique(cand)
    length = pc.utf8_length(uniq)
    uniq = uniq.filter(pc.and_(pc.greater(length, 0), pc.less_equal(length, 16)))
    return [u for u in uniq.to_pylist() if isinstance(u, str) and _summary_key(u) in SUMMARY_TOKENS]


def summary_rows(ld: Loaded, schema: TableSchema, spec: dict[str, Any], problems: list[Problem]) -> None:
    """Reject (or drop, when ``inputs.<name>.drop_summary_rows`` is true) rows that are totals or averages.

    A row is a summary row when a cell of a text column (id, category, month, date, text) is one of
    :data:`SUMMARY_TOKENS` (合计, 总计, 小计, Total, Sum, Average ...).  Dropped rows are logged.
    """
    frame = ld.frame
    if frame is None or frame.empty:
        return
    kinds = {c.name: c.kind for c in schema.columns}
    cols = [c for c in frame.columns if c != ROW and kinds.get(c, "text") in ("id", "category", "month", "date", "text")]
    hit = np.zeros(len(frame), dtype=bool)
    where: dict[int, tuple[str, str]] = {}
    for c in cols:
        s = frame[c]
        found = _summary_values(s)
        if not found:
            continue
        m = s.isin(found).to_numpy(dtype=bool)
        for i in np.flatnonzero(m & ~hit):
            where[int(i)] = (c, s.iloc[i])
        hit |= m
    if not hit.any():
        return
    if spec.get("drop_summary_rows"):
        for i in np.flatnonzero(hit):
            c, v = where[int(i)]
            ld.recodes.append(([int(frame[ROW].iloc[i])], "*", f"(summary row: {c} = {v})", "dropped", "summary_row"))
    else:
        pr = Problems(ld.file, problems, ld.headers)
        for c in dict.fromkeys(c for c, _ in where.values()):
            mask = np.zeros(len(frame), dtype=bool)
            for i, (cc, _) in where.items():
                mask[i] = cc == c
            pr.add_mask(frame, mask, c, "summary_row",
                        "a summary row (total / subtotal / average), not data: delete it from the export, or set "
                        f"inputs.{ld.name}.drop_summary_rows: true to drop such rows (they are logged)")
    ld.frame = frame[~hit].reset_index(drop=True)


#: Export headers that name a known column in another way (after norm_key), for the "not used" hint.
KNOWN_ALIASES: dict[str, str] = {
    "离职日期": "exit_date", "离职时间": "exit_date", "离职日": "exit_date", "leave_date": "exit_date",
    "leaving_date": "exit_date", "termination_date": "exit_date", "end_of_employment": "exit_date",
    "入职日期": "hire_date", "入职时间": "hire_date", "start_date": "hire_date", "joining_date": "hire_date",
    "工号": "agent_id", "员工编号": "agent_id", "坐席工号": "agent_id", "employee_id": "agent_id",
    "组别": "team", "班组": "team", "团队": "team", "小组": "team", "组": "team",
    "分组": "group", "培训组": "group", "是否培训": "group", "组类型": "group",
    "月份": "month", "月": "month", "提交日期": "submitted", "提交时间": "submitted", "波次": "wave",
    "性别": "gender",
}


def _column_hint(header: str, schema: TableSchema, name: str) -> str:
    import difflib

    k = norm_key(header)
    target = KNOWN_ALIASES.get(k)
    if target is None:
        close = difflib.get_close_matches(k, schema.names, n=1, cutoff=0.8)
        target = close[0] if close else None
    if target and target in schema.names:
        return (f" — it looks like {target}: if so, map it with inputs.{name}.columns: "
                f"{{{target}: \"{header}\"}}")
    return ""


def _params_columns(params: Any) -> set[str]:
    """Extra columns the params ask an analysis to read (KPIs correlated, covariates)."""
    out: set[str] = set()
    for key in ("validity.kpis", "validity.covariates"):
        try:
            v = params.get(key, []) or []
        except (KeyError, AttributeError, TypeError):
            v = []
        out |= {norm_key(x) for x in (v if isinstance(v, (list, tuple)) else [v])}
    return out


def _not_used_notes(ld: Loaded, schema: TableSchema, report: ValidationReport, used: set[str] = frozenset()) -> None:
    for h in ld.not_used:
        if norm_key(h) in used:
            continue
        report.notes.append(f"{ld.file}: column '{visible(h)}' is not used by any analysis"
                            + _column_hint(h, schema, ld.name))


def _study_end(loaded: dict[str, Loaded]) -> pd.Timestamp | None:
    """The end of the last month with data (KPI months, survey dates): later dates cannot have happened yet."""
    ends: list[pd.Timestamp] = []
    for name in ("agent_kpis", "centre_kpis", "staff_survey", "responses"):
        if name in loaded and loaded[name].typed is None:
            return None  # a source could not be read: no rule on partial knowledge
    for name, col in (("agent_kpis", "month"), ("centre_kpis", "month"), ("staff_survey", "month")):
        t = loaded[name].typed if name in loaded else None
        if t is not None and col in t.columns:
            months = pd.Series(t[col].dropna().astype(str).unique())   # a few distinct months: parse those
            m = pd.to_datetime(months, format="%Y-%m", errors="coerce").dropna()
            if len(m):
                ends.append(m.max() + pd.offsets.MonthEnd(0))
    t = loaded["responses"].typed if "responses" in loaded else None
    if t is not None and "submitted" in t.columns and t["submitted"].notna().any():
        ends.append(t["submitted"].max().normalize() + pd.offsets.MonthEnd(0))
    return max(ends) if ends else None


#: Dates that cannot lie after the last month of data: (input, column).
FUTURE_CHECKS = (("roster", "hire_date"),)


def check_future_dates(loaded: dict[str, Loaded], problems: list[Problem]) -> None:
    """A hire date after the last month with data is rejected (it would give a negative tenure)."""
    end = _study_end(loaded)
    if end is None:
        return
    for name, col in FUTURE_CHECKS:
        ld = loaded.get(name)
        t = ld.typed if ld is not None else None
        if t is None or col not in t.columns:
            continue
        bad = (t[col].notna() & (t[col] > end)).to_numpy()
        if not bad.any():
            continue
        Problems(ld.file, problems, ld.headers).add_mask(
            t, bad, col, "date_in_future",
            f"after the last month with data ({end:%Y-%m}, from the KPI months and survey dates): a date that "
            "has not happened yet; correct it or leave it blank", values=t[col].dt.strftime("%Y-%m-%d").to_numpy())


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
    has_submitted: bool = True                     # the responses have a submitted column
    notes: list[str] = dataclasses.field(default_factory=list)  # facts worth logging (not problems)


def _display_file(params: Any, path: Path) -> str:
    return path.name


def check_study(params: Any) -> Checked:
    """Read, map, parse and cross-check every declared input."""
    problems: list[Problem] = []
    report = ValidationReport(study=params.study, input_dir=_rel(params, params.input_dir), problems=problems)
    params_file = _rel(params, Path(params.path))
    labels = score_labels(params, problems, params_file)
    waves = tuple(str(w) for w in params.wave_labels)
    declared = {n: p for n, p in params.input_files().items()}
    unknown_inputs = [n for n in declared if n not in INPUT_ORDER and n != "contacts"]  # contacts: io.contacts
    for n in unknown_inputs:
        log.warning("input %r is not a known input and is not read", n)
    loaded: dict[str, Loaded] = {}
    items: list[str] | None = None
    roster_ids: pa.Array | None = None
    checked = Checked(report=report, loaded=loaded, items=None)
    has_contacts = params.input_path("contacts") is not None  # agent/centre KPIs also come from the log

    for name in INPUT_ORDER:
        if name not in declared:
            continue
        path = declared[name]
        spec = params.get(f"inputs.{name}", {}) or {}
        schema = schema_for(name, spec, contacts=has_contacts)
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
        summary_rows(ld, schema, spec, problems)
        if ld.frame.empty and schema.required_input:
            problems.append(Problem(file=ld.file, rule="no_data", message="the file has a header but no data rows"))
            _finish_info(report, ld)
            continue
        parse_table(ld, schema, params, problems, waves=waves, labels=labels, items=items)
        _not_used_notes(ld, schema, report, _params_columns(params))
        t = ld.typed
        assert t is not None

        if name == "items":
            _check_items(ld, problems)
            if len(problems) == n_before:
                items = t["item"].tolist()
                checked.items = items
        elif name == "roster":
            check_unique(ld, ("agent_id",), problems, what="agent_id appears more than once in the roster")
            for a, b in schema.order_checks:
                check_order(ld, a, b, problems)
            if "agent_id" in t.columns:  # the distinct ids, for one hash lookup per row of the other inputs
                roster_ids = pc.unique(_arrow(t["agent_id"])) if len(t) else pa.array([], type=pa.string())
        elif name == "responses":
            _fill_optional_response_columns(ld, params, checked, problems)
            _check_responses(ld, schema, checked, items, roster_ids, problems, waves, params, params_file)
        else:
            if schema.key:
                check_unique(ld, schema.key, problems)
            for a, b in schema.order_checks:
                check_order(ld, a, b, problems)
            if "agent_id" in schema.names:
                check_in_roster(ld, roster_ids, loaded["roster"].file if "roster" in loaded else "roster",
                                problems)
            if has_contacts and name in CONTACT_KPI_COLUMNS:
                check_contact_overlap(ld, name, params, problems)
        ld.ok = len(problems) == n_before
        _finish_info(report, ld)
    check_future_dates(loaded, problems)
    for name in INPUT_ORDER:
        if name not in declared and name in ("items", "responses"):
            problems.append(Problem(file=params_file, rule="input_missing", column=f"inputs.{name}",
                                    message=f"inputs.{name}.file is required", in_params=True))
    check_params_against_data(params, checked, problems, params_file)
    for note in checked.notes:
        log.info("%s", note)
    return checked


def _check_items(ld: Loaded, problems: list[Problem]) -> None:
    """The item map: unique ids, 2..200 items, competencies of at most 20 items in one dimension each,
    dimensions given for every item or for none, kinds from the allowed set."""
    from ccstudy.io.schemas import ITEM_KINDS, MAX_ITEMS, MAX_ITEMS_PER_COMPETENCY, MIN_ITEMS

    t = ld.typed
    assert t is not None
    pr = Problems(ld.file, problems, ld.headers)
    check_unique(ld, ("item",), problems)
    if "item" in t.columns:
        keys = t["item"].map(norm_key)
        clash = (keys.duplicated(keep=False) & ~t["item"].duplicated(keep=False)).to_numpy()
        pr.add_mask(t, clash, "item", "item_ids_clash",
                    "these item ids differ only in case, width or spaces, so the response headers cannot tell "
                    "them apart; rename one", values=t["item"].to_numpy())
        n = len(t)
        if not MIN_ITEMS <= n <= MAX_ITEMS:
            pr.add("item_count", f"the item map has {n} item(s); an instrument needs {MIN_ITEMS} to {MAX_ITEMS} items",
                   column="item")
    if "competency" in t.columns:
        size = t.groupby("competency", sort=False)["competency"].transform("size").to_numpy()
        pr.add_mask(t, size > MAX_ITEMS_PER_COMPETENCY, "competency", "competency_size",
                    f"a competency has at most {MAX_ITEMS_PER_COMPETENCY} items; split it into smaller competencies",
                    values=t["competency"].to_numpy())
    if "dimension" in t.columns:
        blank = (t["dimension"] == "").to_numpy()
        if blank.any() and not blank.all():
            pr.add_mask(t, blank, "dimension", "dimension_partial",
                        "a dimension is given for some items but not for these; give one for every item, or "
                        "leave the column blank (or out) for an instrument without dimensions")
        if "competency" in t.columns and not blank.all():
            given = t[~blank]
            nd = given.groupby("competency")["dimension"].transform("nunique").to_numpy()
            pr.add_mask(given, nd > 1, "dimension", "competency_dimension",
                        "a competency must belong to exactly one dimension", values=given["competency"].to_numpy())
    if "kind" in t.columns:
        alias = {norm_label(a): k for k, names in ITEM_KINDS.items() for a in (k, *names)}
        raw = t["kind"].astype(str)
        mapped = raw.map(lambda v: alias.get(norm_label(v)) if v != "" else "")
        bad = mapped.isna().to_numpy()
        pr.add_mask(t, bad, "kind", "not_allowed",
                    "must be one of " + ", ".join(f"'{k}'" for k in ITEM_KINDS) + " (also 知识 / 软技能), or blank",
                    values=raw.to_numpy())
        t["kind"] = mapped.where(~bad, "").astype(str)


def _fill_optional_response_columns(ld: Loaded, params: Any, checked: Checked, problems: list[Problem]) -> None:
    """A study with one wave may leave the wave column out; the submitted column is optional."""
    t = ld.typed
    if t is None:
        return
    labels = tuple(str(w) for w in params.wave_labels)
    if "wave" not in t.columns:
        if len(labels) == 1:
            t["wave"] = labels[0]
            checked.notes.append(f"{ld.file}: no wave column; every row is wave '{labels[0]}' "
                                 "(waves declares a single wave)")
        else:
            Problems(ld.file, problems, ld.headers).add(
                "missing_column", f"required column wave is not in the header row (row {ld.header_row}); it may be "
                f"left out only when waves declares a single wave (waves: {', '.join(labels)}) — map the "
                "export's header in inputs.responses.columns: {wave: \"<header>\"}",
                column="wave", rows=[ld.header_row], count=1)
    if "submitted" not in t.columns:
        t["submitted"] = pd.Series(pd.NaT, index=t.index, dtype="datetime64[ns]")
        checked.has_submitted = False


def _params_problem(params: Any, params_file: str, key: str, rule: str, message: str,
                    values: tuple[str, ...] = ()) -> Problem:
    """A problem located in the params file: the line of *key* (or of its nearest written parent)."""
    line = params.line(key) if hasattr(params, "line") else None
    return Problem(file=params_file, rule=rule, message=message, column=key, rows=(line,) if line else (),
                   values=values, count=1 if line else 0, in_params=True)


def _role_key(params: Any, label: str) -> str:
    """The params key that declares wave *label*: ``waves.<role>`` when written as a mapping, else ``waves``."""
    for role in ("pre", "post", "follow_up"):
        key = f"waves.{role}"
        if params.get(key) == label and getattr(params, "lines", {}).get(key):
            return key
    return "waves"


def _check_responses(ld: Loaded, schema: TableSchema, checked: Checked, items: list[str] | None,
                     roster_ids: pa.Array | set[str] | None, problems: list[Problem], waves: tuple[str, ...],
                     params: Any = None, params_file: str = "params") -> None:
    from ccstudy.params import did_you_mean

    t = ld.typed
    assert t is not None
    codes_of: dict[str, tuple[np.ndarray, int]] = {}   # factorized columns of t, shared by the checks below
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
        key = [c for c in ("agent_id", "wave") if c in t.columns]
        groups = key_groups(t, key, codes_of) if key else None
        dups = exact_duplicates(t, [c for c in cols if c in t.columns], key=key, groups=groups)
        check_unique(ld, ("agent_id", "wave"), problems, exclude=dups,
                     what="one agent has more than one response in the same wave, with different answers",
                     groups=groups if key == ["agent_id", "wave"] else None)
        checked.response_duplicates = dups
        resp = t
    checked.responses = resp
    if "wave" in resp.columns and "wave" in t.columns:
        raw_waves = t["wave"]
        present = sorted(set(raw_waves[raw_waves != ""].unique().tolist()))
        undeclared = [w for w in present if w not in waves]
        for w in waves:
            if w in present:
                continue
            hint = did_you_mean(w, undeclared or present)
            holds = ", ".join(f"'{v}'" for v in present[:8]) or "no value"
            msg = (f"wave '{w}' is declared in waves but no response in {ld.file} has it{hint}; "
                   f"its wave column holds {holds}")
            if params is not None:
                problems.append(_params_problem(params, params_file, _role_key(params, w), "wave_missing", msg,
                                                values=(w,)))
            else:
                Problems(ld.file, problems, ld.headers).add("wave_missing", msg, column="wave")
    if checked.has_submitted and {"agent_id", "wave", "submitted"} <= set(resp.columns):
        base = resp[["agent_id", "wave", "submitted", ROW]]   # not the answers: nothing to copy
        base = base if checked.response_duplicates is None else base[~checked.response_duplicates]
        agent_codes = None
        if resp is t and "agent_id" in codes_of:   # the codes of t's agent ids, on the rows of base
            agent_codes = codes_of["agent_id"][0]
            agent_codes = agent_codes if checked.response_duplicates is None else \
                agent_codes[~checked.response_duplicates]
        for earlier, later in zip(waves, waves[1:]):
            if _waves_in_order(base, earlier, later, agent_codes):
                continue
            first = base[base["wave"] == earlier].drop_duplicates("agent_id").set_index("agent_id")["submitted"]
            if first.empty:   # no response in the earlier wave (reported as wave_missing): nothing to compare
                continue
            nxt = base[base["wave"] == later]
            first_date = nxt["agent_id"].map(first)
            bad = (nxt["submitted"].notna() & first_date.notna() & (nxt["submitted"] < first_date)).to_numpy()
            if bad.any():
                vals = (f"{later} " + nxt["submitted"].dt.strftime("%Y-%m-%d") + f" < {earlier} "
                        + first_date.dt.strftime("%Y-%m-%d")).to_numpy()
                Problems(ld.file, problems, ld.headers).add_mask(
                    nxt, bad, "submitted", "wave_order", f"the '{later}' response is dated before the agent's "
                    f"'{earlier}' response", values=vals)


def _waves_in_order(base: pd.DataFrame, earlier: str, later: str, agent: np.ndarray | None = None) -> bool:
    """Whether no *later*-wave response is dated before the agent's first *earlier*-wave response.

    The check of :func:`_check_responses` on arrays (agent codes, dates); False also when it cannot
    tell, and then the frame check runs (and names the rows).
    """
    sub = base["submitted"].to_numpy()
    if sub.dtype.kind != "M" or not len(base):
        return False
    agent = pd.factorize(base["agent_id"])[0] if agent is None else agent   # codes of base's agent ids
    if (agent < 0).any():
        return False
    wave = base["wave"]
    pre = np.flatnonzero((wave == earlier).to_numpy(dtype=bool))
    nxt = np.flatnonzero((wave == later).to_numpy(dtype=bool))
    first = np.full(int(agent.max()) + 1, np.datetime64("NaT"), dtype=sub.dtype)
    codes, at = np.unique(agent[pre], return_index=True)   # each agent's first row of the earlier wave
    first[codes] = sub[pre[at]]
    first_date = first[agent[nxt]]
    later_date = sub[nxt]
    return not bool((~np.isnat(later_date) & ~np.isnat(first_date) & (later_date < first_date)).any())


def check_params_against_data(params: Any, checked: Checked, problems: list[Problem], params_file: str) -> None:
    """Values of the params that name things in the data: KPI columns and focus teams.

    Only keys the params file wrote are checked (a default never names a column or a team that the
    study lacks: the default KPI lists are narrowed to the columns present by the analyses).
    Wave labels are checked with the responses (:func:`_check_responses`).
    """
    from ccstudy.params import did_you_mean

    written = getattr(params, "written", lambda key: True)
    for key, input_name in (("validity.kpis", "agent_kpis"), ("trends.kpis", "centre_kpis")):
        kpis = params.get(key) or []
        ld = checked.loaded.get(input_name)
        if not written(key) or not kpis or ld is None or ld.typed is None:
            continue
        have = [c for c in ld.typed.columns if c not in (ROW, "agent_id", "month", "team")]
        if params.input_path("contacts") is not None:  # the log gives these KPIs (joined at intake)
            have += [c for c in CONTACT_KPI_COLUMNS[input_name] if c not in have]
        for k in kpis:
            if k not in have:
                problems.append(_params_problem(
                    params, params_file, key, "kpi_missing",
                    f"{key} names the KPI '{k}', which {ld.file} does not have{did_you_mean(k, have)}; "
                    f"its KPI columns: {', '.join(have) or 'none'}", values=(k,)))
    roster = checked.loaded.get("roster")
    teams: list[str] | None = None
    if roster is not None and roster.typed is not None and "team" in roster.typed.columns:
        teams = sorted(set(roster.typed["team"].astype(str).unique().tolist()) - {""})
    for key in ("training.focus_team", "coaching.focus_team", "reports.team_briefs"):
        if not written(key):
            continue
        value = params.get(key)
        if value is None or value == "all":
            continue
        names = [str(v) for v in (value if isinstance(value, list) else [value])]
        for team in names:
            if teams is None:
                if roster is None:
                    problems.append(_params_problem(
                        params, params_file, key, "team_unknown",
                        f"{key} names the team '{team}', but no roster is given (teams come from "
                        "inputs.roster); give a roster or remove the key", values=(team,)))
                continue  # a roster that could not be read is reported with its own problems
            if team not in teams:
                problems.append(_params_problem(
                    params, params_file, key, "team_unknown",
                    f"{key} names the team '{team}', which the roster ({roster.file}) does not have"
                    f"{did_you_mean(team, teams)}; its teams: {', '.join(teams[:12])}"
                    f"{' …' if len(teams) > 12 else ''}", values=(team,)))


def check_contact_overlap(ld: Loaded, name: str, params: Any, problems: list[Problem]) -> None:
    """With ``inputs.contacts``, a KPI column the log computes must not also come from *ld*'s file.

    The file's other columns (QA scores; headcount, leavers, attrition) are joined to the
    tables derived from the log; a KPI given twice would leave a reader guessing which one
    the study used, so it is an error naming the file and the column.
    """
    t = ld.typed
    if t is None:
        return
    spec = params.get("inputs.contacts", {}) or {}
    label = str(spec.get("file", "contacts"))
    both = [c for c in CONTACT_KPI_COLUMNS[name] if c in t.columns]
    pr = Problems(ld.file, problems, ld.headers)
    for c in both:
        pr.add("kpi_in_both",
               f"'{c}' is also computed from the contact log ({label}, inputs.contacts); a KPI must come from "
               f"one source: remove the column from {ld.file} (it keeps only what the log cannot give, "
               f"e.g. {'qa_score' if name == 'agent_kpis' else 'headcount, leavers, attrition'}) or remove "
               "inputs.contacts", column=c)


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
    report = check_study(params).report
    if params.input_path("contacts") is not None:
        _check_contact_log(params, report)
    return report


def _check_contact_log(params: Any, report: ValidationReport) -> None:
    """File- and column-level problems of ``inputs.contacts``, from each file's schema.

    Bad rows are no fatal problem: intake stages the log, dropping each bad row
    with a cleaning-log row, so validation does not read the rows (staging twice
    would double the cost of a run on a large log).
    """
    import dataclasses as dc

    from ccstudy.io.contacts import ContactLogError, check_contact_files

    path = params.input_path("contacts")
    spec = params.get("inputs.contacts", {}) or {}
    label = str(spec.get("file", path.name))
    try:
        rows = check_contact_files(path, columns=spec.get("columns"), fmt=spec.get("format"),
                                   delimiter=spec.get("delimiter"))
    except ContactLogError as exc:
        for prob in exc.problems:
            f = f"{label.rstrip('/')}/{prob.file}" if path.is_dir() and prob.file != str(path) else label
            report.problems.append(dc.replace(prob, file=f))
        return
    report.files["contacts"] = {"file": label, "encoding": "parquet" if path.is_dir() else path.suffix.lstrip("."),
                                "rows_read": int(sum(rows.values()))}


def write_report(report: ValidationReport, params: Any) -> Path:
    """Write ``validation_report.md`` into ``params.report_dir``."""
    from ccstudy.io.files import write_text

    return write_text(Path(params.report_dir) / "validation_report.md", report.to_markdown())


def check_files(params_path: str | Path, overrides: dict[str, Any] | None = None
                ) -> tuple[Any, ValidationReport, Checked | None]:
    """:func:`validate_files`, also returning what validation read (None when the inputs were not read)."""
    from ccstudy.params import check_params_file, study_root

    path = Path(params_path)
    params, pproblems = check_params_file(path, overrides)
    try:
        shown = str(path.resolve().relative_to(study_root(path)))
    except ValueError:
        shown = str(path)
    checked = None
    if params is not None:
        checked = check_study(params)
        report = checked.report
    else:
        report = ValidationReport(study=path.stem, input_dir="")
    report.problems[:0] = [
        Problem(file=shown, rule=pp.rule, message=pp.message, column=pp.key or None,
                rows=(pp.line,) if pp.line else (), count=1 if pp.line else 0, in_params=True)
        for pp in pproblems]
    return params, report, checked


def validate_files(params_path: str | Path, overrides: dict[str, Any] | None = None) -> tuple[Any, ValidationReport]:
    """Check a study's params file and its inputs in one pass: ``(params or None, report)``.

    The report lists the params problems (file, line of the key, suggestion) first, then every input
    problem and every params value the data contradict (a wave label, a KPI column, a focus team).
    The inputs are read whenever the params that locate them are valid, so one run shows everything
    to fix.  ``params`` is None when the params file cannot be used at all.
    """
    params, report, _ = check_files(params_path, overrides)
    return params, report


def main_validate(params_path: str | Path, stream: TextIO | None = None) -> int:
    """``ccstudy validate params/X.yaml``: print the report, write validation_report.md; exit code 0 or 2."""
    out = stream if stream is not None else sys.stdout
    params, report = validate_files(params_path)
    out.write(report.to_text() + "\n")
    if params is None:
        return 2
    path = write_report(report, params)
    out.write(f"Report written to {path}\n")
    return 0 if report.ok else 2


__all__ = [
    "InputValidationError", "Problem", "ValidationReport", "validate_study", "validate_files", "check_files",
    "main_validate",
    "write_report", "check_params_against_data",
    "check_study", "Checked", "Loaded", "norm_key",
]
