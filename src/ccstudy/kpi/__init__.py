"""Contact-level KPIs: definitions as Ibis expressions, run on DuckDB or Spark.

* :mod:`ccstudy.kpi.params` — :class:`KpiParams`, the thresholds and options;
* :mod:`ccstudy.kpi.definitions` — the KPI expressions (agent-, team-, centre-month);
* :mod:`ccstudy.kpi.backends` — DuckDB (default) and Spark connections;
* :mod:`ccstudy.kpi.progress` — rows processed while a long query runs.

Reading, validating and staging contact logs is :mod:`ccstudy.io.contacts`.
The formulas are documented in ``docs/kpi-definitions.md``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Iterable

import pandas as pd

from ccstudy.kpi.params import KpiParams

if TYPE_CHECKING:
    from ccstudy.kpi.progress import OnProgress

# Ibis is imported on first use (ccstudy.params reads KpiParams' defaults without loading an engine).
_LAZY = {"COUNT_COLUMNS", "KPI_COLUMNS", "LEVELS", "aggregate", "aggregate_rows", "contact_rows", "enrich",
         "kpi_table"}


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        from ccstudy.kpi import definitions

        return getattr(definitions, name)
    raise AttributeError(f"module 'ccstudy.kpi' has no attribute {name!r}")

__all__ = ["KpiParams", "kpi_table", "contact_rows", "enrich", "aggregate", "aggregate_rows", "compute",
           "COUNT_COLUMNS", "KPI_COLUMNS", "LEVELS", "to_agent_kpis", "to_centre_kpis"]


def compute(con: Any, contacts: Any, levels: Iterable[str] = ("agent", "team", "centre"),
            params: KpiParams = KpiParams(), *, teams: pd.DataFrame | None = None,
            on_progress: "OnProgress | None" = None, total_rows: int | None = None) -> dict[str, pd.DataFrame]:
    """Execute the KPI tables of *levels* on *con* and return them as DataFrames.

    Parameters
    ----------
    con
        An Ibis connection (:func:`ccstudy.kpi.backends.connect`).
    contacts
        An Ibis table of the canonical contact columns (see
        :func:`ccstudy.io.contacts.read_contacts`).
    levels
        Any of ``agent``, ``team``, ``centre``.
    teams
        An ``agent_id, team`` frame used for team-month KPIs when the log has
        no ``team`` column.
    on_progress
        Called with :class:`ccstudy.kpi.progress.Progress` while the queries
        run (rows processed, of *total_rows*): one phase per query.
    total_rows
        The log's rows (e.g. :func:`ccstudy.io.contacts.count_rows`, from the
        Parquet metadata); counted with a query when progress is wanted and it
        is not given.

    Returns
    -------
    dict
        level -> table.  Counts come back as int64, KPIs as float64 (NaN where a
        denominator is 0), rows sorted by their keys.

    Notes
    -----
    The per-contact flags and the repeat-contact window (the costly part) are
    computed once: with several levels they are cached on the engine (a DuckDB
    temporary table, a cached Spark DataFrame) and each level aggregates the
    cached rows; with one level everything is one query.
    """
    import ibis

    from ccstudy.kpi.definitions import LEVELS, aggregate_rows, contact_rows
    from ccstudy.kpi.progress import Phase, watch_query

    levels = list(levels)
    for level in levels:
        if level not in LEVELS:
            raise ValueError(f"level must be one of {', '.join(LEVELS)}; got {level!r}")
    if on_progress is not None and total_rows is None:
        total_rows = int(con.execute(contacts.count()))
    out: dict[str, pd.DataFrame] = {}
    tm = None
    if teams is not None and "team" in levels and "team" not in contacts.columns:
        tm = ibis.memtable(teams[["agent_id", "team"]].astype(str))
    rows = contact_rows(contacts, params)
    cached = None
    if len(levels) > 1:
        with watch_query(con, Phase(on_progress, "contacts", total_rows)):
            cached = rows = rows.cache()
    try:
        for level in levels:
            expr = aggregate_rows(rows, level, params, teams=tm)  # type: ignore[arg-type]
            with watch_query(con, Phase(on_progress, f"{level}-month", total_rows)):
                # DuckDB: Arrow straight to pandas (_tidy sets the types), skipping Ibis's per-column conversion
                df = con.to_pyarrow(expr).to_pandas() if con.name == "duckdb" else con.execute(expr)
            out[level] = _tidy(df, LEVELS[level])
    finally:
        if cached is not None:
            cached.release()
    return out


def _tidy(df: pd.DataFrame, keys: tuple[str, ...]) -> pd.DataFrame:
    from ccstudy.kpi.definitions import COUNT_COLUMNS, KPI_COLUMNS

    df = df.copy()
    for k in keys:
        df[k] = df[k].astype(object).where(df[k].notna(), None)
    for c in COUNT_COLUMNS:
        if c in ("handle_sec_total", "csat_total"):
            df[c] = df[c].astype("float64")
        else:
            df[c] = df[c].fillna(0).astype("int64")
    for c in KPI_COLUMNS:
        df[c] = pd.to_numeric(df[c], errors="coerce").astype("float64")
    return df.sort_values(list(keys), kind="stable", na_position="last").reset_index(drop=True)


def to_agent_kpis(agent_month: pd.DataFrame) -> pd.DataFrame:
    """The agent-month KPI table in the shape of the ``agent_kpis`` input.

    ``contacts`` = answered contacts (handled by the agent), ``fcr``, ``csat``
    (top-box share), ``answer_rate``, ``aht_sec``; the other KPIs follow as
    extra numeric columns.  No ``qa_score``: quality scores are not in a
    contact log.
    """
    a = agent_month
    out = pd.DataFrame({
        "agent_id": a["agent_id"].astype(str),
        "month": a["month"].astype(str),
        "contacts": a["answered"].astype("int64"),
        "fcr": a["fcr"], "csat": a["csat"], "answer_rate": a["answer_rate"], "aht_sec": a["aht_sec"],
        "offered": a["offered"].astype("int64"),
        "abandon_rate": a["abandon_rate"], "service_level": a["service_level"],
        "transfer_rate": a["transfer_rate"], "csat_mean": a["csat_mean"],
    })
    return out.sort_values(["agent_id", "month"], kind="stable").reset_index(drop=True)


def to_centre_kpis(centre_month: pd.DataFrame) -> pd.DataFrame:
    """The centre-month KPI table in the shape of the ``centre_kpis`` input (rates as fractions)."""
    c = centre_month
    out = pd.DataFrame({
        "month": c["month"].astype(str),
        "offered": c["offered"].astype("int64"), "answered": c["answered"].astype("int64"),
        "answer_rate": c["answer_rate"], "fcr": c["fcr"], "csat": c["csat"],
        "abandon_rate": c["abandon_rate"], "abandon_rate_excl_short": c["abandon_rate_excl_short"],
        "service_level": c["service_level"], "aht_sec": c["aht_sec"], "transfer_rate": c["transfer_rate"],
        "csat_mean": c["csat_mean"],
    })
    return out.sort_values("month", kind="stable").reset_index(drop=True)
