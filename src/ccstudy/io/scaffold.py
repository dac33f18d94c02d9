"""``ccstudy init``: scaffold a study from the exports an analyst has.

:func:`guess_study` reads the header (and a few rows) of every export in a
folder, guesses which input each file is (item map, responses, roster, KPIs
...) and how its headers map to the canonical column names, including common
Chinese headers (工号, 姓名, 班组, 波次, 提交时间, 题号/题目, 能力/胜任力, 维度,
反向 ...), the waves present and the rating scale.  :func:`write_study` copies
the exports unchanged into ``data/raw/<study>/`` and writes
``params/<study>.yaml``.  Every guess, and everything that could not be
guessed, is listed in :attr:`Scaffold.notes` for the analyst to check.

The guesses are only a start: ``ccstudy validate`` then checks every cell.
"""

from __future__ import annotations

import dataclasses
import re
import shutil
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from ccstudy.io.readers import ROW, ReadProblem, read_grid
from ccstudy.io.schemas import SCHEMAS, TableSchema, schema_for

#: File extensions read as exports.
EXPORT_SUFFIXES = (".csv", ".tsv", ".txt", ".xlsx", ".xlsm", ".parquet", ".pq")

#: Headers an export may use for each canonical column, in order of preference (matched after
#: normalising case, width, spaces and dashes).  The canonical name itself always matches first.
SYNONYMS: dict[str, tuple[str, ...]] = {
    "agent_id": ("agent", "agent id", "agentid", "employee id", "employee", "emp id", "staff id", "user id",
                 "工号", "员工工号", "员工编号", "员工号", "坐席工号", "坐席编号", "坐席id", "坐席号", "人员编号", "编号",
                 "账号", "id"),
    "team": ("team name", "group name", "班组", "团队", "小组", "组别", "班组名称", "团队名称", "部门"),
    "wave": ("round", "time point", "timepoint", "phase", "occasion", "波次", "轮次", "期次", "批次", "测评批次",
             "阶段", "测评轮次"),
    "submitted": ("submitted at", "submission date", "submit time", "timestamp", "completed", "date", "提交时间",
                  "提交日期", "答题时间", "完成时间", "填写时间", "日期", "时间"),
    "item": ("item id", "itemid", "item code", "question id", "题号", "题目编号", "题目id", "题目代码", "条目",
             "条目编号", "题目"),
    "text": ("item text", "wording", "question", "question text", "statement", "题目内容", "题干", "题目文本",
             "题目描述", "内容", "题目"),
    "competency": ("competence", "skill", "scale", "subscale", "能力", "胜任力", "能力项", "胜任力项", "能力编号",
                   "胜任力编号", "能力维度"),
    "competency_label": ("competency name", "skill name", "能力名称", "胜任力名称"),
    "dimension": ("domain", "factor", "维度", "大类", "维度编号"),
    "dimension_label": ("dimension name", "domain name", "维度名称"),
    "reverse": ("reversed", "reverse keyed", "reverse scored", "reverse coded", "反向", "反向计分", "是否反向",
                "反向题", "反向计分题"),
    "kind": ("type", "item type", "category", "类型", "题型", "类别"),
    "hire_date": ("hired", "start date", "join date", "入职日期", "入职时间"),
    "exit_date": ("left", "leave date", "end date", "termination date", "离职日期", "离职时间"),
    "group": ("arm", "condition", "training group", "分组", "培训组", "实验组别"),
    "gender": ("sex", "性别"),
    "month": ("period", "yyyy-mm", "月份", "月", "统计月份"),
    "contacts": ("calls", "calls handled", "handled", "interactions", "接触量", "通话量", "接听量", "话务量"),
    "fcr": ("first contact resolution", "一次解决率", "首次解决率", "一次性解决率"),
    "csat": ("customer satisfaction", "satisfaction rate", "客户满意度", "满意度"),
    "answer_rate": ("接通率", "接听率"),
    "aht_sec": ("aht", "average handling time", "平均处理时长", "平均通话时长"),
    "qa_score": ("qa", "quality score", "质检分", "质检得分", "质检成绩"),
    "score": ("answer", "value", "rating", "分数", "得分", "评分", "答案"),
    "programme": ("program", "course", "培训项目", "课程"),
    "start_date": ("开始日期", "培训开始"),
    "end_date": ("结束日期", "培训结束"),
    "respondents": ("n", "答卷人数", "参与人数"),
    "satisfied": ("满意人数",),
    "satisfaction": ("满意率",),
    "respondent_id": ("respondent", "客户编号", "受访者"),
    "category": ("mention", "提及类别", "诉求"),
    "offered": ("calls offered", "呼入量"),
    "answered": ("calls answered", "接通量"),
    "headcount": ("heads", "在岗人数", "人数"),
    "leavers": ("离职人数",),
    "attrition": ("流失率", "离职率"),
}

