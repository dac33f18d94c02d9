"""Contact-level KPI definitions, written once as Ibis expressions.

The same expressions run on DuckDB (embedded, the default) and on Spark through
Ibis's PySpark backend: nothing here knows which engine executes them.  Only
portable operations are used (window ``lead()``, ``CASE``, ``GROUP BY``, integer
epoch seconds); no asof join, which the PySpark backend does not run.

Input: a contact table with the canonical columns of :data:`CONTACT_COLUMNS`
(see :mod:`ccstudy.io.contacts` for reading, column mapping and validation).
Output: one row per group (agent-month, team-month or centre-month) with the
counts every KPI is built from and the KPIs themselves; the formulas are in
``docs/kpi-definitions.md`` and mirrored, independently, by the pandas reference
in ``tests/kpi/reference.py``.

Notes
-----
* The month of a contact is the calendar month of its *offered* time
  (timestamps are local wall-clock time, without time zone).
* A contact's repeat is found with ``lead()`` over the customer's contacts
  ordered by offered time then contact id, so a repeat is seen across month
  and file boundaries: the window runs over the whole log, not per file.
* Every ratio is ``numerator / NULLIF(denominator, 0)``: a group without
  eligible contacts gets a missing KPI, never a division error (Spark's ANSI
  mode raises on division by zero).
"""

from __future__ import annotations

from typing import Literal

import ibis
import ibis.expr.types as ir

from ccstudy.kpi.params import KpiParams

__all__ = [
    "CONTACT_COLUMNS", "OPTIONAL_COLUMNS", "COUNT_COLUMNS", "KPI_COLUMNS", "LEVELS",
    "contact_rows", "enrich", "aggregate", "aggregate_rows", "kpi_table",
]

#: Canonical contact columns: name -> (Ibis type, required).
CONTACT_COLUMNS: dict[str, tuple[str, bool]] = {
    "contact_id": ("string", True),
    "customer_id": ("string", True),     # the column must exist; a blank value = customer unknown
    "agent_id": ("string", True),        # blank for a contact abandoned in the queue
    "queue": ("string", True),
    "channel": ("string", True),
    "offered_at": ("timestamp", True),
    "answered_at": ("timestamp", True),  # blank when abandoned
    "ended_at": ("timestamp", True),
    "talk_sec": ("float64", True),
    "hold_sec": ("float64", True),
    "acw_sec": ("float64", True),
    "abandoned": ("boolean", True),
    "transferred": ("boolean", True),
    "csat": ("float64", False),
    "resolved": ("boolean", False),
    "team": ("string", False),
}
OPTIONAL_COLUMNS = tuple(k for k, (_, req) in CONTACT_COLUMNS.items() if not req)

#: The counts every KPI is built from, in output order.
COUNT_COLUMNS: tuple[str, ...] = (
    "offered", "answered", "abandoned", "short_abandons", "answered_within_sl", "sl_denominator",
    "handle_sec_total", "fcr_eligible", "fcr_resolved", "transferred", "csat_n", "csat_top", "csat_total",
)
#: The KPIs, in output order.
KPI_COLUMNS: tuple[str, ...] = (
    "answer_rate", "abandon_rate", "abandon_rate_excl_short", "service_level", "aht_sec", "fcr",
    "transfer_rate", "csat", "csat_mean",
)

LEVELS: dict[str, tuple[str, ...]] = {
    "agent": ("agent_id", "month"),
    "team": ("team", "month"),
    "centre": ("month",),
}


def _i(cond: ir.BooleanValue) -> ir.IntegerValue:
    """1 where *cond* is true, else 0 (NULL counts as false)."""
    return ibis.ifelse(cond.fill_null(False), 1, 0).cast("int64")


def _seconds(ts: ir.TimestampValue) -> ir.IntegerValue:
    """Whole epoch seconds of *ts*, fractions truncated (DuckDB's ``epoch()`` alone would round them)."""
    return ts.truncate("s").epoch_seconds().cast("int64")


