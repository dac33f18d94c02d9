"""Engines that run the KPI expressions: DuckDB (embedded) or Spark (PySpark).

DuckDB needs nothing started and works out of core (it spills to a temporary
folder), so it is the default.  Spark runs through Ibis's PySpark backend, on a
cluster (``spark://host:7077``) or in local mode (``local[*]``); PySpark and a
Java runtime come with the optional ``spark`` extra (``make spark``).

Every session is set to UTC so that epoch seconds of the (time-zone-free)
contact timestamps are the same on both engines, whatever the machine's zone.
"""

from __future__ import annotations

import logging
from typing import Any, Literal

import ibis

__all__ = ["connect", "spark_session", "BACKENDS"]

log = logging.getLogger(__name__)

BACKENDS: tuple[str, ...] = ("duckdb", "spark")


def spark_session(master: str = "local[*]", *, app_name: str = "ccstudy-kpi",
                  config: dict[str, str] | None = None) -> Any:
    """A (possibly shared) SparkSession for *master*, set to UTC.

    Raises
    ------
    RuntimeError
        When PySpark (the ``spark`` extra) or Java is not installed, with the
        command that installs them.
    """
    try:
        from pyspark.sql import SparkSession
    except ImportError as exc:  # pragma: no cover - depends on the extra
        raise RuntimeError("kpi.backend 'spark' needs PySpark: pip install -e '.[spark]' "
                           "(or `make spark`, which also installs Java)") from exc
    import shutil

    if shutil.which("java") is None and not _java_home():
        raise RuntimeError("kpi.backend 'spark' needs a Java runtime: `make spark` installs "
                           "openjdk-17-jre-headless (or set JAVA_HOME)")
    b = (SparkSession.builder.master(master).appName(app_name)
         .config("spark.sql.session.timeZone", "UTC")
         .config("spark.ui.enabled", "false")
         .config("spark.ui.showConsoleProgress", "false")
         .config("spark.sql.shuffle.partitions", "8"))
    for k, v in (config or {}).items():
        b = b.config(k, v)
    return b.getOrCreate()


def _java_home() -> bool:
    import os

    return bool(os.environ.get("JAVA_HOME"))


def connect(backend: Literal["duckdb", "spark"] = "duckdb", *, spark_master: str = "local[*]",
            session: Any = None, threads: int | None = None, memory_limit: str | None = None,
            temp_directory: str | None = None) -> Any:
    """An Ibis connection to *backend*.

    Parameters
    ----------
    backend
        ``duckdb`` (embedded, in memory, spilling to *temp_directory*) or
        ``spark``.
    spark_master
        Spark master URL (``local[*]``, ``spark://host:7077``, ``yarn`` ...)
        when no *session* is given.
    session
        An existing SparkSession to reuse (tests share one).
    threads, memory_limit, temp_directory
        DuckDB settings (defaults: DuckDB's own).
    """
    if backend == "duckdb":
        con = ibis.duckdb.connect()
        raw = con.con
        raw.execute("SET TimeZone = 'UTC'")
        try:
            raw.execute("SET enable_progress_bar = false")
        except Exception:  # noqa: BLE001 - in a Jupyter kernel without ipywidgets DuckDB refuses any change
            log.debug("DuckDB progress bar setting left as is (no ipywidgets in this kernel)")
        if threads:
            raw.execute(f"SET threads = {int(threads)}")
        if memory_limit:
            raw.execute(f"SET memory_limit = '{_sql_str(memory_limit)}'")
        if temp_directory:
            raw.execute(f"SET temp_directory = '{_sql_str(str(temp_directory))}'")
        return con
    if backend == "spark":
        s = session if session is not None else spark_session(spark_master)
        s.conf.set("spark.sql.session.timeZone", "UTC")
        return ibis.pyspark.connect(s)
    raise ValueError(f"kpi.backend must be one of {', '.join(BACKENDS)}; got {backend!r}")


def _sql_str(s: str) -> str:
    return s.replace("'", "''")