#: Personal columns an analysis never needs: listed under ignore_columns (they stay in the raw file).
PERSONAL = ("name", "full name", "agent name", "employee name", "phone", "mobile", "email", "姓名", "名字", "电话",
            "手机", "手机号", "邮箱", "身份证", "身份证号")

#: Words in a file name that point at an input.
NAME_HINTS: dict[str, tuple[str, ...]] = {
    "items": ("item", "items", "itemmap", "item_map", "codebook", "题目", "题库", "题本", "量表", "条目"),
    "responses": ("response", "responses", "answers", "questionnaire", "assessment", "survey_export", "答卷", "问卷",
                  "测评", "作答"),
    "roster": ("roster", "agents", "staff", "employees", "hr", "花名册", "名单", "人员", "员工"),
    "agent_kpis": ("agent_kpi", "agent_kpis", "kpi", "kpis", "performance", "绩效", "指标"),
    "centre_kpis": ("centre", "center", "centre_kpis", "center_kpis", "中心", "月报"),
    "training": ("training", "trainees", "培训"),
    "staff_survey": ("staff_survey", "pulse", "engagement", "员工满意"),
    "customer_survey": ("customer", "customers", "客户", "顾客"),
}


def _norm(s: Any) -> str:
    import unicodedata

    s = unicodedata.normalize("NFKC", str(s)).replace("\ufeff", "").strip().casefold()
    return re.sub(r"[\s\-_]+", " ", s).strip()


@dataclasses.dataclass
class FileGuess:
    """What one export looks like: its headers, a few data rows, and the best-matching input."""

    path: Path
    headers: list[str]
    rows: pd.DataFrame                  # data rows as text, columns = headers (positions deduplicated)
    encoding: str
    delimiter: str | None
    input: str | None = None
    layout: str | None = None           # responses: wide | long
    columns: dict[str, str] = dataclasses.field(default_factory=dict)   # canonical -> header
    missing: list[str] = dataclasses.field(default_factory=list)        # required columns not found
    header_row: int | None = None       # spreadsheet row of the headers when a title row is above them
    score: float = 0.0


@dataclasses.dataclass
class Scaffold:
    """The guessed study: inputs, params text and notes (guesses and what could not be guessed)."""

    study: str
    files: list[FileGuess]
    params: dict[str, Any]
    notes: list[str]
    unresolved: list[str]

    def input_files(self) -> dict[str, FileGuess]:
        return {f.input: f for f in self.files if f.input}


def _read(path: Path) -> tuple[pd.DataFrame, str, str | None] | None:
    """The first rows of *path* as text cells (header row first), its encoding and delimiter."""
    best = None
    delims: tuple[str | None, ...] = (None,)
    if path.suffix.lower() in (".csv", ".tsv", ".txt"):
        delims = ("\t", ",", ";", "|") if path.suffix.lower() == ".tsv" else (",", ";", "\t", "|")
    for d in delims:
        try:
            grid = read_grid(path, {} if d is None else {"delimiter": d})
        except ReadProblem:
            continue
        frame = grid.frame
        if best is None or frame.shape[1] > best[0].shape[1]:
            best = (frame, grid.encoding, d)
        if frame.shape[1] > 2:  # more than one column besides _row
            break
    return best


def _header_index(frame: pd.DataFrame) -> int:
    """The first row with as many filled cells as the widest of the first ten rows (skips title rows)."""
    filled = (frame.head(10) != "").sum(axis=1).to_numpy()
    if not len(filled):
        return 0
    return int(np.flatnonzero(filled >= filled.max())[0])


def _match(headers: list[str], schema: TableSchema, extra: tuple[str, ...] = ()) -> dict[str, str]:
    """canonical -> header for the columns of *schema* (each header used once; canonical names first)."""
    free = {h: _norm(h) for h in headers if h}
    out: dict[str, str] = {}
    wanted = [c.name for c in schema.columns] + [e for e in extra if e not in schema.names]
    # pass 1: the canonical names themselves
    for name in wanted:
        for h, n in free.items():
            if n == _norm(name):
                out[name] = h
                break
    used = set(out.values())
    # pass 2: synonyms, in the order of preference of each column (required columns first)
    required = [c for c in wanted if (schema.col(c) is None or schema.col(c).required) and c not in out]
    optional = [c for c in wanted if c not in out and c not in required]
    for name in required + optional:
        for syn in SYNONYMS.get(name, ()):
            hit = next((h for h, n in free.items() if h not in used and n == _norm(syn)), None)
            if hit is not None:
                out[name] = hit
                used.add(hit)
                break
    return out