def _month_text(key: ir.IntegerValue) -> ir.StringValue:
    """``YYYY-MM`` from the integer month key ``year * 100 + month``."""
    m = key % 100
    return (key // 100).cast("string") + ibis.ifelse(m < 10, "-0", "-") + m.cast("string")


def contact_rows(t: ir.Table, params: KpiParams = KpiParams()) -> ir.Table:
    """One narrow row per contact: its group keys and the flags the KPIs count.

    Columns: ``agent_id`` (and ``team`` when the log has it), ``month_key``
    (``year * 100 + month`` of the offered time, an integer: grouping by it is
    cheaper than by text; :func:`aggregate` turns it into ``YYYY-MM``), the
    boolean flags ``answered``, ``abandoned``, ``short_abandon``, ``within_sl``,
    ``in_sl_denominator``, ``fcr_eligible``, ``fcr_resolved``, ``transferred``,
    and ``handle_sec`` (NULL unless answered) and ``csat``.

    The repeat contact is found with ``lead()`` over the customer's contacts
    (ordered by offered second, then contact id).  Only the columns the window
    must carry go through it: the flags are computed first, so the engine sorts
    a few narrow columns instead of the whole contact row.
    """
    p = params
    offered_s = _seconds(t.offered_at)
    abandoned = t.abandoned.fill_null(False)
    answered = ~abandoned
    wait = ibis.ifelse(answered, _seconds(t.answered_at), _seconds(t.ended_at)) - offered_s
    short = abandoned & (wait < p.short_abandon_sec)
    within = answered & (wait <= p.sl_threshold_sec)
    if p.sl_denominator == "offered":
        in_den = ibis.literal(True)
    elif p.sl_denominator == "exclude_short_abandons":
        in_den = ~short
    elif p.sl_denominator == "exclude_abandons_within_threshold":
        in_den = ~(abandoned & (wait <= p.sl_threshold_sec))
    else:  # answered
        in_den = answered
    handle = ibis.ifelse(answered, t.talk_sec.fill_null(0) + t.hold_sec.fill_null(0) + t.acw_sec.fill_null(0),
                         ibis.null("float64"))
    csat = t.csat.cast("float64") if "csat" in t.columns else ibis.null("float64")
    keep = {"team": t.team} if "team" in t.columns else {}
    scope = {"queue": t.queue} if p.repeat_scope == "customer_queue" else {}
    n = t.select(
        agent_id=t.agent_id, **keep,
        month_key=(t.offered_at.year() * 100 + t.offered_at.month()).cast("int32"),
        customer_id=t.customer_id, contact_id=t.contact_id, **scope,
        offered_s=offered_s,
        answered=answered,
        abandoned=abandoned,
        short_abandon=short.fill_null(False),
        within_sl=within.fill_null(False),
        in_sl_denominator=in_den.fill_null(False),
        fcr_eligible=answered & t.customer_id.notnull(),
        transferred=(answered & t.transferred.fill_null(False)),
        handle_sec=handle,
        csat=csat,
    )
    # FCR: the customer's next contact (optionally in the same queue; optionally answered ones only).
    keys = [n.customer_id]
    if p.repeat_scope == "customer_queue":
        keys.append(n.queue)
    if not p.repeat_counts_abandoned:
        keys.append(n.abandoned)  # an answered contact's partition then holds only answered contacts
    w = ibis.window(group_by=keys, order_by=[n.offered_s, n.contact_id])
    next_s = n.offered_s.lead().over(w)
    repeat = (next_s - n.offered_s <= p.repeat_window_sec).fill_null(False)
    n = n.mutate(fcr_resolved=n.fcr_eligible & ~repeat)
    return n.drop("customer_id", "contact_id", "offered_s", *scope)


def enrich(t: ir.Table, params: KpiParams = KpiParams()) -> ir.Table:
    """Add the per-contact indicators the KPIs count (a readable, wide view of :func:`contact_rows`).

    Added columns: ``month`` (``YYYY-MM`` of the offered time), ``wait_sec``,
    ``is_answered``, ``is_abandoned``, ``is_short_abandon``, ``is_within_sl``,
    ``in_sl_denominator``, ``handle_sec``, ``is_fcr_eligible``, ``has_repeat``,
    ``is_fcr_resolved``, ``is_transferred``, ``has_csat``, ``is_csat_top``, ``csat_value``
    (indicators are 0/1 integers, so that a sum counts them).  The KPI tables
    are computed from :func:`contact_rows`, which holds the same flags in a
    narrower form; both follow ``docs/kpi-definitions.md``.
    """
    p = params
    offered_s = _seconds(t.offered_at)
    abandoned = t.abandoned.fill_null(False)
    answered = ~abandoned
    wait = ibis.ifelse(answered, _seconds(t.answered_at), _seconds(t.ended_at)) - offered_s
    keys = [t.customer_id]
    if p.repeat_scope == "customer_queue":
        keys.append(t.queue)
    if not p.repeat_counts_abandoned:
        keys.append(abandoned)
    w = ibis.window(group_by=keys, order_by=[offered_s, t.contact_id])
    next_s = offered_s.lead().over(w)
    has_repeat = next_s.notnull() & ((next_s - offered_s) <= p.repeat_window_sec)
    eligible = answered & t.customer_id.notnull()
    short = abandoned & (wait < p.short_abandon_sec)
    within = answered & (wait <= p.sl_threshold_sec)
    in_den = {"offered": ibis.literal(True), "exclude_short_abandons": ~short,
              "exclude_abandons_within_threshold": ~(abandoned & (wait <= p.sl_threshold_sec)),
              "answered": answered}[p.sl_denominator]
    handle = ibis.ifelse(answered, t.talk_sec.fill_null(0) + t.hold_sec.fill_null(0) + t.acw_sec.fill_null(0),
                         ibis.null("float64"))
    has_csat = t.csat.notnull() if "csat" in t.columns else ibis.literal(False)
    csat = t.csat if "csat" in t.columns else ibis.null("float64")
    return t.mutate(
        month=_month_text((t.offered_at.year() * 100 + t.offered_at.month()).cast("int32")),
        wait_sec=wait,
        is_answered=_i(answered),
        is_abandoned=_i(abandoned),
        is_short_abandon=_i(short),
        is_within_sl=_i(within),
        in_sl_denominator=_i(in_den),
        handle_sec=handle,
        is_fcr_eligible=_i(eligible),
        has_repeat=_i(has_repeat),
        is_fcr_resolved=_i(eligible & ~has_repeat.fill_null(False)),
        is_transferred=_i(answered & t.transferred.fill_null(False)),
        has_csat=_i(has_csat),
        is_csat_top=_i(has_csat & (csat >= p.csat_top_box_min)),
        csat_value=csat.cast("float64"),
    )


def _ratio(num: ir.NumericValue, den: ir.NumericValue) -> ir.FloatingValue:
    return num.cast("float64") / den.cast("float64").nullif(0)


def aggregate(r: ir.Table, by: tuple[str, ...] | list[str], params: KpiParams = KpiParams()) -> ir.Table:
    """Counts and KPIs per group of :func:`contact_rows` (rows in no particular order).

    ``month`` in *by* groups by the integer ``month_key`` and is written
    ``YYYY-MM`` after the aggregation (on one row per group, not per contact).
    """
    keys = ["month_key" if k == "month" else k for k in by]
    g = r.group_by(keys).aggregate(
        offered=r.count(),
        answered=r.count(where=r.answered),
        abandoned=r.count(where=r.abandoned),
        short_abandons=r.count(where=r.short_abandon),
        answered_within_sl=r.count(where=r.within_sl),
        sl_denominator=r.count(where=r.in_sl_denominator),
        handle_sec_total=r.handle_sec.sum().fill_null(0),
        fcr_eligible=r.count(where=r.fcr_eligible),
        fcr_resolved=r.count(where=r.fcr_resolved),
        transferred=r.count(where=r.transferred),
        csat_n=r.csat.count(),
        csat_top=r.count(where=(r.csat >= params.csat_top_box_min).fill_null(False)),
        csat_total=r.csat.sum().fill_null(0),
    )
    # one projection: the keys (month written YYYY-MM), the counts, the KPIs; no ORDER BY here (compute()
    # sorts the few rows in pandas; on Spark a sort is one more shuffle)
    out = {k: (_month_text(g.month_key) if k == "month" else g[k]) for k in by}
    out.update({c: g[c] for c in COUNT_COLUMNS})
    out.update(
        answer_rate=_ratio(g.answered, g.offered),
        abandon_rate=_ratio(g.abandoned, g.offered),
        abandon_rate_excl_short=_ratio(g.abandoned - g.short_abandons, g.offered - g.short_abandons),
        service_level=_ratio(g.answered_within_sl, g.sl_denominator),
        aht_sec=_ratio(g.handle_sec_total, g.answered),
        fcr=_ratio(g.fcr_resolved, g.fcr_eligible),
        transfer_rate=_ratio(g.transferred, g.answered),
        csat=_ratio(g.csat_top, g.csat_n),
        csat_mean=_ratio(g.csat_total, g.csat_n),
    )
    return g.select(**out)


def kpi_table(t: ir.Table, level: Literal["agent", "team", "centre"], params: KpiParams = KpiParams(),
              *, teams: ir.Table | None = None) -> ir.Table:
    """The KPI table of one *level* (``agent``-month, ``team``-month, ``centre``-month).

    Agent and team levels count the contacts that reached an agent (``agent_id``
    given; a contact abandoned in the queue belongs to no agent); the centre
    level counts every contact.  The team of a contact is its ``team`` column
    when the log has one, else the agent's team in *teams* (``agent_id, team``,
    e.g. the roster); agents not in *teams* fall in team ``NULL``.
    """
    if level not in LEVELS:
        raise ValueError(f"level must be one of {', '.join(LEVELS)}; got {level!r}")
    return aggregate_rows(contact_rows(t, params), level, params, teams=teams)


def aggregate_rows(r: ir.Table, level: Literal["agent", "team", "centre"], params: KpiParams = KpiParams(),
                   *, teams: ir.Table | None = None) -> ir.Table:
    """The KPI table of one *level* from :func:`contact_rows` (which several levels can share)."""
    if level not in LEVELS:
        raise ValueError(f"level must be one of {', '.join(LEVELS)}; got {level!r}")
    if level == "centre":
        return aggregate(r, LEVELS["centre"], params)
    r = r.filter(r.agent_id.notnull())
    if level == "team" and "team" not in r.columns:
        if teams is None:
            raise ValueError("team-month KPIs need a team: a 'team' column in the contact log or teams=(agent_id, team)")
        tm = teams.select(agent_id=teams.agent_id.cast("string"), team=teams.team.cast("string"))
        r = r.left_join(tm, "agent_id").drop("agent_id_right")
    return aggregate(r, LEVELS[level], params)
