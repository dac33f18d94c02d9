"""Readers: encodings, CSV paths, XLSX and Parquet cells as text, with spreadsheet row numbers."""

from __future__ import annotations

import codecs
import datetime as dt

import numpy as np
import pandas as pd
import pytest

from ccstudy.io import readers
from ccstudy.io.readers import ROW, ReadProblem, cell_text, decode_bytes, read_grid
from ccstudy.io.validate import excel_letter

TEXT = "agent_id,team\nA01,贵宾组\nA02,一组\n"


@pytest.mark.parametrize("enc,expected", [
    ("utf-8", "utf-8"), ("utf-8-sig", "utf-8-sig"), ("utf-16", "utf-16"), ("gbk", "gbk"), ("gb18030", "gbk"),
])
def test_decode_cascade(enc, expected):
    text, got = decode_bytes(TEXT.encode(enc))
    assert text == TEXT and got == expected


def test_decode_gb18030_only_characters():
    text = "agent_id,team\nA01,𠀀组\n"
    assert decode_bytes(text.encode("gb18030")) == (text, "gb18030")


def test_decode_failure_names_row_and_byte():
    data = b"a,b\nx,y\nJos\x81 ,z\n"   # 0x81 + space: invalid in UTF-8, GBK, GB18030, Big5 and Windows-1252
    with pytest.raises(ReadProblem) as info:
        decode_bytes(data)
    assert info.value.row == 3 and info.value.value == "0x81" and info.value.rule == "encoding"


@pytest.mark.parametrize("text,enc", [
    ("team\nÉquipe Müller\nJosé's way\n", "cp1252"),     # Latin-1 bytes used to become GBK mojibake
    ("team\n客服一組\n貴賓組\n", "big5"),                 # Big5 used to be read as GB18030
    ("team\n客服一组\n客服二组\n", "gbk"),
])
def test_decode_picks_the_plausible_encoding(text, enc):
    assert decode_bytes(text.encode(enc)) == (text, enc)


def test_decode_ambiguity_names_candidates_and_key():
    data = b"team\n\xb0\xb6\xb0\xa8\n"   # GBK '岸皑' and Big5 '偉馬' are both plausible
    with pytest.raises(ReadProblem) as info:
        decode_bytes(data)
    msg = info.value.message
    assert info.value.rule == "encoding_ambiguous" and info.value.row == 2
    assert "gbk reads it as '岸皑'" in msg and "big5 reads it as '偉馬'" in msg and "inputs.<name>.encoding" in msg
    assert decode_bytes(data, "big5") == ("team\n偉馬\n", "big5")


def test_implausibility_scores():
    assert readers.implausibility("Équipe Müller") == 0
    assert readers.implausibility("\ue085狝\ue5e6舱", "gb") > 0.5       # Big5 bytes read as GB18030
    assert readers.implausibility("¹ó±ö×é") == 1                      # GBK bytes read as Windows-1252
    assert readers.implausibility("蓂uipe") == 1                       # Latin-1 bytes read as GBK


def test_declared_encoding():
    assert decode_bytes(TEXT.encode("gbk"), "gbk") == (TEXT, "gbk")
    assert decode_bytes(codecs.BOM_UTF8 + TEXT.encode(), "utf-8") == (TEXT, "utf-8-sig")
    with pytest.raises(ReadProblem, match="not valid utf-8"):
        decode_bytes(TEXT.encode("gbk"), "utf-8")
    with pytest.raises(ReadProblem, match="unknown encoding"):
        decode_bytes(b"a", "klingon")


def test_csv_rows_keep_spreadsheet_numbers(tmp_path):
    p = tmp_path / "x.csv"
    p.write_text("a,b\n1,2\n\n 3 ,4\n5\n6,7,8\n", encoding="utf-8")
    g = read_grid(p)
    assert g.frame[ROW].tolist() == [1, 2, 3, 4, 5, 6]
    assert g.frame.shape[1] == 4  # widened to the longest row, plus _row
    assert g.frame.iloc[3, 0] == "3" and g.frame.iloc[4].tolist()[:3] == ["5", "", ""]
    assert g.frame.iloc[5, 2] == "8"


def _big_csv(n: int, blank_at: int | None = None) -> str:
    rng = np.random.default_rng(3)
    lines = ["agent_id,wave,note,score"]
    for i in range(n):
        note = '"a, quoted\nnote"' if i % 997 == 0 else f"n{i}"
        lines.append(f"A{i:06d},pre,{note}, {rng.integers(1, 6)} ")
    if blank_at is not None:
        lines.insert(blank_at, "")
    return "\n".join(lines) + "\n"


