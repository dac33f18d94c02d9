"""Contact logs: find the files, validate and stage them, read them into an engine.

A contact log is one Parquet file, a folder of Parquet files (read as one log,
so a repeat contact is found across files), or a CSV file.  Its columns are
mapped to the canonical names of :data:`ccstudy.kpi.definitions.CONTACT_COLUMNS`
with ``inputs.contacts.columns`` like every other input.

:func:`stage_contacts` validates the raw log file by file with DuckDB (out of
core: a log larger than memory is streamed) and writes the rows that pass, typed
and with canonical names, as Parquet to the study's processed folder; every
dropped row is a cleaning-log row naming file, row and column.  The KPI engines
(DuckDB or Spark) then read that staged copy with :func:`read_contacts`; the raw
files are never modified.
"""

from __future__ import annotations

import contextlib
import contextvars
import dataclasses
from pathlib import Path
from typing import TYPE_CHECKING, Any, Iterator

import pandas as pd

if TYPE_CHECKING:
    from ccstudy.kpi.progress import OnProgress

__all__ = ["check_contact_files", "contact_files", "count_rows", "read_contacts", "stage_contacts", "ContactStaging", "ContactLogError",
           "CONTACT_ROW_RULES", "progress_to"]


def contact_files(path: str | Path) -> list[Path]:
    """The files of a contact log: the file itself, or a folder's ``*.parquet`` in name order.

    Raises
    ------
    FileNotFoundError
        When the path does not exist or a folder holds no Parquet file.
    """
    p = Path(path)
    if p.is_dir():
        files = sorted(f for f in p.iterdir() if f.suffix.lower() == ".parquet" and f.is_file())
        if not files:
            raise FileNotFoundError(f"contact log folder {p} holds no .parquet file")
        return files
    if not p.is_file():
        raise FileNotFoundError(f"contact log {p} does not exist")
    return [p]


def count_rows(path: str | Path) -> int | None:
    """Rows of a Parquet contact log from its files' metadata (no scan); None for a CSV log."""
    import pyarrow.parquet as pq

    files = contact_files(path)
    if any(f.suffix.lower() != ".parquet" for f in files):
        return None
    return int(sum(pq.ParquetFile(f).metadata.num_rows for f in files))


def read_contacts(con: Any, path: str | Path, *, table_name: str | None = None) -> Any:
    """A staged (canonical, typed) contact log as an Ibis table on connection *con*.

    A folder is read as one table on both engines (DuckDB: the list of its
    files; Spark: the folder).
    """
    files = contact_files(path)
    name = getattr(con, "name", "")
    if name == "pyspark":
        src = str(Path(path)) if Path(path).is_dir() else str(files[0])
        return con.read_parquet(src, table_name=table_name)
    return con.read_parquet([str(f) for f in files], table_name=table_name)


def read_teams(path: str | Path) -> pd.DataFrame:
    """``agent_id, team`` from a roster CSV (for team-month KPIs of a log without a team column)."""
    roster = pd.read_csv(path, dtype=str, keep_default_na=False)
    missing = [c for c in ("agent_id", "team") if c not in roster.columns]
    if missing:
        raise ValueError(f"{Path(path).name}: the roster needs column(s) {', '.join(missing)} for team-month KPIs")
    return roster[["agent_id", "team"]]


# =========================================================================== validation and staging

#: Canonical column -> how a raw cell is read.
_KIND: dict[str, str] = {
    "contact_id": "id", "customer_id": "text", "agent_id": "text", "queue": "text", "channel": "text",
    "offered_at": "timestamp", "answered_at": "timestamp", "ended_at": "timestamp",
    "talk_sec": "number", "hold_sec": "number", "acw_sec": "number",
    "abandoned": "flag", "transferred": "flag", "csat": "number", "resolved": "flag", "team": "text",
}
_REQUIRED = ("contact_id", "customer_id", "agent_id", "queue", "channel", "offered_at", "answered_at", "ended_at",
             "talk_sec", "hold_sec", "acw_sec", "abandoned", "transferred")
