"""Intake: raw exports in, validated and cleaned tables out.

:func:`run_intake` reads every declared input (never modifying it), validates
it (:mod:`ccstudy.io.validate`; any fatal problem raises
:class:`InputValidationError` with every problem listed), applies the cleaning
rules (:mod:`ccstudy.clean`) and returns the processed tables, the cleaning log,
the detected encodings and a summary.  :func:`write_intake` writes them to
``params.processed_dir`` with the deterministic writers of
:mod:`ccstudy.io.files`, so a re-run gives byte-identical files.

Processed tables (see docs/data-formats.md, "Processed tables"):

* rows are sorted by their key columns; the item map keeps its file order;
* dates are ``datetime64[ns]`` without time zone; months are ``"YYYY-MM"`` text;
* rates are fractions in [0, 1] whatever the input's ``rate_scale``;
* whole-number columns that may be blank are float64 (NaN = blank); others int64;
* responses are wide: ``agent_id, wave, submitted``, one float column per item
  in item-map order (answers as given: not reverse-keyed), then ``straightliner``.
"""

from __future__ import annotations

import dataclasses
import logging
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from ccstudy.clean import CleaningLog, clean_responses, drop_duplicates, drop_low_contacts, sort_responses
from ccstudy.io.files import sha256_file, write_csv, write_json, write_parquet
from ccstudy.io.readers import ROW
from ccstudy.io.schemas import INPUT_ORDER, schema_for
from ccstudy.io.validate import (
    Checked,
    InputValidationError,
    ValidationReport,
    check_study,
    validate_study,
    write_report,
)

log = logging.getLogger(__name__)

__all__ = ["IntakeResult", "run_intake", "write_intake", "clean_checked", "InputValidationError",
           "ValidationReport", "validate_study"]


@dataclasses.dataclass
class IntakeResult:
    tables: dict[str, pd.DataFrame]
    cleaning_log: pd.DataFrame
    encodings: dict[str, str]
    summary: dict[str, Any]
    report: ValidationReport | None = None


def run_intake(params: Any, *, write_validation_report: bool = True) -> IntakeResult:
    """Read, validate and clean every declared input of *params*.

    Raises
    ------
    InputValidationError
        When any fatal problem is found (all of them are listed); the report is
        also written to ``params.report_dir / "validation_report.md"``.
    """
    checked = check_study(params)
    report = checked.report
    contact_kpis = None
    if report.ok and params.input_path("contacts") is not None:
        contact_kpis = contact_kpi_tables(params, checked)
    if write_validation_report:
        try:
            write_report(report, params)
        except OSError as exc:  # a read-only report folder must not hide the validation result
            log.warning("could not write validation_report.md: %s", exc)
    if not report.ok:
        log.info("input validation failed: %d problem(s)", len(report.problems))
        raise InputValidationError(report)
    return _clean(checked, params, contact_kpis)


def clean_checked(checked: Checked, params: Any) -> IntakeResult:
    """Clean what a clean validation read (:func:`ccstudy.io.validate.check_files`); nothing is written."""
    if not checked.report.ok:
        raise InputValidationError(checked.report)
    contact_kpis = None
    if params.input_path("contacts") is not None:
        import tempfile

        # nothing is written: the log is staged in a temporary folder, gone once its KPIs are computed
        with tempfile.TemporaryDirectory(prefix="ccstudy-contacts-") as tmp:
            contact_kpis = contact_kpi_tables(params, checked, staging_dir=Path(tmp))
        if not checked.report.ok:
            raise InputValidationError(checked.report)
    return _clean(checked, params, contact_kpis)


@dataclasses.dataclass
class ContactKpis:
    """The contact log of a study, staged, and the KPI tables computed from it."""

    staging: Any                      # ccstudy.io.contacts.ContactStaging
    tables: dict[str, pd.DataFrame]   # agent / team / centre -> KPI table (counts + KPIs)
    options: dict[str, Any]           # the KpiParams used, and the backend
    file: str                         # how the log is named in messages and the cleaning log


