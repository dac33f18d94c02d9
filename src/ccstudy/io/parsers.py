"""Cell parsers: text cells of one column -> typed values, problems reported per cell.

Every parser takes the mapped frame (text cells plus ``_row``), a column
declaration from :mod:`ccstudy.io.schemas` and a problem collector
(:class:`ccstudy.io.validate.Problems`); it returns the typed column and
reports each unparseable cell with its spreadsheet row and column.  Nothing
here reads files or knows about other columns or other inputs: the study-level
checks live in :mod:`ccstudy.io.validate`.
"""

from __future__ import annotations

import re
import unicodedata
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from ccstudy.io.schemas import NA_TOKENS, Col

if TYPE_CHECKING:
    from ccstudy.io.validate import Problems

DATE_FORMATS: tuple[str, ...] = (
    "%Y-%m-%d", "%Y/%m/%d", "%Y-%m-%d %H:%M:%S", "%Y/%m/%d %H:%M:%S", "%Y-%m-%d %H:%M", "%Y/%m/%d %H:%M",
    "%Y-%m-%dT%H:%M:%S", "%Y.%m.%d", "%Y年%m月%d日",
)

_MONTH_RE = (r"^(\d{4})\s*[-/.年]\s*(\d{1,2})\s*月?(?:\s*[-/.]\s*\d{1,2}\s*日?)?"
             r"(?:[ T]\d{1,2}:\d{2}(?::\d{2})?)?$")
_SERIAL_RE = r"^\d{5}(?:\.\d+)?$"
_EXCEL_EPOCH = pd.Timestamp("1899-12-30")


def norm_key(s: str) -> str:
    """Normalise a header / label for matching: NFKC, trimmed, case-folded, spaces and dashes as '_'."""
    s = unicodedata.normalize("NFKC", str(s)).replace("\ufeff", "").strip().casefold()
    return re.sub(r"[\s\-]+", "_", s)


def norm_label(s: str) -> str:
    s = unicodedata.normalize("NFKC", str(s)).strip().casefold()
    return re.sub(r"\s+", " ", s)


# zero-width, bidi, BOM, NBSP and other invisible / control characters (see ccstudy.escape.visible)
_INVISIBLE_RE = (r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\u00a0\u00ad\u115f\u1160\u180e\u2000-\u200f"
                 r"\u2028-\u202f\u205f-\u206f\u3164\ufeff\ufff9-\ufffb\ue000-\uf8ff]")

# the same class in RE2 syntax (Arrow's regex engine): \x{...} instead of \xHH / \uHHHH
_INVISIBLE_RE2 = re.sub(r"\\(?:x([0-9a-f]{2})|u([0-9a-f]{4}))", lambda m: "\\x{" + (m.group(1) or m.group(2)) + "}",
                        _INVISIBLE_RE)

_NA_ARROW = pa.array(sorted(NA_TOKENS), type=pa.string())


def _arrow(s: pd.Series) -> pa.Array | pa.ChunkedArray:
    """The cells of a text column as an Arrow string array (zero-copy for Arrow-backed columns)."""
    arr = pa.array(s, from_pandas=True)
    if not (pa.types.is_string(arr.type) or pa.types.is_large_string(arr.type)):
        arr = pa.array(s.astype(str), from_pandas=True)
    return arr


def _np_bool(a: pa.Array | pa.ChunkedArray) -> np.ndarray:
    return np.asarray(pc.fill_null(a, False).to_numpy(zero_copy_only=False), dtype=bool)


# --------------------------------------------------------------------------- byte-level views
# The cells of a text column are UTF-8 bytes in Arrow buffers.  A whole-column question that a
# byte scan answers ("does any cell hold a line break / a control byte / a letter?") costs
# microseconds in numpy; when the answer rules a rule out, its per-cell check is skipped, and when
# it does not, the exact per-cell check runs as before.  Null cells (never produced by the readers)
# or other layouts give None: callers then take the per-cell path.