def _numbers(s: pd.Series) -> np.ndarray:
    return pd.to_numeric(s.where(s != ""), errors="coerce").to_numpy(dtype=float)


def _hint(path: Path, name: str) -> float:
    stem = _norm(path.stem).replace(" ", "_")
    return 0.3 if any(h in stem for h in NAME_HINTS.get(name, ())) else 0.0


def _score(fg: FileGuess, name: str, item_ids: set[str] | None) -> tuple[float, dict[str, str], str | None]:
    if name == "responses":
        best = (0.0, {}, None)
        for layout in ("wide", "long"):
            schema = schema_for("responses", {"layout": layout})
            cols = _match(fg.headers, schema)
            if "agent_id" not in cols:
                continue
            if layout == "long":
                if {"item", "score"} <= set(cols):
                    best = max(best, (1.5, cols, "long"), key=lambda t: t[0])
                continue
            rest = [h for h in fg.headers if h and h not in cols.values()]
            if item_ids:
                norm_ids = {_norm(i) for i in item_ids}
                n_items = sum(_norm(h) in norm_ids for h in rest)
            else:
                n_items = sum(np.isfinite(_numbers(fg.rows[h])).mean() > 0.8 for h in rest if h in fg.rows)
            if n_items >= 2:
                score = 1.0 + min(n_items, 50) / 50
                if score > best[0]:
                    best = (score, cols, "wide")
        return best[0] + (_hint(fg.path, name) if best[0] else 0.0), best[1], best[2]
    schema = SCHEMAS[name]
    cols = _match(fg.headers, schema, ("kind",) if name == "items" else ())
    req = schema.required_names
    found = sum(r in cols for r in req)
    if not req or found == 0:
        return 0.0, cols, None
    score = found / len(req) + 0.05 * sum(c in cols for c in schema.names if c not in req)
    if found < len(req):
        score *= 0.6
    return score + _hint(fg.path, name), cols, None


