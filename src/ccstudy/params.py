"""Study parameters: one YAML file per study, one typed schema, checked before anything runs.

The params file plays the role of a data catalogue: it names every input file,
every option of every stage and the seed.  Every key is declared once below
(:data:`SCHEMA`, :data:`INPUTS`, :data:`INPUT_OPTIONS`) with its type, default,
allowed values and a description; ``params/template.yaml`` and
``docs/params.md`` are generated from these declarations
(``python -m ccstudy.params template|reference``) and a test keeps them in step.

:func:`load_params` reads the file with a loader that rejects duplicated keys
(naming both lines), applies the defaults of every key or whole section left
out, rejects unknown keys at every level with a "did you mean" suggestion,
checks every value's type and allowed values, and reports *all* problems at
once, each with the line of the key in the file.

Relative paths (``inputs.dir``, ``outputs.*``) are resolved against the study
root: the folder that holds the ``params/`` folder the file lives in (so
``params/default.yaml`` in a checkout resolves against the checkout), or the
params file's own folder when it does not live in a folder named ``params``.

Adding a key is one :class:`Key` line in :data:`SCHEMA` (then regenerate the
template and the reference: ``python -m ccstudy.params template > params/template.yaml``
and ``python -m ccstudy.params reference > docs/params.md``; a test fails until they match).
"""

from __future__ import annotations

import copy
import dataclasses
import datetime as dt
import difflib
import hashlib
import json
import re
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

import yaml

MONTH_RE = re.compile(r"^\d{4}-(0[1-9]|1[0-2])$")
DATE_RE = re.compile(r"^\d{4}-(0[1-9]|1[0-2])-(0[1-9]|[12]\d|3[01])$")
STUDY_RE = re.compile(r"^[A-Za-z0-9_.-]+$")

#: Roles a wave can play; ``waves.pre`` is the baseline, ``post`` the first re-assessment,
#: ``follow_up`` the last one (whether a gain held).
WAVE_ROLES: tuple[str, ...] = ("pre", "post", "follow_up")


# --------------------------------------------------------------------------------------------- problems
@dataclasses.dataclass(frozen=True)
class ParamsProblem:
    """One problem in a params file: the key path, what is wrong, the line of the key (1-based)."""

    key: str
    message: str
    line: int | None = None
    rule: str = "params_value"   # params_file | params_duplicate_key | params_unknown_key | params_required | params_value

    def __str__(self) -> str:
        return f"line {self.line}: {self.message}" if self.line else self.message


class ParamsError(ValueError):
    """The params file is missing, unreadable or has invalid keys or values.

    ``problems`` holds one text per problem (each starting with ``line N:`` when the line is
    known); ``issues`` the same as :class:`ParamsProblem` records.
    """

    def __init__(self, path: Path | str, problems: list[str] | list[ParamsProblem]):
        self.path = str(path)
        self.issues = [p if isinstance(p, ParamsProblem) else ParamsProblem("", str(p)) for p in problems]
        self.problems = [str(p) for p in self.issues]
        lines = "\n".join(f"  - {p}" for p in self.problems)
        super().__init__(f"{self.path}: {len(self.problems)} problem(s) in the study parameters:\n{lines}")


def _osa_distance(a: str, b: str) -> int:
    """Edit distance counting an adjacent transposition as one edit (optimal string alignment)."""
    d = [[0] * (len(b) + 1) for _ in range(len(a) + 1)]
    for i in range(len(a) + 1):
        d[i][0] = i
    for j in range(len(b) + 1):
        d[0][j] = j
    for i in range(1, len(a) + 1):
        for j in range(1, len(b) + 1):
            cost = 0 if a[i - 1] == b[j - 1] else 1
            d[i][j] = min(d[i - 1][j] + 1, d[i][j - 1] + 1, d[i - 1][j - 1] + cost)
            if i > 1 and j > 1 and a[i - 1] == b[j - 2] and a[i - 2] == b[j - 1]:
                d[i][j] = min(d[i][j], d[i - 2][j - 2] + 1)
    return d[len(a)][len(b)]


def did_you_mean(word: Any, choices: list[str] | tuple[str, ...] | set[str], cutoff: float = 0.6) -> str:
    """``" (did you mean 'x'?)"`` for the closest of *choices*, or ``""``.

    Close means: the same ignoring case, a typo of at most one edit (two for words of more than
    six characters; a swap of neighbours is one edit), or a difflib similarity of at least *cutoff*.
    """
    word = str(word)
    pool = sorted({str(c) for c in choices if str(c) != word})
    if not pool:
        return ""
    folded = word.casefold()
    best = min(pool, key=lambda c: (_osa_distance(folded, c.casefold()), c))
    limit = 2 if len(word) > 6 else 1
    if _osa_distance(folded, best.casefold()) <= limit:
        return f" (did you mean {best!r}?)"
    close = difflib.get_close_matches(folded, [c.casefold() for c in pool], n=1, cutoff=cutoff)
    if close:
        hit = next(c for c in pool if c.casefold() == close[0])
        return f" (did you mean {hit!r}?)"
    return ""


# --------------------------------------------------------------------------------------------- value kinds
# kind -> (name in messages and docs, converter returning (value, error or None))
def _as_text(v: Any) -> tuple[Any, str | None]:
    return (v, None) if isinstance(v, str) else (v, "text")


def _as_label(v: Any) -> tuple[Any, str | None]:
    """A name found in the data (team, wave): text, or a whole number read as text."""
    if isinstance(v, str):
        return v, None
    if isinstance(v, int) and not isinstance(v, bool):
        return str(v), None
    return v, "text"


def _as_int(v: Any) -> tuple[Any, str | None]:
    return (v, None) if isinstance(v, int) and not isinstance(v, bool) else (v, "int")


def _as_number(v: Any) -> tuple[Any, str | None]:
    if isinstance(v, (int, float)) and not isinstance(v, bool):
        return float(v), None
    return v, "float"


def _as_bool(v: Any) -> tuple[Any, str | None]:
    return (v, None) if isinstance(v, bool) else (v, "bool")


def _as_month(v: Any) -> tuple[Any, str | None]:
    if isinstance(v, str) and MONTH_RE.match(v):
        return v, None
    return v, "month"


def _as_date(v: Any) -> tuple[Any, str | None]:
    if isinstance(v, dt.date) and not isinstance(v, dt.datetime):
        return v.isoformat(), None
    if isinstance(v, str) and DATE_RE.match(v):
        return v, None
    return v, "date"


