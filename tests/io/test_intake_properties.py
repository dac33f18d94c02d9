"""Random damage to valid files: intake either succeeds (every row kept or logged) or raises InputValidationError."""

from __future__ import annotations

import shutil
import tempfile
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ccstudy.io.intake import InputValidationError, run_intake
from ccstudy.params import load_params

GOOD = Path(__file__).resolve().parents[1] / "data" / "good"
FILES = ["items.csv", "responses.csv", "roster.csv", "agent_kpis.csv", "centre_kpis.csv", "training.csv",
         "staff_survey.csv", "customer_survey.csv"]
INPUT = {f: f.removesuffix(".csv") for f in FILES}

CELL_TEXT = st.one_of(
    st.sampled_from(["", "0", "6", "9", "-1", "3.5", "abc", "N/A", "  4  ", "1e9", "2017-13-01", "42430", "97%",
                     "非常同意", "pre", "post", "A01", "2017-02", "\"", "a,b", "x\ny", "\t"]),
    st.text(alphabet=st.characters(codec="utf-8", exclude_categories=("Cs",)), max_size=8),
)

SETTINGS = settings(max_examples=50, deadline=None, suppress_health_check=[HealthCheck.too_slow],
                    derandomize=True)


def _rows(text: str) -> list[str]:
    return text.split("\n")


@st.composite
def damage(draw):
    """(file name, damaged bytes, description)."""
    name = draw(st.sampled_from(FILES))
    text = (GOOD / name).read_text(encoding="utf-8")
    lines = _rows(text)
    kind = draw(st.sampled_from(["edit", "delete", "insert", "truncate", "swap", "bytes", "blank"]))
    if kind == "edit":
        i = draw(st.integers(0, len(lines) - 2))
        cells = lines[i].split(",")
        j = draw(st.integers(0, len(cells) - 1))
        cells[j] = draw(CELL_TEXT)
        lines[i] = ",".join(cells)
        data = "\n".join(lines).encode("utf-8")
    elif kind == "delete":
        i = draw(st.integers(1, len(lines) - 2))
        cells = lines[i].split(",")
        del cells[draw(st.integers(0, len(cells) - 1))]
        lines[i] = ",".join(cells)
        data = "\n".join(lines).encode("utf-8")
    elif kind == "insert":
        i = draw(st.integers(0, len(lines) - 1))
        lines.insert(i, draw(st.text(alphabet=st.sampled_from(list("abc,;\"12 \t5-/")), max_size=30)))
        data = "\n".join(lines).encode("utf-8")
    elif kind == "truncate":
        raw = text.encode("utf-8")
        data = raw[: draw(st.integers(0, len(raw)))]
    elif kind == "swap":
        enc = draw(st.sampled_from(["utf-8-sig", "utf-16", "gbk", "gb18030", "latin-1", "cp1252"]))
        data = text.encode(enc)
    elif kind == "bytes":
        raw = bytearray(text.encode("utf-8"))
        pos = draw(st.integers(0, len(raw)))
        raw[pos:pos] = draw(st.binary(min_size=1, max_size=4))
        data = bytes(raw)
    else:  # blank lines anywhere
        i = draw(st.integers(1, len(lines) - 1))
        lines.insert(i, draw(st.sampled_from(["", ",,,", "   "])))
        data = "\n".join(lines).encode("utf-8")
    return name, data, kind


def _run(name: str, data: bytes):
    with tempfile.TemporaryDirectory() as tmp:
        study = Path(tmp) / "study"
        shutil.copytree(GOOD, study)
        (study / name).write_bytes(data)
        p = load_params(study / "params.yaml", overrides={
            "outputs": {"processed": str(Path(tmp) / "p"), "reports": str(Path(tmp) / "r")}})
        try:
            return run_intake(p)
        except InputValidationError as exc:
            assert exc.report.problems and str(exc)
            return None


def _check_accounting(result, name: str, data: bytes) -> None:
    """Every data row read is either in the processed table or logged as dropped ('*')."""
    inp = INPUT[name]
    info = result.summary["inputs"][inp]
    log = result.cleaning_log
    dropped = log[(log["file"] == name) & (log["column"] == "*")]
    assert not dropped["row"].duplicated().any()
    assert info["rows_dropped"] == len(dropped)
    if inp == "items":
        assert info["rows_read"] == info["rows_kept"] + info["rows_dropped"]
    else:
        assert info["rows_read"] == info["rows_kept"] + info["rows_dropped"], info
    if inp == "responses":
        # every intact valid line of the original file is in the output or logged at its row
        try:
            lines = data.decode("utf-8").split("\n")
        except UnicodeDecodeError:
            return
        kept = set(zip(result.tables["responses"]["agent_id"], result.tables["responses"]["wave"]))
        logged = set(dropped["row"].tolist())
        original = (GOOD / name).read_text(encoding="utf-8").split("\n")[1:]
        for idx, line in enumerate(lines):
            if idx and line and line in original:
                agent, wave = line.split(",")[:2]
                assert (agent, wave) in kept or (idx + 1) in logged, (idx + 1, line)


@SETTINGS
@given(damage())
def test_random_damage_never_crashes(case):
    name, data, _kind = case
    result = _run(name, data)
    if result is not None:
        _check_accounting(result, name, data)


@settings(max_examples=25, deadline=None, derandomize=True)
@given(st.sampled_from(FILES), st.sampled_from(["utf-8", "utf-8-sig", "utf-16", "gbk", "gb18030"]))
def test_any_supported_encoding_gives_the_same_tables(name, enc):
    text = (GOOD / name).read_text(encoding="utf-8")
    result = _run(name, text.encode(enc))
    assert result is not None
    expected = {"utf-8-sig": "utf-8-sig", "utf-16": "utf-16"}.get(enc, "utf-8")  # ASCII content is valid UTF-8
    assert result.encodings[INPUT[name]] == expected
    ref = _run("items.csv", (GOOD / "items.csv").read_bytes())
    for t in ref.tables:
        assert result.tables[t].equals(ref.tables[t]), t
