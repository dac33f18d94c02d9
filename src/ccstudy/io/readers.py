"""Read raw exports (CSV, XLSX, Parquet) into a grid of text cells.

Every reader returns a :class:`Grid`: the file's cells as stripped strings
(blank = ``""``), one row per spreadsheet row, with the 1-based spreadsheet row
number in ``_row`` (the first line of the file is row 1).  Nothing is parsed
into numbers or dates here: that is the validator's job, so that every
problem can be reported with the cell exactly as the file has it.

Raw files are opened read-only (``"rb"``) and never written.

Encodings (CSV)
---------------
Unless ``inputs.<name>.encoding`` is given, the encoding is detected by a
strict-decode cascade: a byte-order mark (UTF-8 or UTF-16) wins; otherwise
UTF-8, then GBK, then GB18030 are tried in turn, each strictly.  The name of
the encoding that worked is reported (``utf-8``, ``utf-8-sig``, ``utf-16``,
``gbk``, ``gb18030``).
"""

from __future__ import annotations

import codecs
import csv
import dataclasses
import datetime as dt
import io
import logging
import math
import re
import warnings
import zipfile
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

log = logging.getLogger(__name__)

ROW = "_row"


class ReadProblem(ValueError):
    """A file could not be read at all (the message says why and where)."""

    def __init__(self, message: str, rule: str, row: int | None = None, column: str | None = None,
                 value: str | None = None, pos: int | None = None):
        self.pos = pos  # byte offset, for encoding problems
        self.message = message
        self.rule = rule
        self.row = row
        self.column = column
        self.value = value
        super().__init__(message)


@dataclasses.dataclass
class Grid:
    """A file's cells as text; column labels are positions 0..n-1, plus ``_row``."""

    frame: pd.DataFrame
    fmt: str                 # csv | xlsx | parquet
    encoding: str            # detected text encoding, or the binary format name
    delimiter: str | None = None
    sheet: str | None = None


# --------------------------------------------------------------------------- encodings

_CASCADE = ("utf-8", "gbk", "gb18030")


def decode_bytes(data: bytes, declared: str | None = None) -> tuple[str, str]:
    """Decode *data*; return ``(text, encoding name)``.

    Raises :class:`ReadProblem` naming the row of the first byte that no
    encoding could decode.
    """
    if declared:
        enc = declared.lower().replace("_", "-")
        try:
            codecs.lookup(enc)
        except LookupError:
            raise ReadProblem(f"unknown encoding {declared!r} in inputs.<name>.encoding", "encoding_unknown") from None
        try:
            text = data.decode(enc)
        except UnicodeDecodeError as exc:
            row = data[: exc.start].count(b"\n") + 1
            raise ReadProblem(
                f"the file is not valid {declared} (byte 0x{data[exc.start]:02X} at row {row}); "
                "save the export in that encoding or remove inputs.<name>.encoding to let it be detected",
                "encoding", row=row, value=f"0x{data[exc.start]:02X}", pos=exc.start) from None
        if text.startswith("\ufeff"):
            text = text[1:]
            enc = "utf-8-sig" if enc in ("utf-8", "utf8") else enc
        return text, enc
    if data.startswith(codecs.BOM_UTF8):
        try:
            return data[3:].decode("utf-8"), "utf-8-sig"
        except UnicodeDecodeError as exc:
            pos = exc.start + 3
            row = data[:pos].count(b"\n") + 1
            raise ReadProblem(
                f"the file starts with a UTF-8 byte-order mark but is not valid UTF-8 (byte 0x{data[pos]:02X} "
                f"at row {row}); save the export again as UTF-8", "encoding", row=row,
                value=f"0x{data[pos]:02X}", pos=pos) from None
    if data.startswith(codecs.BOM_UTF16_LE) or data.startswith(codecs.BOM_UTF16_BE):
        try:
            return data.decode("utf-16").lstrip("\ufeff"), "utf-16"
        except UnicodeDecodeError:
            raise ReadProblem("the file starts with a UTF-16 byte-order mark but is not valid UTF-16; "
                              "save the export again as UTF-8", "encoding") from None
    first_error: UnicodeDecodeError | None = None
    for enc in _CASCADE:
        try:
            return data.decode(enc), enc
        except UnicodeDecodeError as exc:
            if first_error is None:
                first_error = exc
    assert first_error is not None
    pos = first_error.start
    row = data[:pos].count(b"\n") + 1
    raise ReadProblem(
        f"cannot be decoded as UTF-8, GBK or GB18030 (byte 0x{data[pos]:02X} at row {row} is invalid); "
        "save the export as UTF-8, or name its encoding in inputs.<name>.encoding",
        "encoding", row=row, value=f"0x{data[pos]:02X}", pos=pos)