def _as_text_list(v: Any) -> tuple[Any, str | None]:
    if isinstance(v, list) and all(isinstance(x, str) for x in v):
        return list(v), None
    return v, "list"


def _as_label_list_or_all(v: Any) -> tuple[Any, str | None]:
    if v == "all":
        return v, None
    if isinstance(v, list):
        out = [_as_label(x) for x in v]
        if all(e is None for _, e in out):
            return [x for x, _ in out], None
    return v, "list_or_all"


def _as_mapping(v: Any) -> tuple[Any, str | None]:
    return (dict(v), None) if isinstance(v, dict) else (v, "mapping")


def _as_text_or_int(v: Any) -> tuple[Any, str | None]:
    if isinstance(v, str) or (isinstance(v, int) and not isinstance(v, bool)):
        return v, None
    return v, "text_or_int"


KINDS: dict[str, tuple[str, Callable[[Any], tuple[Any, str | None]]]] = {
    "text": ("text", _as_text),
    "label": ("text (a name in the data)", _as_label),
    "int": ("whole number (int)", _as_int),
    "float": ("number (float)", _as_number),
    "bool": ("true or false (bool)", _as_bool),
    "month": ("month written YYYY-MM (e.g. \"2017-03\")", _as_month),
    "date": ("date written YYYY-MM-DD (e.g. \"2017-06-05\")", _as_date),
    "list": ("list of text, e.g. [fcr, csat]", _as_text_list),
    "list_or_all": ("list of names, e.g. [VIP], or \"all\"", _as_label_list_or_all),
    "mapping": ("mapping (key: value)", _as_mapping),
    "text_or_int": ("text or whole number", _as_text_or_int),
    "waves": ("wave labels: [T1], [T1, T2, T3] or {pre: T1, post: T2, follow_up: T3}", None),  # see _waves
}


# --------------------------------------------------------------------------------------------- value checks
def _between(lo: float, hi: float, *, open_lo: bool = False, open_hi: bool = False) -> Callable[[Any], str | None]:
    def check(v: Any) -> str | None:
        ok = (v > lo if open_lo else v >= lo) and (v < hi if open_hi else v <= hi)
        if ok:
            return None
        a, b = ("(" if open_lo else "["), (")" if open_hi else "]")
        return f"must lie in {a}{lo:g}, {hi:g}{b}"
    return check


def _at_least(lo: int) -> Callable[[Any], str | None]:
    return lambda v: None if v >= lo else f"must be at least {lo}"


def _folder_name(v: str) -> str | None:
    return None if STUDY_RE.match(v) else "is used as a folder name: letters, digits, '_', '-', '.' only"


def _labels_map(v: dict) -> str | None:
    bad = [k for k, x in v.items() if not isinstance(k, str) or isinstance(x, bool) or not isinstance(x, int)]
    return None if not bad else f"maps answer words to whole numbers (\"Agree\": 4); not so for {bad[0]!r}"


def _columns_map(v: dict) -> str | None:
    ok = all(isinstance(k, str) and isinstance(x, (str, int)) and not isinstance(x, bool) for k, x in v.items())
    return None if ok else "maps canonical names to the export's headers (agent_id: 工号)"


def _one_char(v: str) -> str | None:
    return None if v in ("tab", "\\t", "\t") or len(v) == 1 else "is one character (\",\", \";\", \"|\") or \"tab\""


def _non_negative(v: int) -> str | None:
    return None if v >= 0 else "is a whole number of seconds >= 0"


# The KPI options' defaults live in one place, the KpiParams dataclass.
from ccstudy.kpi.params import REPEAT_SCOPES as _REPEAT_SCOPES  # noqa: E402
from ccstudy.kpi.params import SL_DENOMINATORS as _SL_DENOMINATORS  # noqa: E402
from ccstudy.kpi.params import KpiParams as _KpiParams  # noqa: E402

_KPI = _KpiParams()


# --------------------------------------------------------------------------------------------- declarations
@dataclasses.dataclass(frozen=True)
class Key:
    """One params key: dotted path, value kind, default, allowed values, description.

    ``example`` is what the template shows for a key without a default (commented out).
    """

    path: str
    kind: str
    default: Any = None
    doc: str = ""
    allowed: tuple[Any, ...] | None = None
    required: bool = False
    check: Callable[[Any], str | None] | None = None
    example: Any = None


@dataclasses.dataclass(frozen=True)
class Section:
    """A group of keys: its description (for docs and template) and whether it is an optional whole."""

    path: str
    doc: str
    optional: bool = False


@dataclasses.dataclass(frozen=True)
class Input:
    """One input table: name, whether it is required, what it holds, option defaults, example file."""

    name: str
    doc: str
    required: bool = False
    defaults: Mapping[str, Any] = dataclasses.field(default_factory=dict)
    example: str = ""


@dataclasses.dataclass(frozen=True)
class InputOption:
    """An option an input may carry; ``only`` limits it to some inputs."""

    name: str
    kind: str
    doc: str
    allowed: tuple[Any, ...] | None = None
    only: tuple[str, ...] | None = None
    check: Callable[[Any], str | None] | None = None
    example: Any = None


#: The inputs of a study.  Only ``items`` and ``responses`` are required.
INPUTS: tuple[Input, ...] = (
    Input("items", "the item map: item -> competency -> dimension, reverse flag, labels, wording",
          required=True, example="items.csv"),
    Input("responses", "questionnaire answers: one row per agent and wave (wide) or per agent, wave and item (long)",
          required=True, defaults={"layout": "wide"}, example="responses.csv"),
    Input("roster", "one row per agent: team, hire/exit dates, trained/control group", example="roster.csv"),
    Input("agent_kpis", "one row per agent and month: contacts, FCR, CSAT, QA score, AHT; with inputs.contacts "
          "only what a contact log cannot give (agent_id, month, qa_score), joined to the KPIs computed from the log",
          defaults={"rate_scale": "fraction"}, example="agent_kpis.csv"),
    Input("centre_kpis", "one row per month for the whole centre; with inputs.contacts only what a contact log "
          "cannot give (month, headcount, leavers, attrition), joined to the centre-month KPIs of the log",
          defaults={"rate_scale": "percent"}, example="centre_kpis.csv"),
    Input("training", "one row per trainee: dates, attendance, rating", example="training.csv"),
    Input("staff_survey", "staff satisfaction pulse, one row per team and month",
          defaults={"rate_scale": "percent"}, example="staff_survey.csv"),
    Input("customer_survey", "one row per mention (what customers want)", example="customer_survey.csv"),
    Input("contacts", "contact-level log (Parquet file, folder of Parquet files, or CSV): one row per contact; "
          "the agent- and centre-month KPIs are computed from it (docs/kpi-definitions.md)", example="contacts/"),
)

