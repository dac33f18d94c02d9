"""User text is data: escaping for every sink the project writes to.

Team, agent, competency and item names, labels and cell values come from the
study's files; they must come out of every report exactly as written and never
be read as markup, a citation, a script or a spreadsheet formula.

=================  ==============================================================
:func:`html`       HTML text and attribute values (``& < > " '``)
:func:`markdown`   Pandoc markdown: every ASCII punctuation character backslash-escaped
                   (no emphasis, link, raw HTML, citation ``@key``, heading, list or
                   table markup can start inside a name); line breaks become spaces
:func:`typst`      Typst markup (``# $ * _ @ < > [ ] \\ ` ~ = - + /`` and quotes)
:func:`csv_cell`   OWASP CSV-injection rule: a text cell starting with ``= + - @``,
                   TAB or CR gets a leading ``'`` (numbers are left alone);
                   :func:`csv_uncell` reverses it exactly
:func:`mathtext`   matplotlib labels: ``$`` escaped so no mathtext is parsed
:func:`slug`       file-name part from any text, collision-free (stable slug + hash)
:func:`visible`    invisible and control characters shown as ``\\u200b``-style escapes
=================  ==============================================================
"""

from __future__ import annotations

import hashlib
import html as _html
import re
import unicodedata
from typing import Any

import pandas as pd

# --------------------------------------------------------------------------- visible text (messages)

_INVISIBLE_CATEGORIES = ("Cc", "Cf", "Co", "Cs", "Cn", "Zl", "Zp")


def _is_invisible(ch: str) -> bool:
    if ch == " ":
        return False
    cat = unicodedata.category(ch)
    return cat in _INVISIBLE_CATEGORIES or (cat == "Zs")  # Zs other than ' ': NBSP, ideographic space ...


def visible(s: Any) -> str:
    """*s* with every invisible / control character written as an escape (``A0194\\u200b``)."""
    out = []
    for ch in str(s):
        if ch == "\n":
            out.append("\\n")
        elif ch == "\r":
            out.append("\\r")
        elif ch == "\t":
            out.append("\\t")
        elif _is_invisible(ch):
            cp = ord(ch)
            out.append(f"\\u{cp:04x}" if cp <= 0xFFFF else f"\\U{cp:08x}")
        else:
            out.append(ch)
    return "".join(out)


def has_invisible(s: str) -> bool:
    """Whether *s* holds a character that :func:`visible` would escape (tab, line breaks excluded)."""
    return any(_is_invisible(ch) for ch in s if ch not in "\t\r\n")


# --------------------------------------------------------------------------- HTML

def html(s: Any) -> str:
    """Escape *s* for HTML text or a quoted attribute value."""
    return _html.escape("" if s is None else str(s), quote=True)


# --------------------------------------------------------------------------- Pandoc markdown

_MD_ALWAYS = frozenset("\\`*{}[]<>|@$^~&!#")   # inline markup, raw HTML, citations, math, entities
_MD_PROSE = frozenset("'\"-.")                   # smart quotes, dashes and ellipses (rendered text only)
_MD_LINE_START = re.compile(r"^(?:[+\-=:>%]|\d+[.)])")
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


def markdown(s: Any, *, prose: bool = True) -> str:
    """Escape *s* for Pandoc markdown (inline text, table cells, headings).

    Backslash-escapes every character that can start markup inline (emphasis, code, links, raw
    HTML ``<script>``, citations ``@SUM``, math ``$``, entities ``&amp;``, table pipes), an
    underscore unless it sits inside a word (``hire_date`` stays readable), and a line-start
    marker (list, heading, quote).  With *prose* (text Pandoc renders) quotes, dashes and dots are
    escaped too so that they are not turned into typographic ones.  Line breaks and control
    characters become spaces (a table row or heading must stay on one line).
    """
    t = "" if s is None else str(s)
    t = t.replace("\r\n", " ").replace("\r", " ").replace("\n", " ")
    t = _CONTROL.sub(" ", t)
    out = []
    n = len(t)
    for i, ch in enumerate(t):
        if ch in _MD_ALWAYS or (prose and ch in _MD_PROSE):
            out.append("\\" + ch)
        elif ch == "_":
            inside = 0 < i < n - 1 and t[i - 1].isalnum() and t[i + 1].isalnum()
            out.append("_" if inside else "\\_")
        else:
            out.append(ch)
    text = "".join(out)
    m = _MD_LINE_START.match(text)  # a list, heading-underline or block-quote marker at the start
    if m:
        k = m.end() - 1
        text = text[:k] + "\\" + text[k:]
    return text