_OPTIONAL = ("csat", "resolved", "team")

#: Row rules (the row is dropped and a cleaning-log row names file, row, column and value).
CONTACT_ROW_RULES: dict[str, str] = {
    "required_value": "contact_id or offered_at is blank",
    "timestamp_unparseable": "a timestamp that cannot be read (ISO 8601, or inputs.contacts.timestamp_format)",
    "not_a_number": "text in a duration or CSAT column",
    "not_a_flag": "abandoned / transferred / resolved that is not true/false (1/0, yes/no)",
    "negative_duration": "negative talk, hold or after-call-work seconds",
    "answered_before_offered": "answered_at earlier than offered_at",
    "ended_before_start": "ended_at earlier than answered_at (or offered_at when not answered)",
    "abandoned_answered": "abandoned but with an answered_at, or not abandoned without one",
    "duplicate_contact_id": "a contact id seen earlier in the log (the first row is kept)",
}


@dataclasses.dataclass(frozen=True, kw_only=True)
class ContactStaging:
    """What :func:`stage_contacts` did.

    ``path``: the staged Parquet file (canonical columns, typed, bad rows
    removed, file order kept; None when only checked); ``cleaning_log``: one row per dropped row and
    rule (columns ``file, row, column, old, new, rule``); ``rows_read`` /
    ``rows_kept`` per file name.
    """

    path: Path | None
    files: tuple[Path, ...]
    columns: tuple[str, ...]
    rows_read: dict[str, int]
    rows_kept: int
    cleaning_log: pd.DataFrame

    def to_dict(self) -> dict[str, Any]:
        return {"path": str(self.path) if self.path is not None else None, "files": [str(f) for f in self.files], "columns": list(self.columns),
                "rows_read": dict(self.rows_read), "rows_kept": self.rows_kept,
                "rules": self.cleaning_log["rule"].value_counts().sort_index().to_dict()}

    def summary(self) -> str:
        n = sum(self.rows_read.values())
        return (f"contacts: {n:,} rows read from {len(self.files)} file(s), {self.rows_kept:,} kept, "
                f"{n - self.rows_kept:,} dropped ({len(self.cleaning_log):,} cleaning-log rows)")


class ContactLogError(ValueError):
    """A contact log that cannot be staged at all (missing file or column, unreadable file)."""

    def __init__(self, problems: list[Any]):
        self.problems = problems
        super().__init__("The contact log breaks the input rules; nothing was computed.\n"
                         + "\n".join(f"  - {p.to_text()}" for p in problems))


def _q(s: str) -> str:
    return "'" + str(s).replace("'", "''") + "'"


def _ident(s: str) -> str:
    return '"' + str(s).replace('"', '""') + '"'


def _source_sql(f: Path, fmt: str, delimiter: str | None) -> str:
    if fmt == "parquet":
        return f"SELECT *, file_row_number + 1 AS __row FROM read_parquet({_q(f)}, file_row_number = true)"
    delim = f", delim = {_q(delimiter)}" if delimiter else ""
    # spreadsheet row: the header is row 1, the first data row is row 2
    return (f"SELECT *, row_number() OVER () + 1 AS __row FROM read_csv({_q(f)}, header = true, "
            f"all_varchar = true{delim})")