#: Options every input accepts (see docs/data-formats.md, "Reading the exports").
INPUT_OPTIONS: tuple[InputOption, ...] = (
    InputOption("file", "text", "file name, relative to inputs.dir", example="items.csv"),
    InputOption("format", "text", "file format (default: from the file extension)", allowed=("csv", "xlsx", "parquet")),
    InputOption("layout", "text", "wide: one row per agent and wave, one column per item; long: one row per agent, "
                "wave and item (columns agent_id, wave, submitted, item, score)", allowed=("wide", "long"),
                only=("responses",)),
    InputOption("rate_scale", "text", "rates (FCR, CSAT, answer rate...) as fractions (0.85) or percent (85)",
                allowed=("fraction", "percent"), only=("agent_kpis", "centre_kpis", "staff_survey")),
    InputOption("sheet", "text_or_int", "xlsx: sheet name or 0-based position (default: the first sheet)",
                example="Sheet1"),
    InputOption("encoding", "text", "csv: text encoding (default: detected; UTF-8, UTF-8/UTF-16 BOM, GBK, GB18030, "
                "Big5, Windows-1252)",
                example="gbk"),
    InputOption("delimiter", "text", "csv: field delimiter (default \",\"); \"tab\" for tab", check=_one_char,
                example=";"),
    InputOption("header_row", "int", "spreadsheet row holding the column names (default: the first non-blank row)",
                check=lambda v: None if v >= 1 else "is a 1-based row number", example=2),
    InputOption("columns", "mapping", "canonical column name: the export's own header", check=_columns_map,
                example={"agent_id": "工号"}),
    InputOption("ignore_columns", "list", "export columns to skip", example=["team_leader"]),
    InputOption("date_format", "text", "dates not written YYYY-MM-DD: strftime codes", example="%d/%m/%Y"),
    InputOption("exit_date_sentinels", "list", "exit dates that mean 'still employed' (read as blank, logged)",
                only=("roster",), example=["9999-12-31"]),
    InputOption("drop_summary_rows", "bool", "drop total / subtotal / average rows (合计, Total ...) and log them "
                "instead of stopping the run", example=True),
    InputOption("timestamp_format", "text", "text timestamps not in ISO 8601: strptime codes",
                only=("contacts",), example="%d/%m/%Y %H:%M:%S"),
)

#: Every key outside ``inputs.<name>``: one line each.
SCHEMA: tuple[Key, ...] = (
    Key("study", "text", required=True, check=_folder_name, example="my_study",
        doc="study id; used as a folder name (letters, digits, _ - . only)"),
    Key("title", "text", "", "report title"),
    Key("subtitle", "text", "", "report subtitle"),
    Key("seed", "int", 1, "seed of every random step (bootstrap, resampling)"),
    Key("confidence", "float", 0.95, "confidence level of every interval",
        check=_between(0, 1, open_lo=True, open_hi=True)),
    Key("scale.min", "int", required=True, example=1, doc="lowest answer of the rating scale (0 allowed)"),
    Key("scale.max", "int", required=True, example=5,
        doc="highest answer; reverse-keyed items are scored max + min - x"),
    Key("scale.labels", "mapping", {}, "answers given as words: label -> number (matching ignores case, "
        "surrounding spaces and full-width forms), e.g. {\"Agree\": 4, \"同意\": 4}", check=_labels_map),
    Key("inputs.dir", "text", required=True, example="data/raw/my_study", doc="folder of the exports"),
    Key("waves", "waves", required=True, example=["pre", "post"],
        doc="the questionnaire waves in time order: [T1], [T1, T2, T3], or the mapping "
            "{pre: T1, post: T2, follow_up: T3, post_start: \"2017-06-05\"} (only pre required); "
            "with a list, the first is pre, the second post and the last (of three or more) follow_up"),
    Key("outputs.processed", "text", None, "clean tables, cleaning log and results (default: data/processed/<study>)",
        example="data/processed/my_study"),
    Key("outputs.reports", "text", None, "rendered reports and validation_report.md "
        "(default: reports/_out/<study>)", example="reports/_out/my_study"),
    Key("cleaning.out_of_range", "text", "missing", "answers outside [scale.min, scale.max]: missing (recode to "
        "blank) | drop_row", allowed=("missing", "drop_row")),
    Key("cleaning.straightlining", "text", "flag", "same answer to every item: flag (straightliner = true) | drop",
        allowed=("flag", "drop")),
    Key("cleaning.min_answered_share", "float", 0.8, "responses answering a smaller share of the items are dropped",
        check=_between(0, 1)),
    Key("cleaning.drop_left_before_post", "bool", True, "drop every response of agents who left before the post "
        "wave (needs a roster with exit dates)"),
    Key("cleaning.min_contacts_per_month", "int", 30, "agent-months with fewer contacts are dropped from the KPIs",
        check=_at_least(0)),
    Key("reliability.missing", "text", "pairwise", "handling of missing answers", allowed=("pairwise", "listwise")),
    Key("reliability.n_boot", "int", 1000, "percentile-bootstrap resamples for the total-scale alpha (0 = off)",
        check=_at_least(0)),
    Key("reliability.wave", "label", "pre", "wave the reliability is computed on: a role (pre, post, follow_up) "
        "or a wave label"),
    Key("reliability.correlation", "text", "pearson", "headline reliability: pearson (alpha and omega from the "
        "item covariances) | polychoric (ordinal alpha and omega); for Likert scales with at most 7 categories "
        "the technical report shows both", allowed=("pearson", "polychoric")),
    Key("validity.kpis", "list", ["fcr", "csat", "qa_score", "aht_sec"], "agent KPIs correlated with the "
        "competency scores (the default list is narrowed to the KPI columns the input has)"),
    Key("validity.window.start", "month", None, "first month averaged per agent (default: the first month)",
        example="2016-09"),
    Key("validity.window.end", "month", None, "last month averaged per agent (default: the last month)",
        example="2017-02"),
    Key("validity.method", "text", "pearson", "correlation", allowed=("pearson", "spearman")),
    Key("validity.covariates", "list", [], "agent columns controlled for in the partial correlations",
        example=["tenure_months"]),
    Key("validity.adjust", "text", "holm", "multiple-testing adjustment", allowed=("holm", "bh", "none")),
    Key("training.programme", "text", None, "name of the programme shown in the reports",
        example="Empathy & soft-skills programme"),
    Key("training.start", "month", None, "first month of the programme", example="2017-03"),
    Key("training.end", "month", None, "last month of the programme", example="2017-04"),
    Key("training.focus_team", "label", None, "team whose KPIs are compared month on month", example="VIP"),
    Key("training.before_month", "month", None, "month before the programme, for the focus team", example="2017-02"),
    Key("training.after_month", "month", None, "month after the programme, for the focus team", example="2017-05"),
    Key("training.satisfied_min", "int", 4, "training rating counted as satisfied"),
    Key("training.power", "float", 0.80, "power for the minimal detectable effect (sensitivity)",
        check=_between(0, 1, open_lo=True, open_hi=True)),
    Key("trends.intervention", "month", None, "month the intervention starts (interrupted time series)",
        example="2017-03"),
    Key("trends.kpis", "list", ["fcr", "attrition", "answer_rate", "csat"], "centre KPIs analysed for a level / "
        "slope change (the default list is narrowed to the KPI columns the input has)"),
    Key("trends.se", "text", "hac", "standard errors: hac (Newey-West) | ols", allowed=("hac", "ols")),
    Key("trends.seasonal", "bool", False, "add month-of-year terms"),
    Key("coaching.focus_team", "label", None, "team the coaching plan is written for", example="VIP"),
    Key("coaching.weak_gap", "float", 0.25, "a competency this far below the centre mean is a weak spot",
        check=_at_least(0)),
    Key("coaching.top_share", "float", 0.30, "the top share of agents mentors the bottom share",
        check=_between(0, 0.5, open_lo=True)),
    Key("kpi.backend", "text", "duckdb", "engine for the contact-level KPIs: duckdb (embedded) | spark "
        "(pip install -e '.[spark]')", allowed=("duckdb", "spark")),
    Key("kpi.spark.master", "text", "local[*]", "Spark master URL (local[*], spark://host:7077, yarn)"),
    Key("kpi.short_abandon_sec", "int", _KPI.short_abandon_sec, "abandons shorter than this are short abandons",
        check=_non_negative),
    Key("kpi.sl_threshold_sec", "int", _KPI.sl_threshold_sec, "service level: answered within this many seconds",
        check=_non_negative),
    Key("kpi.sl_denominator", "text", _KPI.sl_denominator, "which contacts the service level divides by",
        allowed=_SL_DENOMINATORS),
    Key("kpi.repeat_window_sec", "int", _KPI.repeat_window_sec, "FCR: a repeat within this many seconds "
        "(86400 = 24 h, 604800 = 7 days) means not resolved at first contact", check=_non_negative),
    Key("kpi.repeat_scope", "text", _KPI.repeat_scope, "FCR repeat: any later contact of the customer, or only "
        "one to the same queue", allowed=_REPEAT_SCOPES),
    Key("kpi.repeat_counts_abandoned", "bool", _KPI.repeat_counts_abandoned, "FCR: an abandoned later contact "
        "counts as a repeat"),
    Key("kpi.csat_top_box_min", "float", _KPI.csat_top_box_min, "CSAT scores at or above this count as satisfied"),
    Key("reports.team_briefs", "list_or_all", None, "teams that get a team brief, or \"all\" "
        "(default: the coaching focus team, if any)", example=["VIP"]),
    Key("reports.language", "text", "en", "report language: en | zh (Simplified Chinese); "
        "`ccstudy render --lang` renders others too", allowed=("en", "zh")),
)

