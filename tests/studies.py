"""Test studies built from the default one (copied with ccstudy.params.copy_study, never in place)."""

from __future__ import annotations

import csv
import io
from pathlib import Path

import yaml

from ccstudy.params import copy_study, load_params

ROOT = Path(__file__).resolve().parents[1]

#: Team names that are markup, a citation, a spreadsheet formula, Chinese (two that used to share one
#: file name) and an emoji.  The focus team (briefs, month-on-month figures) is the first one.
HOSTILE_TEAMS = {
    "VIP": "<script>alert(1)</script>",
    "T01": "<img src=x onerror=alert(2)>",
    "T02": "@SUM(1+1)",
    "T03": "=cmd|' /C calc'!A0",
    "T04": "客服一组",
    "T05": "客服二组",
    "T06": "Team 😀",
}
#: Agent ids likewise (agents of the focus team, so they reach the briefs' tables).
HOSTILE_AGENTS = {
    "A0001": "<script>alert(1)</script>",
    "A0002": "<img src=x onerror=alert(2)>",
    "A0003": "@SUM(1+1)",
    "A0004": "=cmd|' /C calc'!A0",
    "A0005": "客服一组",
    "A0006": "客服二组",
    "A0007": "😀",
}


def _rewrite_csv(path: Path, columns: dict[str, dict[str, str]]) -> None:
    rows = list(csv.reader(io.StringIO(path.read_text(encoding="utf-8"))))
    head = rows[0]
    for col, mapping in columns.items():
        if col not in head:
            continue
        j = head.index(col)
        for r in rows[1:]:
            if j < len(r) and r[j] in mapping:
                r[j] = mapping[r[j]]
    buf = io.StringIO()
    csv.writer(buf, lineterminator="\n").writerows(rows)
    path.write_text(buf.getvalue(), encoding="utf-8")


def _rewrite_parquet(path: Path, column: str, mapping: dict[str, str]) -> None:
    import pyarrow as pa
    import pyarrow.compute as pc
    import pyarrow.parquet as pq

    t = pq.read_table(path)
    col = t.column(column).cast(pa.string())
    for old, new in mapping.items():
        col = pc.if_else(pc.equal(col, old), pa.scalar(new), col)
    pq.write_table(t.set_column(t.schema.get_field_index(column), column, col), path, compression="zstd")


def hostile_study(dest: Path, teams: dict[str, str] = HOSTILE_TEAMS,
                  agents: dict[str, str] = HOSTILE_AGENTS) -> Path:
    """A copy of the default study whose team and agent names are *teams* / *agents*; returns its params path.

    Every hostile team gets a team brief; the focus team is the hostile name of ``VIP``.
    """
    params_path = copy_study(ROOT / "params" / "default.yaml", dest)
    params = load_params(params_path)
    for f in sorted(params.input_dir.glob("*.csv")):
        _rewrite_csv(f, {"team": teams, "agent_id": agents, "mentor": agents, "mentee": agents})
    for f in sorted((params.input_dir / "contacts").glob("*.parquet")):  # the contact log names agents too
        _rewrite_parquet(f, "agent_id", agents)
    raw = yaml.safe_load(params_path.read_text(encoding="utf-8"))
    focus = teams.get("VIP", "VIP")
    raw["training"]["focus_team"] = focus
    raw["coaching"]["focus_team"] = focus
    raw["reports"]["team_briefs"] = list(teams.values())
    params_path.write_text(yaml.safe_dump(raw, allow_unicode=True, sort_keys=False), encoding="utf-8")
    return params_path


def write_csv(path: Path, header, rows, encoding="utf-8") -> None:
    """A CSV file with *header* and *rows* in *encoding* (newline line ends), for tests that build inputs."""
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(header)
    w.writerows(rows)
    path.write_bytes(buf.getvalue().encode(encoding))