def _chunk_layout(ch: pa.Array) -> tuple[np.ndarray, np.ndarray] | None:
    """(offsets, data bytes) of one string chunk, both zero-copy views; None for other layouts."""
    if pa.types.is_large_string(ch.type):
        off_type: Any = np.int64
    elif pa.types.is_string(ch.type):
        off_type = np.int32
    else:
        return None
    if ch.null_count:
        return None
    bufs = ch.buffers()
    if len(ch) == 0 or bufs[1] is None:
        return np.zeros(1, dtype=off_type), np.zeros(0, dtype=np.uint8)
    offs = np.frombuffer(bufs[1], dtype=off_type)[ch.offset: ch.offset + len(ch) + 1]
    data = np.frombuffer(bufs[2], dtype=np.uint8) if bufs[2] is not None else np.zeros(0, dtype=np.uint8)
    return offs, data


def _chunks(arr: pa.Array | pa.ChunkedArray) -> list[pa.Array]:
    return list(arr.chunks) if isinstance(arr, pa.ChunkedArray) else [arr]


def cell_bytes(arr: pa.Array | pa.ChunkedArray) -> list[np.ndarray] | None:
    """The bytes of every cell of *arr* (one view per chunk), or None when not a null-free string array."""
    out = []
    for ch in _chunks(arr):
        lay = _chunk_layout(ch)
        if lay is None:
            return None
        offs, data = lay
        out.append(data[int(offs[0]): int(offs[-1])])
    return out


def any_byte(arr: pa.Array | pa.ChunkedArray, test: Any, clear: tuple[int, int] = (1, 0)) -> bool:
    """Whether any byte of any cell passes *test* (a numpy predicate); True when unknown (fall back).

    *clear* is a range of bytes that never pass *test*: a chunk whose bytes all lie in it (two
    reductions, no temporary array) is not tested byte by byte.
    """
    parts = cell_bytes(arr)
    if parts is None:
        return True
    lo, hi = clear
    for b in parts:
        if not b.size or (lo <= int(b.min()) and int(b.max()) <= hi):
            continue
        if test(b).any():
            return True
    return False


def _has_letter_or_non_ascii(b: np.ndarray) -> np.ndarray:
    low = b | 0x20
    return ((low >= 0x61) & (low <= 0x7A)) | (b >= 0x80)


def _line_break_byte(b: np.ndarray) -> np.ndarray:
    return (b == 0x0A) | (b == 0x0D)


def _maybe_invisible_byte(b: np.ndarray) -> np.ndarray:
    """Bytes that may belong to a character of ``_INVISIBLE_RE``: ASCII controls but TAB/LF/CR, and non-ASCII."""
    return ((b < 0x20) & (b != 0x09) & (b != 0x0A) & (b != 0x0D)) | (b >= 0x7F)


def byte_lengths(arr: pa.Array | pa.ChunkedArray) -> np.ndarray:
    """UTF-8 length in bytes of every cell (from the offsets; a missing cell counts 0)."""
    parts = []
    for ch in _chunks(arr):
        lay = _chunk_layout(ch)
        if lay is None:
            return np.asarray(pc.fill_null(pc.binary_length(arr), 0).to_numpy(zero_copy_only=False), dtype=np.int64)
        parts.append(np.diff(lay[0]))
    return np.concatenate(parts).astype(np.int64, copy=False) if parts else np.zeros(0, dtype=np.int64)


def nonempty_cells(s: pd.Series) -> np.ndarray:
    """``(s != "").to_numpy()`` from the cells' byte lengths (a missing cell counts as not empty, as there)."""
    if len(s) == 0:
        return np.zeros(0, dtype=bool)
    arr = _arrow(s)
    if arr.null_count:
        return _np_bool(pc.fill_null(pc.greater(pc.binary_length(arr), 0), True))
    return byte_lengths(arr) > 0


