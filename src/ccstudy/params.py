"""Study parameters: one YAML file per study, validated before anything runs.

The params file plays the role of a data catalogue: it names every input file,
every option of every stage and the seed.  :func:`load_params` reads it,
checks every key it knows (type, allowed values) and reports *all* problems at
once, naming the key path, the value found and what is allowed.

Relative paths (``inputs.dir``, ``outputs.*``) are resolved against the study
root: the folder that holds the ``params/`` folder the file lives in (so
``params/default.yaml`` in a checkout resolves against the checkout), or the
params file's own folder when it does not live in a folder named ``params``.
"""

from __future__ import annotations

import copy
import dataclasses
import hashlib
import json
import re
from pathlib import Path
from typing import Any

import yaml

MONTH_RE = re.compile(r"^\d{4}-(0[1-9]|1[0-2])$")


class ParamsError(ValueError):
    """The params file is missing, unreadable or has invalid values."""

    def __init__(self, path: Path | str, problems: list[str]):
        self.path = str(path)
        self.problems = problems
        lines = "\n".join(f"  - {p}" for p in problems)
        super().__init__(f"{self.path}: {len(problems)} problem(s) in the study parameters:\n{lines}")


# (type or tuple of types, allowed values or None, required)
_SPEC: dict[str, tuple[Any, Any, bool]] = {
    "study": (str, None, True),
    "title": (str, None, False),
    "subtitle": (str, None, False),
    "seed": (int, None, True),
    "confidence": (float, None, False),
    "scale.min": (int, None, True),
    "scale.max": (int, None, True),
    "scale.labels": (dict, None, False),
    "inputs.dir": (str, None, True),
    "inputs.items.file": (str, None, True),
    "inputs.responses.file": (str, None, True),
    "inputs.responses.layout": (str, ("wide", "long"), False),
    "inputs.roster.file": (str, None, True),
    "inputs.agent_kpis.file": (str, None, True),
    "inputs.agent_kpis.rate_scale": (str, ("fraction", "percent"), False),
    "inputs.centre_kpis.file": (str, None, False),
    "inputs.centre_kpis.rate_scale": (str, ("fraction", "percent"), False),
    "inputs.training.file": (str, None, False),
    "inputs.staff_survey.file": (str, None, False),
    "inputs.staff_survey.rate_scale": (str, ("fraction", "percent"), False),
    "inputs.customer_survey.file": (str, None, False),
    "waves.pre": (str, None, True),
    "waves.post": (str, None, True),
    "cleaning.out_of_range": (str, ("missing", "drop_row"), False),
    "cleaning.straightlining": (str, ("flag", "drop"), False),
    "cleaning.min_answered_share": (float, None, False),
    "cleaning.drop_left_before_post": (bool, None, False),
    "cleaning.min_contacts_per_month": (int, None, False),
    "reliability.missing": (str, ("pairwise", "listwise"), False),
    "reliability.n_boot": (int, None, False),
    "reliability.wave": (str, None, False),
    "validity.kpis": (list, None, False),
    "validity.window.start": (str, "month", False),
    "validity.window.end": (str, "month", False),
    "validity.method": (str, ("pearson", "spearman"), False),
    "validity.covariates": (list, None, False),
    "validity.adjust": (str, ("holm", "bh", "none"), False),
    "training.start": (str, "month", False),
    "training.end": (str, "month", False),
    "training.focus_team": (str, None, False),
    "training.before_month": (str, "month", False),
    "training.after_month": (str, "month", False),
    "training.satisfied_min": (int, None, False),
    "training.power": (float, None, False),
    "trends.intervention": (str, "month", False),
    "trends.kpis": (list, None, False),
    "trends.se": (str, ("hac", "ols"), False),
    "trends.seasonal": (bool, None, False),
    "coaching.focus_team": (str, None, False),
    "coaching.weak_gap": (float, None, False),
    "coaching.top_share": (float, None, False),
    "reports.team_briefs": ((list, str), None, False),
}

DEFAULTS: dict[str, Any] = {
    "confidence": 0.95,
    "scale": {"labels": {}},
    "inputs": {"responses": {"layout": "wide"}, "agent_kpis": {"rate_scale": "fraction"},
               "centre_kpis": {"rate_scale": "percent"},
               "staff_survey": {"rate_scale": "percent"}},
    "cleaning": {"out_of_range": "missing", "straightlining": "flag", "min_answered_share": 0.8,
                 "drop_left_before_post": True, "min_contacts_per_month": 30},
    "reliability": {"missing": "pairwise", "n_boot": 1000, "wave": "pre"},
    "validity": {"kpis": ["fcr", "csat", "qa_score", "aht_sec"], "method": "pearson",
                 "covariates": [], "adjust": "holm"},
    "training": {"satisfied_min": 4, "power": 0.80},
    "trends": {"kpis": ["fcr", "attrition", "answer_rate", "csat"], "se": "hac", "seasonal": False},
    "coaching": {"weak_gap": 0.25, "top_share": 0.30},
}


