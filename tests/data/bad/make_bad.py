"""Build the malformed-input corpus from the valid fixture in tests/data/good/.

Run from the repository root:  python tests/data/bad/make_bad.py

Each case is a folder tests/data/bad/<case>/ holding a params.yaml and only the
files the case damages; every other input is read from ../../good/.  The
expected outcome of each case (the fragments its message must contain) is in
tests/io/test_bad_corpus.py.  The output is deterministic: re-running the
script rewrites identical files.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import shutil
from pathlib import Path
from typing import Any, Callable

import yaml

from ccstudy.params import merge

HERE = Path(__file__).resolve().parent
GOOD = HERE.parent / "good"


def good_text(name: str) -> str:
    return (GOOD / name).read_text(encoding="utf-8")


def rows_of(text: str) -> list[list[str]]:
    return list(csv.reader(io.StringIO(text)))


def to_csv(rows: list[list[str]], delimiter: str = ",") -> str:
    buf = io.StringIO()
    csv.writer(buf, delimiter=delimiter, lineterminator="\n").writerows(rows)
    return buf.getvalue()


def set_cell(name: str, row: int, column: str, value: str) -> str:
    """The good file *name* with the cell at spreadsheet *row* (header = 1) and *column* replaced."""
    rows = rows_of(good_text(name))
    rows[row - 1][rows[0].index(column)] = value
    return to_csv(rows)


def good_params() -> dict[str, Any]:
    return yaml.safe_load((GOOD / "params.yaml").read_text(encoding="utf-8"))


def _xlsx(rows: list[list[Any]], sheet: str) -> bytes:
    import openpyxl

    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = sheet
    for r in rows:
        ws.append(r)
    buf = io.BytesIO()
    wb.save(buf)
    return _fix_zip_times(buf.getvalue())


def _fix_zip_times(data: bytes) -> bytes:
    """Rewrite a zip (xlsx) with fixed timestamps so the corpus is byte-identical across runs."""
    import zipfile

    src = zipfile.ZipFile(io.BytesIO(data))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst:
        for info in src.infolist():
            body = src.read(info.filename)
            if info.filename == "docProps/core.xml":
                import re
                body = re.sub(rb"<dcterms:(created|modified)([^>]*)>[^<]*<", rb"<dcterms:\1\2>2017-01-01T00:00:00Z<", body)
            zi = zipfile.ZipInfo(info.filename, date_time=(2017, 1, 1, 0, 0, 0))
            zi.compress_type = zipfile.ZIP_DEFLATED
            dst.writestr(zi, body)
    return out.getvalue()


def _roster_xlsx_rows(hire_override: Any = None) -> list[list[Any]]:
    rows = rows_of(good_text("roster.csv"))
    out: list[list[Any]] = [rows[0]]
    for i, r in enumerate(rows[1:], start=2):
        cells: list[Any] = list(r)
        for j in (2, 3):
            if cells[j]:
                cells[j] = dt.datetime.strptime(cells[j], "%Y-%m-%d")
            else:
                cells[j] = None
        if hire_override is not None and i == 5:
            cells[2] = hire_override
        out.append(cells)
    return out


def _kpis_parquet(bad: bool) -> bytes:
    import pandas as pd
    import pyarrow as pa
    import pyarrow.parquet as pq

    k = pd.read_csv(GOOD / "agent_kpis.csv", dtype={"agent_id": str, "month": str})
    if bad:
        k["contacts"] = k["contacts"].astype(str)
        k.loc[3, "contacts"] = "12 calls"       # spreadsheet row 5 (header = row 1)
        k["month"] = pd.to_datetime(k["month"] + "-01")  # a timestamp where a month is expected: accepted
    table = pa.Table.from_pandas(k, preserve_index=False)
    table = table.replace_schema_metadata(None)
    buf = io.BytesIO()
    pq.write_table(table, buf, compression="none")
    return buf.getvalue()


def _long_responses(unknown: bool = False) -> str:
    rows = rows_of(good_text("responses.csv"))
    head, body = rows[0], rows[1:]
    out = [["agent_id", "wave", "submitted", "item", "score"]]
    for r in body:
        for item, score in zip(head[3:], r[3:]):
            out.append([r[0], r[1], r[2], item, score])
    if unknown:
        out[5][3] = "Q77"
    return to_csv(out)


def _labels(text: str, mapping: dict[str, str]) -> str:
    rows = rows_of(text)
    for r in rows[1:]:
        for j in range(3, len(r)):
            r[j] = mapping.get(r[j], r[j])
    return to_csv(rows)


EN = {"1": "Strongly disagree", "2": "Disagree", "3": "Neutral", "4": "Agree", "5": "Strongly agree"}
ZH = {"1": "非常不同意", "2": "不同意", "3": "一般", "4": "同意", "5": "非常同意"}


def _merged_header() -> str:
    rows = rows_of(good_text("responses.csv"))
    top = ["Agent", "", "", "Questionnaire items"] + [""] * (len(rows[0]) - 4)
    return to_csv([top] + rows)


def _blank_lines() -> str:
    lines = good_text("responses.csv").splitlines()
    lines.insert(5, "")          # row 6 blank
    lines.insert(10, ",,,,,,,,")  # row 11: only delimiters
    return "\n".join(lines) + "\n\n"


def _chinese_headers() -> str:
    rows = rows_of(good_text("responses.csv"))
    rows[0][:3] = ["工号", "波次", "提交日期"]
    return to_csv(rows)


def _trailing_columns() -> str:
    return "".join(line + ",,\n" for line in good_text("roster.csv").splitlines())


def _value_without_header() -> str:
    lines = good_text("roster.csv").splitlines()
    lines[6] += ",oops"          # row 7 has one field more than the header
    return "\n".join(lines) + "\n"


def _drop_rows(name: str, keep: Callable[[list[str]], bool]) -> str:
    rows = rows_of(good_text(name))
    return to_csv([rows[0]] + [r for r in rows[1:] if keep(r)])


def _add_row(name: str, row: list[str], at: int | None = None) -> str:
    rows = rows_of(good_text(name))
    rows.insert(len(rows) if at is None else at - 1, row)
    return to_csv(rows)


def _roster_latin1(undecodable: bool = False) -> bytes:
    rows = rows_of(good_text("roster.csv"))
    rows[0].append("style")
    for r in rows[1:]:
        r.append("calm")
    rows[3][-1] = "José's way"   # row 4, column style
    data = to_csv(rows).encode("cp1252")
    if undecodable:  # 0x81 then a space: invalid in UTF-8, GBK, GB18030, Big5 and Windows-1252 alike
        data = data.replace("José's way".encode("cp1252"), b"Jos\x81 way")
    return data


def _roster_teams(teams: dict[str, str], encoding: str) -> bytes:
    rows = rows_of(good_text("roster.csv"))
    for r in rows[1:]:
        r[1] = teams[r[1]]
    return to_csv(rows).encode(encoding)


def _roster_team_bytes(teams: dict[str, bytes]) -> bytes:
    out = []
    for i, line in enumerate(good_text("roster.csv").encode("ascii").split(b"\n")):
        cells = line.split(b",")
        if i and len(cells) > 1:
            cells[1] = teams[cells[1].decode()]
        out.append(b",".join(cells))
    return b"\n".join(out)


def _roster_xlsx_formula() -> bytes:
    rows = _roster_xlsx_rows()
    rows[4][2] = "=DATE(2016,3,1)"   # row 5, hire_date: a formula openpyxl saves without a cached value
    return _xlsx(rows, "Agents")


def _centre_mixed() -> str:
    rows = rows_of(good_text("centre_kpis.csv"))
    rows[1][4] = f"{float(rows[1][4]) / 100:.4f}"   # row 2, fcr: 0.8510 among 85.60 and 86.90
    return to_csv(rows)


def _kpis_mixed(percent_sign: bool) -> str:
    rows = rows_of(good_text("agent_kpis.csv"))
    for i in (4, 9, 20):   # rows 5, 10 and 21, fcr: percentages among fractions
        v = float(rows[i - 1][3]) * 100
        rows[i - 1][3] = f"{v:.1f}%" if percent_sign else f"{v:.1f}"
    return to_csv(rows)


def _with_summary(name: str, row: list[str]) -> str:
    return good_text(name) + to_csv([row])


def _roster_exit_header(header: str) -> str:
    rows = rows_of(good_text("roster.csv"))
    rows[0][3] = header
    return to_csv(rows)


def _roster_chinese(encoding: str) -> bytes:
    rows = rows_of(good_text("roster.csv"))
    for r in rows[1:]:
        r[1] = {"VIP": "贵宾组", "T01": "一组"}[r[1]]
    return to_csv(rows).encode(encoding)


def _responses_header_only() -> str:
    return good_text("responses.csv").splitlines()[0] + "\n"


def _centre_fractions() -> str:
    rows = rows_of(good_text("centre_kpis.csv"))
    for r in rows[1:]:
        for j in (3, 4, 5, 8):
            r[j] = f"{float(r[j]) / 100:.4f}"
    return to_csv(rows)


def _kpis_percent() -> str:
    rows = rows_of(good_text("agent_kpis.csv"))
    for r in rows[1:]:
        r[3] = f"{float(r[3]) * 100:.1f}"
    return to_csv(rows)


def _us_dates() -> str:
    rows = rows_of(good_text("responses.csv"))
    for r in rows[1:]:
        y, m, d = r[2].split("-")
        r[2] = f"{m}/{d}/{y}"
    return to_csv(rows)


def _truncated() -> str:
    text = good_text("responses.csv")
    return text[: text.index("A05,post") + len("A05,post,2017-06-0")]


# case -> (files {name: text|bytes}, params overrides)
CASES: dict[str, tuple[dict[str, Any], dict[str, Any]]] = {
    "encoding_undecodable": ({"roster.csv": _roster_latin1(undecodable=True)}, {}),
    "encoding_cp1252": ({"roster.csv": _roster_latin1()}, {}),
    "encoding_cp1252_teams": ({"roster.csv": _roster_teams({"VIP": "Équipe Müller", "T01": "Señor Équipe"}, "cp1252")},
                              {}),
    "encoding_big5": ({"roster.csv": _roster_teams({"VIP": "客服一組", "T01": "貴賓組"}, "big5")}, {}),
    "encoding_ambiguous": ({"roster.csv": _roster_team_bytes({"VIP": b"\xb0\xb6\xb0\xa8", "T01": b"\xb0\xbd"})}, {}),
    "encoding_ambiguous_declared": ({"roster.csv": _roster_team_bytes({"VIP": b"\xb0\xb6\xb0\xa8", "T01": b"\xb0\xbd"})},
                                    {"inputs": {"roster": {"encoding": "big5"}}}),
    "utf16_without_bom": ({"responses.csv": good_text("responses.csv").encode("utf-16-le")}, {}),
    "nul_byte": ({"responses.csv": good_text("responses.csv").replace("A04,pre", "A04\x00,pre")}, {}),
    "zip_renamed_csv": ({"roster.csv": _xlsx(_roster_xlsx_rows(), "Agents")}, {}),
    "parquet_renamed_csv": ({"agent_kpis.csv": _kpis_parquet(bad=False)}, {}),
    "bom_only": ({"training.csv": b"\xef\xbb\xbf"}, {}),
    "xlsx_formula_no_value": ({"roster.xlsx": _roster_xlsx_formula()},
                              {"inputs": {"roster": {"file": "roster.xlsx", "sheet": "Agents"}}}),
    "xlsx_sheet_case": ({"roster.xlsx": _xlsx(_roster_xlsx_rows(), "Agents")},
                        {"inputs": {"roster": {"file": "roster.xlsx", "sheet": "agents"}}}),
    "zero_width_id": ({"responses.csv": set_cell("responses.csv", 7, "agent_id", "A05\u200b")}, {}),
    "nbsp_in_team": ({"roster.csv": set_cell("roster.csv", 9, "team", "T\u00a001")}, {}),
    "control_char_in_id": ({"agent_kpis.csv": set_cell("agent_kpis.csv", 6, "agent_id", "A02\x07")}, {}),
    "rates_mixed_centre": ({"centre_kpis.csv": _centre_mixed()}, {}),
    "rates_mixed_agent": ({"agent_kpis.csv": _kpis_mixed(percent_sign=False)}, {}),
    "rates_percent_sign_mixed": ({"agent_kpis.csv": _kpis_mixed(percent_sign=True)}, {}),
    "exit_sentinel_undeclared": ({"roster.csv": set_cell("roster.csv", 4, "exit_date", "9999-12-31")}, {}),
    "exit_sentinel_declared": ({"roster.csv": set_cell("roster.csv", 4, "exit_date", "9999-12-31")},
                               {"inputs": {"roster": {"exit_date_sentinels": ["9999-12-31"]}}}),
    "date_year_10000": ({"training.csv": set_cell("training.csv", 5, "end_date", "10000-01-01")}, {}),
    "date_far_past": ({"responses.csv": set_cell("responses.csv", 10, "submitted", "1600-02-06")}, {}),
    "hire_in_future": ({"roster.csv": set_cell("roster.csv", 6, "hire_date", "2031-05-04")}, {}),
    "summary_row_kpis": ({"agent_kpis.csv": _with_summary("agent_kpis.csv", ["合计", "", "15000", "", "", "", "", ""])},
                         {}),
    "summary_row_customer": ({"customer_survey.csv": _with_summary("customer_survey.csv", ["Total", "8"])}, {}),
    "summary_row_staff": ({"staff_survey.csv": _with_summary("staff_survey.csv", ["小计", "2017-03", "11", "9"])}, {}),
    "summary_row_responses": ({"responses.csv": _with_summary("responses.csv", ["Average", "", "", "3.9", "3.7", "2.9",
                                                                               "3.8", "4.1", "2.2"])}, {}),
    "summary_row_dropped": ({"customer_survey.csv": _with_summary("customer_survey.csv", ["Total", "8"])},
                            {"inputs": {"customer_survey": {"drop_summary_rows": True}}}),
    "exit_date_chinese_unmapped": ({"roster.csv": _roster_exit_header("离职日期")}, {}),
    "exit_date_chinese_mapped": ({"roster.csv": _roster_exit_header("离职日期")},
                                 {"inputs": {"roster": {"columns": {"exit_date": "离职日期"}}}}),
    "encoding_declared_wrong": ({"roster.csv": _roster_chinese("gbk")}, {"inputs": {"roster": {"encoding": "utf-8"}}}),
    "encoding_gbk": ({"roster.csv": _roster_chinese("gbk")}, {}),
    "encoding_gb18030": ({"roster.csv": _roster_chinese("gb18030") + "A13,𠀀组,2016-01-04,,control,F\n".encode("gb18030")},
                         {}),
    "encoding_utf16_tab": ({"responses.csv": good_text("responses.csv").replace(",", "\t").encode("utf-16")},
                           {"inputs": {"responses": {"delimiter": "tab"}}}),
    "bom": ({"responses.csv": b"\xef\xbb\xbf" + good_text("responses.csv").encode("utf-8")}, {}),
    "delimiter_wrong": ({"responses.csv": good_text("responses.csv").replace(",", ";")}, {}),
    "delimiter_declared": ({"responses.csv": good_text("responses.csv").replace(",", ";")},
                           {"inputs": {"responses": {"delimiter": ";"}}}),
    "merged_header": ({"responses.csv": _merged_header()}, {}),
    "merged_header_declared": ({"responses.csv": _merged_header()}, {"inputs": {"responses": {"header_row": 2}}}),
    "blank_lines": ({"responses.csv": _blank_lines()}, {}),
    "excel_date_serial": ({"roster.csv": set_cell("roster.csv", 5, "hire_date", "42430")}, {}),
    "text_in_score": ({"responses.csv": set_cell("responses.csv", 4, "Q03", "abc")}, {}),
    "duplicate_roster_agent": ({"roster.csv": _add_row("roster.csv", ["A05", "T01", "2016-02-01", "", "control", "M"])},
                               {}),
    "unknown_item": ({"responses.csv": to_csv([r + [v] for r, v in zip(
        rows_of(good_text("responses.csv")), ["Q99"] + ["3"] * 24)])}, {}),
    "item_column_missing": ({"responses.csv": to_csv([r[:-1] for r in rows_of(good_text("responses.csv"))])}, {}),
    "wave_blank": ({"responses.csv": set_cell("responses.csv", 5, "wave", "")}, {}),
    "wave_not_allowed": ({"responses.csv": set_cell("responses.csv", 16, "wave", "mid")}, {}),
    "wave_missing": ({"responses.csv": _drop_rows("responses.csv", lambda r: r[1] != "post")}, {}),
    "chinese_header_unmapped": ({"responses.csv": _chinese_headers()}, {}),
    "chinese_header_mapped": ({"responses.csv": _chinese_headers()},
                              {"inputs": {"responses": {"columns": {"agent_id": "工号", "wave": "波次",
                                                                    "submitted": "提交日期"}}}}),
    "mapped_header_absent": ({}, {"inputs": {"roster": {"columns": {"agent_id": "工号"}}}}),
    "trailing_empty_columns": ({"roster.csv": _trailing_columns()}, {}),
    "value_without_header": ({"roster.csv": _value_without_header()}, {}),
    "xlsx_ok": ({"roster.xlsx": _xlsx(_roster_xlsx_rows(), "Agents")},
                {"inputs": {"roster": {"file": "roster.xlsx", "sheet": "Agents"}}}),
    "xlsx_wrong_sheet": ({"roster.xlsx": _xlsx(_roster_xlsx_rows(), "Agents")},
                         {"inputs": {"roster": {"file": "roster.xlsx", "sheet": "Roster"}}}),
    "xlsx_date_serial": ({"roster.xlsx": _xlsx(_roster_xlsx_rows(hire_override=42430), "Sheet1")},
                         {"inputs": {"roster": {"file": "roster.xlsx"}}}),
    "parquet_ok": ({"agent_kpis.parquet": _kpis_parquet(bad=False)},
                   {"inputs": {"agent_kpis": {"file": "agent_kpis.parquet"}}}),
    "parquet_wrong_dtypes": ({"agent_kpis.parquet": _kpis_parquet(bad=True)},
                             {"inputs": {"agent_kpis": {"file": "agent_kpis.parquet"}}}),
    "parquet_corrupt": ({"agent_kpis.parquet": _kpis_parquet(bad=False)[:200]},
                        {"inputs": {"agent_kpis": {"file": "agent_kpis.parquet"}}}),
    "roster_exit_before_hire": ({"roster.csv": set_cell("roster.csv", 12, "exit_date", "2015-01-31")}, {}),
    "training_end_before_start": ({"training.csv": set_cell("training.csv", 3, "end_date", "2017-02-28")}, {}),
    "rates_percent_declared_fraction": ({"agent_kpis.csv": _kpis_percent()}, {}),
    "rates_fraction_declared_percent": ({"centre_kpis.csv": _centre_fractions()}, {}),
    "rates_percent_declared": ({"agent_kpis.csv": _kpis_percent()},
                               {"inputs": {"agent_kpis": {"rate_scale": "percent"}}}),
    "text_in_kpi": ({"agent_kpis.csv": set_cell("agent_kpis.csv", 7, "csat", "n.a.")}, {}),
    "negative_contacts": ({"agent_kpis.csv": set_cell("agent_kpis.csv", 9, "contacts", "-4")}, {}),
    "kpi_duplicate_month": ({"agent_kpis.csv": _add_row("agent_kpis.csv", ["A02", "2017-01", "400", "0.8", "0.9",
                                                                          "0.95", "420", "80"])}, {}),
    "month_unparseable": ({"agent_kpis.csv": set_cell("agent_kpis.csv", 10, "month", "Jan 2017")}, {}),
    "agent_not_in_roster": ({"responses.csv": set_cell("responses.csv", 11, "agent_id", "A99")}, {}),
    "training_agent_not_in_roster": ({"training.csv": set_cell("training.csv", 4, "agent_id", "B03")}, {}),
    "date_unparseable": ({"responses.csv": set_cell("responses.csv", 9, "submitted", "14/02/2017")}, {}),
    "date_format_declared": ({"responses.csv": _us_dates()}, {"inputs": {"responses": {"date_format": "%m/%d/%Y"}}}),
    "response_conflicting_duplicate": ({"responses.csv": _add_row("responses.csv", [
        "A02", "pre", "2017-02-06", "3", "4", "2", "4", "4", "2"])}, {}),
    "post_before_pre": ({"responses.csv": set_cell("responses.csv", 16, "submitted", "2017-01-20")}, {}),
    "empty_file": ({"training.csv": b""}, {}),
    "header_only": ({"responses.csv": _responses_header_only()}, {}),
    "file_missing": ({}, {"inputs": {"customer_survey": {"file": "customers.csv"}}}),
    "labels_english": ({"responses.csv": _labels(good_text("responses.csv"), EN)},
                       {"scale": {"labels": {v: int(k) for k, v in EN.items()}}}),
    "labels_chinese_gb18030": ({"responses.csv": _labels(good_text("responses.csv"), ZH).encode("gb18030")},
                               {"scale": {"labels": {v: int(k) for k, v in ZH.items()}}}),
    "label_unknown": ({"responses.csv": set_cell("responses.csv", 6, "Q01", "Sort of")},
                      {"scale": {"labels": {v: int(k) for k, v in EN.items()}}}),
    "long_layout": ({"responses.csv": _long_responses()}, {"inputs": {"responses": {"layout": "long"}}}),
    "long_unknown_item": ({"responses.csv": _long_responses(unknown=True)},
                          {"inputs": {"responses": {"layout": "long"}}}),
    "satisfied_above_respondents": ({"staff_survey.csv": set_cell("staff_survey.csv", 4, "satisfied", "9")}, {}),
    "reverse_not_flag": ({"items.csv": set_cell("items.csv", 4, "reverse", "maybe")}, {}),
    "competency_two_dimensions": ({"items.csv": set_cell("items.csv", 3, "dimension", "professional_knowledge")}, {}),
    "duplicate_item": ({"items.csv": set_cell("items.csv", 3, "item", "Q01")}, {}),
    "required_column_missing": ({"agent_kpis.csv": to_csv([r[:2] + r[3:] for r in rows_of(good_text(
        "agent_kpis.csv"))])}, {}),
    "truncated_file": ({"responses.csv": _truncated()}, {}),
}


def build(root: Path = HERE) -> list[str]:
    names = []
    for case, (files, over) in CASES.items():
        folder = root / case
        if folder.exists():
            shutil.rmtree(folder)
        folder.mkdir(parents=True)
        params = merge(good_params(), over)
        params["study"] = f"bad_{case}"
        params["inputs"]["dir"] = "."
        own = set(files)
        for name, spec in params["inputs"].items():
            if isinstance(spec, dict) and "file" in spec and spec["file"] not in own:
                if (GOOD / spec["file"]).exists():
                    spec["file"] = f"../../good/{spec['file']}"
        for name, content in files.items():
            data = content.encode("utf-8") if isinstance(content, str) else content
            (folder / name).write_bytes(data)
        text = "# Generated by tests/data/bad/make_bad.py: do not edit by hand.\n" + yaml.safe_dump(
            params, allow_unicode=True, sort_keys=False)
        (folder / "params.yaml").write_text(text, encoding="utf-8")
        names.append(case)
    return names


if __name__ == "__main__":
    built = build()
    print(f"{len(built)} cases written to {HERE}")