def fixed_width(arr: pa.Array | pa.ChunkedArray, sel: np.ndarray, width: int) -> np.ndarray | None:
    """The bytes of the selected cells (each exactly *width* bytes long) as a ``(k, width)`` uint8 matrix."""
    out = []
    start = 0
    cols = np.arange(width)
    for ch in _chunks(arr):
        lay = _chunk_layout(ch)
        if lay is None:
            return None
        offs, data = lay
        local = sel[start: start + len(ch)]
        start += len(ch)
        if local.any():
            first = offs[:-1][local]
            out.append(data[first][:, None] if width == 1 else data[first.astype(np.int64)[:, None] + cols])
    return np.concatenate(out) if out else np.zeros((0, width), dtype=np.uint8)


_NA_MAX_BYTES = max(len(t.encode("utf-8")) for t in NA_TOKENS)


def blank_mask(s: pd.Series) -> np.ndarray:
    """Cells that are blank or a missing-value token (NA, N/A, -, ...)."""
    if len(s) == 0:
        return np.zeros(0, dtype=bool)
    arr = _arrow(s)
    if arr.null_count:
        return _np_bool(pc.is_in(arr, value_set=_NA_ARROW))
    short = byte_lengths(arr) <= _NA_MAX_BYTES   # a longer cell is no token
    if short.all():
        return _np_bool(pc.is_in(arr, value_set=_NA_ARROW))
    out = np.zeros(len(arr), dtype=bool)
    if short.any():
        out[short] = _np_bool(pc.is_in(arr.filter(pa.array(short)), value_set=_NA_ARROW))
    return out


def to_float(s: pd.Series, blank: np.ndarray | None = None) -> np.ndarray:
    """Numeric value of every cell (NaN where blank or not a number); vectorised, Arrow fast path."""
    if len(s) == 0:
        return np.zeros(0, dtype=float)
    blank = blank_mask(s) if blank is None else blank
    arr = _arrow(s)
    try:
        masked = pc.if_else(pa.array(blank), pa.scalar(None, type=pa.string()), arr) if blank.any() else arr
        return np.array(pc.cast(masked, pa.float64()).to_numpy(zero_copy_only=False), dtype=float)  # writable
    except (pa.ArrowInvalid, pa.ArrowNotImplementedError, pa.ArrowTypeError):
        out = pd.to_numeric(s.where(~blank, None), errors="coerce").to_numpy(dtype=float, na_value=np.nan)
        return np.array(out, dtype=float)


def excel_letter(pos: int) -> str:
    s, n = "", pos + 1
    while n:
        n, r = divmod(n - 1, 26)
        s = chr(65 + r) + s
    return s


def _excel_serial_hint(values: pd.Series) -> str:
    try:
        v = float(values.iloc[0])
        return f" ({values.iloc[0]} = {(_EXCEL_EPOCH + pd.Timedelta(days=v)).date()})"
    except (ValueError, OverflowError, IndexError):
        return ""


_NS_MIN = pd.Timestamp.min
_NS_MAX = pd.Timestamp.max
_YEAR_RE = r"^\s*(\d{4,})\s*[-/.年]"


def _sentinel_texts(sentinels: Any) -> set[str]:
    return {str(v).strip() for v in (sentinels or []) if str(v).strip()}