def _cast_sql(raw: str, kind: str, ts_format: str | None, raw_type: str) -> str:
    txt = f"NULLIF(trim(CAST({raw} AS VARCHAR)), '')"
    if kind in ("id", "text"):
        return txt
    if kind == "number":
        return raw if raw_type in ("DOUBLE", "FLOAT", "BIGINT", "INTEGER", "SMALLINT", "TINYINT", "HUGEINT") \
            or raw_type.startswith("DECIMAL") else f"TRY_CAST({txt} AS DOUBLE)"
    if kind == "flag":
        if raw_type == "BOOLEAN":
            return raw
        return (f"CASE lower({txt}) WHEN '1' THEN true WHEN 'true' THEN true WHEN 'yes' THEN true "
                f"WHEN 't' THEN true WHEN 'y' THEN true WHEN '0' THEN false WHEN 'false' THEN false "
                f"WHEN 'no' THEN false WHEN 'f' THEN false WHEN 'n' THEN false END")
    if kind == "timestamp":
        if raw_type.startswith("TIMESTAMP"):
            return f"CAST({raw} AS TIMESTAMP)"
        if raw_type == "DATE":
            return f"CAST({raw} AS TIMESTAMP)"
        if ts_format:
            return f"try_strptime({txt}, {_q(ts_format)})"
        return f"TRY_CAST({txt} AS TIMESTAMP)"
    raise ValueError(kind)


def _log_files(path: str | Path, columns: dict[str, str]) -> tuple[list[Path], list]:
    """The log's files and the problems of the params (unknown mapped columns); a missing log raises."""
    from ccstudy.io.validate import Problem

    try:
        files = contact_files(path)
    except FileNotFoundError as exc:
        raise ContactLogError([Problem(file=str(path), rule="file_missing", message=str(exc))]) from None
    problems: list[Any] = []
    unknown = sorted(set(columns) - set(_KIND))
    if unknown:
        problems.append(Problem(file=str(path), rule="params_columns",
                                message=f"inputs.contacts.columns maps unknown column(s) {', '.join(unknown)}; "
                                        f"known: {', '.join(_KIND)}"))
    return files, problems


def _quiet(con: Any) -> None:
    """No DuckDB progress bar printed on the terminal or into a notebook (ours reports progress)."""
    try:
        con.execute("SET enable_progress_bar_print = false")
    except Exception:  # noqa: BLE001 - a Jupyter kernel without ipywidgets refuses progress settings
        pass


def _file_kind(f: Path, fmt: str | None) -> str:
    return (fmt or ("csv" if f.suffix.lower() in (".csv", ".txt") else "parquet")).lower()


def _file_columns(con: Any, f: Path, kind: str, delimiter: str | None,
                  columns: dict[str, str]) -> tuple[str, dict[str, str] | None, list]:
    """One file of the log: its source query, its column types (None when it cannot be used) and its
    file/column problems."""
    import duckdb

    from ccstudy.io.validate import Problem

    if kind not in ("csv", "parquet"):
        return "", None, [Problem(file=f.name, rule="format_param",
                                  message=f"inputs.contacts.format must be parquet or csv, got {kind!r}")]
    src = _source_sql(f, kind, delimiter)
    try:
        desc = con.execute(f"DESCRIBE {src}").fetchall()
    except duckdb.Error as exc:
        return src, None, [Problem(file=f.name, rule="parquet_unreadable" if kind == "parquet" else "csv_syntax",
                                   message=f"the file cannot be read: {str(exc).splitlines()[0]}")]
    types = {r[0]: str(r[1]) for r in desc}
    header_of = {c: columns.get(c, c) for c in _KIND}
    missing = [c for c in _REQUIRED if header_of[c] not in types]
    problems = [Problem(file=f.name, rule="mapped_column_missing" if c in columns else "missing_column",
                        column=c, header=header_of[c],
                        message=f"the contact log needs a column {c!r}"
                                + (f" (mapped to header {header_of[c]!r})" if c in columns else "")
                                + "; map the export's header with inputs.contacts.columns")
                for c in missing]
    return src, (None if missing else types), problems


