"""Read raw exports (CSV, XLSX, Parquet) into a grid of text cells.

Every reader returns a :class:`Grid`: the file's cells as stripped strings
(blank = ``""``), one row per spreadsheet row, with the 1-based spreadsheet row
number in ``_row`` (the first line of the file is row 1).  Nothing is parsed
into numbers or dates here: that is the validator's job, so that every
problem can be reported with the cell exactly as the file has it.

Raw files are opened read-only (``"rb"``) and never written.

Encodings (CSV)
---------------
Unless ``inputs.<name>.encoding`` is given, a byte-order mark (UTF-8 or
UTF-16) wins; otherwise a file that is valid UTF-8 is UTF-8.  Any other file is
decoded strictly as GBK/GB18030, Big5 and Windows-1252, and each decoding of the
whole file is scored for plausibility (:func:`implausibility`: private-use and
control characters, Chinese characters glued to Latin letters or outside the
family's frequent set, runs of accented letters and symbols); the clearly most
plausible decoding wins, several equally plausible ones with different text are
an ambiguity error naming them and ``inputs.<name>.encoding``.  A statistical
detector (charset-normalizer) adds its guesses to the message when nothing
fits.  ZIP/XLSX, Parquet, XLS and NUL bytes in a ``.csv`` are named as such.
The encoding used is reported for every file (``utf-8``, ``utf-8-sig``,
``utf-16``, ``gbk``, ``gb18030``, ``big5``, ``cp1252``).
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
import unicodedata
import warnings
import zipfile
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv

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

#: Encodings tried for a file that is not UTF-8, in this order (one name per family of identical decodings).
CANDIDATES = ("gbk", "gb18030", "big5", "cp1252")

_CP1252_EXTRA = set("‚ƒ„…†‡ˆ‰Š‹ŒŽ‘’“”•–—˜™š›œžŸ€")
_SINGLE_OK = set("°€£¥§«»·’‘“”–—…©®™±×÷¿¡")


def _is_cjk(ch: str) -> bool:
    o = ord(ch)
    return 0x4E00 <= o <= 0x9FFF or 0x3400 <= o <= 0x4DBF or 0x20000 <= o <= 0x3134F or 0xF900 <= o <= 0xFAFF


def _is_latin_hi(ch: str) -> bool:
    o = ord(ch)
    return 0xA0 <= o <= 0x24F or ch in _CP1252_EXTRA


def _common_cjk(ch: str, family: str) -> bool:
    """A frequent character of the decoding's own family: GB2312 for GBK, Big5 level 1 for Big5."""
    try:
        if family == "big5":
            code = int.from_bytes(ch.encode("big5"), "big")
            return 0xA440 <= code <= 0xC67E
        ch.encode("gb2312")
        return True
    except (UnicodeEncodeError, LookupError):
        return False


def implausibility(text: str, family: str = "") -> float:
    """Share of the non-ASCII characters of *text* that real text would hardly contain (0 = plausible).

    Counted as implausible: private-use, unassigned and control characters, replacement characters;
    a Chinese character glued to a lower-case Latin letter ('蓂uipe': Latin-1 bytes read as GBK); a
    Chinese character outside the decoding's frequent set (half weight); runs of accented letters and
    symbols with no Latin letter next to them ('¹óµÄ×é': GBK bytes read as Windows-1252).
    """
    n = 0
    bad = 0.0
    i, L = 0, len(text)
    while i < L:
        ch = text[i]
        if ord(ch) < 128:
            i += 1
            continue
        if _is_latin_hi(ch):
            j = i
            while j < L and _is_latin_hi(text[j]):
                j += 1
            run = text[i:j]
            n += len(run)
            prev = text[i - 1] if i else " "
            nxt = text[j] if j < L else " "
            letters = all(c.isalpha() for c in run)
            near_ascii_letter = (prev.isascii() and prev.isalpha()) or (nxt.isascii() and nxt.isalpha())
            if len(run) == 1 and (run in _SINGLE_OK or (letters and near_ascii_letter)):
                pass
            elif len(run) == 2 and letters and near_ascii_letter:
                pass
            else:
                bad += len(run)
            i = j
            continue
        n += 1
        cat = unicodedata.category(ch)
        if cat in ("Co", "Cn", "Cs", "Cc") or ch == "\ufffd":
            bad += 1
        elif _is_cjk(ch):
            prev = text[i - 1] if i else " "
            nxt = text[i + 1] if i + 1 < L else " "
            if (prev.isascii() and prev.islower()) or (nxt.isascii() and nxt.islower()):
                bad += 1
            elif family and 0x4E00 <= ord(ch) <= 0x9FFF and not _common_cjk(ch, family):
                bad += 0.5
        i += 1
    return bad / n if n else 0.0