def parse_date(frame: pd.DataFrame, col: Col, pr: Problems, input_name: str,
               date_format: str | None = None, sentinels: Any = None,
               recoded: np.ndarray | None = None) -> pd.Series:
    """Dates as ``datetime64[ns]``.

    A cell equal to one of *sentinels* (e.g. ``9999-12-31`` for "still employed") becomes blank and is
    marked in *recoded* (the caller logs it).  A date outside the range pandas can hold (years 1678 to
    2261) is reported with its row and column instead of ending validation with a bare error.
    """
    s = frame[col.name]
    blank = blank_mask(s)
    out = pd.Series(pd.NaT, index=s.index, dtype="datetime64[ns]")
    todo = ~blank
    sent = _sentinel_texts(sentinels)
    if sent and len(s):
        hit = todo & s.str.strip().isin(sent).to_numpy(dtype=bool)
        if hit.any():
            todo &= ~hit
            if recoded is not None:
                recoded |= hit
    formats = (date_format,) if date_format else DATE_FORMATS
    far = np.zeros(len(s), dtype=bool)
    if formats[0] == "%Y-%m-%d" and todo.any():  # the cells the first format reads, read from their bytes
        iso, values = _iso_dates(_arrow(s), todo)
        if iso.any():
            out.iloc[np.flatnonzero(iso)] = values
            todo &= ~iso
    for fmt in formats:
        if not todo.any():
            break
        parsed = pd.to_datetime(s[todo], format=fmt, errors="coerce")
        ok = parsed.notna().to_numpy()
        if ok.any():
            beyond = ok & ((parsed < _NS_MIN) | (parsed > _NS_MAX)).to_numpy(dtype=bool)
            idx = np.flatnonzero(todo)
            far[idx[beyond]] = True
            good = ok & ~beyond
            out.iloc[idx[good]] = parsed[good].astype("datetime64[ns]").to_numpy()
            todo[idx[ok]] = False
    if todo.any():  # years the parser itself refuses (e.g. 10000-01-01, 0001-01-01 in some formats)
        years = pd.to_numeric(s[todo].str.extract(_YEAR_RE)[0], errors="coerce").to_numpy(dtype=float)
        odd = (years < _NS_MIN.year + 1) | (years > _NS_MAX.year - 1)
        idx = np.flatnonzero(todo)[odd]
        far[idx] = True
        todo[idx] = False
    if far.any():
        key = f"inputs.{input_name}.exit_date_sentinels" if col.name == "exit_date" else None
        hint = (f"; if it means 'still employed' list it in {key} (e.g. [\"9999-12-31\"]) or leave the cell blank"
                if key else "; correct the date (or leave the cell blank if it is unknown)")
        pr.add_mask(frame, far, col.name, "date_out_of_range",
                    f"a date outside the years {_NS_MIN.year + 1}–{_NS_MAX.year - 1}" + hint)
    if todo.any():
        serial = todo & s.str.fullmatch(_SERIAL_RE).fillna(False).to_numpy(dtype=bool)
        if serial.any():
            num = pd.to_numeric(s[serial], errors="coerce")
            serial_idx = np.flatnonzero(serial)[((num >= 20000) & (num <= 80000)).to_numpy()]
            serial = np.zeros(len(s), dtype=bool)
            serial[serial_idx] = True
        if serial.any():
            pr.add_mask(frame, serial, col.name, "excel_date_serial",
                        "an Excel date serial number, not a date" + _excel_serial_hint(s[serial])
                        + "; format the column as a date (YYYY-MM-DD) before exporting")
        other = todo & ~serial
        fmt_txt = f"the format {date_format!r} (inputs.{input_name}.date_format)" if date_format else \
            f"a date written YYYY-MM-DD (or set inputs.{input_name}.date_format)"
        pr.add_mask(frame, other, col.name, "date_unparseable", f"not {fmt_txt}")
    if not col.nullable:
        pr.add_mask(frame, blank, col.name, "required_value", "is blank; a date is required")
    return out


def _digits(m: np.ndarray, cols: list[int]) -> tuple[np.ndarray, np.ndarray]:
    """(all of these byte columns are ASCII digits, their decimal value) per row of the byte matrix *m*."""
    d = m[:, cols] - np.uint8(0x30)            # a digit gives 0..9, any other byte wraps past 9
    ok = (d <= 9).all(axis=1)
    return ok, d.astype(np.int64) @ (10 ** np.arange(len(cols) - 1, -1, -1, dtype=np.int64))


def _canonical_months(arr: pa.Array | pa.ChunkedArray) -> np.ndarray:
    """Cells written ``YYYY-MM`` with a month 01..12 (the regex ``^\\d{4}-(0[1-9]|1[0-2])$``), from their bytes."""
    n = len(arr)
    sel = byte_lengths(arr) == 7
    out = np.zeros(n, dtype=bool)
    m = fixed_width(arr, sel, 7) if sel.any() else np.zeros((0, 7), dtype=np.uint8)
    if m is None:
        return _np_bool(pc.match_substring_regex(arr, r"^\d{4}-(0[1-9]|1[0-2])$"))
    y_ok, _ = _digits(m, [0, 1, 2, 3])
    m_ok, month = _digits(m, [5, 6])
    out[np.flatnonzero(sel)] = y_ok & m_ok & (m[:, 4] == 0x2D) & (month >= 1) & (month <= 12)
    return out