def check_contact_files(path: str | Path, *, columns: dict[str, str] | None = None, fmt: str | None = None,
                        delimiter: str | None = None) -> dict[str, int]:
    """The file- and column-level checks of :func:`stage_contacts`, without reading the rows.

    What can make a log unusable (a missing or unreadable file, a required
    column absent, an unknown mapping or format) is found from each file's
    schema; a bad *row* is no such problem (staging drops and logs it at
    intake).  Returns the rows of each file (Parquet: from the footers; CSV:
    counted).

    Raises
    ------
    ContactLogError
        The same problems, file and column named, as :func:`stage_contacts` raises.
    """
    import duckdb

    from ccstudy.io.validate import Problem

    columns = dict(columns or {})
    files, problems = _log_files(path, columns)
    rows: dict[str, int] = {}
    con = duckdb.connect()
    try:
        for f in files:
            kind = _file_kind(f, fmt)
            src, types, file_problems = _file_columns(con, f, kind, delimiter, columns)
            problems.extend(file_problems)
            if types is not None:
                rows[f.name] = int(con.execute(
                    f"SELECT sum(num_rows) FROM parquet_file_metadata({_q(f)})" if kind == "parquet"
                    else f"SELECT count(*) FROM ({src})").fetchone()[0] or 0)
    finally:
        con.close()
    if problems:
        raise ContactLogError(problems)
    return rows