# --------------------------------------------------------------------------- CSV

_DELIMS = {"tab": "\t", "\\t": "\t", "comma": ",", "semicolon": ";", "pipe": "|"}


def _delimiter(spec: dict[str, Any]) -> str:
    d = spec.get("delimiter", ",")
    if not isinstance(d, str) or not d:
        raise ReadProblem(f"inputs.<name>.delimiter must be a single character, got {d!r}", "delimiter_param")
    d = _DELIMS.get(d.lower(), d)
    if len(d) != 1:
        raise ReadProblem(f"inputs.<name>.delimiter must be a single character, got {d!r}", "delimiter_param")
    return d


def _field_count(lines: list[str], delim: str) -> int:
    try:
        return max((len(r) for r in csv.reader(lines, delimiter=delim)), default=1)
    except csv.Error:
        return max((ln.count(delim) + 1 for ln in lines), default=1)


_BAD_LINE = re.compile(r"saw (\d+)")


def _parse_csv(text: str, delim: str, ncols: int) -> tuple[pd.DataFrame, int]:
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        frame = pd.read_csv(
            io.StringIO(text), sep=delim, header=None, names=range(ncols), index_col=False, dtype=str,
            na_filter=False, keep_default_na=False, skip_blank_lines=False, on_bad_lines="warn",
            engine="c", quotechar='"',
        )
    wider = [int(m) for w in caught for m in _BAD_LINE.findall(str(w.message))]
    return frame, max(wider, default=0)


def _parse_csv_arrow(text: str, delim: str, ncols: int) -> pd.DataFrame | None:
    """Fast path (multi-threaded Arrow reader): only when every record has exactly *ncols* fields.

    Returns None when any record is irregular (a blank line, a short or long row): the C reader then
    handles the file, keeping every row with its spreadsheet row number.
    """
    import pyarrow as pa
    import pyarrow.compute as pc
    import pyarrow.csv as pacsv

    irregular: list[int] = []

    def handler(row: Any) -> str:
        irregular.append(1)
        return "skip"

    names = [str(i) for i in range(ncols)]
    try:
        table = pacsv.read_csv(
            io.BytesIO(text.encode("utf-8")),
            read_options=pacsv.ReadOptions(column_names=names, block_size=1 << 22),
            parse_options=pacsv.ParseOptions(delimiter=delim, quote_char='"', double_quote=True,
                                             newlines_in_values=True, ignore_empty_lines=False,
                                             invalid_row_handler=handler),
            convert_options=pacsv.ConvertOptions(column_types={n: pa.string() for n in names},
                                                 strings_can_be_null=False, quoted_strings_can_be_null=False),
        )
    except (pa.ArrowInvalid, pa.ArrowNotImplementedError, pa.ArrowTypeError, ValueError):
        return None
    if irregular:
        return None
    str_dtype = pd.Series([], dtype=str).dtype
    cols = {i: pd.Series(pc.utf8_trim_whitespace(table.column(n)), dtype=str_dtype)
            for i, n in enumerate(names)}
    return pd.DataFrame(cols)


def _column_at(data: bytes, pos: int, delim: str) -> str | None:
    """The header of the column holding byte *pos* (quotes ignored: a best effort for messages)."""
    start = data.rfind(b"\n", 0, pos) + 1
    idx = data[start:pos].count(delim.encode("ascii", "replace"))
    first = data.split(b"\n", 1)[0].decode("utf-8", errors="replace").lstrip("\ufeff").rstrip("\r")
    cells = first.split(delim)
    return cells[idx].strip().strip('"') if idx < len(cells) else None


