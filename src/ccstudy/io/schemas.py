"""The input schemas, in one place.

Each input of a study (see ``docs/data-formats.md``) is described by a
:class:`TableSchema`: its columns with a *kind* (how a cell is parsed), whether
the column must be present, whether a blank cell is allowed, bounds, allowed
values, the unique key, cross-column order checks and the sort order of the
processed table.  :mod:`ccstudy.io.validate` interprets these declarations; the
same declarations drive the documentation tests, so the docs, the checks and
the processed tables cannot drift apart.

Kinds
-----
``id``       text, never blank (agent ids, item ids, months are separate)
``text``     free text
``category`` text from a fixed set (``allowed``)
``int``      whole number (``min`` / ``max``)
``number``   any finite number (``min`` / ``max``; ``min_exclusive`` for > min)
``rate``     a share: a fraction in [0, 1] or a percentage in [0, 100] as the
             input's ``rate_scale`` declares; ``"85%"`` is always read as 0.85.
             Stored as a fraction.
``fraction`` a share always given as a fraction in [0, 1] (``"85%"`` accepted)
``date``     a calendar date (``YYYY-MM-DD``; see parsers.DATE_FORMATS)
``month``    a calendar month, stored as ``"YYYY-MM"``
``flag``     0/1 (also true/false, yes/no, 是/否), stored as bool
``score``    a questionnaire answer: a number or a label from ``scale.labels``
"""

from __future__ import annotations

import dataclasses
from typing import Any

from ccstudy.params import INPUTS as _params_inputs


@dataclasses.dataclass(frozen=True)
class Col:
    name: str
    kind: str
    required: bool = True           # the column must be present in the file
    nullable: bool = False          # a blank cell is allowed
    min: float | None = None
    max: float | None = None
    min_exclusive: bool = False
    allowed: tuple[str, ...] | None = None
    suspect_fraction: bool = False  # rate: flag a 'percent' column whose values all look like fractions
    doc: str = ""


@dataclasses.dataclass(frozen=True)
class TableSchema:
    name: str
    columns: tuple[Col, ...]
    key: tuple[str, ...] = ()                          # unique key (fatal when repeated)
    sort: tuple[str, ...] = ()                         # sort order of the processed table
    order_checks: tuple[tuple[str, str], ...] = ()     # (a, b): a <= b on every row where both are given
    extra: str = "text"                                # what to do with other columns: text | numeric | forbid
    required_input: bool = True
    one_of: tuple[tuple[str, ...], ...] = ()           # at least one of these columns must be present
    doc: str = ""

    def col(self, name: str) -> Col | None:
        for c in self.columns:
            if c.name == name:
                return c
        return None

    @property
    def names(self) -> list[str]:
        return [c.name for c in self.columns]

    @property
    def required_names(self) -> list[str]:
        return [c.name for c in self.columns if c.required]


#: Item kinds an item map may declare (``kind`` column), with the spellings accepted for each.
ITEM_KINDS: dict[str, tuple[str, ...]] = {
    "knowledge": ("knowledge", "知识", "知识类", "知识题"),
    "soft_skill": ("soft_skill", "soft skill", "soft-skill", "softskill", "软技能", "软技能类", "软实力"),
}

#: Supported instrument sizes: items in the item map, items per competency.
MIN_ITEMS, MAX_ITEMS = 2, 200
MAX_ITEMS_PER_COMPETENCY = 20

ITEMS = TableSchema(
    name="items",
    columns=(
        Col("item", "id", doc="item id as it appears in the responses (e.g. Q01, or \"A1 题目\"): any script, "
            "spaces and punctuation allowed"),
        Col("competency", "id", doc="competency id (any script; 1 to 20 items each)"),
        Col("competency_label", "text", required=False, nullable=True,
            doc="readable competency name (default: the id)"),
        Col("dimension", "id", required=False, nullable=True,
            doc="dimension id; leave the column out (or every cell blank) for an instrument without dimensions"),
        Col("dimension_label", "text", required=False, nullable=True,
            doc="readable dimension name (default: the id)"),
        Col("reverse", "flag", required=False, nullable=True,
            doc="reverse-keyed item: 1/0, true/false, yes/no, 是/否; blank or column left out = not reversed"),
        Col("kind", "text", required=False, nullable=True,
            doc="knowledge | soft_skill (also 知识 / 软技能); blank = not given"),
        Col("text", "text", required=False, nullable=True, doc="the item wording"),
    ),
    key=("item",),
    sort=(),  # item-map order is kept: it fixes the order of the response columns
    extra="text",
)