def stage_contacts(path: str | Path, out_path: str | Path | None, *, columns: dict[str, str] | None = None,
                   fmt: str | None = None, timestamp_format: str | None = None, delimiter: str | None = None,
                   memory_limit: str | None = None, on_progress: "OnProgress | None" = None,
                   con: Any = None, as_view: str | None = None) -> ContactStaging:
    """Validate a raw contact log file by file and write its good rows, typed, to *out_path*.

    Parameters
    ----------
    path
        A Parquet file, a folder of Parquet files, or a CSV file.
    out_path
        The staged Parquet file to write (e.g. ``processed/contacts.parquet``);
        None checks the log without writing anything (``ContactStaging.path``
        is then None).
    columns
        Canonical name -> the export's header, for the columns whose header
        differs (``{"offered_at": "Start Time"}``).
    fmt
        ``parquet`` or ``csv`` (default: from the file suffix).
    timestamp_format
        A ``strptime`` format for text timestamps (default: ISO 8601).
    on_progress
        Called with :class:`ccstudy.kpi.progress.Progress` as the work goes:
        phase ``check`` (rows of each file once its rows are checked) and
        phase ``write`` (rows written, polled from DuckDB); each phase ends
        with ``rows`` = the log's rows.  Default: the callback installed with
        :func:`progress_to`, if any.
    con, as_view
        A DuckDB connection to stage in (default: a new one, closed at the
        end) and, with *out_path* None, the name of a temporary view created
        on it that holds the good rows, typed, in the log's order: a query on
        *con* can then read the validated log in place, without a staged copy
        written and read back.

    Raises
    ------
    ContactLogError
        When a file is missing or unreadable, or a required column is absent
        (every such problem is listed, naming file and column).

    Notes
    -----
    Each file is validated on its own with DuckDB, which streams it (a log
    larger than memory is fine); bad rows are dropped and logged, never
    silently kept or fixed.  Duplicate contact ids are found across the whole
    log: the first row (in file, then row order) is kept.

    Cost: one pass per file to find the bad rows (the rule conditions are
    evaluated once, and the cleaning-log rows are built from the few rows that
    break a rule), a hash aggregation of the contact ids for duplicates, and
    one pass that writes the good rows.  The staged file keeps the files' and
    rows' order without a sort: DuckDB preserves row order through ``UNION
    ALL``, ``WHERE`` and ``COPY`` (documented, "Order Preservation"); only a log
    with duplicate ids is sorted, after the duplicates are removed by a join.
    """
    import duckdb

    from ccstudy.io.validate import Problem
    from ccstudy.kpi.progress import Phase, watch_query

    if on_progress is None:
        on_progress = _PROGRESS.get()
    columns = dict(columns or {})
    files, problems = _log_files(path, columns)
    own = con is None
    if own:
        con = duckdb.connect()
    con.execute("SET TimeZone = 'UTC'")
    _quiet(con)
    con.execute("SET preserve_insertion_order = true")  # the staged rows keep the log's order (see Notes)
    if memory_limit:
        con.execute(f"SET memory_limit = {_q(memory_limit)}")
    kinds = [_file_kind(f, fmt) for f in files]
    total = None
    if all(k == "parquet" for k in kinds):
        try:
            total = count_rows(path)
        except Exception:  # noqa: BLE001 - an unreadable file is reported below, by name
            total = None
    check = Phase(on_progress, "check", total)
    log_parts: list[pd.DataFrame] = []
    rows_read: dict[str, int] = {}
    present_optional: set[str] | None = None
    part_sql: list[str] = []
    done_rows = 0
    for i, (f, kind) in enumerate(zip(files, kinds)):
        src, types, file_problems = _file_columns(con, f, kind, delimiter, columns)
        problems.extend(file_problems)
        if types is None:
            continue
        header_of = {c: columns.get(c, c) for c in _KIND}
        opt = {c for c in _OPTIONAL if header_of[c] in types}
        present_optional = opt if present_optional is None else present_optional & opt
        typed_cols = [c for c in _KIND if c in _REQUIRED or c in opt]
        raw_types = {c: types[header_of[c]] for c in typed_cols}
        sel = ", ".join(f"{_cast_sql(_ident(header_of[c]), _KIND[c], timestamp_format, raw_types[c])} "
                        f"AS {c}, CAST({_ident(header_of[c])} AS VARCHAR) AS __raw_{c}" for c in typed_cols)
        view = f"__typed{i}"
        con.execute(f"CREATE OR REPLACE TEMP VIEW {view} AS SELECT {sel}, __row, {i} AS __file FROM ({src})")
        rules = _row_rules(typed_cols, raw_types)
        # NULL-safe: a rule whose inputs are blank is not broken (and a row is never dropped unlogged)
        any_bad = " OR ".join(f"coalesce(({cond}), false)" for _, _, cond in rules)
        # one pass over the file: the rows that break any rule (few) go to a small table, logged from there
        con.execute(f"CREATE OR REPLACE TEMP TABLE __bad{i} AS SELECT * FROM {view} WHERE {any_bad}")
        union = " UNION ALL ".join(
            f"SELECT __row AS row, {_q(col)} AS \"column\", __raw_{col} AS old, {_q(rule)} AS rule "
            f"FROM __bad{i} WHERE coalesce(({cond}), false)" for rule, col, cond in rules)
        bad = con.execute(f"SELECT * FROM ({union}) ORDER BY row").df()
        if len(bad):
            bad.insert(0, "file", f.name)
            log_parts.append(bad)
        rows_read[f.name] = int(con.execute(f"SELECT count(*) FROM ({src})").fetchone()[0])
        done_rows += rows_read[f.name]
        check.update(done_rows)
        # the good rows: without a filter when the file has no bad row, else by the (few) bad row numbers,
        # else (many) by the rules again
        bad_rows = [int(r[0]) for r in con.execute(f"SELECT DISTINCT __row FROM __bad{i} ORDER BY 1").fetchall()]
        if not bad_rows:
            part_sql.append(f"SELECT {{cols}} FROM {view}")
        elif len(bad_rows) <= 2000:
            part_sql.append(f"SELECT {{cols}} FROM {view} WHERE __row NOT IN ({', '.join(map(str, bad_rows))})")
        else:
            part_sql.append(f"SELECT {{cols}} FROM {view} WHERE NOT ({any_bad})")
    if problems:
        if own:
            con.close()
        raise ContactLogError(problems)
    n_read = sum(rows_read.values())
    check.finish(n_read)
    keep = [c for c in _KIND if c in _REQUIRED or c in (present_optional or set())]
    cols = ", ".join(keep)
    good = " UNION ALL ".join(s.format(cols=cols + ", __file, __row") for s in part_sql)
    con.execute(f"CREATE OR REPLACE TEMP VIEW __good AS {good}")
    # duplicate contact ids across the whole log: a hash aggregation of the ids alone finds the candidates
    # (usually none), then only their rows are checked against the rules and ranked
    ids = " UNION ALL ".join(f"SELECT contact_id FROM __typed{i}" for i in range(len(part_sql)))
    con.execute("CREATE OR REPLACE TEMP TABLE __dupids AS "
                f"SELECT contact_id FROM ({ids}) WHERE contact_id IS NOT NULL GROUP BY contact_id HAVING count(*) > 1")
    n_dupids = int(con.execute("SELECT count(*) FROM __dupids").fetchone()[0])
    if n_dupids:  # keep the ids repeated among the rows that pass the rules
        con.execute("CREATE OR REPLACE TEMP TABLE __dupids AS SELECT contact_id FROM __good "
                    "SEMI JOIN __dupids USING (contact_id) GROUP BY contact_id HAVING count(*) > 1")
        n_dupids = int(con.execute("SELECT count(*) FROM __dupids").fetchone()[0])
    dup = None
    if n_dupids:
        dup = con.execute(
            "SELECT __file, __row, contact_id, first_file, first_row FROM ("
            " SELECT __file, __row, contact_id,"
            "  row_number() OVER (PARTITION BY contact_id ORDER BY __file, __row) AS rn,"
            "  first_value(__file) OVER (PARTITION BY contact_id ORDER BY __file, __row) AS first_file,"
            "  first_value(__row) OVER (PARTITION BY contact_id ORDER BY __file, __row) AS first_row"
            " FROM __good SEMI JOIN __dupids USING (contact_id)) WHERE rn > 1 ORDER BY __file, __row").df()
        names = [f.name for f in files]
        log_parts.append(pd.DataFrame({
            "file": [names[i] for i in dup["__file"]], "row": dup["__row"].astype("int64"),
            "column": "contact_id",
            "old": [f"{c} (first in {names[ff]} row {fr})" for c, ff, fr in
                    zip(dup["contact_id"], dup["first_file"], dup["first_row"])],
            "rule": "duplicate_contact_id"}))
    if log_parts:
        clog = pd.concat(log_parts, ignore_index=True)
    else:
        clog = pd.DataFrame({"file": [], "row": [], "column": [], "old": [], "rule": []})
    clog["new"] = "(row dropped)"
    clog["row"] = clog["row"].astype("int64")
    clog["old"] = clog["old"].fillna("").astype(str)
    dropped = int(clog[["file", "row"]].drop_duplicates().shape[0])
    kept = n_read - dropped
    staged: Path | None = None
    if dup is not None and len(dup):
        con.register("__dup", dup[["__file", "__row"]])
        final = f"SELECT {cols} FROM __good ANTI JOIN __dup USING (__file, __row) ORDER BY __file, __row"
    else:
        final = " UNION ALL ".join(s.format(cols=cols) for s in part_sql)  # order kept, no sort
    if out_path is None and as_view:
        con.execute(f"CREATE OR REPLACE TEMP VIEW {_ident(as_view)} AS {final}")
    if out_path is not None:
        staged = Path(out_path)
        staged.parent.mkdir(parents=True, exist_ok=True)
        tmp = staged.with_name(staged.name + ".tmp")
        with watch_query(con, Phase(on_progress, "write", kept)):
            con.execute(f"COPY ({final}) TO {_q(tmp)} (FORMAT parquet, COMPRESSION snappy)")
        written = int(con.execute(f"SELECT count(*) FROM read_parquet({_q(tmp)})").fetchone()[0])
        if written != kept:  # pragma: no cover - a guard, not a path
            raise RuntimeError(f"contact staging lost rows: read {n_read}, wrote {written}, "
                               f"logged {dropped} dropped rows")
        tmp.replace(staged)
    if own:
        con.close()
    order = {f.name: i for i, f in enumerate(files)}
    clog = clog.assign(_f=clog["file"].map(order)).sort_values(["_f", "row", "rule"], kind="stable")
    clog = clog[["file", "row", "column", "old", "new", "rule"]].reset_index(drop=True)
    return ContactStaging(path=staged, files=tuple(files), columns=tuple(keep), rows_read=rows_read,
                          rows_kept=kept, cleaning_log=clog)