def merge(base: dict, over: dict) -> dict:
    """Deep-merge mapping *over* into a copy of *base* (nested dicts merge, other values replace)."""
    out = copy.deepcopy(base)
    for k, v in over.items():
        if isinstance(v, dict) and isinstance(out.get(k), dict):
            out[k] = merge(out[k], v)
        else:
            out[k] = copy.deepcopy(v)
    return out


def _lookup(d: dict, dotted: str) -> tuple[bool, Any]:
    cur: Any = d
    for part in dotted.split("."):
        if not isinstance(cur, dict) or part not in cur:
            return False, None
        cur = cur[part]
    return True, cur


# Options every input may carry (see docs/data-formats.md).
_INPUT_OPTIONS: dict[str, tuple[Any, Any]] = {
    "file": (str, None),
    "format": (str, ("csv", "xlsx", "parquet")),
    "layout": (str, ("wide", "long")),
    "rate_scale": (str, ("fraction", "percent")),
    "sheet": ((str, int), None),
    "encoding": (str, None),
    "delimiter": (str, None),
    "header_row": (int, None),
    "columns": (dict, None),
    "ignore_columns": (list, None),
    "date_format": (str, None),
}


def _check_inputs(values: dict) -> list[str]:
    problems = []
    inputs = values.get("inputs")
    if not isinstance(inputs, dict):
        return problems
    for name, spec in inputs.items():
        if name == "dir":
            continue
        if not isinstance(spec, dict):
            problems.append(f"'inputs.{name}' must be a mapping such as {{file: {name}.csv}}, got {spec!r}")
            continue
        for key, value in spec.items():
            if key not in _INPUT_OPTIONS:
                problems.append(f"'inputs.{name}.{key}' is not an input option; allowed: "
                                f"{', '.join(sorted(_INPUT_OPTIONS))}")
                continue
            typ, allowed = _INPUT_OPTIONS[key]
            if value is None:
                continue
            if isinstance(value, bool) or not isinstance(value, typ):
                problems.append(f"'inputs.{name}.{key}' has the wrong type: got {type(value).__name__} {value!r}")
            elif allowed is not None and value not in allowed:
                problems.append(f"'inputs.{name}.{key}' must be one of {', '.join(map(repr, allowed))}; got {value!r}")
            elif key == "header_row" and value < 1:
                problems.append(f"'inputs.{name}.header_row' is a 1-based row number, got {value!r}")
            elif key == "columns" and not all(isinstance(k, str) and isinstance(v, str) for k, v in value.items()):
                problems.append(f"'inputs.{name}.columns' maps canonical names to export headers (text: text)")
    return problems


def _check(values: dict) -> list[str]:
    problems: list[str] = []
    for key, (typ, allowed, required) in _SPEC.items():
        found, value = _lookup(values, key)
        if not found or value is None:
            if required:
                problems.append(f"'{key}' is required but missing")
            continue
        if typ is float and isinstance(value, int) and not isinstance(value, bool):
            value = float(value)
        if typ is int and isinstance(value, bool):
            problems.append(f"'{key}' must be a whole number, got {value!r}")
            continue
        if not isinstance(value, typ):
            want = " or ".join(t.__name__ for t in typ) if isinstance(typ, tuple) else typ.__name__
            problems.append(f"'{key}' must be of type {want}, got {type(value).__name__} {value!r}")
            continue
        if allowed == "month":
            if not MONTH_RE.match(value):
                problems.append(f"'{key}' must be a month written YYYY-MM (e.g. \"2017-03\"), got {value!r}")
        elif allowed is not None and value not in allowed:
            problems.append(f"'{key}' must be one of {', '.join(map(repr, allowed))}; got {value!r}")
    ok, lo = _lookup(values, "scale.min")
    ok2, hi = _lookup(values, "scale.max")
    if ok and ok2 and isinstance(lo, int) and isinstance(hi, int) and lo >= hi:
        problems.append(f"'scale.min' ({lo}) must be below 'scale.max' ({hi})")
    ok, conf = _lookup(values, "confidence")
    if ok and isinstance(conf, (int, float)) and not 0 < conf < 1:
        problems.append(f"'confidence' must lie strictly between 0 and 1 (e.g. 0.95), got {conf!r}")
    ok, share = _lookup(values, "cleaning.min_answered_share")
    if ok and isinstance(share, (int, float)) and not 0 <= share <= 1:
        problems.append(f"'cleaning.min_answered_share' must lie in [0, 1], got {share!r}")
    problems.extend(_check_inputs(values))
    ok, briefs = _lookup(values, "reports.team_briefs")
    if ok and isinstance(briefs, str) and briefs != "all":
        problems.append(f"'reports.team_briefs' must be a list of team names or \"all\", got {briefs!r}")
    ok, post_start = _lookup(values, "waves.post_start")
    if ok and post_start is not None and not re.match(r"^\d{4}-\d{2}-\d{2}$", str(post_start)):
        problems.append(f"'waves.post_start' must be a date written YYYY-MM-DD, got {post_start!r}")
    ok, study = _lookup(values, "study")
    if ok and isinstance(study, str) and not re.match(r"^[A-Za-z0-9_.-]+$", study):
        problems.append(f"'study' is used as a folder name: letters, digits, '_', '-', '.' only; got {study!r}")
    return problems