#: Section descriptions (docs and template); ``optional`` sections are left out entirely when not given.
SECTIONS: tuple[Section, ...] = (
    Section("scale", "questionnaire rating scale"),
    Section("inputs", "input files; `file` is relative to `dir`"),
    Section("outputs", "where outputs go (optional)"),
    Section("cleaning", "cleaning rules (each change is logged in cleaning_log.csv)"),
    Section("reliability", "reliability analysis"),
    Section("validity", "competency scores against agent KPIs"),
    Section("validity.window", "months averaged per agent (inclusive)"),
    Section("training", "training evaluation"),
    Section("trends", "centre KPI trends"),
    Section("coaching", "weak spots and coaching plan"),
    Section("reports", "reports"),
    Section("kpi", "contact-level KPIs (used when inputs.contacts is given; docs/kpi-definitions.md)"),
    Section("kpi.spark", "Spark backend"),
    *(Section(f"inputs.{i.name}", i.doc, optional=not i.required) for i in INPUTS),
)


def _input_keys() -> tuple[Key, ...]:
    keys = []
    for inp in INPUTS:
        for opt in INPUT_OPTIONS:
            if opt.only is not None and inp.name not in opt.only:
                continue
            keys.append(Key(f"inputs.{inp.name}.{opt.name}", opt.kind, inp.defaults.get(opt.name), opt.doc,
                            allowed=opt.allowed, required=opt.name == "file", check=opt.check,
                            example=inp.example if opt.name == "file" else opt.example))
    return tuple(keys)


ALL_KEYS: tuple[Key, ...] = SCHEMA + _input_keys()
KEYS: dict[str, Key] = {k.path: k for k in ALL_KEYS}
_SECTIONS: dict[str, Section] = {s.path: s for s in SECTIONS}


def _tree() -> dict[str, Any]:
    root: dict[str, Any] = {}
    for key in ALL_KEYS:
        parts = key.path.split(".")
        node = root
        for part in parts[:-1]:
            node = node.setdefault(part, {})
        node[parts[-1]] = key
    return root


TREE: dict[str, Any] = _tree()


def _defaults(tree: dict[str, Any], prefix: str = "") -> dict[str, Any]:
    out: dict[str, Any] = {}
    for name, sub in tree.items():
        path = prefix + name
        if isinstance(sub, Key):
            if not sub.required and (sub.default is not None or not prefix.startswith("inputs.")):
                out[name] = copy.deepcopy(sub.default)
        elif not (path in _SECTIONS and _SECTIONS[path].optional):
            out[name] = _defaults(sub, path + ".")
    return out


#: The defaults of every key, as the nested mapping a params file would spell them.
DEFAULTS: dict[str, Any] = _defaults(TREE)


