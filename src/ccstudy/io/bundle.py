"""The results bundle: what every notebook writes and every report reads.

Layout under ``data/processed/<study>/``::

    *.parquet, cleaning_log.csv, intake_summary.json   stage 00 (clean tables)
    results/<name>.json                                 stage results (estimates, CIs, p, n)
    tables/<name>.csv                                   full tables for the technical report
    figures/<name>.png                                  figures

A :class:`Bundle` opened by a notebook for its stage records every file it
writes; :meth:`Bundle.close` writes the list to ``.stages/<stage>.outputs.json``
so the pipeline can verify and cache the stage.  All writes are atomic.
"""

from __future__ import annotations

import io
from pathlib import Path
from typing import Any

import pandas as pd

from ccstudy.escape import slug
from ccstudy.io import files
from ccstudy.params import StudyParams, load_params


def team_slug(team: str) -> str:
    """A file-name-safe, collision-free form of a team name (team figures and team-brief files).

    Plain names (``T07``) are kept; any other name gets a stable hash (see :func:`ccstudy.escape.slug`),
    so two teams never share a file, whatever their names.
    """
    return slug(team, default="team")


class Bundle:
    """Read and write a study's results bundle."""

    def __init__(self, params: StudyParams | str | Path, stage: str | None = None):
        self.params = params if isinstance(params, StudyParams) else load_params(params)
        self.stage = stage
        self.root = self.params.processed_dir
        self.written: list[str] = []

    # ---- paths -------------------------------------------------------------
    def path(self, rel: str) -> Path:
        return self.root / rel

    def _record(self, rel: str) -> None:
        if rel not in self.written:
            self.written.append(rel)

    # ---- writers -----------------------------------------------------------
    def write_table(self, name: str, frame: pd.DataFrame) -> Path:
        """Write ``<name>.parquet`` (clean data tables)."""
        rel = f"{name}.parquet"
        files.write_parquet(self.path(rel), frame)
        self._record(rel)
        return self.path(rel)

    def write_result(self, name: str, obj: Any) -> Path:
        """Write ``results/<name>.json`` (canonical JSON)."""
        rel = f"results/{name}.json"
        files.write_json(self.path(rel), obj)
        self._record(rel)
        return self.path(rel)

    def write_csv(self, name: str, frame: pd.DataFrame, *, index: bool = False) -> Path:
        rel = f"tables/{name}.csv"
        files.write_csv(self.path(rel), frame, index=index)
        self._record(rel)
        return self.path(rel)

    def write_figure(self, name: str, fig) -> Path:
        """Save a matplotlib figure as a PNG with fixed metadata (byte-stable)."""
        rel = f"figures/{name}.png"
        buf = io.BytesIO()
        fig.savefig(buf, format="png", dpi=150, bbox_inches="tight",
                    metadata={"Software": None}, facecolor="white")
        files.write_bytes(self.path(rel), buf.getvalue())
        self._record(rel)
        return self.path(rel)

    def record(self, rel: str) -> None:
        """Record a file written by other code (e.g. the intake writer)."""
        self._record(rel)

    def close(self) -> Path | None:
        """Write the stage's output list; the pipeline's cache reads it."""
        if self.stage is None:
            return None
        rel = f".stages/{self.stage}.outputs.json"
        files.write_json(self.path(rel), {"stage": self.stage, "outputs": sorted(self.written)})
        return self.path(rel)

    # ---- readers -----------------------------------------------------------
    def table(self, name: str) -> pd.DataFrame:
        p = self.path(f"{name}.parquet")
        if not p.exists():
            raise FileNotFoundError(
                f"{p} is missing: run the intake stage first (`ccstudy run {self.params.path}`)")
        return pd.read_parquet(p)

    def has_table(self, name: str) -> bool:
        return self.path(f"{name}.parquet").exists()

    def result(self, name: str) -> Any:
        p = self.path(f"results/{name}.json")
        if not p.exists():
            raise FileNotFoundError(f"{p} is missing: run the stage that writes '{name}' first")
        return files.read_json(p)

    def csv(self, name: str) -> pd.DataFrame:
        return files.read_csv(self.path(f"tables/{name}.csv"))

    def figure_path(self, name: str) -> Path:
        return self.path(f"figures/{name}.png")