# --------------------------------------------------------------------------- Typst

_TYPST_SPECIAL = re.compile(r"([\\#$*_@<>\[\]`~=\-+/\"'])")


def typst(s: Any) -> str:
    """Escape *s* for Typst markup (content mode)."""
    t = "" if s is None else str(s)
    t = _CONTROL.sub(" ", t.replace("\r", " ").replace("\n", " "))
    return _TYPST_SPECIAL.sub(r"\\\1", t)


# --------------------------------------------------------------------------- CSV (formula injection)

FORMULA_CHARS = ("=", "+", "-", "@", "\t", "\r")
_NUMBER = re.compile(r"^[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?%?$")


def _needs_quote(v: str) -> bool:
    if v.startswith(FORMULA_CHARS):
        return not _NUMBER.match(v)
    if v.startswith("'"):  # keep the rule reversible: a text already starting with ' plus a formula char
        rest = v.lstrip("'")
        return rest.startswith(FORMULA_CHARS) and not _NUMBER.match(rest)
    return False


def csv_cell(v: Any) -> Any:
    """A text cell made safe for spreadsheets; non-text values and plain numbers are returned as they are."""
    if isinstance(v, str) and _needs_quote(v):
        return "'" + v
    return v


def csv_uncell(v: Any) -> Any:
    """Undo :func:`csv_cell` (for reading the project's own CSVs back)."""
    if isinstance(v, str) and v.startswith("'") and _needs_quote(v[1:]):
        return v[1:]
    return v


def _text_columns(frame: pd.DataFrame) -> list[Any]:
    return [c for c in frame.columns
            if pd.api.types.is_object_dtype(frame[c].dtype) or pd.api.types.is_string_dtype(frame[c].dtype)]


def csv_frame(frame: pd.DataFrame) -> pd.DataFrame:
    """A copy of *frame* with every text cell, the column names and a text index passed through :func:`csv_cell`."""
    out = frame.copy()
    for c in _text_columns(out):
        out[c] = out[c].map(csv_cell)
    out.columns = [csv_cell(c) if isinstance(c, str) else c for c in out.columns]
    if pd.api.types.is_object_dtype(out.index.dtype):
        out.index = out.index.map(csv_cell)
    return out


def csv_unframe(frame: pd.DataFrame) -> pd.DataFrame:
    """Undo :func:`csv_frame` on a frame read back from CSV."""
    out = frame.copy()
    for c in _text_columns(out):
        out[c] = out[c].map(csv_uncell)
    out.columns = [csv_uncell(c) if isinstance(c, str) else c for c in out.columns]
    return out


# --------------------------------------------------------------------------- figure labels

def mathtext(s: Any) -> str:
    """A matplotlib label that is shown as written (``$`` would start mathtext)."""
    return ("" if s is None else str(s)).replace("$", r"\$")


# --------------------------------------------------------------------------- file names

_SAFE_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,59}$")
_HASHED = re.compile(r"-[0-9a-f]{10}$")


def short_hash(s: str, n: int = 10) -> str:
    return hashlib.sha256(unicodedata.normalize("NFC", s).encode("utf-8")).hexdigest()[:n]


def slug(text: Any, default: str = "x") -> str:
    """A stable, file-name-safe and collision-free form of *text*.

    A short plain name (``T07``, ``team_a``) is kept as it is; any other text
    becomes its ASCII letters and digits plus ``-`` and a 10-digit hash of the
    full text (``客服一组`` -> ``x-3f2c...``, ``A/B`` -> ``A-B-...``), so two
    different names never share a file.
    """
    t = "" if text is None else str(text)
    if _SAFE_NAME.match(t) and not _HASHED.search(t) and t not in (".", ".."):
        return t
    ascii_part = unicodedata.normalize("NFKD", t).encode("ascii", "ignore").decode("ascii")
    base = re.sub(r"[^A-Za-z0-9_]+", "-", ascii_part).strip("-_")[:40].strip("-_") or default
    return f"{base}-{short_hash(t)}"


__all__ = ["visible", "has_invisible", "html", "markdown", "typst", "csv_cell", "csv_uncell", "csv_frame",
           "csv_unframe", "mathtext", "slug", "short_hash", "FORMULA_CHARS"]
