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

from pathlib import Path
from typing import Any

__all__ = ["contact_files", "read_contacts"]


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