# Wide responses: agent_id, wave, submitted + one 'score' column per item (added at run time).
RESPONSES_WIDE = TableSchema(
    name="responses",
    columns=(
        Col("agent_id", "id", doc="must be in the roster (when a roster is given)"),
        Col("wave", "category", required=False,
            doc="one of the labels in waves; may be left out when waves declares a single wave"),
        Col("submitted", "date", required=False,
            doc="when the questionnaire was answered (optional; enables the wave-order check)"),
    ),
    key=("agent_id", "wave"),
    sort=("agent_id", "wave"),
    extra="forbid",  # every other column must be an item of the item map
)

RESPONSES_LONG = TableSchema(
    name="responses",
    columns=(
        Col("agent_id", "id"),
        Col("wave", "category", required=False),
        Col("submitted", "date", required=False),
        Col("item", "id", doc="an item of the item map"),
        Col("score", "score", nullable=True, doc="the answer; blank = not answered"),
    ),
    key=("agent_id", "wave", "item"),
    sort=("agent_id", "wave"),
    extra="forbid",
)

ROSTER = TableSchema(
    name="roster",
    columns=(
        Col("agent_id", "id"),
        Col("team", "id"),
        Col("hire_date", "date"),
        Col("exit_date", "date", required=False, nullable=True, doc="blank = still employed"),
        Col("group", "category", required=False, allowed=("trained", "control")),
        Col("gender", "text", required=False, nullable=True),
        Col("age_band", "text", required=False, nullable=True),
        Col("education", "text", required=False, nullable=True),
        Col("grade", "text", required=False, nullable=True),
        Col("style", "text", required=False, nullable=True),
    ),
    key=("agent_id",),
    sort=("agent_id",),
    order_checks=(("hire_date", "exit_date"),),
    extra="text",
)

AGENT_KPIS = TableSchema(
    name="agent_kpis",
    columns=(
        Col("agent_id", "id", doc="must be in the roster"),
        Col("month", "month"),
        Col("contacts", "int", min=0),
        Col("fcr", "rate", required=False, nullable=True, suspect_fraction=True),
        Col("csat", "rate", required=False, nullable=True, suspect_fraction=True),
        Col("answer_rate", "rate", required=False, nullable=True, suspect_fraction=True),
        Col("aht_sec", "number", required=False, nullable=True, min=0, min_exclusive=True),
        Col("qa_score", "number", required=False, nullable=True, min=0, max=100),
    ),
    key=("agent_id", "month"),
    sort=("agent_id", "month"),
    extra="numeric",
)

CENTRE_KPIS = TableSchema(
    name="centre_kpis",
    columns=(
        Col("month", "month"),
        Col("offered", "int", required=False, min=0),
        Col("answered", "int", required=False, min=0),
        Col("answer_rate", "rate", required=False, nullable=True, suspect_fraction=True),
        Col("fcr", "rate", required=False, nullable=True, suspect_fraction=True),
        Col("csat", "rate", required=False, nullable=True, suspect_fraction=True),
        Col("headcount", "number", required=False, nullable=True, min=0),
        Col("leavers", "int", required=False, nullable=True, min=0),
        Col("attrition", "rate", required=False, nullable=True),
    ),
    key=("month",),
    sort=("month",),
    order_checks=(("answered", "offered"),),
    extra="numeric",
    required_input=False,
)

TRAINING = TableSchema(
    name="training",
    columns=(
        Col("agent_id", "id", doc="must be in the roster"),
        Col("programme", "id"),
        Col("start_date", "date"),
        Col("end_date", "date"),
        Col("attended_share", "fraction", required=False, nullable=True),
        Col("satisfaction", "int", required=False, nullable=True, min=1, max=5),
    ),
    key=("agent_id", "programme", "start_date"),
    sort=("agent_id", "programme", "start_date"),
    order_checks=(("start_date", "end_date"),),
    extra="text",
    required_input=False,
)

STAFF_SURVEY = TableSchema(
    name="staff_survey",
    columns=(
        Col("team", "id"),
        Col("month", "month"),
        Col("respondents", "int", min=0, min_exclusive=True),
        Col("satisfied", "int", required=False, nullable=True, min=0),
        Col("satisfaction", "rate", required=False, nullable=True),
    ),
    key=("team", "month"),
    sort=("team", "month"),
    order_checks=(("satisfied", "respondents"),),
    one_of=(("satisfied", "satisfaction"),),
    extra="numeric",
    required_input=False,
)