# years whose every day a nanosecond timestamp holds (1677-09-21 .. 2262-04-11)
_ISO_YEARS = (_NS_MIN.year + 1, _NS_MAX.year - 1)


def _iso_dates(arr: pa.Array | pa.ChunkedArray, todo: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Cells of *todo* that are valid dates written ``YYYY-MM-DD`` in the years of :data:`_ISO_YEARS`,
    and their values (``datetime64[ns]``), from their bytes.

    These are cells ``pd.to_datetime(format="%Y-%m-%d")`` reads, to the same value; every other cell
    is left to it.
    """
    hit = np.zeros(len(todo), dtype=bool)
    sel = todo & (byte_lengths(arr) == 10)
    m = fixed_width(arr, sel, 10) if sel.any() else None
    if m is None:
        return hit, np.zeros(0, dtype="datetime64[ns]")
    y_ok, year = _digits(m, [0, 1, 2, 3])
    m_ok, month = _digits(m, [5, 6])
    d_ok, day = _digits(m, [8, 9])
    ok = (y_ok & m_ok & d_ok & (m[:, 4] == 0x2D) & (m[:, 7] == 0x2D) & (year >= _ISO_YEARS[0])
          & (year <= _ISO_YEARS[1]) & (month >= 1) & (month <= 12) & (day >= 1))
    first = np.where(ok, (year - 1970) * 12 + month - 1, 0).astype("datetime64[M]")
    days_in_month = ((first + 1).astype("datetime64[D]") - first.astype("datetime64[D]")).astype(np.int64)
    ok &= day <= days_in_month
    hit[np.flatnonzero(sel)[ok]] = True
    values = (first.astype("datetime64[D]") + (day - 1)).astype("datetime64[ns]")
    return hit, values[ok]


def parse_month(frame: pd.DataFrame, col: Col, pr: Problems) -> pd.Series:
    s = frame[col.name]
    blank = blank_mask(s)
    ok = np.zeros(len(s), dtype=bool)
    canonical = np.zeros(len(s), dtype=bool)
    if len(s):
        canonical = _canonical_months(_arrow(s))
    ok |= canonical
    rest = ~canonical & ~blank
    y = pd.Series(np.nan, index=s.index)
    m = pd.Series(np.nan, index=s.index)
    if rest.any():
        parts = s[rest].str.extract(_MONTH_RE)
        y[rest] = pd.to_numeric(parts[0], errors="coerce").to_numpy(dtype=float, na_value=np.nan)
        m[rest] = pd.to_numeric(parts[1], errors="coerce").to_numpy(dtype=float, na_value=np.nan)
        ok |= (y.notna() & m.between(1, 12)).to_numpy()
    bad = ~blank & ~ok
    if bad.any():
        serial = bad & s.str.fullmatch(_SERIAL_RE).fillna(False).to_numpy(dtype=bool)
        pr.add_mask(frame, serial, col.name, "excel_date_serial",
                    "an Excel date serial number, not a month" + _excel_serial_hint(s[serial])
                    + "; write months as YYYY-MM")
        pr.add_mask(frame, bad & ~serial, col.name, "month_unparseable", "not a month written YYYY-MM")
    if not col.nullable:
        pr.add_mask(frame, blank, col.name, "required_value", "is blank; a month is required")
    fix = ok & ~canonical
    if not fix.any():  # every month written YYYY-MM (or missing): the cells as they are
        return s.where(canonical).astype("str")
    out = s.where(canonical, "").astype(object)
    if fix.any():
        yy = y[fix].astype(int).astype(str).str.zfill(4)
        mm = m[fix].astype(int).astype(str).str.zfill(2)
        out[fix] = (yy + "-" + mm).to_numpy()
    out[~ok] = pd.NA
    return out.astype("str")


def _numbers(s: pd.Series, blank: np.ndarray, allow_percent: bool) -> tuple[np.ndarray, np.ndarray]:
    """Numeric values of *s* (NaN where blank or bad) and a mask of cells written with '%'."""
    pct = np.zeros(len(s), dtype=bool)
    if allow_percent and len(s) and any_byte(_arrow(s), lambda b: b == 0x25, (0x26, 0xFF)):   # some '%'
        pct = _np_bool(pc.ends_with(_arrow(s), "%"))
        if pct.any():
            base = s.where(~pct, s.str[:-1].str.strip())
            return to_float(base, blank), pct
    return to_float(s, blank), pct


def parse_number(frame: pd.DataFrame, col: Col, pr: Problems, input_name: str,
                 rate_scale: str = "fraction") -> pd.Series:
    s = frame[col.name]
    blank = blank_mask(s)
    is_rate = col.kind in ("rate", "fraction")
    vals, pct = _numbers(s, blank, allow_percent=is_rate)
    finite = np.isfinite(vals)
    bad_text = ~blank & ~finite
    what = {"int": "a whole number", "number": "a number", "rate": "a rate", "fraction": "a fraction"}[col.kind]
    pr.add_mask(frame, bad_text, col.name, "not_a_number", f"text where {what} is expected")
    if not col.nullable:
        pr.add_mask(frame, blank, col.name, "required_value", f"is blank; {what} is required")
    ok = ~blank & finite
    if col.kind == "int":
        frac = ok & (np.floor(np.where(ok, vals, 0)) != np.where(ok, vals, 0))
        pr.add_mask(frame, frac, col.name, "not_whole_number", "must be a whole number")
        ok = ok & ~frac
    if is_rate and col.kind == "rate" and col.suspect_fraction:
        # the scale is a property of the whole column: a column holding both fractions (0.8627) and
        # percentages (86.27) is rejected, naming the rows of the minority form; nothing is rescaled
        plain = ok & ~pct
        small = plain & (vals > 0) & (vals < 1)
        big = plain & (vals > 1) & (vals <= 100)
        if small.any() and big.any():
            n_small, n_big = int(small.sum()), int(big.sum())
            minority, form, other = ((small, "fractions (like 0.86)", "percentages (like 86)") if n_small <= n_big
                                     else (big, "percentages (like 86)", "fractions (like 0.86)"))
            pr.add_mask(frame, minority, col.name, "rate_mixed_scale",
                        f"the column mixes fractions and percentages: {min(n_small, n_big)} value(s) are "
                        f"{form}, {max(n_small, n_big)} are {other}; write every value of the column in one form "
                        f"(or as '86%') and set inputs.{input_name}.rate_scale to match")
            ok = ok & ~minority
    if is_rate:
        scale = "fraction" if col.kind == "fraction" else rate_scale
        hi = 1.0 if scale == "fraction" else 100.0
        frac_vals = np.where(pct, vals / 100.0, vals / (1.0 if scale == "fraction" else 100.0))
        raw_out = ok & ~pct & ((vals < 0) | (vals > hi))
        pct_out = ok & pct & ((vals < 0) | (vals > 100))
        if raw_out.any():
            if scale == "fraction":
                looks_pct = raw_out & (vals > 1) & (vals <= 100)
                if col.kind == "rate":
                    hint = (f"rates must be fractions in [0, 1] (inputs.{input_name}.rate_scale: fraction); "
                            f"these look like percentages: if the export gives percentages set "
                            f"inputs.{input_name}.rate_scale: percent")
                else:
                    hint = "must be a fraction in [0, 1] (write 85% as 0.85 or as '85%')"
                pr.add_mask(frame, looks_pct, col.name, "rate_range", hint)
                pr.add_mask(frame, raw_out & ~looks_pct, col.name, "rate_range", "must be a fraction in [0, 1]")
            else:
                pr.add_mask(frame, raw_out, col.name, "rate_range",
                            f"rates must be percentages in [0, 100] (inputs.{input_name}.rate_scale: percent)")
        pr.add_mask(frame, pct_out, col.name, "rate_range", "a percentage must lie in [0%, 100%]")
        if scale == "percent" and col.suspect_fraction and col.kind == "rate":
            plain = ok & ~pct & ~raw_out
            pv = vals[plain]
            if pv.size >= 3 and pv.max() <= 1.0 and pv.max() > 0:
                pr.add_mask(frame, plain, col.name, "rate_scale",
                            f"every value is at most 1: these look like fractions, but "
                            f"inputs.{input_name}.rate_scale is 'percent' — set rate_scale: fraction")
        out = np.where(ok & ~raw_out & ~pct_out, frac_vals, np.nan)
        return pd.Series(out, index=s.index, dtype=float)
    lo_bad = np.zeros(len(s), dtype=bool)
    hi_bad = np.zeros(len(s), dtype=bool)
    if col.min is not None:
        lo_bad = ok & ((vals <= col.min) if col.min_exclusive else (vals < col.min))
    if col.max is not None:
        hi_bad = ok & (vals > col.max)
    rng = lo_bad | hi_bad
    if rng.any():
        lo_txt = "" if col.min is None else (f"> {col.min:g}" if col.min_exclusive else f">= {col.min:g}")
        hi_txt = "" if col.max is None else f"<= {col.max:g}"
        pr.add_mask(frame, rng, col.name, "number_range",
                    "must be " + " and ".join(t for t in (lo_txt, hi_txt) if t))
    out = np.where(ok & ~rng, vals, np.nan)
    return pd.Series(out, index=s.index, dtype=float)


_FLAGS = {"0": False, "1": True, "0.0": False, "1.0": True, "true": True, "false": False,
          "yes": True, "no": False, "y": True, "n": False, "是": True, "否": False, "t": True, "f": False}


def parse_flag(frame: pd.DataFrame, col: Col, pr: Problems) -> pd.Series:
    s = frame[col.name]
    blank = blank_mask(s)
    mapped = s.str.lower().map(_FLAGS)
    bad = ~blank & mapped.isna().to_numpy()
    pr.add_mask(frame, bad, col.name, "not_a_flag", "must be 0 or 1 (also true/false, yes/no, 是/否)")
    if not col.nullable:
        pr.add_mask(frame, blank, col.name, "required_value", "is blank; 0 or 1 is required")
    return mapped.fillna(False).astype(bool)


def parse_text(frame: pd.DataFrame, col: Col, pr: Problems, allowed: tuple[str, ...] | None = None) -> pd.Series:
    s = frame[col.name]
    blank = blank_mask(s)
    if not col.nullable:
        pr.add_mask(frame, blank, col.name, "required_value", "is blank; a value is required")
    if col.kind in ("id", "category"):
        arr = _arrow(s) if len(s) else None
        broken = np.zeros(len(s), bool)
        if arr is not None and any_byte(arr, _line_break_byte, (0x0E, 0xFF)):  # else no cell can hold one
            broken = _np_bool(pc.match_substring_regex(arr, r"[\r\n]"))
        pr.add_mask(frame, broken, col.name, "line_break",
                    "contains a line break (is a quote left open on this row?)")
        hidden = np.zeros(len(s), bool)
        if arr is not None and any_byte(arr, _maybe_invisible_byte, (0x20, 0x7E)):
            hidden = ~broken & _np_bool(pc.match_substring_regex(arr, _INVISIBLE_RE2))
        pr.add_mask(frame, hidden, col.name, "invisible_character",
                    "contains an invisible or control character (shown escaped, e.g. \\u200b): two ids that look "
                    "the same would be different agents; delete the character in the export")
    allowed = allowed or col.allowed
    if allowed is not None:
        canon = {norm_label(a): a for a in allowed}
        lookup = {u: canon.get(norm_label(u)) for u in s.unique()}
        if all(isinstance(u, str) and (c is None or c == u) for u, c in lookup.items()):
            # every cell is already an allowed value as written, or not allowed at all: one hash lookup
            unknown = pa.array([u for u, c in lookup.items() if c is None], type=pa.string())
            bad = ~blank & (_np_bool(pc.is_in(_arrow(s), value_set=unknown)) if len(unknown)
                            else np.zeros(len(s), bool))
            pr.add_mask(frame, bad, col.name, "not_allowed",
                        "must be one of " + ", ".join(f"'{a}'" for a in allowed))
            out = s.astype(str)
        else:
            mapped = s.map(lookup).astype(object)
            bad = ~blank & mapped.isna().to_numpy()
            pr.add_mask(frame, bad, col.name, "not_allowed",
                        "must be one of " + ", ".join(f"'{a}'" for a in allowed))
            out = mapped.where(mapped.notna(), s).astype(str)
    else:
        out = s.astype(str)
    return out.where(~blank, "") if col.nullable else out


# one-byte cells: a digit is its value, a one-byte missing-value token is blank; any other cell is "other"
_BYTE_VALUE = np.full(256, np.nan)
_BYTE_VALUE[0x30:0x3A] = np.arange(10, dtype=float)
_BYTE_KIND = np.full(256, 2, dtype=np.int8)   # 0 digit, 1 blank, 2 other
_BYTE_KIND[0x30:0x3A] = 0
for _tok in NA_TOKENS:
    if len(_tok.encode("utf-8")) == 1:
        _BYTE_KIND[_tok.encode("utf-8")[0]] = 1


def _short_numbers(s: pd.Series, out: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
    """(blank mask, value) of every cell, as :func:`blank_mask` and :func:`to_float` give them.

    Answers are mostly one digit or blank: those cells are read from their byte directly; the others
    (longer numbers, labels, odd text) go through :func:`blank_mask` and :func:`to_float` together.
    The result is the same as theirs on the whole column: digits and blanks parse the same way
    whichever reader :func:`to_float` ends up using, and every other cell is in the subset.
    """
    n = len(s)
    arr = _arrow(s) if n else None
    lens = byte_lengths(arr) if n else np.zeros(0, dtype=np.int64)
    one = lens == 1
    first = fixed_width(arr, one, 1) if n and one.any() else np.zeros((0, 1), dtype=np.uint8)
    num = np.empty(n) if out is None else out
    if first is None:
        blank = blank_mask(s)
        num[:] = to_float(s, blank)
        return blank, num
    kind = np.full(n, 2, dtype=np.int8)
    kind[lens == 0] = 1 if "" in NA_TOKENS else 2
    num.fill(np.nan)
    kind[one] = _BYTE_KIND[first[:, 0]]
    num[one] = _BYTE_VALUE[first[:, 0]]
    blank = kind == 1
    other = kind == 2
    if other.any():
        idx = np.flatnonzero(other)
        sub = s.iloc[idx]
        sub_blank = blank_mask(sub)
        blank[idx] = sub_blank
        num[idx] = to_float(sub, sub_blank)
    return blank, num


def parse_scores(frame: pd.DataFrame, column: str, pr: Problems, labels: dict[str, float],
                 lo: int, hi: int, out: np.ndarray | None = None) -> pd.Series:
    """Scores as floats: numbers as answered, labels mapped; out-of-range numbers are kept (cleaning).

    With *out* (a float array, one value per row) the values are written there.
    """
    s = frame[column]
    blank, num = _short_numbers(s, out)
    bad = ~blank & ~np.isfinite(num)
    if bad.any() and labels:
        idx = np.flatnonzero(bad)
        sub = s.iloc[idx]
        lookup = {u: labels.get(norm_label(u), np.nan) for u in sub.unique()}
        mapped = sub.map(lookup).to_numpy(dtype=float)
        hit = ~np.isnan(mapped)
        num[idx[hit]] = mapped[hit]
        bad[idx[hit]] = False
    if bad.any():
        where = "a label listed under scale.labels" if labels else "a label (none are set in scale.labels)"
        pr.add_mask(frame, bad, column, "score_not_number",
                    f"text where a score is expected: answers must be numbers from {lo} to {hi} or {where}")
    num[bad] = np.nan
    return pd.Series(num, index=s.index, dtype=float, copy=False)