#: The progress callback :func:`stage_contacts` uses when it is given none (see :func:`progress_to`).
_PROGRESS: "contextvars.ContextVar[OnProgress | None]" = contextvars.ContextVar("ccstudy_contacts_progress",
                                                                               default=None)


@contextlib.contextmanager
def progress_to(on_progress: "OnProgress | None") -> Iterator[None]:
    """Within the block, contact staging reports its progress to *on_progress*.

    For callers that stage a log through other code (validation, intake):
    ``with progress_to(bar.update): validate_study(params)``.  The setting is
    local to the current thread (a context variable).
    """
    token = _PROGRESS.set(on_progress)
    try:
        yield
    finally:
        _PROGRESS.reset(token)


def _row_rules(cols: list[str], raw_types: dict[str, str] | None = None) -> list[tuple[str, str, str]]:
    """(rule, column, SQL condition on the typed view) for every row rule.

    With *raw_types* (the file's column types), a "cannot be read" rule is left
    out for a column whose cells are already of the target type (a Parquet
    TIMESTAMP, DOUBLE or BOOLEAN column): it cannot fire there.
    """
    rt = raw_types or {}

    def native(c: str) -> bool:
        t = rt.get(c, "VARCHAR")
        k = _KIND[c]
        if k == "timestamp":
            return t.startswith("TIMESTAMP") or t == "DATE"
        if k == "number":
            return t in ("DOUBLE", "FLOAT", "BIGINT", "INTEGER", "SMALLINT", "TINYINT", "HUGEINT") \
                or t.startswith("DECIMAL")
        if k == "flag":
            return t == "BOOLEAN"
        return False

    def blank(c: str) -> str:
        # a natively typed cell is blank exactly when its typed value is NULL: no text cast per row
        return f"{c} IS NULL" if native(c) else f"NULLIF(trim(__raw_{c}), '') IS NULL"

    r: list[tuple[str, str, str]] = [
        ("required_value", "contact_id", "contact_id IS NULL"),
        ("required_value", "offered_at", f"offered_at IS NULL AND {blank('offered_at')}"),
    ]
    for c in ("offered_at", "answered_at", "ended_at"):
        if not native(c):
            r.append(("timestamp_unparseable", c, f"{c} IS NULL AND NOT ({blank(c)})"))
    for c in ("talk_sec", "hold_sec", "acw_sec", "csat"):
        if c in cols and not native(c):
            r.append(("not_a_number", c, f"{c} IS NULL AND NOT ({blank(c)})"))
    for c in ("abandoned", "transferred", "resolved"):
        if c in cols and not native(c):
            r.append(("not_a_flag", c, f"{c} IS NULL AND NOT ({blank(c)})"))
    r.append(("required_value", "abandoned", f"abandoned IS NULL AND {blank('abandoned')}"))
    for c in ("talk_sec", "hold_sec", "acw_sec"):
        r.append(("negative_duration", c, f"{c} < 0"))
    r += [
        ("answered_before_offered", "answered_at", "answered_at < offered_at"),
        ("ended_before_start", "ended_at", "ended_at < coalesce(answered_at, offered_at)"),
        ("abandoned_answered", "abandoned",
         f"(abandoned AND answered_at IS NOT NULL) OR (NOT abandoned AND answered_at IS NULL "
         f"AND {blank('answered_at')})"),
    ]
    return r