def guess_study(src: Path, study: str) -> Scaffold:
    """Read every export in *src* and guess the study's params (see the module docstring)."""
    notes: list[str] = []
    unresolved: list[str] = []
    files: list[FileGuess] = []
    for path in sorted(p for p in Path(src).iterdir() if p.is_file() and p.suffix.lower() in EXPORT_SUFFIXES):
        got = _read(path)
        if got is None:
            unresolved.append(f"{path.name}: could not be read as a table (CSV, XLSX or Parquet)")
            continue
        grid_frame, enc, delim = got
        frame = grid_frame.drop(columns=ROW)
        if frame.empty:
            unresolved.append(f"{path.name}: empty file")
            continue
        h = _header_index(frame)
        headers = [str(v) for v in frame.iloc[h].tolist()]
        data = frame.iloc[h + 1:h + 2001]
        seen: dict[str, int] = {}
        names = []
        for v in headers:
            seen[v] = seen.get(v, 0) + 1
            names.append(v if seen[v] == 1 else f"{v}#{seen[v]}")
        rows = pd.DataFrame(data.to_numpy(), columns=names)
        fg = FileGuess(path=path, headers=names, rows=rows, encoding=enc, delimiter=delim)
        if (frame.iloc[:h] != "").to_numpy().any():
            fg.header_row = int(grid_frame[ROW].iloc[h])
            notes.append(f"{path.name}: the column names are on row {fg.header_row} (rows above look like a title)")
        files.append(fg)

    # the item map first: its ids tell the responses' item columns apart
    assigned: dict[str, FileGuess] = {}
    order = ("items", "responses", "roster", "agent_kpis", "centre_kpis", "training", "staff_survey",
             "customer_survey")
    item_ids: set[str] | None = None
    for name in order:
        cands = []
        for fg in files:
            if fg.input is not None:
                continue
            score, cols, layout = _score(fg, name, item_ids)
            if score >= 0.5:
                cands.append((score, fg, cols, layout))
        if not cands:
            continue
        score, fg, cols, layout = max(cands, key=lambda t: t[0])
        fg.input, fg.columns, fg.layout, fg.score = name, cols, layout, score
        schema = schema_for(name, {"layout": layout or "wide"})
        fg.missing = [r for r in schema.required_names if r not in cols]
        assigned[name] = fg
        if name == "items" and "item" in cols:
            item_ids = {v for v in fg.rows[cols["item"]].tolist() if v}
    for fg in files:
        if fg.input is None:
            unresolved.append(f"{fg.path.name}: not recognised as any input (headers: "
                              f"{', '.join(fg.headers[:8])}{' …' if len(fg.headers) > 8 else ''})")

    params: dict[str, Any] = {"study": study}
    inputs: dict[str, Any] = {"dir": f"data/raw/{study}"}
    for name in order:
        fg = assigned.get(name)
        if fg is None:
            continue
        spec: dict[str, Any] = {"file": fg.path.name}
        if name == "responses":
            spec["layout"] = fg.layout or "wide"
        mapped = {k: v for k, v in fg.columns.items() if _norm(k) != _norm(v)}
        if fg.encoding not in ("utf-8", "utf-8-sig", "xlsx", "parquet", "ascii"):
            spec["encoding"] = fg.encoding
        if fg.delimiter not in (None, ","):
            spec["delimiter"] = "tab" if fg.delimiter == "\t" else fg.delimiter
        if fg.header_row:
            spec["header_row"] = fg.header_row
        if mapped:
            spec["columns"] = mapped
        personal = [h for h in fg.headers if _norm(h) in {_norm(p) for p in PERSONAL}
                    and h not in fg.columns.values()]
        ignore = list(personal)
        if personal:
            notes.append(f"{fg.path.name}: personal column(s) {', '.join(personal)} listed under ignore_columns "
                         "(not needed by any analysis; they stay in the raw file)")
        if name == "responses" and fg.layout == "wide" and item_ids:
            ids = {_norm(i) for i in item_ids}
            other = [h for h in fg.headers if h and h not in fg.columns.values() and h not in ignore
                     and _norm(h) not in ids]
            if other:
                ignore += other
                notes.append(f"{fg.path.name}: column(s) {', '.join(other)} are not items of the item map; "
                             "listed under ignore_columns")
        if ignore:
            spec["ignore_columns"] = ignore
        inputs[name] = spec
        mapping = ", ".join(f"{k} ← {v!r}" for k, v in fg.columns.items())
        notes.insert(len(notes) - (1 if personal else 0) - (1 if len(ignore) > len(personal) else 0),
                     f"{fg.path.name} → inputs.{name}"
                     + (f" ({fg.layout} layout)" if name == "responses" else "")
                     + (f", encoding {fg.encoding}" if "encoding" in spec else "")
                     + (f"; columns: {mapping}" if mapping else ""))
        if fg.missing:
            unresolved.append(f"{fg.path.name} (inputs.{name}): no column found for {', '.join(fg.missing)}; "
                              f"map it in inputs.{name}.columns")
    for name in ("items", "responses"):
        if name not in assigned:
            unresolved.append(f"no file looks like the {'item map (item, competency ...)' if name == 'items' else 'responses'}"
                              f"; add it to data/raw/{study}/ and set inputs.{name}.file "
                              f"(params/templates/{name}.csv shows the format)")
            inputs[name] = {"file": f"{name}.csv"}
    params["scale"] = _guess_scale(assigned.get("responses"), assigned.get("items"), notes, unresolved)
    params["inputs"] = inputs
    params["waves"] = _guess_waves(assigned.get("responses"), notes, unresolved)
    for name in ("roster", "agent_kpis", "centre_kpis", "training", "staff_survey", "customer_survey"):
        if name not in assigned:
            notes.append(f"no {name} file found: the analyses that need it will be skipped")
    return Scaffold(study=study, files=files, params=params, notes=notes, unresolved=unresolved)