# --------------------------------------------------------------------------------------------- reading YAML
class _Loader(yaml.SafeLoader):
    """A SafeLoader that rejects a key given twice in one mapping and records the line of every key."""

    def __init__(self, stream: str):
        super().__init__(stream)
        self.key_lines: dict[tuple[str, ...], int] = {}
        self.duplicates: list[tuple[tuple[str, ...], int, int]] = []

    def _walk(self, node: yaml.Node, path: tuple[str, ...]) -> None:
        if isinstance(node, yaml.MappingNode):
            seen: dict[str, int] = {}
            for key_node, value_node in node.value:
                name = str(key_node.value) if isinstance(key_node, yaml.ScalarNode) else repr(key_node)
                line = key_node.start_mark.line + 1
                if name in seen:
                    self.duplicates.append((path + (name,), seen[name], line))
                else:
                    seen[name] = line
                    self.key_lines[path + (name,)] = line
                self._walk(value_node, path + (name,))
        elif isinstance(node, yaml.SequenceNode):
            for i, item in enumerate(node.value):
                self._walk(item, path + (str(i),))

    def get_single_data(self) -> Any:  # noqa: D102 - yaml API
        node = self.get_single_node()
        if node is None:
            return None
        self._walk(node, ())
        return self.construct_document(node)


def read_yaml(text: str) -> tuple[Any, dict[str, int], list[ParamsProblem]]:
    """Parse params text: (data, line of each dotted key, duplicate-key problems).

    Raises ``yaml.YAMLError`` on a syntax error.
    """
    loader = _Loader(text)
    try:
        data = loader.get_single_data()
    finally:
        loader.dispose()
    lines = {".".join(p): n for p, n in loader.key_lines.items()}
    dups = [ParamsProblem(".".join(p), f"'{'.'.join(p)}' is given twice (lines {a} and {b}); keep one", b,
                          "params_duplicate_key") for p, a, b in loader.duplicates]
    return data, lines, dups


# --------------------------------------------------------------------------------------------- checking
class _Checker:
    def __init__(self, lines: dict[str, int]):
        self.lines = lines
        self.problems: list[ParamsProblem] = []

    def line(self, path: str) -> int | None:
        while path:
            if path in self.lines:
                return self.lines[path]
            path = path.rpartition(".")[0]
        return None

    def add(self, path: str, message: str, line_of: str | None = None, rule: str = "params_value") -> None:
        self.problems.append(ParamsProblem(path, message, self.line(line_of if line_of is not None else path), rule))

    # a value against its key's declaration
    def value(self, key: Key, raw: Any) -> Any:
        if key.kind == "waves":
            return self.waves(raw)
        want, conv = KINDS[key.kind]
        value, err = conv(raw)
        if err is not None:
            self.add(key.path, f"'{key.path}' must be of type {want}, got {type(raw).__name__} {raw!r}")
            return copy.deepcopy(key.default)
        if key.allowed is not None and value not in key.allowed:
            self.add(key.path, f"'{key.path}' must be one of {', '.join(map(repr, key.allowed))}; got {value!r}"
                     f"{did_you_mean(value, key.allowed)}")
            return copy.deepcopy(key.default)
        if key.check is not None:
            msg = key.check(value)
            if msg:
                self.add(key.path, f"'{key.path}' {msg}, got {value!r}")
        return value

    def mapping(self, raw: Any, tree: dict[str, Any], prefix: str) -> dict[str, Any]:
        out: dict[str, Any] = {}
        where = prefix.rstrip(".")
        if not isinstance(raw, dict):
            self.add(where, f"'{where}' must be a mapping (key: value lines), got {type(raw).__name__} {raw!r}")
            raw = {}
        for name in raw:
            if str(name) not in tree:
                self.unknown(prefix, str(name), tree)
        for name, sub in tree.items():
            path = prefix + name
            given = raw.get(name)
            if isinstance(sub, Key):
                if given is None:
                    if sub.required:
                        self.add(path, f"'{path}' is required but missing"
                                       + (f" (e.g. {_yaml_inline(sub.example)})" if sub.example is not None else ""),
                                 line_of=prefix.rstrip("."), rule="params_required")
                    elif sub.default is not None or not prefix.startswith("inputs."):
                        # an input option not given stays absent (readers apply their own fallback)
                        out[name] = copy.deepcopy(sub.default)
                else:
                    out[name] = self.value(sub, given)
            else:
                section = _SECTIONS.get(path)
                if given is None and section is not None and section.optional:
                    continue
                out[name] = self.mapping({} if given is None else given, sub, path + ".")
        return out

    def unknown(self, prefix: str, name: str, tree: dict[str, Any]) -> None:
        path = prefix + name
        where = f"a key of '{prefix.rstrip('.')}'" if prefix else "a top-level key"
        hint = did_you_mean(name, list(tree))
        if not hint:
            elsewhere = sorted(k.path for k in ALL_KEYS if k.path.split(".")[-1] == name
                               or k.path.split(".")[0] == name)
            elsewhere = [p for p in elsewhere if not p.startswith("inputs.") or prefix.startswith("inputs.")]
            if elsewhere:
                hint = f" (did you mean {elsewhere[0]!r}?)"
        allowed = "" if hint else f"; allowed: {', '.join(sorted(tree))}"
        self.add(path, f"'{path}' is not {where}{hint}{allowed}", rule="params_unknown_key")

    def waves(self, raw: Any) -> dict[str, Any] | None:
        out: dict[str, Any] = {"order": [], "pre": None, "post": None, "follow_up": None, "post_start": None}
        bad = "'waves' must list the wave labels in time order ([T1], [T1, T2, T3]) or map roles to labels " \
              "({pre: T1, post: T2, follow_up: T3})"

        def label(v: Any, path: str) -> str | None:
            if isinstance(v, bool) or not isinstance(v, (str, int)) or str(v).strip() == "":
                self.add(path, f"'{path}' must be a wave label as written in the responses' wave column "
                               f"(text), got {v!r}")
                return None
            return str(v)

        if isinstance(raw, list):
            labels = [label(v, f"waves.{i}") for i, v in enumerate(raw)]
            order = [x for x in labels if x is not None]
        elif isinstance(raw, dict):
            allowed = ("order",) + WAVE_ROLES + ("post_start",)
            for k in raw:
                if k not in allowed:
                    self.unknown("waves.", str(k), {a: None for a in allowed})
            roles = {r: label(raw[r], f"waves.{r}") if raw.get(r) is not None else None for r in WAVE_ROLES}
            if raw.get("post_start") is not None:
                value, err = _as_date(raw["post_start"])
                if err:
                    self.add("waves.post_start", f"'waves.post_start' must be a date written YYYY-MM-DD, "
                                                 f"got {raw['post_start']!r}")
                else:
                    out["post_start"] = value
            if raw.get("order") is not None:
                if not isinstance(raw["order"], list):
                    self.add("waves.order", "'waves.order' must list the wave labels in time order, e.g. [T1, T2]")
                    order = []
                else:
                    order = [x for x in (label(v, f"waves.order.{i}") for i, v in enumerate(raw["order"]))
                             if x is not None]
                for r, v in roles.items():
                    if v is not None and order and v not in order:
                        self.add(f"waves.{r}", f"'waves.{r}' is {v!r}, which 'waves.order' does not list"
                                               f"{did_you_mean(v, order)}")
                if order and roles["pre"] is None:
                    roles["pre"] = order[0]
                if len(order) >= 2 and raw.get("post") is None:
                    roles["post"] = order[1]
                if len(order) >= 3 and raw.get("follow_up") is None:
                    roles["follow_up"] = order[-1]
            else:
                if raw.get("pre") is None:
                    self.add("waves.pre", "'waves.pre' is required but missing: the label of the first wave "
                                          "(or write waves: [T1, T2])", line_of="waves", rule="params_required")
                if roles["follow_up"] is not None and roles["post"] is None:
                    self.add("waves.follow_up", "'waves.follow_up' needs 'waves.post' (the wave between)")
                order = [v for v in roles.values() if v is not None]
            out.update({r: v for r, v in roles.items() if v is not None})
        else:
            self.add("waves", f"{bad}; got {raw!r}")
            return out
        if not isinstance(raw, dict) or raw.get("order") is not None:
            if order:
                out["pre"] = out["pre"] or order[0]
                if len(order) >= 2:
                    out["post"] = out["post"] or order[1]
                if len(order) >= 3:
                    out["follow_up"] = out["follow_up"] or order[-1]
        if not order and not any(p.key.startswith("waves") for p in self.problems):
            self.add("waves", "'waves' names no wave: give at least one label, e.g. waves: [baseline]")
        dup = sorted({x for x in order if order.count(x) > 1})
        if dup:
            self.add("waves", f"'waves' gives the label {dup[0]!r} more than once; each wave needs its own label")
        out["order"] = order
        return out