CUSTOMER_SURVEY = TableSchema(
    name="customer_survey",
    columns=(
        Col("respondent_id", "id"),
        Col("category", "id"),
    ),
    key=(),
    sort=("respondent_id", "category"),
    extra="text",
    required_input=False,
)

SCHEMAS: dict[str, TableSchema] = {
    "items": ITEMS,
    "responses": RESPONSES_WIDE,
    "roster": ROSTER,
    "agent_kpis": AGENT_KPIS,
    "centre_kpis": CENTRE_KPIS,
    "training": TRAINING,
    "staff_survey": STAFF_SURVEY,
    "customer_survey": CUSTOMER_SURVEY,
}

#: Processing order: items first (responses need the item map), roster before the tables that refer to it.
INPUT_ORDER: tuple[str, ...] = (
    "items", "roster", "responses", "agent_kpis", "centre_kpis", "training", "staff_survey", "customer_survey",
)

#: Default rate scale per input when ``inputs.<name>.rate_scale`` is not given (declared in the params schema).
DEFAULT_RATE_SCALE: dict[str, str] = {
    i.name: i.defaults["rate_scale"] for i in _params_inputs if "rate_scale" in i.defaults
}

#: Cells read as blank (missing) in every input.
NA_TOKENS: frozenset[str] = frozenset({
    "", "NA", "N/A", "n/a", "na", "#N/A", "NULL", "null", "None", "none", "NaN", "nan", "-", "—",
})


#: Fatal rules (validation stops the run): rule id -> what it checks.
FATAL_RULES: dict[str, str] = {
    # reading a file
    "file_missing": "the declared file does not exist",
    "empty_file": "the file (or sheet) is empty",
    "encoding": "the bytes cannot be decoded plausibly (declared encoding, UTF-8, GBK/GB18030, Big5, Windows-1252)",
    "encoding_ambiguous": "several encodings decode the file to different, equally plausible text",
    "encoding_unknown": "inputs.<name>.encoding names no known encoding",
    "not_text": "a .csv file holds binary data (a NUL byte, a ZIP/XLSX, Parquet or XLS file renamed .csv)",
    "csv_syntax": "the CSV cannot be parsed at all",
    "delimiter": "only one column found: the delimiter is wrong",
    "delimiter_param": "inputs.<name>.delimiter is not a single character",
    "format_param": "inputs.<name>.format is not csv, xlsx or parquet",
    "xlsx_unreadable": "the workbook cannot be opened",
    "xlsx_sheet": "the sheet named in inputs.<name>.sheet is not in the workbook",
    "xlsx_formula": "an Excel cell holds a formula whose result was never saved (it would read as blank)",
    "parquet_unreadable": "the Parquet file cannot be read",
    "input_missing": "a required input (items, responses) is not declared",
    # the header
    "header_row": "the column names are not on the first non-blank row (title or merged header rows above)",
    "params_header_row": "inputs.<name>.header_row is not a row number",
    "missing_column": "a required column is not in the header",
    "mapped_column_missing": "inputs.<name>.columns names an export header that the file does not have",
    "params_columns": "inputs.<name>.columns is not a mapping of canonical names to headers",
    "duplicate_column": "two columns are read as the same canonical column",
    "blank_header": "a column has values but no header",
    "unknown_item": "a response column (or long-layout item) is not in the item map",
    "item_missing": "an item of the item map has no response column",
    "unknown_column": "a long-layout response file has a column outside the format",
    "no_data": "a required input has a header but no data rows",
    # cells
    "required_value": "a required cell is blank",
    "line_break": "an id contains a line break (usually a quote left open)",
    "invisible_character": "an id or category holds an invisible or control character (zero-width space ...)",
    "summary_row": "a total / subtotal / average row (合计, 总计, 小计, Total, Sum, Average ...) among the data",
    "not_allowed": "a value outside the allowed set (wave, group, item kind)",
    "date_unparseable": "a date that cannot be read (YYYY-MM-DD, or inputs.<name>.date_format)",
    "date_out_of_range": "a date outside the years 1678-2261 (e.g. a 9999-12-31 sentinel not declared)",
    "date_in_future": "a hire date after the last month with data (it would give a negative tenure)",
    "excel_date_serial": "an Excel date serial number (e.g. 42430) where a date or month is expected",
    "month_unparseable": "a month that cannot be read as YYYY-MM",
    "not_a_number": "text in a numeric column",
    "not_whole_number": "a fraction in a whole-number column",
    "number_range": "a number outside its bounds (negative contacts, QA score above 100 ...)",
    "rate_range": "a rate outside [0, 1] (fraction) or [0, 100] (percent) as declared",
    "rate_scale": "rates declared 'percent' whose values all look like fractions",
    "rate_mixed_scale": "a rate column mixing fractions (0.86) and percentages (86): the minority rows are named",
    "not_a_flag": "a reverse flag that is not 0/1, true/false, yes/no or 是/否",
    "score_not_number": "an answer that is neither a number nor a label of scale.labels",
    "params_labels": "scale.labels maps a label to something that is not a number",
    # rows and files together
    "duplicate_key": "a key repeated with different values (agent + wave, agent, agent + month, item ...)",
    "date_order": "dates out of order (exit before hire, training end before start)",
    "exceeds": "a count above its total (answered > offered, satisfied > respondents)",
    "wave_order": "an agent's response dated before their response to the previous wave (needs submitted dates)",
    "wave_missing": "a wave label declared in the params that no response has (params file, line, suggestion)",
    "submitted_differs": "long layout: one response (agent + wave) with different submitted dates",
    "agent_not_in_roster": "an agent id (responses, KPIs, training) missing from the roster",
    "competency_dimension": "one competency listed under two dimensions in the item map",
    "dimension_partial": "a dimension given for some items of the item map but not for others",
    "item_count": "an item map with fewer than 2 or more than 200 items",
    "competency_size": "a competency with more than 20 items",
    "item_ids_clash": "item ids that differ only in case, width or spaces",
    # params values against the data (reported with the params file, the line of the key and a suggestion)
    "kpi_in_both": "with inputs.contacts, an agent_kpis / centre_kpis file also has a KPI column the log computes",
    "kpi_missing": "validity.kpis / trends.kpis (as written) names a column the KPI input lacks",
    "team_unknown": "training.focus_team, coaching.focus_team or reports.team_briefs names a team the roster lacks",
}