def contact_kpi_tables(params: Any, checked: Checked, *, staging_dir: Path | None = None) -> ContactKpis | None:
    """Stage ``inputs.contacts`` and compute its agent-, team- and centre-month KPIs.

    Problems (missing file or column, agent ids not in the roster) are added to
    ``checked.report``; None is returned then.  The engine is ``kpi.backend``.
    On DuckDB the KPIs read the validated rows in place; on Spark a staged copy
    of the log goes to *staging_dir* (default ``params.processed_dir``).
    """
    import dataclasses as dc

    from ccstudy.io.contacts import ContactLogError, read_contacts, stage_contacts
    from ccstudy.io.validate import Problem
    from ccstudy.kpi import KpiParams, compute
    from ccstudy.kpi.backends import connect

    path = params.input_path("contacts")
    spec = params.get("inputs.contacts", {}) or {}
    label = str(spec.get("file", path.name))
    kp = KpiParams.from_mapping({f.name: params.get(f"kpi.{f.name}") for f in dc.fields(KpiParams)
                                 if params.get(f"kpi.{f.name}") is not None})
    backend = str(params.get("kpi.backend", "duckdb"))
    master = str(params.get("kpi.spark.master", "local[*]"))
    # DuckDB validates the log on the KPI engine's own connection and the KPIs read the good rows in
    # place (no staged copy written and read back); Spark reads a staged copy, on storage its workers
    # can read.
    in_place = backend == "duckdb"
    con = connect(backend) if in_place else None
    out = None if in_place else Path(staging_dir or params.processed_dir) / "contacts.parquet"
    try:
        staging = stage_contacts(path, out, columns=spec.get("columns"), fmt=spec.get("format"),
                                 timestamp_format=spec.get("timestamp_format"), delimiter=spec.get("delimiter"),
                                 con=con.con if in_place else None, as_view="contacts_staged" if in_place else None)
    except ContactLogError as exc:
        for prob in exc.problems:
            checked.report.problems.append(dc.replace(prob, file=_contact_file(label, prob.file, path)))
        return None
    if con is None:
        con = connect(backend, spark_master=master)
    contacts = con.table("contacts_staged", database="temp") if in_place else read_contacts(con, staging.path)
    roster = checked.loaded["roster"].typed if "roster" in checked.loaded else None
    teams = roster[["agent_id", "team"]].astype(str) if roster is not None and "team" in roster.columns else None
    levels = ["agent", "centre"] + (["team"] if teams is not None else [])
    tables = compute(con, contacts, levels, kp, teams=teams)
    if roster is not None:
        known = set(roster["agent_id"].astype(str))
        unknown = sorted(set(tables["agent"]["agent_id"].astype(str)) - known)
        if unknown:
            checked.report.problems.append(Problem(
                file=label, rule="agent_not_in_roster", column="agent_id", values=tuple(unknown[:20]),
                count=len(unknown), message=f"{len(unknown)} agent id(s) of the contact log are not in the roster"))
            return None
    return ContactKpis(staging=staging, tables=tables, options={"backend": backend, **kp.to_dict()}, file=label)


def _contact_file(label: str, file: str, path: Path) -> str:
    return f"{label.rstrip('/')}/{file}" if path.is_dir() and file != str(path) else label