def _cross_checks(c: _Checker, values: dict[str, Any], given: frozenset[str]) -> None:
    lo, hi = values.get("scale", {}).get("min"), values.get("scale", {}).get("max")
    if isinstance(lo, int) and isinstance(hi, int) and not isinstance(lo, bool) and lo >= hi:
        c.add("scale.min", f"'scale.min' ({lo}) must be below 'scale.max' ({hi})")
    waves = values.get("waves") or {}
    order = waves.get("order") or []
    rw = values.get("reliability", {}).get("wave")
    if order and isinstance(rw, str):
        if rw in WAVE_ROLES:
            if waves.get(rw) is None and "reliability.wave" in given:
                c.add("reliability.wave", f"'reliability.wave' is the role {rw!r}, but 'waves' declares no "
                                          f"{rw} wave (waves: {order})")
        elif rw not in order:
            c.add("reliability.wave", f"'reliability.wave' is {rw!r}: neither a role (pre, post, follow_up) nor "
                                      f"a declared wave label{did_you_mean(rw, list(order) + list(WAVE_ROLES))}")


def _given_paths(raw: Any, prefix: str = "") -> set[str]:
    out: set[str] = set()
    if isinstance(raw, dict):
        for k, v in raw.items():
            path = prefix + str(k)
            if v is None:
                continue
            out.add(path)
            if path != "waves" and not (KEYS.get(path) and KEYS[path].kind == "mapping"):
                out |= _given_paths(v, path + ".")
    return out


def check_values(raw: Any, lines: dict[str, int] | None = None) -> tuple[dict[str, Any], list[ParamsProblem]]:
    """Check raw params (a parsed YAML mapping) against the schema.

    Returns the values with every default applied and the list of problems (empty when valid).
    """
    c = _Checker(lines or {})
    values = c.mapping(raw, TREE, "")
    _cross_checks(c, values, frozenset(_given_paths(raw)))
    return values, c.problems


# --------------------------------------------------------------------------------------------- the study
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


@dataclasses.dataclass(frozen=True)
class StudyParams:
    """A validated study: the values (every default applied) plus resolved paths.

    ``given`` holds the dotted keys the params file (or an override) wrote; ``lines`` the line of each
    key in the file.  Checks against the data are strict for written keys and lenient for defaults.
    """

    path: Path
    root: Path
    values: dict[str, Any]
    given: frozenset[str] = dataclasses.field(default=frozenset(), compare=False)
    lines: Mapping[str, int] = dataclasses.field(default_factory=dict, compare=False, hash=False)

    @property
    def study(self) -> str:
        return self.values["study"]

    @property
    def seed(self) -> int:
        return int(self.values["seed"])

    @property
    def wave_labels(self) -> tuple[str, ...]:
        """The declared wave labels in time order."""
        return tuple(self.values["waves"]["order"])

    def wave(self, role: str) -> str | None:
        """The label of the wave playing *role* (``pre``, ``post``, ``follow_up``), or None."""
        if role not in WAVE_ROLES:
            raise ValueError(f"wave role must be one of {', '.join(WAVE_ROLES)}; got {role!r}")
        return self.values["waves"].get(role)

    @property
    def input_dir(self) -> Path:
        return self._resolve(self.values["inputs"]["dir"])

    @property
    def processed_dir(self) -> Path:
        out = (self.values.get("outputs") or {}).get("processed")
        return self._resolve(out) if out else self.root / "data" / "processed" / self.study

    @property
    def results_dir(self) -> Path:
        return self.processed_dir / "results"

    @property
    def report_dir(self) -> Path:
        out = (self.values.get("outputs") or {}).get("reports")
        return self._resolve(out) if out else self.root / "reports" / "_out" / self.study

    def input_path(self, name: str) -> Path | None:
        """The file of input *name*, or None when the study does not give that input."""
        spec = self.values["inputs"].get(name)
        if not isinstance(spec, dict) or not spec.get("file"):
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

    def written(self, dotted: str) -> bool:
        """Whether the params file (or an override) wrote *dotted* (else its value is the default)."""
        return dotted in self.given

    def line(self, dotted: str) -> int | None:
        """Line of *dotted* (or of its nearest written parent) in the params file, or None."""
        while dotted:
            if dotted in self.lines:
                return self.lines[dotted]
            dotted = dotted.rpartition(".")[0]
        return None

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


#: Sections whose problems leave the inputs unlocatable or unreadable (no input check is then possible).
_CORE = ("study", "scale", "inputs", "waves", "outputs")


