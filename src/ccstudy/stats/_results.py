"""Shared base for statistical result objects.

Every public statistics function returns a frozen, keyword-only dataclass that
derives from :class:`Result`.  Field names follow one vocabulary across the
API: ``n``, ``p``, ``df``, ``ci_low``, ``ci_high``, ``method`` plus the
estimate's own name (``alpha``, ``r``, ``mean_diff``, ``cohens_dz`` ...).
Nothing is rounded here: rounding and wording belong to the reporting layer.
"""

from __future__ import annotations

import dataclasses
from typing import Any

import numpy as np
import pandas as pd

from ccstudy.jsonsafe import to_jsonable

__all__ = ["Result", "to_jsonable"]


@dataclasses.dataclass(frozen=True, kw_only=True)
class Result:
    """Base class: ``to_dict()`` for the results bundle, ``summary()`` to read."""

    def to_dict(self) -> dict[str, Any]:
        """Return every field as JSON-safe values (DataFrames as lists of records)."""
        return {f.name: to_jsonable(getattr(self, f.name)) for f in dataclasses.fields(self)}

    def summary(self) -> str:
        """A short human-readable listing of the scalar fields."""
        lines = [type(self).__name__]
        for f in dataclasses.fields(self):
            v = getattr(self, f.name)
            if isinstance(v, (pd.DataFrame, pd.Series, np.ndarray, list, dict)):
                continue
            if isinstance(v, float):
                lines.append(f"  {f.name:<20} {v: .6g}")
            else:
                lines.append(f"  {f.name:<20} {v}")
        return "\n".join(lines)

    def __str__(self) -> str:  # pragma: no cover - convenience
        return self.summary()