def _clean(checked: Checked, params: Any, contact_kpis: ContactKpis | None = None) -> IntakeResult:
    log_ = CleaningLog()
    loaded = checked.loaded
    if contact_kpis is not None:
        clog = contact_kpis.staging.cleaning_log
        path = params.input_path("contacts")
        for (file, rule, column), g in clog.groupby(["file", "rule", "column"], sort=False):
            log_.add(_contact_file(contact_kpis.file, file, path), g["row"].to_numpy(), column,
                     g["old"].tolist(), g["new"].tolist(), rule)
    for ld in loaded.values():
        if ld.blank_rows:
            log_.add(ld.file, ld.blank_rows, "*", "(blank row)", "dropped", "blank_row")
        for pos, letter in ld.empty_columns:
            log_.add(ld.file, [ld.header_row], letter, "(no header, no values)", "ignored", "empty_column")
        for rows, column, old, new, rule in ld.recodes:  # declared options (sentinels, summary rows)
            log_.add(ld.file, rows, column, old, new, rule)

    waves = tuple(params.wave_labels)
    tables: dict[str, pd.DataFrame] = {}
    items_t = loaded["items"].typed
    assert items_t is not None and checked.items is not None
    items = checked.items
    tables["items"] = _items_table(items_t)

    roster_t = loaded["roster"].typed if "roster" in loaded else None
    if roster_t is not None:
        tables["roster"] = _finish(roster_t, "roster", params)

    # responses
    rld = loaded["responses"]
    resp = checked.responses
    assert resp is not None
    spec = params.get("inputs.responses", {}) or {}
    if spec.get("layout", "wide") == "long" and checked.long_duplicates is not None and rld.typed is not None:
        d = checked.long_duplicates
        if d.any():
            drop_duplicates(rld.typed, d, ["agent_id", "wave", "item", "submitted", "score"], rld.file, log_)
    cleaned = clean_responses(resp, items, params, rld.file, log_, roster=roster_t,
                              duplicates=checked.response_duplicates, cell_rows=checked.response_cell_rows)
    has_submitted = checked.has_submitted
    cols = ["agent_id", "wave", *(["submitted"] if has_submitted else []), *items, "straightliner"]
    out = cleaned[cols]   # copy-on-write: the conversions below do not touch cleaned
    if has_submitted:
        out["submitted"] = out["submitted"].astype("datetime64[ns]")
    for it in items:
        out[it] = out[it].astype(float)
    out["straightliner"] = out["straightliner"].astype(bool)
    out["agent_id"] = out["agent_id"].astype(str)
    out["wave"] = out["wave"].astype(str)
    tables["responses"] = sort_responses(out, waves)

    min_contacts = int(params.get("cleaning.min_contacts_per_month", 30) or 0)
    kld = loaded.get("agent_kpis")
    kfile = kld.typed if kld is not None and kld.typed is not None else None
    if contact_kpis is not None:  # agent-month KPIs computed from the contact log
        from ccstudy.kpi import to_agent_kpis

        derived = to_agent_kpis(contact_kpis.tables["agent"])
        if kfile is not None:  # what the log cannot give (QA scores), joined on agent and month
            derived = _join_file_columns(derived, kfile, ("agent_id", "month"), kld.file, contact_kpis.file, log_)
        derived[ROW] = np.arange(1, len(derived) + 1)  # row of the agent-month table, for the cleaning log
        kp = drop_low_contacts(derived, min_contacts, f"{contact_kpis.file} (agent-month KPIs)", log_)
        tables["agent_kpis"] = _finish(kp, "agent_kpis", params)
    elif kfile is not None:
        kp = drop_low_contacts(kfile, min_contacts, kld.file, log_)
        tables["agent_kpis"] = _finish(kp, "agent_kpis", params)

    for name in ("centre_kpis", "training", "staff_survey", "customer_survey"):
        if name in loaded and loaded[name].typed is not None:
            tables[name] = _finish(loaded[name].typed, name, params)
    if contact_kpis is not None:
        from ccstudy.kpi import to_centre_kpis

        centre = to_centre_kpis(contact_kpis.tables["centre"])
        if "centre_kpis" in tables:  # the HR series (headcount, leavers, attrition), by month
            hr = tables["centre_kpis"]
            centre = centre.merge(hr, on="month", how="outer", validate="one_to_one")
            order = [c.name for c in schema_for("centre_kpis").columns if c.name in centre.columns]
            centre = centre[order + [c for c in centre.columns if c not in order]]
            centre = centre.sort_values("month", kind="stable").reset_index(drop=True)
        tables["centre_kpis"] = centre
        for level, t in contact_kpis.tables.items():  # every count and KPI, for readers who recompute
            tables[f"contact_kpis_{level}_month"] = t

    clog = log_.frame()
    encodings = {n: (ld.grid.encoding if ld.grid is not None else "") for n, ld in loaded.items()}
    summary = _summary(checked, params, tables, clog, log_, cleaned)
    if contact_kpis is not None:
        st = contact_kpis.staging
        summary["inputs"]["contacts"] = {"file": contact_kpis.file, "files": [f.name for f in st.files],
                                         "rows_read": int(sum(st.rows_read.values())), "rows_kept": int(st.rows_kept),
                                         "rows_dropped": int(sum(st.rows_read.values()) - st.rows_kept)}
        summary["kpi"] = contact_kpis.options
    return IntakeResult(tables=tables, cleaning_log=clog, encodings=encodings, summary=summary,
                        report=checked.report)