def _sample(text: str, width: int = 40) -> str:
    """The first line with non-ASCII text, shortened (for messages)."""
    for line in text.splitlines():
        if not line.isascii():
            k = next(i for i, c in enumerate(line) if ord(c) > 127)
            start = max(0, k - 10)
            return line[start:start + width]
    return text[:width]


def _detector_guess(data: bytes) -> list[str]:
    """Encodings a statistical detector (charset-normalizer, whole file) proposes, best first."""
    try:
        from charset_normalizer import from_bytes
    except ImportError:  # pragma: no cover - a declared dependency
        return []
    try:
        found = from_bytes(data[: 4 << 20], steps=1, chunk_size=min(len(data), 4 << 20) or 1)
    except Exception:  # noqa: BLE001 - a hint only, never a reason to fail
        return []
    return [m.encoding for m in found][:3]


def _sniff_binary(data: bytes) -> None:
    """Raise a clear problem for binary files given a .csv name (ZIP/XLSX, Parquet, old XLS, NUL bytes)."""
    if data.startswith(b"PK\x03\x04") or data.startswith(b"PK\x05\x06"):
        raise ReadProblem("this is a ZIP archive (an Excel .xlsx workbook renamed .csv?), not a CSV text file: "
                          "give the file its .xlsx extension (or set inputs.<name>.format: xlsx) or export it "
                          "as CSV", "not_text")
    if data.startswith(b"PAR1"):
        raise ReadProblem("this is a Parquet file, not a CSV text file: give it the .parquet extension "
                          "(or set inputs.<name>.format: parquet)", "not_text")
    if data.startswith(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"):
        raise ReadProblem("this is an old Excel .xls workbook, not a CSV text file: save it as .xlsx or "
                          "export it as CSV", "not_text")
    pos = data.find(b"\x00")
    if pos >= 0:
        even = data[0::2].count(0)
        odd = data[1::2].count(0)
        if max(even, odd) > len(data) // 4:
            raise ReadProblem("the file looks like UTF-16 text without a byte-order mark: save it as UTF-8, "
                              "or set inputs.<name>.encoding: utf-16-le (or utf-16-be)", "encoding")
        row = data[:pos].count(b"\n") + 1
        raise ReadProblem(f"a NUL byte (\\x00) at row {row}: the file is damaged or not a text (CSV) file; "
                          "export it again (if it is an Excel or Parquet file give it the matching extension)",
                          "not_text", row=row, value="\\x00", pos=pos)


def decode_bytes(data: bytes, declared: str | None = None) -> tuple[str, str]:
    """Decode *data*; return ``(text, encoding name)``.

    A declared encoding is used as it is.  Otherwise a byte-order mark wins; then UTF-8 (strict);
    then every candidate of :data:`CANDIDATES` that decodes the whole file strictly is scored with
    :func:`implausibility`.  The clearly most plausible one is used; when several decode the file to
    different, equally plausible text, or none is plausible, :class:`ReadProblem` names the candidates
    (with a sample of each) and the ``inputs.<name>.encoding`` key to set.
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
    _sniff_binary(data)
    try:
        return data.decode("utf-8"), "utf-8"
    except UnicodeDecodeError as exc:
        utf8_error = exc
    decoded: list[tuple[str, str, float]] = []  # (encoding, text, implausibility)
    for enc in CANDIDATES:
        try:
            text = data.decode(enc)
        except UnicodeDecodeError:
            continue
        if any(t == text for _, t, _ in decoded):  # gb18030 = gbk for this file: keep the first name
            continue
        family = "big5" if enc == "big5" else ("gb" if enc.startswith("gb") else "")
        decoded.append((enc, text, implausibility(text, family)))
    pos = utf8_error.start
    row = data[:pos].count(b"\n") + 1
    decoded.sort(key=lambda d: d[2])
    plausible = [d for d in decoded if d[2] <= 0.25]
    if plausible and (len(plausible) == 1 or plausible[1][2] - plausible[0][2] >= 0.15):
        return plausible[0][1], plausible[0][0]
    guesses = [g for g in _detector_guess(data) if g not in {d[0] for d in decoded}]
    if len(plausible) > 1:
        listed = "; ".join(f"{enc} reads it as '{_sample(text)}'" for enc, text, _ in plausible)
        raise ReadProblem(
            f"the encoding is ambiguous: the file decodes under several encodings to different text ({listed}); "
            f"set inputs.<name>.encoding to the right one (or save the export as UTF-8)",
            "encoding_ambiguous", row=row, value=f"0x{data[pos]:02X}", pos=pos)
    tried = ", ".join(["UTF-8"] + [d[0].upper() for d in decoded])
    hint = f" (a detector suggests {', '.join(guesses)})" if guesses else ""
    if decoded:
        listed = "; ".join(f"{enc} gives '{_sample(text)}'" for enc, text, _ in decoded)
        raise ReadProblem(
            f"cannot tell the encoding: not valid UTF-8 (byte 0x{data[pos]:02X} at row {row}) and no other "
            f"encoding gives plausible text ({listed}){hint}; save the export as UTF-8, or name its encoding "
            "in inputs.<name>.encoding", "encoding", row=row, value=f"0x{data[pos]:02X}", pos=pos)
    raise ReadProblem(
        f"cannot be decoded as UTF-8, GBK, GB18030, Big5 or Windows-1252 (byte 0x{data[pos]:02X} at row {row} "
        f"is invalid){hint}; save the export as UTF-8, or name its encoding in inputs.<name>.encoding",
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


def _parse_csv_arrow(raw: bytes, delim: str, ncols: int) -> pd.DataFrame | None:
    """Fast path (multi-threaded Arrow reader): only when every record has exactly *ncols* fields.

    Returns None when any record is irregular (a blank line, a short or long row): the C reader then
    handles the file, keeping every row with its spreadsheet row number.
    """
    irregular: list[int] = []

    def handler(row: Any) -> str:
        irregular.append(1)
        return "skip"

    names = [str(i) for i in range(ncols)]
    try:
        table = pacsv.read_csv(
            io.BytesIO(raw),   # UTF-8
            read_options=pacsv.ReadOptions(column_names=names, block_size=1 << 22),
            parse_options=pacsv.ParseOptions(delimiter=delim, quote_char='"', double_quote=True,
                                             newlines_in_values=True, ignore_empty_lines=False,
                                             invalid_row_handler=handler),
            # large_string: the layout of pandas' str columns, so they take the buffers as they are
            convert_options=pacsv.ConvertOptions(column_types={n: pa.large_string() for n in names},
                                                 strings_can_be_null=False, quoted_strings_can_be_null=False),
        )
    except (pa.ArrowInvalid, pa.ArrowNotImplementedError, pa.ArrowTypeError, ValueError):
        return None
    if irregular:
        return None
    str_dtype = pd.Series([], dtype=str).dtype
    cols = {i: pd.Series(_strip_cells(table.column(n)), dtype=str_dtype) for i, n in enumerate(names)}
    return pd.DataFrame(cols)


def _space_byte(b: np.ndarray) -> np.ndarray:
    """Bytes that may belong to a whitespace character (ASCII TAB..CR, FS..space; any non-ASCII byte)."""
    return ((b >= 0x09) & (b <= 0x0D)) | ((b >= 0x1C) & (b <= 0x20)) | (b >= 0x80)


def _strip_cells(col: Any) -> Any:
    """Cells without leading / trailing whitespace (as ``str.strip``); a column with no space byte is kept as is."""
    from ccstudy.io.parsers import any_byte

    return pc.utf8_trim_whitespace(col) if any_byte(col, _space_byte, (0x21, 0x7F)) else col


def _column_at(data: bytes, pos: int, delim: str) -> str | None:
    """The header of the column holding byte *pos* (quotes ignored: a best effort for messages)."""
    start = data.rfind(b"\n", 0, pos) + 1
    idx = data[start:pos].count(delim.encode("ascii", "replace"))
    first = data.split(b"\n", 1)[0].decode("utf-8", errors="replace").lstrip("\ufeff").rstrip("\r")
    cells = first.split(delim)
    return cells[idx].strip().strip('"') if idx < len(cells) else None


#: Files longer than this (characters) are read by the multi-threaded Arrow reader when every record is regular.
ARROW_MIN_CHARS = 1 << 20

_BLANK_BYTES = re.compile(rb"[ \t\n\r\x0b\x0c]*\Z")
_ASCII_SPACE = re.compile(rb"[\t\n\x0b\x0c\r\x1c-\x1f ]*\Z")   # what str.strip() removes, in ASCII


def read_csv_grid(path: Path, spec: dict[str, Any]) -> Grid:
    with open(path, "rb") as fh:  # read-only: raw files are never modified
        data = fh.read()
    if _BLANK_BYTES.match(data):   # only spaces and line ends (as `not data.strip()`, without copying the file)
        raise ReadProblem("the file is empty", "empty_file")
    delim = _delimiter(spec)
    # An ASCII file is valid UTF-8 as it is: decode_bytes would check the binary signatures and NUL
    # bytes, then return its text as utf-8; the bytes are used without decoding the whole file.
    ascii_only = not spec.get("encoding") and data.isascii()
    text: str | None = None
    try:
        if ascii_only:
            _sniff_binary(data)
            enc = "utf-8"
        else:
            text, enc = decode_bytes(data, spec.get("encoding"))
    except ReadProblem as rp:
        if rp.pos is not None:
            rp.column = _column_at(data, rp.pos, delim)
        raise
    if (_ASCII_SPACE.match(data) if text is None else not text.strip()):
        raise ReadProblem("the file holds only a byte-order mark and no text (no header, no data): "
                          "export it again", "empty_file")
    if text is not None and "\x00" in text:   # (an ASCII file with a NUL byte was named by _sniff_binary)
        pos = text.index("\x00")
        row = text[:pos].count("\n") + 1
        raise ReadProblem(f"a NUL character (\\x00) at row {row}: the file is damaged or not a text (CSV) file; "
                          "export it again (if it is an Excel or Parquet file give it the matching extension)",
                          "not_text", row=row, value="\\x00")
    head = (data[:200_000].decode("ascii") if text is None else text[:200_000]).splitlines()[:50]
    ncols = _field_count(head, delim)
    size = len(data) if text is None else len(text)
    frame = None
    if size > ARROW_MIN_CHARS:
        frame = _parse_csv_arrow(data if text is None else text.encode("utf-8"), delim, ncols)
    if frame is None:
        text = data.decode("ascii") if text is None else text
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
                close = [n for n in names if n.strip().casefold() == sheet.strip().casefold()]
                hint = f" (did you mean '{close[0]}'? sheet names must match exactly)" if close else ""
                raise ReadProblem(
                    f"sheet '{sheet}' (inputs.<name>.sheet) is not in the workbook; its sheets are {listed}{hint}; "
                    "set inputs.<name>.sheet to one of them", "xlsx_sheet", value=sheet)
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
    if any("" in r for r in rows):
        _formulas_without_values(path, sheet, rows)
    return Grid(frame=_grid_from_rows(rows), fmt="xlsx", encoding="xlsx", sheet=sheet)


def _formulas_without_values(path: Path, sheet: str, rows: list[list[str]]) -> None:
    """Raise when a blank cell holds a formula whose result was never saved (the workbook was never calculated).

    openpyxl reads the saved result of a formula; a workbook written by a program that does not
    calculate (a script, some exporters) has none, and the cell would silently read as blank.
    """
    import openpyxl

    wb = openpyxl.load_workbook(path, read_only=True, data_only=False)
    try:
        found: list[tuple[int, int, str]] = []
        for r, row in enumerate(wb[sheet].iter_rows(values_only=True), start=1):
            if r > len(rows):
                break
            for c, v in enumerate(row):
                if isinstance(v, str) and v.startswith("=") and c < len(rows[r - 1]) and rows[r - 1][c] == "":
                    found.append((r, c, v))
    finally:
        wb.close()
    if found:
        r, c, formula = found[0]
        more = f" (and {len(found) - 1} more cells)" if len(found) > 1 else ""
        header = rows[0][c] if rows and c < len(rows[0]) and rows[0][c] else None
        letter = _excel_letter(c)
        raise ReadProblem(
            f"cell {letter}{r} holds the formula {formula[:60]!r} but no saved value{more}: the workbook was "
            "written without calculating its formulas; open it in Excel or LibreOffice and save it again "
            "(or paste the values), then run again", "xlsx_formula", row=r,
            column=header or letter, value=formula[:60])


def _excel_letter(pos: int) -> str:
    s, n = "", pos + 1
    while n:
        n, rem = divmod(n - 1, 26)
        s = chr(65 + rem) + s
    return s


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