#: Cleaning rules (fixed and logged in cleaning_log.csv): rule id -> what is done.
CLEANING_RULES: dict[str, str] = {
    "blank_row": "a row with every cell blank is dropped (any input)",
    "empty_column": "a column with neither header nor values is ignored (any input)",
    "duplicate_row": "an exact copy of an earlier row is dropped; the first copy is kept",
    "out_of_range": "an answer outside [scale.min, scale.max] becomes missing (or drops the response)",
    "not_on_scale": "an answer inside the range but not a whole number becomes missing (or drops the response)",
    "partial_response": "a response answering fewer than cleaning.min_answered_share of the items is dropped",
    "straightlining": "a response with the same answer to every answered item is flagged or dropped",
    "left_before_post": "responses of agents whose exit_date is before the post wave are dropped",
    "no_contacts": "with inputs.contacts, an agent_kpis row (QA score) for an agent-month the contact log does not have "
                   "is dropped",
    "min_contacts": "agent-months with fewer than cleaning.min_contacts_per_month contacts are dropped",
    "exit_date_sentinel": "an exit date listed in inputs.roster.exit_date_sentinels becomes blank (still employed)",
    "summary_row": "a summary row is dropped when inputs.<name>.drop_summary_rows is true",
}


#: The KPI columns a contact log gives (:func:`ccstudy.kpi.to_agent_kpis`, :func:`ccstudy.kpi.to_centre_kpis`).
#: When ``inputs.contacts`` is given, the ``agent_kpis`` / ``centre_kpis`` files hold only the other columns
#: (QA scores; headcount, leavers, attrition), joined to the derived tables; a column in both is an error.
CONTACT_KPI_COLUMNS: dict[str, tuple[str, ...]] = {
    "agent_kpis": ("contacts", "fcr", "csat", "answer_rate", "aht_sec", "offered", "abandon_rate",
                   "service_level", "transfer_rate", "csat_mean"),
    "centre_kpis": ("offered", "answered", "answer_rate", "fcr", "csat", "abandon_rate", "abandon_rate_excl_short",
                    "service_level", "aht_sec", "transfer_rate", "csat_mean"),
}


def schema_for(name: str, spec: dict[str, Any] | None = None, *, contacts: bool = False) -> TableSchema:
    """The schema of input *name* (the long responses layout when declared).

    With *contacts* (the study gives ``inputs.contacts``), ``agent_kpis`` needs
    no ``contacts`` column: the contact counts come from the log.
    """
    if name == "responses" and (spec or {}).get("layout", "wide") == "long":
        return RESPONSES_LONG
    if contacts and name == "agent_kpis":
        return dataclasses.replace(AGENT_KPIS, columns=tuple(
            dataclasses.replace(c, required=False) if c.name == "contacts" else c for c in AGENT_KPIS.columns))
    return SCHEMAS[name]