def _join_file_columns(derived: pd.DataFrame, file_table: pd.DataFrame, keys: tuple[str, ...], file: str,
                       log_file: str, log_: CleaningLog) -> pd.DataFrame:
    """The columns of an input file that a contact log cannot give, joined on *keys* to the derived table.

    Validation has made sure the file repeats no KPI of the log (rule ``kpi_in_both``) and no key.
    A file row whose key the log does not have (e.g. a QA score for an agent-month without
    contacts) cannot be used: it is dropped and logged (rule ``no_contacts``).
    """
    extra = [c for c in file_table.columns if c not in keys and c != ROW]
    right = file_table[[*keys, ROW, *extra]].rename(columns={ROW: "_file_row"})
    for k in keys:
        right[k] = right[k].astype(str)
    out = derived.merge(right, on=list(keys), how="left", validate="one_to_one", sort=False)
    unmatched = ~right.set_index(list(keys)).index.isin(derived.set_index(list(keys)).index)
    if unmatched.any():
        rows = right.loc[unmatched, "_file_row"].to_numpy()
        log_.add(file, rows, "*", [f"{'/'.join(str(v) for v in r)}" for r in right.loc[unmatched, list(keys)].itertuples(
            index=False)], "dropped", "no_contacts")
    return out.drop(columns="_file_row")


# --------------------------------------------------------------------------- table finishing

_NULLABLE_INT_AS_FLOAT = True


def _items_table(t: pd.DataFrame) -> pd.DataFrame:
    """The item map: ids, labels falling back to the ids, ``dimension`` missing (None) when not given."""
    n = len(t)
    blank = pd.Series("", index=t.index)
    none = pd.Series([None] * n, index=t.index, dtype=object)
    out = pd.DataFrame({"item": t["item"].astype(str), "competency": t["competency"].astype(str)})
    lab = t["competency_label"] if "competency_label" in t.columns else blank
    out["competency_label"] = lab.where(lab != "", t["competency"]).astype(str)
    dim = t["dimension"].astype(str) if "dimension" in t.columns else blank
    if (dim != "").any():
        out["dimension"] = dim
        dl = t["dimension_label"] if "dimension_label" in t.columns else blank
        out["dimension_label"] = dl.where(dl != "", dim).astype(str)
    else:  # an instrument without dimensions
        out["dimension"] = none
        out["dimension_label"] = none.copy()
    out["reverse"] = (t["reverse"] if "reverse" in t.columns else pd.Series(False, index=t.index)).astype(bool)
    out["text"] = (t["text"] if "text" in t.columns else blank).astype(str)
    kind = t["kind"] if "kind" in t.columns else none
    out["kind"] = kind.where(kind.notna() & (kind != ""), None).astype(object)
    for c in t.columns:
        if c not in out.columns and c != ROW:
            out[c] = t[c]
    return out.reset_index(drop=True)