def read_csv_grid(path: Path, spec: dict[str, Any]) -> Grid:
    with open(path, "rb") as fh:  # read-only: raw files are never modified
        data = fh.read()
    if not data.strip():
        raise ReadProblem("the file is empty", "empty_file")
    delim = _delimiter(spec)
    try:
        text, enc = decode_bytes(data, spec.get("encoding"))
    except ReadProblem as rp:
        if rp.pos is not None:
            rp.column = _column_at(data, rp.pos, delim)
        raise
    if "\x00" in text:
        raise ReadProblem("the file contains NUL bytes: it is not a text (CSV) file; "
                          "if it is an Excel or Parquet file give it the matching extension", "not_text")
    head = text[:200_000].splitlines()[:50]
    ncols = _field_count(head, delim)
    frame = _parse_csv_arrow(text, delim, ncols) if len(text) > 1 << 20 else None
    if frame is None:
        try:
            frame, wider = _parse_csv(text, delim, ncols)
            if wider > ncols:  # some later row has more fields: read again wide enough to keep every row
                frame, _ = _parse_csv(text, delim, wider)
        except (pd.errors.ParserError, csv.Error, ValueError) as exc:
            msg = str(exc).strip().splitlines()[-1] if str(exc).strip() else type(exc).__name__
            m = re.search(r"line (\d+)", msg)
            raise ReadProblem(f"cannot be parsed as CSV: {msg}", "csv_syntax",
                              row=int(m.group(1)) if m else None) from None
        frame = frame.fillna("")
        for c in frame.columns:
            frame[c] = frame[c].astype(str).str.strip()
    frame[ROW] = np.arange(1, len(frame) + 1, dtype=np.int64)
    return Grid(frame=frame, fmt="csv", encoding=enc, delimiter=delim)


# --------------------------------------------------------------------------- cell conversion

def cell_text(v: Any) -> str:
    """One spreadsheet / parquet cell as text, the way a CSV export would write it."""
    if v is None:
        return ""
    if isinstance(v, str):
        return v.strip()
    if isinstance(v, bool) or isinstance(v, np.bool_):
        return "true" if v else "false"
    if isinstance(v, (int, np.integer)):
        return str(int(v))
    if isinstance(v, (float, np.floating)):
        f = float(v)
        if math.isnan(f):
            return ""
        if math.isfinite(f) and f.is_integer() and abs(f) < 1e15:
            return str(int(f))
        return repr(f)
    if isinstance(v, pd.Timestamp):
        if v is pd.NaT or pd.isna(v):
            return ""
        v = v.to_pydatetime()
    if isinstance(v, dt.datetime):
        if v.tzinfo is not None:
            v = v.replace(tzinfo=None)
        if v.time() == dt.time(0, 0):
            return v.strftime("%Y-%m-%d")
        return v.strftime("%Y-%m-%d %H:%M:%S")
    if isinstance(v, dt.date):
        return v.isoformat()
    if isinstance(v, dt.time):
        return v.isoformat()
    if isinstance(v, bytes):
        return v.decode("utf-8", errors="replace").strip()
    if v is pd.NA or v is pd.NaT:
        return ""
    return str(v).strip()


def _grid_from_rows(rows: list[list[str]], first_row: int = 1) -> pd.DataFrame:
    width = max((len(r) for r in rows), default=0)
    width = max(width, 1)
    padded = [list(r) + [""] * (width - len(r)) for r in rows]
    frame = pd.DataFrame(padded, columns=range(width), dtype=str) if padded else pd.DataFrame(
        {i: pd.Series([], dtype=str) for i in range(width)})
    frame[ROW] = np.arange(first_row, first_row + len(frame), dtype=np.int64)
    return frame


# --------------------------------------------------------------------------- XLSX