def check_params_file(path: str | Path, overrides: dict[str, Any] | None = None
                      ) -> tuple[StudyParams | None, list[ParamsProblem]]:
    """Read and check a params file without raising for its problems.

    Returns the study (every default applied) and the list of problems, each with the line of its
    key.  The study is None when the file cannot be read or a key that locates or reads the inputs
    (``study``, ``scale``, ``inputs``, ``waves``, ``outputs``) is wrong; otherwise the inputs can be
    checked in the same pass and every problem reported together
    (:func:`ccstudy.io.validate.validate_files`).  Keys with a wrong value take their default.
    """
    path = Path(path)
    if not path.is_file():
        return None, [ParamsProblem("", f"params file not found (looked for {path.resolve()})", rule="params_file")]
    try:
        raw, lines, dups = read_yaml(path.read_text(encoding="utf-8"))
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" at line {mark.line + 1}, column {mark.column + 1}" if mark else ""
        return None, [ParamsProblem("", f"not valid YAML{where}: {getattr(exc, 'problem', exc)}",
                                    mark.line + 1 if mark else None, "params_file")]
    except UnicodeDecodeError:
        return None, [ParamsProblem("", "params file is not UTF-8 text", rule="params_file")]
    if not isinstance(raw, dict):
        return None, [ParamsProblem("", "params file must be a YAML mapping (key: value lines)", rule="params_file")]
    if overrides:
        raw = merge(raw, overrides)
    values, problems = check_values(raw, lines)
    problems = sorted(dups + problems, key=lambda p: (p.line is None, p.line or 0))
    if any(p.key.split(".")[0] in _CORE for p in problems):
        return None, problems
    study = StudyParams(path=path.resolve(), root=study_root(path), values=values,
                        given=frozenset(_given_paths(raw)), lines=dict(lines))
    return study, problems


def load_params(path: str | Path, overrides: dict[str, Any] | None = None) -> StudyParams:
    """Read a study's params file, apply the defaults and check every key and value.

    *overrides* (a nested mapping) is merged over the file's values before the checks.

    Raises
    ------
    ParamsError
        Listing every problem at once (missing file, YAML syntax, duplicated or unknown keys,
        wrong types or values), each with the line of the key.
    """
    study, problems = check_params_file(path, overrides)
    if problems or study is None:
        raise ParamsError(path, problems)
    return study


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


# --------------------------------------------------------------------------------------------- docs
def _yaml_inline(v: Any) -> str:
    if v is None:
        return "null"
    text = yaml.safe_dump(v, default_flow_style=True, allow_unicode=True, width=10_000).strip()
    return text[:-4].rstrip() if text.endswith("\n...") else text.removesuffix("...").strip()


def _md(text: Any) -> str:
    return str(text).replace("|", "\\|").replace("\n", " ")


def _type_name(kind: str) -> str:
    return KINDS[kind][0]


_TEMPLATE_HEAD = """\
# Params template for a new study (generated from the schema in src/ccstudy/params.py by
# `python -m ccstudy.params template`; do not edit by hand: edit the schema and regenerate).
#
#   1. Copy this file to params/<your_study>.yaml and set `study`, or let
#      `ccstudy init <your_study> --from <folder of exports>` write it for you.
#   2. Put the exports in data/raw/<your_study>/ (the expected columns are in
#      docs/data-formats.md; params/templates/ has an example file for each input).
#   3. Check the inputs:   ccstudy validate params/<your_study>.yaml
#      Every problem is listed with file, row, column, value and rule (and, for this
#      file, the line of the key), and what the study will and will not answer.
#   4. Run the study:      ccstudy run params/<your_study>.yaml
#
# Keys marked (required) must be present; every other key may be left out and then takes the
# value shown.  Lines commented out show an example for a key whose default is "not given".
# Unknown or misspelt keys are rejected.  Every key is described in docs/params.md.
# Relative paths are relative to the folder that holds params/ (the project root).
"""

_OPTIONS_NOTE = ("Options every input accepts (all optional): "
                 + "; ".join(f"{o.name}" + (f" ({' | '.join(o.allowed)})" if o.allowed else "")
                             + (f" [{', '.join(o.only)} only]" if o.only else "")
                             for o in INPUT_OPTIONS) + ". See docs/params.md.")


def _comment_lines(text: str, width: int = 66) -> list[str]:
    import textwrap
    return textwrap.wrap(text, width=width, break_long_words=False, break_on_hyphens=False) or [""]


def _template_line(depth: int, key: str, value: str | None, comment: str, cmark: int | None) -> list[str]:
    """One ``key: value  # comment`` line; *cmark* is the column of a ``# `` commenting it out."""
    indent = "  " * depth
    if cmark is not None:
        indent = " " * cmark + "# " + " " * (2 * depth - cmark)
    head = f"{indent}{key}:" + (f" {value}" if value is not None else "")
    chunks = _comment_lines(comment) if comment else []
    if not chunks:
        return [head]
    col = 35
    first = head.ljust(col - 1) + f" # {chunks[0]}"
    return [first] + [" " * (col - 1) + f" # {c}" for c in chunks[1:]]


def _example_value(key: Key, value: Any) -> str:
    if key.kind in ("month", "date") and isinstance(value, str):
        return f'"{value}"'
    return _yaml_inline(value)


def _template_node(tree: dict[str, Any], prefix: str, depth: int, cmark: int | None) -> list[str]:
    out: list[str] = []
    for name, sub in tree.items():
        path = prefix + name
        if isinstance(sub, Key):
            if path.count(".") >= 2 and path.startswith("inputs.") and name != "file" and sub.default is None:
                continue  # common input options are described once, above `inputs:`
            doc = sub.doc + (f" ({' | '.join(map(str, sub.allowed))})" if sub.allowed else "")
            if sub.required:
                out += _template_line(depth, name, _example_value(sub, sub.example), f"(required) {doc}", cmark)
            elif sub.default is not None and not (sub.default == "" and sub.example is not None):
                out += _template_line(depth, name, _example_value(sub, sub.default), doc, cmark)
            else:
                out += _template_line(depth, name, _example_value(sub, sub.example), doc,
                                      2 * depth if cmark is None else cmark)
        else:
            section = _SECTIONS.get(path)
            optional = bool(section and section.optional)
            leaves = [k for k in ALL_KEYS if k.path.startswith(path + ".")]
            all_unset = all(not k.required and k.default is None for k in leaves)
            sub_mark = cmark if cmark is not None else (2 * depth if optional or all_unset else None)
            doc = (section.doc if section else "")
            if path.startswith("inputs."):
                doc = ("(required) " if not optional else "optional: ") + doc
            if depth == 0:
                out.append("")
                out.append(f"# {'-' * 64} {doc}")
                if path == "inputs":
                    out += [f"# {c}" for c in _comment_lines(_OPTIONS_NOTE, 90)]
                out.append(f"{'# ' if sub_mark is not None else ''}{name}:")
            else:
                out += _template_line(depth, name, None, doc, sub_mark)
            out += _template_node(sub, path + ".", depth + 1, sub_mark)
    return out