def _finish(t: pd.DataFrame, name: str, params: Any) -> pd.DataFrame:
    """Schema column order, stable dtypes, sorted by key; ``_row`` removed."""
    spec = params.get(f"inputs.{name}", {}) or {}
    schema = schema_for(name, spec)
    cols = [c.name for c in schema.columns if c.name in t.columns]
    extras = [c for c in t.columns if c not in cols and c != ROW]
    out = t[cols + extras].copy()
    for c in schema.columns:
        if c.name not in out.columns:
            continue
        if c.kind == "int":
            out[c.name] = out[c.name].astype(float if c.nullable else np.int64)
        elif c.kind in ("number", "rate", "fraction"):
            out[c.name] = out[c.name].astype(float)
        elif c.kind == "date":
            out[c.name] = out[c.name].astype("datetime64[ns]")
        elif c.kind == "flag":
            out[c.name] = out[c.name].astype(bool)
        else:
            out[c.name] = out[c.name].astype(str)
    if name == "roster" and "exit_date" not in out.columns:
        out.insert(cols.index("hire_date") + 1 if "hire_date" in cols else len(cols), "exit_date",
                   pd.Series(pd.NaT, index=out.index, dtype="datetime64[ns]"))
    if name == "staff_survey":
        if "satisfaction" not in out.columns and "satisfied" in out.columns:
            out["satisfaction"] = out["satisfied"].astype(float) / out["respondents"].astype(float)
    sort = [c for c in schema.sort if c in out.columns]
    if sort:
        out = out.sort_values(sort, kind="stable")
    return out.reset_index(drop=True)


def _summary(checked: Checked, params: Any, tables: dict[str, pd.DataFrame], clog: pd.DataFrame,
             log_: CleaningLog, cleaned: pd.DataFrame) -> dict[str, Any]:
    dropped = clog[clog["column"] == "*"].groupby("file").size().to_dict() if len(clog) else {}
    dropped_blank = clog[(clog["column"] == "*") & (clog["rule"] == "blank_row")].groupby("file").size().to_dict() \
        if len(clog) else {}
    inputs: dict[str, Any] = {}
    for name in INPUT_ORDER:
        ld = checked.loaded.get(name)
        if ld is None:
            continue
        info = dict(checked.report.files.get(name, {}))
        info["sha256"] = sha256_file(ld.path)
        info["rows_read"] = int(ld.rows_read)
        info["rows_blank"] = int(dropped_blank.get(ld.file, 0))
        info["rows_dropped"] = int(dropped.get(ld.file, 0))
        info["rows_kept"] = int(len(tables[name])) if name in tables else 0
        inputs[name] = info
    rp = params.get("inputs.responses", {}) or {}
    resp = tables["responses"]
    return {
        "study": params.study,
        "inputs": inputs,
        "cleaning": {
            "settings": {k: params.get(f"cleaning.{k}") for k in (
                "out_of_range", "straightlining", "min_answered_share", "drop_left_before_post",
                "min_contacts_per_month")},
            "rules": log_.counts(),
            "log_rows": int(len(clog)),
        },
        "responses": {
            "layout": rp.get("layout", "wide"),
            "items": len(checked.items or []),
            "per_wave": {str(k): int(v) for k, v in resp["wave"].value_counts().sort_index().items()},
            "straightliners_flagged": int(resp["straightliner"].sum()),
        },
    }


def write_intake(result: IntakeResult, params: Any) -> dict[str, Path]:
    """Write every table as parquet, ``cleaning_log.csv`` and ``intake_summary.json`` to processed_dir."""
    out_dir = Path(params.processed_dir)
    paths: dict[str, Path] = {}
    for name in sorted(result.tables):
        paths[name] = write_parquet(out_dir / f"{name}.parquet", result.tables[name])
    paths["cleaning_log"] = write_csv(out_dir / "cleaning_log.csv", result.cleaning_log)
    paths["intake_summary"] = write_json(out_dir / "intake_summary.json",
                                         {**result.summary, "encodings": result.encodings})
    return paths
