"""Every malformed input of tests/data/bad/ gives the exact, located message (or a clean, logged intake)."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import pytest

from ccstudy.io.intake import InputValidationError, run_intake
from ccstudy.io.validate import validate_study
from ccstudy.params import load_params

BAD = Path(__file__).resolve().parents[1] / "data" / "bad"

# The good fixture's own (cleanable) mess, logged in every case that passes.
GOOD_RULES = {"duplicate_row": 1, "left_before_post": 1, "min_contacts": 1, "out_of_range": 2,
              "partial_response": 1, "straightlining": 1}

# case -> fragments the error message must contain (file, row, column, value, rule ...)
ERRORS: dict[str, list[str]] = {
    "encoding_undecodable": ["roster.csv, row 4, column style", "'0x81'",
                             "cannot be decoded as UTF-8, GBK, GB18030, Big5 or Windows-1252",
                             "inputs.roster.encoding", "[rule: encoding]"],
    # --- encodings, binary files, invisible characters (each names file, row, column and what to do)
    "encoding_ambiguous": ["roster.csv, row 2, column team", "'0xB0'", "the encoding is ambiguous",
                           "gbk reads it as 'A01,岸皑,", "big5 reads it as 'A01,偉馬,", "set inputs.roster.encoding",
                           "[rule: encoding_ambiguous]"],
    "utf16_without_bom": ["responses.csv — ", "UTF-16 text without a byte-order mark",
                          "inputs.responses.encoding: utf-16-le", "[rule: encoding]"],
    "nul_byte": ["responses.csv, row 5, column agent_id", "'\\x00'", "a NUL byte", "export it again",
                 "[rule: not_text]"],
    "zip_renamed_csv": ["roster.csv — ", "ZIP archive", "inputs.roster.format: xlsx", "[rule: not_text]"],
    "parquet_renamed_csv": ["agent_kpis.csv — ", "a Parquet file", "inputs.agent_kpis.format: parquet",
                            "[rule: not_text]"],
    "bom_only": ["training.csv — ", "only a byte-order mark", "export it again", "[rule: empty_file]"],
    "xlsx_formula_no_value": ["roster.xlsx, row 5, column hire_date", "'=DATE(2016,3,1)'", "cell C5",
                              "no saved value", "save it again", "[rule: xlsx_formula]"],
    "xlsx_sheet_case": ["roster.xlsx", "'agents'", "its sheets are 'Agents'", "did you mean 'Agents'",
                        "set inputs.roster.sheet", "[rule: xlsx_sheet]"],
    "zero_width_id": ["responses.csv, row 7, column agent_id", "'A05\\u200b'", "invisible or control character",
                      "delete the character", "[rule: invisible_character]"],
    "nbsp_in_team": ["roster.csv, row 9, column team", "'T\\u00a001'", "[rule: invisible_character]"],
    "control_char_in_id": ["agent_kpis.csv, row 6, column agent_id", "'A02\\u0007'", "[rule: invisible_character]"],
    # --- rates: one scale per column
    "rates_mixed_centre": ["centre_kpis.csv, row 2, column fcr", "'0.8510'", "mixes fractions and percentages",
                           "1 value(s) are fractions", "2 are percentages", "[rule: rate_mixed_scale]"],
    "rates_mixed_agent": ["agent_kpis.csv, rows 4, 9 and 20, column fcr", "'78.1', '76.5', '89.5'",
                          "3 value(s) are percentages", "32 are fractions", "[rule: rate_mixed_scale]"],
    # --- dates
    "exit_sentinel_undeclared": ["roster.csv, row 4, column exit_date", "'9999-12-31'", "outside the years 1678–2261",
                                 "inputs.roster.exit_date_sentinels", "[rule: date_out_of_range]"],
    "date_year_10000": ["training.csv, row 5, column end_date", "'10000-01-01'", "[rule: date_out_of_range]"],
    "date_far_past": ["responses.csv, row 10, column submitted", "'1600-02-06'", "[rule: date_out_of_range]"],
    "hire_in_future": ["roster.csv, row 6, column hire_date", "'2031-05-04'", "after the last month with data (2017-06",
                       "[rule: date_in_future]"],
    # --- summary rows in every input
    "summary_row_kpis": ["agent_kpis.csv, row 37, column agent_id", "'合计'", "a summary row",
                         "inputs.agent_kpis.drop_summary_rows: true", "[rule: summary_row]"],
    "summary_row_customer": ["customer_survey.csv, row 10, column respondent_id", "'Total'",
                             "inputs.customer_survey.drop_summary_rows: true", "[rule: summary_row]"],
    "summary_row_staff": ["staff_survey.csv, row 8, column team", "'小计'", "[rule: summary_row]"],
    "summary_row_responses": ["responses.csv, row 26, column agent_id", "'Average'", "[rule: summary_row]"],
    "encoding_declared_wrong": ["roster.csv, row 2, column team", "not valid utf-8", "[rule: encoding]"],
    "delimiter_wrong": ["responses.csv, row 1", "only one column", "inputs.responses.delimiter: \";\"",
                        "[rule: delimiter]"],
    "merged_header": ["responses.csv, row 1", "'Agent'", "they appear on row 2", "inputs.responses.header_row: 2",
                      "[rule: header_row]"],
    "excel_date_serial": ["roster.csv, row 5, column hire_date", "'42430'", "Excel date serial", "2016-03-01",
                          "[rule: excel_date_serial]"],
    "text_in_score": ["responses.csv, row 4, column Q03", "'abc'", "numbers from 1 to 5", "[rule: score_not_number]"],
    "duplicate_roster_agent": ["roster.csv, rows 6 and 14, column agent_id", "'A05'", "[rule: duplicate_key]"],
    "unknown_item": ["responses.csv, row 1, column Q99", "not an item of the item map", "[rule: unknown_item]"],
    "item_column_missing": ["responses.csv, column Q06", "item Q06 of the item map has no column",
                            "[rule: item_missing]"],
    "wave_blank": ["responses.csv, row 5, column wave", "(blank)", "[rule: required_value]"],
    "wave_not_allowed": ["responses.csv, row 16, column wave", "'mid'", "'pre', 'post'", "[rule: not_allowed]"],
    "wave_missing": ["params.yaml, line 31, key waves.post: value 'post'", "wave 'post' is declared in waves but no "
                     "response in responses.csv has it; its wave column holds 'pre'", "[rule: wave_missing]"],
    "chinese_header_unmapped": ["responses.csv, row 1, column agent_id", "'工号'",
                                "inputs.responses.columns: {agent_id: \"<header>\"}", "[rule: missing_column]"],
    "mapped_header_absent": ["roster.csv, row 1, column agent_id", "'工号'", "[rule: mapped_column_missing]"],
    "value_without_header": ["roster.csv, row 7, column G", "'oops'", "no header", "[rule: blank_header]"],
    "xlsx_wrong_sheet": ["roster.xlsx", "sheet 'Roster'", "inputs.roster.sheet", "'Agents'", "[rule: xlsx_sheet]"],
    "xlsx_date_serial": ["roster.xlsx, row 5, column hire_date", "'42430'", "[rule: excel_date_serial]"],
    "parquet_wrong_dtypes": ["agent_kpis.parquet, row 5, column contacts", "'12 calls'", "whole number",
                             "[rule: not_a_number]"],
    "parquet_corrupt": ["agent_kpis.parquet", "cannot be read as Parquet", "[rule: parquet_unreadable]"],
    "roster_exit_before_hire": ["roster.csv, row 12, column exit_date", "'2015-01-31 (hire_date 2015-07-20)'",
                                "exit_date is before hire_date", "[rule: date_order]"],
    "training_end_before_start": ["training.csv, row 3, column end_date", "end_date is before start_date",
                                  "[rule: date_order]"],
    "rates_percent_declared_fraction": ["agent_kpis.csv, rows 2, 3, 4 and 32 more, column fcr", "'88.4'",
                                        "inputs.agent_kpis.rate_scale: percent", "[rule: rate_range]"],
    "rates_fraction_declared_percent": ["centre_kpis.csv, rows 2, 3 and 4, column fcr", "'0.8510'",
                                        "rate_scale: fraction", "[rule: rate_scale]"],
    "rates_percent_declared": ["agent_kpis.csv, rows 2, 3, 4 and 32 more, column csat", "[rule: rate_scale]"],
    "text_in_kpi": ["agent_kpis.csv, row 7, column csat", "'n.a.'", "[rule: not_a_number]"],
    "negative_contacts": ["agent_kpis.csv, row 9, column contacts", "'-4'", "must be >= 0", "[rule: number_range]"],
    "kpi_duplicate_month": ["agent_kpis.csv, rows 5 and 37, column agent_id + month", "'A02 / 2017-01'",
                            "[rule: duplicate_key]"],
    "month_unparseable": ["agent_kpis.csv, row 10, column month", "'Jan 2017'", "[rule: month_unparseable]"],
    "agent_not_in_roster": ["responses.csv, row 11, column agent_id", "'A99'", "not in the roster",
                            "[rule: agent_not_in_roster]"],
    "training_agent_not_in_roster": ["training.csv, row 4, column agent_id", "'B03'", "[rule: agent_not_in_roster]"],
    "date_unparseable": ["responses.csv, row 9, column submitted", "'14/02/2017'", "YYYY-MM-DD",
                         "inputs.responses.date_format", "[rule: date_unparseable]"],
    "response_conflicting_duplicate": ["responses.csv, rows 3 and 26, column agent_id + wave", "'A02 / pre'",
                                       "[rule: duplicate_key]"],
    "post_before_pre": ["responses.csv, row 16, column submitted", "'post 2017-01-20 < pre 2017-02-06'",
                        "[rule: wave_order]"],
    "empty_file": ["training.csv", "the file is empty", "[rule: empty_file]"],
    "header_only": ["responses.csv", "no data rows", "[rule: no_data]"],
    "file_missing": ["customers.csv", "file not found", "[rule: file_missing]"],
    "label_unknown": ["responses.csv, row 6, column Q01", "'Sort of'", "scale.labels", "[rule: score_not_number]"],
    "long_unknown_item": ["responses.csv, row 6, column item", "'Q77'", "[rule: unknown_item]"],
    "satisfied_above_respondents": ["staff_survey.csv, row 4, column satisfied", "'9 (respondents 5)'",
                                    "[rule: exceeds]"],
    "reverse_not_flag": ["items.csv, row 4, column reverse", "'maybe'", "[rule: not_a_flag]"],
    "competency_two_dimensions": ["items.csv, rows 2, 3 and 4, column dimension", "'listening'",
                                  "[rule: competency_dimension]"],
    "duplicate_item": ["items.csv, rows 2 and 3, column item", "'Q01'", "[rule: duplicate_key]"],
    "required_column_missing": ["agent_kpis.csv, row 1, column contacts", "required column contacts",
                                "[rule: missing_column]"],
    "truncated_file": ["responses.csv, row 19, column submitted", "'2017-06-0'", "[rule: date_unparseable]"],
}

# case -> (encodings that differ from utf-8, extra cleaning rules beyond the good fixture's)
OK: dict[str, tuple[dict[str, str], dict[str, int]]] = {
    "encoding_gbk": ({"roster": "gbk"}, {}),
    "encoding_gb18030": ({"roster": "gb18030"}, {}),
    "encoding_utf16_tab": ({"responses": "utf-16"}, {}),
    "bom": ({"responses": "utf-8-sig"}, {}),
    "delimiter_declared": ({}, {}),
    "merged_header_declared": ({}, {}),
    "blank_lines": ({}, {"blank_row": 3}),
    "chinese_header_mapped": ({}, {}),
    "trailing_empty_columns": ({}, {"empty_column": 2}),
    "xlsx_ok": ({"roster": "xlsx"}, {}),
    "parquet_ok": ({"agent_kpis": "parquet"}, {}),
    "date_format_declared": ({}, {}),
    "labels_english": ({}, {}),
    "labels_chinese_gb18030": ({"responses": "gbk"}, {}),   # these characters are plain GBK bytes
    "long_layout": ({}, {"duplicate_row": 5}),              # the duplicated response is 6 long rows
}


def _params(case: str, tmp_path: Path):
    return load_params(BAD / case / "params.yaml",
                       overrides={"outputs": {"processed": str(tmp_path / "p"), "reports": str(tmp_path / "r")}})


def test_corpus_is_complete():
    from test_bad_corpus_exact import ACCEPTED

    # __pycache__ appears when a test imports make_bad.py; it is not a case.
    cases = {p.name for p in BAD.iterdir() if p.is_dir() and p.name != "__pycache__"}
    assert cases == set(ERRORS) | set(OK) | set(ACCEPTED)
    assert len(ERRORS) >= 30


@pytest.mark.parametrize("case", sorted(ERRORS))
def test_bad_case_message(case, tmp_path):
    params = _params(case, tmp_path)
    with pytest.raises(InputValidationError) as info:
        run_intake(params)
    text = str(info.value)
    for fragment in ERRORS[case]:
        assert fragment in text, f"{case}: {fragment!r} not in\n{text}"
    # the same report is written to validation_report.md and returned by validate_study
    md = (tmp_path / "r" / "validation_report.md").read_text(encoding="utf-8")
    assert info.value.report.problems[0].rule in md
    assert not validate_study(params).ok


@pytest.mark.parametrize("case", sorted(OK))
def test_tolerated_case_is_clean(case, tmp_path):
    encodings, extra = OK[case]
    result = run_intake(_params(case, tmp_path))
    for name, enc in result.encodings.items():
        assert enc == encodings.get(name, "utf-8"), (case, name, enc)
    rules = dict(GOOD_RULES)
    for k, v in extra.items():
        rules[k] = rules.get(k, 0) + v
    assert result.summary["cleaning"]["rules"] == rules
    resp = result.tables["responses"]
    assert len(resp) == 21 and list(resp.columns[:3]) == ["agent_id", "wave", "submitted"]


def test_tolerated_cases_give_the_good_tables(tmp_path):
    """Encodings, delimiters, headers, labels, layouts and formats do not change the processed data."""
    ref = run_intake(load_params(BAD.parent / "good" / "params.yaml", overrides={
        "outputs": {"processed": str(tmp_path / "gp"), "reports": str(tmp_path / "gr")}}))
    for case in sorted(OK):
        res = run_intake(_params(case, tmp_path / case))
        for name, table in ref.tables.items():
            got = res.tables[name]
            if case.startswith("encoding_g") and name == "roster":
                continue  # team names are Chinese in these cases
            assert got.equals(table), (case, name)


def test_generator_is_deterministic(tmp_path):
    spec = importlib.util.spec_from_file_location("make_bad", BAD / "make_bad.py")
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    mod.build(tmp_path)
    for case_dir in sorted(tmp_path.iterdir()):
        for f in sorted(case_dir.iterdir()):
            committed = BAD / case_dir.name / f.name
            assert committed.read_bytes() == f.read_bytes(), f"{committed} is stale: run tests/data/bad/make_bad.py"