def render_template() -> str:
    """``params/template.yaml``: every key with its default (or a commented example), from the schema."""
    top = {k: v for k, v in TREE.items()}
    lines = _TEMPLATE_HEAD.rstrip("\n").split("\n") + [""]
    scalars = {k: v for k, v in top.items() if isinstance(v, Key) and k != "waves"}
    lines += _template_node(scalars, "", 0, None)
    rest = {k: v for k, v in top.items() if k not in scalars}
    for name, sub in rest.items():
        if isinstance(sub, Key):  # waves
            lines.append("")
            lines.append(f"# {'-' * 64} waves")
            lines += _template_line(0, name, _yaml_inline(sub.example), f"(required) {sub.doc}", None)
            lines.append("# waves: {pre: pre, post: post, post_start: \"2017-06-05\"}   "
                         "# the mapping form; post_start: first day of the post wave")
        else:
            lines += _template_node({name: sub}, "", 0, None)
    return "\n".join(lines).rstrip() + "\n"


_REFERENCE_HEAD = """\
# Study parameters reference

<!-- Generated from the schema in src/ccstudy/params.py by `python -m ccstudy.params reference`;
     do not edit by hand (tests/test_params.py checks this file is in step with the schema). -->

One YAML file per study (`params/<study>.yaml`).  Only `study`, `scale.min`, `scale.max`, `inputs.dir`,
`inputs.items`, `inputs.responses` and at least one wave are required; every other key may be left out
(a whole section too) and then takes the default below.  `params/template.yaml` lists every key with its
default; `ccstudy init <study> --from <folder>` writes a params file from the exports you have.

How the file is checked (`ccstudy validate`, and before every run):

- **Unknown keys** are rejected at every level with a suggestion: `reliabilty:` gives
  `line 12: 'reliabilty' is not a top-level key (did you mean 'reliability'?)`.
- **Duplicated keys** are rejected with both lines: `'coaching.focus_team' is given twice (lines 61 and 64)`.
- **Types and allowed values** are checked for every key; all problems are reported in one pass,
  each with the line of the key.
- **Values against the data**, in the same report as the input problems: a wave label the responses
  lack, a KPI in `validity.kpis` / `trends.kpis` that the KPI input lacks, a focus team
  (`training.focus_team`, `coaching.focus_team`, `reports.team_briefs`) absent from the roster.
  These checks are strict for the keys you wrote (each problem names the params file, the line of the
  key and the closest existing value).  Defaults are lenient: the default KPI lists are narrowed to
  the KPI columns your inputs have, and a default never names a team.

## Waves

`waves` lists the questionnaire waves as they are written in the responses' `wave` column:

| Form | Meaning |
|---|---|
| `waves: [baseline]` | one wave (a baseline only); the `wave` column may then be left out |
| `waves: [T1, T2]` | pre and post |
| `waves: [T1, T2, T3]` | time order; pre = first, post = second, follow_up = last |
| `waves: {pre: T1, post: T2, follow_up: T3, post_start: "2017-06-05"}` | roles named; only `pre` required |
| `waves: {order: [T0, T1, T2, T3], post: T2}` | four or more waves with a role moved |

In code: `params.wave_labels` (time order), `params.wave("post")` (a label or `None`), and
`params.get("waves.order")`, `params.get("waves.pre")` ... on the normalised values.
"""


def render_reference() -> str:
    """``docs/params.md``: every key with its type, default, allowed values and description."""
    out = _REFERENCE_HEAD.rstrip("\n").split("\n")
    groups: dict[str, list[Key]] = {}
    for key in SCHEMA:
        groups.setdefault(key.path.split(".")[0] if "." in key.path else "", []).append(key)
    for group, keys in groups.items():
        sec = _SECTIONS.get(group)
        out += ["", f"## {'`' + group + '`' if group else 'Top-level keys'}"]
        if sec:
            out += ["", sec.doc[0].upper() + sec.doc[1:] + "."]
        out += ["", "| Key | Type | Default | Allowed | Description |", "|---|---|---|---|---|"]
        for k in keys:
            default = "**required**" if k.required else ("not given" if k.default is None else
                                                        f"`{_yaml_inline(k.default)}`")
            allowed = " \\| ".join(f"`{a}`" for a in k.allowed) if k.allowed else ""
            out.append(f"| `{k.path}` | {_md(_type_name(k.kind))} | {_md(default)} | {allowed} | {_md(k.doc)} |")
        if group == "inputs":
            out += ["", "### The inputs", "", "| Input | Required | Holds | Option defaults |", "|---|---|---|---|"]
            for i in INPUTS:
                dflt = ", ".join(f"`{k}: {v}`" for k, v in i.defaults.items())
                out.append(f"| `inputs.{i.name}` | {'yes' if i.required else 'no'} | {_md(i.doc)} | {dflt} |")
            out += ["", "Every input is a mapping such as `{file: roster.csv}`; `file` is required in it.",
                    "An input left out is not used, and the analyses that need it are skipped with the reason.",
                    "", "### Options of an input", "",
                    "| Option | Type | Allowed | Inputs | Description |", "|---|---|---|---|---|"]
            for o in INPUT_OPTIONS:
                allowed = " \\| ".join(f"`{a}`" for a in o.allowed) if o.allowed else ""
                only = ", ".join(f"`{x}`" for x in o.only) if o.only else "all"
                out.append(f"| `{o.name}` | {_md(_type_name(o.kind))} | {allowed} | {only} | {_md(o.doc)} |")
    return "\n".join(out).rstrip() + "\n"


def _main(argv: list[str] | None = None) -> int:
    import sys

    args = sys.argv[1:] if argv is None else argv
    if args not in (["template"], ["reference"]):
        sys.stderr.write("usage: python -m ccstudy.params template|reference  (prints to stdout)\n")
        return 2
    sys.stdout.write(render_template() if args[0] == "template" else render_reference())
    return 0


if __name__ == "__main__":  # pragma: no cover
    raise SystemExit(_main())