@dataclasses.dataclass(frozen=True)
class StudyParams:
    """A validated study: the merged values plus resolved paths."""

    path: Path
    root: Path
    values: dict[str, Any]

    @property
    def study(self) -> str:
        return self.values["study"]

    @property
    def seed(self) -> int:
        return int(self.values["seed"])

    @property
    def input_dir(self) -> Path:
        return self._resolve(self.values["inputs"]["dir"])

    @property
    def processed_dir(self) -> Path:
        out = self.values.get("outputs", {}).get("processed")
        return self._resolve(out) if out else self.root / "data" / "processed" / self.study

    @property
    def results_dir(self) -> Path:
        return self.processed_dir / "results"

    @property
    def report_dir(self) -> Path:
        out = self.values.get("outputs", {}).get("reports")
        return self._resolve(out) if out else self.root / "reports" / "_out" / self.study

    def input_path(self, name: str) -> Path | None:
        spec = self.values["inputs"].get(name)
        if not spec or not spec.get("file"):
            return None
        return self.input_dir / spec["file"]

    def input_files(self) -> dict[str, Path]:
        """Every declared input file, by input name."""
        out = {}
        for name, spec in self.values["inputs"].items():
            if isinstance(spec, dict) and spec.get("file"):
                out[name] = self.input_dir / spec["file"]
        return out

    def get(self, dotted: str, default: Any = None) -> Any:
        found, value = _lookup(self.values, dotted)
        return value if found else default

    def digest(self) -> str:
        """SHA-256 of the canonical JSON of the merged values."""
        blob = json.dumps(self.values, sort_keys=True, ensure_ascii=False, default=str).encode()
        return hashlib.sha256(blob).hexdigest()

    def _resolve(self, p: str | Path) -> Path:
        p = Path(p)
        return p if p.is_absolute() else (self.root / p)


def study_root(path: Path) -> Path:
    """The folder relative paths resolve against.

    The parent of an enclosing ``params/`` folder one or two levels up (so ``params/x.yaml`` and
    ``params/examples/x.yaml`` both resolve against the project), else the params file's own folder.
    """
    path = path.resolve()
    for parent in list(path.parents)[:2]:
        if parent.name == "params":
            return parent.parent
    return path.parent


def load_params(path: str | Path, overrides: dict[str, Any] | None = None) -> StudyParams:
    """Read, merge with defaults and validate a study's params file.

    Raises
    ------
    ParamsError
        Listing every problem (missing file, YAML syntax, wrong types or values).
    """
    path = Path(path)
    if not path.is_file():
        raise ParamsError(path, [f"params file not found (looked for {path.resolve()})"])
    try:
        raw = yaml.safe_load(path.read_text(encoding="utf-8"))
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" at line {mark.line + 1}, column {mark.column + 1}" if mark else ""
        raise ParamsError(path, [f"not valid YAML{where}: {getattr(exc, 'problem', exc)}"]) from None
    except UnicodeDecodeError:
        raise ParamsError(path, ["params file is not UTF-8 text"]) from None
    if not isinstance(raw, dict):
        raise ParamsError(path, ["params file must be a YAML mapping (key: value lines)"])
    values = merge(DEFAULTS, raw)
    if overrides:
        values = merge(values, overrides)
    problems = _check(values)
    if problems:
        raise ParamsError(path, problems)
    return StudyParams(path=path.resolve(), root=study_root(path), values=values)


def copy_study(params_path: str | Path, dest_root: str | Path) -> Path:
    """Copy a study (params file and raw input folder) into a new study root.

    The copy keeps the layout ``<dest_root>/params/<name>.yaml`` and the input
    folder at the same relative path, so it runs exactly like the original
    but writes its outputs under *dest_root*.  Used by the tests and
    benchmarks to run studies without touching the checkout's outputs.
    Returns the new params path.
    """
    import shutil

    src = load_params(params_path)
    dest_root = Path(dest_root)
    rel_inputs = src.input_dir.resolve().relative_to(src.root.resolve())
    (dest_root / "params").mkdir(parents=True, exist_ok=True)
    new_params = dest_root / "params" / src.path.name
    shutil.copy(src.path, new_params)
    shutil.copytree(src.input_dir, dest_root / rel_inputs)
    return new_params
