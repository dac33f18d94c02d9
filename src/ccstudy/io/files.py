"""Atomic, deterministic file writers and hashing.

Every output of the pipeline goes through these functions so that

* a run interrupted mid-write (Ctrl-C, kill) never leaves a half-written file:
  data are written to a temporary file in the same folder, flushed, fsynced and
  then renamed over the target with :func:`os.replace` (atomic on POSIX);
* the same inputs give byte-identical files: parquet is written without
  timestamps and with fixed options, JSON with sorted keys and a fixed float
  format, CSV with a fixed line terminator.
"""

from __future__ import annotations

import contextlib
import csv
import hashlib
import io
import json
import os
import tempfile
from pathlib import Path
from typing import Any, Iterator

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from ccstudy.escape import csv_frame, csv_unframe
from ccstudy.jsonsafe import to_jsonable


@contextlib.contextmanager
def atomic_path(target: str | os.PathLike[str]) -> Iterator[Path]:
    """Yield a temporary path next to *target*; rename it over *target* on success."""
    target = Path(target)
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=target.parent)
    os.close(fd)
    tmp_path = Path(tmp)
    try:
        yield tmp_path
        with open(tmp_path, "rb") as fh:
            os.fsync(fh.fileno())
        os.chmod(tmp_path, 0o644)
        os.replace(tmp_path, target)
    finally:
        if tmp_path.exists():
            tmp_path.unlink()


def write_bytes(target: str | os.PathLike[str], data: bytes) -> Path:
    """Write *data* to *target* atomically."""
    with atomic_path(target) as tmp:
        tmp.write_bytes(data)
    return Path(target)


def write_text(target: str | os.PathLike[str], text: str) -> Path:
    """Write UTF-8 *text* (Unix newlines) to *target* atomically."""
    return write_bytes(target, text.encode("utf-8"))


def dumps_json(obj: Any) -> str:
    """Canonical JSON: JSON-safe values, sorted keys, 2-space indent, final newline."""
    return json.dumps(to_jsonable(obj), sort_keys=True, indent=2, ensure_ascii=False, allow_nan=False) + "\n"


def write_json(target: str | os.PathLike[str], obj: Any) -> Path:
    """Write *obj* as canonical JSON atomically (see :func:`dumps_json`)."""
    return write_text(target, dumps_json(obj))


def read_json(path: str | os.PathLike[str]) -> Any:
    with open(path, encoding="utf-8") as fh:
        return json.load(fh)


def write_csv(target: str | os.PathLike[str], frame: pd.DataFrame, *, index: bool = False) -> Path:
    """Write a CSV (UTF-8, ``\\n`` line ends, fixed float format) atomically.

    Text cells that a spreadsheet would run as a formula (starting with ``= + - @``,
    TAB or CR, numbers excepted) get a leading ``'`` (:func:`ccstudy.escape.csv_cell`);
    :func:`read_csv` undoes it.
    """
    safe = csv_frame(frame)
    # the csv writer quotes a cell holding '\n' but not one holding a lone '\r' (with '\n' line ends):
    # such a cell would split its row when read back, so then every text cell is quoted
    has_cr = any(safe[c].map(lambda v: isinstance(v, str) and "\r" in v).any() for c in safe.columns
                 if not pd.api.types.is_numeric_dtype(safe[c].dtype))
    buf = io.StringIO()
    safe.to_csv(buf, index=index, lineterminator="\n", float_format="%.10g",
                quoting=csv.QUOTE_NONNUMERIC if has_cr else csv.QUOTE_MINIMAL)
    return write_text(target, buf.getvalue())


def read_csv(path: str | os.PathLike[str]) -> pd.DataFrame:
    """Read a CSV written by :func:`write_csv` back (formula guards removed; only blank cells are missing)."""
    frame = pd.read_csv(path, keep_default_na=False, na_values=[""])
    return csv_unframe(frame)


def write_parquet(target: str | os.PathLike[str], frame: pd.DataFrame) -> Path:
    """Write a DataFrame as parquet with deterministic bytes, atomically.

    The pandas index is kept only when it is named; statistics, compression and
    the writer version are pinned so that two runs give identical files.
    """
    keep_index = any(name is not None for name in frame.index.names)
    table = pa.Table.from_pandas(frame, preserve_index=keep_index)
    with atomic_path(target) as tmp:
        pq.write_table(
            table,
            tmp,
            compression="zstd",
            compression_level=3,
            use_dictionary=True,
            write_statistics=True,
            version="2.6",
            data_page_version="1.0",
        )
    return Path(target)


def read_parquet(path: str | os.PathLike[str]) -> pd.DataFrame:
    return pd.read_parquet(path)


def sha256_file(path: str | os.PathLike[str], chunk: int = 1 << 20) -> str:
    """SHA-256 hex digest of a file's bytes."""
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        while True:
            block = fh.read(chunk)
            if not block:
                break
            h.update(block)
    return h.hexdigest()


def sha256_bytes(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def sha256_folder(path: str | os.PathLike[str]) -> str:
    """SHA-256 over a folder's files (relative names and bytes, in name order; hidden files skipped)."""
    root = Path(path)
    h = hashlib.sha256()
    for p in sorted(q for q in root.rglob("*") if q.is_file() and not q.name.startswith(".")):
        h.update(p.relative_to(root).as_posix().encode())
        h.update(sha256_file(p).encode())
    return h.hexdigest()


def read_stamp(stamp: Path, key: str) -> dict | None:
    """A cache stamp's contents when it exists, is readable and carries *key*; else None.

    The pipeline's stage stamps and the renderer's report stamps are both checked this way
    before their recorded files are compared (:func:`files_unchanged`).
    """
    if not stamp.is_file():
        return None
    try:
        data = read_json(stamp)
    except (OSError, ValueError):
        return None
    return data if data.get("key") == key else None


def files_unchanged(folder: Path, digests: dict[str, str | None]) -> bool:
    """Whether every file ``folder / rel`` still has its recorded SHA-256 (None: the file was absent)."""
    for rel, digest in digests.items():
        p = folder / rel
        if (sha256_file(p) if p.is_file() else None) != digest:
            return False
    return True