def test_arrow_fast_path_matches_c_reader(tmp_path, monkeypatch):
    text = _big_csv(60_000)
    assert len(text) > 1 << 20
    p = tmp_path / "big.csv"
    p.write_text(text, encoding="utf-8")
    fast = read_grid(p).frame
    monkeypatch.setattr(readers, "_parse_csv_arrow", lambda *a: None)
    slow = read_grid(p).frame
    assert fast.shape == slow.shape and fast.equals(slow)
    assert fast.iloc[1, 2] == "a, quoted\nnote" and fast.iloc[1, 3] in {"1", "2", "3", "4", "5"}


def test_irregular_big_file_falls_back_and_keeps_rows(tmp_path):
    p = tmp_path / "big.csv"
    p.write_text(_big_csv(60_000, blank_at=10), encoding="utf-8")
    f = read_grid(p).frame
    assert f.iloc[10, :4].tolist() == ["", "", "", ""] and f.iloc[10][ROW] == 11
    assert len(f) == 60_002


def test_xlsx_cells_and_rows(tmp_path):
    import openpyxl

    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "Data"
    ws.append(["agent_id", "hire_date", "score", "rate", "flag"])
    ws.append(["A01", dt.datetime(2016, 3, 1), 5.0, 0.25, True])
    ws.append([None, None, None, None, None])
    ws.append([1001, dt.datetime(2016, 3, 1, 9, 30), 3, None, False])
    ws.append([None] * 5)
    p = tmp_path / "x.xlsx"
    wb.save(p)
    g = read_grid(p, {"sheet": "Data"})
    assert g.fmt == "xlsx" and g.sheet == "Data" and g.encoding == "xlsx"
    rows = g.frame.drop(columns=ROW).values.tolist()
    assert rows[1] == ["A01", "2016-03-01", "5", "0.25", "true"]
    assert rows[2] == ["", "", "", "", ""]
    assert rows[3] == ["1001", "2016-03-01 09:30:00", "3", "", "false"]
    assert g.frame[ROW].tolist() == [1, 2, 3, 4]   # trailing empty rows dropped
    with pytest.raises(ReadProblem, match="'Data'"):
        read_grid(p, {"sheet": "Nope"})


def test_parquet_cells(tmp_path):
    df = pd.DataFrame({"i": [1, 2], "f": [0.5, np.nan], "w": [3.0, 4.0],
                       "d": pd.to_datetime(["2017-01-02", None]), "t": pd.to_datetime(["2017-01-02 08:00", None]),
                       "b": [True, False], "s": ["x", None]})
    p = tmp_path / "x.parquet"
    df.to_parquet(p)
    g = read_grid(p)
    rows = g.frame.drop(columns=ROW).values.tolist()
    assert rows[0] == ["i", "f", "w", "d", "t", "b", "s"]
    assert rows[1] == ["1", "0.5", "3", "2017-01-02", "2017-01-02 08:00:00", "true", "x"]
    assert rows[2] == ["2", "", "4", "", "", "false", ""]
    assert g.frame[ROW].tolist() == [1, 2, 3]


@pytest.mark.parametrize("value,text", [
    (None, ""), (" a ", "a"), (5, "5"), (5.0, "5"), (0.1, "0.1"), (float("nan"), ""), (True, "true"),
    (dt.date(2017, 1, 2), "2017-01-02"), (dt.datetime(2017, 1, 2), "2017-01-02"), (np.int64(7), "7"),
    (pd.Timestamp("2017-01-02 03:04:05"), "2017-01-02 03:04:05"), (1e20, "1e+20"),
])
def test_cell_text(value, text):
    assert cell_text(value) == text


def test_excel_letters():
    assert [excel_letter(i) for i in (0, 25, 26, 27, 701, 702)] == ["A", "Z", "AA", "AB", "ZZ", "AAA"]


def test_missing_and_unknown_format(tmp_path):
    with pytest.raises(ReadProblem, match="not found"):
        read_grid(tmp_path / "nope.csv")
    (tmp_path / "x.csv").write_text("a\n")
    with pytest.raises(ReadProblem, match="unknown format"):
        read_grid(tmp_path / "x.csv", {"format": "json"})