def read_xlsx_grid(path: Path, spec: dict[str, Any]) -> Grid:
    import openpyxl  # local: only needed for Excel inputs
    from openpyxl.utils.exceptions import InvalidFileException

    try:
        wb = openpyxl.load_workbook(path, read_only=True, data_only=True)
    except (InvalidFileException, zipfile.BadZipFile, KeyError, OSError, ValueError, TypeError) as exc:
        raise ReadProblem(f"cannot be opened as an Excel workbook ({type(exc).__name__}: {exc})",
                          "xlsx_unreadable") from None
    try:
        names = list(wb.sheetnames)
        sheet = spec.get("sheet")
        if sheet is None:
            if not names:
                raise ReadProblem("the workbook has no sheets", "xlsx_sheet")
            ws = wb[names[0]]
            sheet = names[0]
        else:
            sheet = str(sheet)
            if sheet not in names:
                listed = ", ".join(f"'{n}'" for n in names)
                raise ReadProblem(
                    f"sheet '{sheet}' (inputs.<name>.sheet) is not in the workbook; its sheets are {listed}",
                    "xlsx_sheet", value=sheet)
            ws = wb[sheet]
        rows: list[list[str]] = []
        try:
            for r in ws.iter_rows(values_only=True):
                rows.append([cell_text(v) for v in r])
        except (zipfile.BadZipFile, KeyError, ValueError, TypeError, OSError) as exc:
            raise ReadProblem(f"the sheet '{sheet}' cannot be read ({type(exc).__name__}: {exc})",
                              "xlsx_unreadable") from None
    finally:
        wb.close()
    # drop trailing fully-empty rows (Excel often keeps formatted but empty rows)
    while rows and not any(rows[-1]):
        rows.pop()
    if not rows:
        raise ReadProblem(f"the sheet '{sheet}' is empty", "empty_file")
    return Grid(frame=_grid_from_rows(rows), fmt="xlsx", encoding="xlsx", sheet=sheet)


# --------------------------------------------------------------------------- Parquet

def _column_text(s: pd.Series) -> list[str]:
    if pd.api.types.is_datetime64_any_dtype(s.dtype):
        if getattr(s.dt, "tz", None) is not None:
            s = s.dt.tz_localize(None)
        out = s.dt.strftime("%Y-%m-%d %H:%M:%S")
        midnight = s.dt.normalize() == s
        day = s.dt.strftime("%Y-%m-%d")
        out = out.where(~midnight, day)
        return out.where(s.notna(), "").astype(str).tolist()
    return [cell_text(v) for v in s.tolist()]


def read_parquet_grid(path: Path, spec: dict[str, Any]) -> Grid:
    import pyarrow as pa
    import pyarrow.parquet as pq

    try:
        table = pq.read_table(path)
        frame = table.to_pandas()
    except (pa.ArrowException, OSError, ValueError, TypeError, KeyError) as exc:
        raise ReadProblem(f"cannot be read as Parquet ({type(exc).__name__}: {str(exc)[:200]})",
                          "parquet_unreadable") from None
    header = [str(c) for c in frame.columns]
    cols = [_column_text(frame.iloc[:, i]) for i in range(frame.shape[1])]
    rows = [header] + [list(r) for r in zip(*cols)] if cols else [header]
    return Grid(frame=_grid_from_rows(rows), fmt="parquet", encoding="parquet")


# --------------------------------------------------------------------------- dispatch

def file_format(path: Path, spec: dict[str, Any]) -> str:
    fmt = spec.get("format")
    if fmt:
        return str(fmt).lower()
    suffix = path.suffix.lower()
    if suffix in (".xlsx", ".xlsm"):
        return "xlsx"
    if suffix in (".parquet", ".pq"):
        return "parquet"
    return "csv"


def read_grid(path: Path, spec: dict[str, Any] | None = None) -> Grid:
    """Read *path* into a :class:`Grid` (format from ``spec['format']`` or the extension)."""
    spec = spec or {}
    if not path.exists():
        raise ReadProblem(f"file not found (looked for {path})", "file_missing")
    if not path.is_file():
        raise ReadProblem(f"{path} is not a file", "file_missing")
    fmt = file_format(path, spec)
    if fmt == "xlsx":
        return read_xlsx_grid(path, spec)
    if fmt == "parquet":
        return read_parquet_grid(path, spec)
    if fmt == "csv":
        return read_csv_grid(path, spec)
    raise ReadProblem(f"unknown format {fmt!r} in inputs.<name>.format (csv, xlsx or parquet)", "format_param")