def _guess_waves(fg: FileGuess | None, notes: list[str], unresolved: list[str]) -> list[str]:
    if fg is None:
        return ["baseline"]
    col = fg.columns.get("wave")
    if col is None:
        notes.append(f"{fg.path.name}: no wave column: one wave, labelled 'baseline' (rename it in waves:)")
        return ["baseline"]
    vals = fg.rows[col]
    vals = vals[vals != ""]
    labels = list(dict.fromkeys(vals.tolist()))
    sub = fg.columns.get("submitted")
    if sub is not None and len(labels) > 1:
        dates = pd.to_datetime(fg.rows.loc[vals.index, sub], errors="coerce")
        first = dates.groupby(vals).min()
        if first.notna().all():
            labels = sorted(labels, key=lambda w: first[w])
            notes.append(f"waves ordered by their earliest submission: {', '.join(labels)}")
        else:
            notes.append(f"waves in the order they first appear: {', '.join(labels)} (check the time order)")
    elif len(labels) > 1:
        notes.append(f"waves in the order they first appear: {', '.join(labels)} (check the time order)")
    if len(labels) > 6:
        unresolved.append(f"{fg.path.name}: the wave column has {len(labels)} distinct values; check it is the wave")
    return labels or ["baseline"]


def _guess_scale(resp: FileGuess | None, items: FileGuess | None, notes: list[str],
                 unresolved: list[str]) -> dict[str, Any]:
    scale: dict[str, Any] = {"min": 1, "max": 5}
    if resp is None:
        unresolved.append("scale: no responses to read the rating scale from; 1–5 assumed")
        return scale
    if resp.layout == "long":
        cols = [resp.columns["score"]] if "score" in resp.columns else []
    else:
        ids = None
        if items is not None and "item" in items.columns:
            ids = {_norm(v) for v in items.rows[items.columns["item"]].tolist() if v}
        cols = [h for h in resp.headers if h and h not in resp.columns.values()
                and (ids is None or _norm(h) in ids)]
    values = np.concatenate([_numbers(resp.rows[c]) for c in cols]) if cols else np.zeros(0)
    texts = sorted({v for c in cols for v in resp.rows[c].tolist() if v and not _is_number(v)})
    values = values[np.isfinite(values)]
    if len(values):
        lo, hi = float(values.min()), float(values.max())
        smin = 0 if lo == 0 else 1
        smax = int(np.ceil(hi))
        if smax - smin < 3:
            smax = smin + 4
        scale = {"min": smin, "max": smax}
        notes.append(f"scale {smin}–{smax} guessed from the answers seen ({lo:g} to {hi:g}); set scale.min and "
                     "scale.max to the questionnaire's own bounds")
    else:
        unresolved.append("scale: no numeric answers found; 1–5 assumed")
    if texts:
        unresolved.append(f"answers given as words ({', '.join(texts[:6])}{' …' if len(texts) > 6 else ''}): "
                          "map each to a number in scale.labels")
    return scale


def _is_number(v: str) -> bool:
    try:
        float(v)
        return True
    except ValueError:
        return False


def render_params(sc: Scaffold) -> str:
    """The params file text for a scaffold (comments say it was guessed)."""
    import yaml

    head = (f"# Study '{sc.study}': written by `ccstudy init` from the exports it found; every guess is\n"
            "# listed below and in the command's output. Check them, then run:\n"
            f"#   ccstudy validate params/{sc.study}.yaml\n"
            "# Every other key takes its default (params/template.yaml, docs/params.md).\n")
    if sc.unresolved:
        head += "#\n# Could not guess:\n" + "".join(f"#   - {u}\n" for u in sc.unresolved)
    body = yaml.safe_dump(sc.params, sort_keys=False, allow_unicode=True, default_flow_style=None, width=100)
    return head + "\n" + body


def write_study(sc: Scaffold, src: Path, root: Path, *, force: bool = False) -> tuple[Path, Path, list[Path]]:
    """Copy the recognised exports into ``root/data/raw/<study>/`` (unchanged) and write the params file.

    Returns (params path, raw folder, copied files).  Refuses to overwrite an existing params file
    or a different file of the same name in the raw folder unless *force*.
    """
    raw = root / "data" / "raw" / sc.study
    params_path = root / "params" / f"{sc.study}.yaml"
    if params_path.exists() and not force:
        raise FileExistsError(f"{params_path} exists; pass --force to overwrite it")
    raw.mkdir(parents=True, exist_ok=True)
    copied: list[Path] = []
    for fg in sc.files:
        if fg.input is None:
            continue
        dest = raw / fg.path.name
        if dest.resolve() == fg.path.resolve():
            continue
        if dest.exists() and dest.read_bytes() != fg.path.read_bytes() and not force:
            raise FileExistsError(f"{dest} exists and differs from {fg.path}; pass --force to replace it")
        shutil.copyfile(fg.path, dest)
        copied.append(dest)
    params_path.parent.mkdir(parents=True, exist_ok=True)
    from ccstudy.io.files import write_text

    write_text(params_path, render_params(sc))
    return params_path, raw, copied
