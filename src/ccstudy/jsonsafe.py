"""Conversion of numpy / pandas / dataclass values to plain JSON-safe values."""

from __future__ import annotations

import dataclasses
import math
from typing import Any

import numpy as np
import pandas as pd


def to_jsonable(value: Any) -> Any:
    """Convert numpy / pandas values to plain JSON-safe Python values.

    NaN and infinities become ``None`` so that the results bundle is valid
    JSON and a missing estimate is visibly missing rather than a string.
    """
    if hasattr(value, "to_dict") and callable(value.to_dict) and not isinstance(value, (pd.DataFrame, pd.Series)):
        return to_jsonable(value.to_dict())
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {f.name: to_jsonable(getattr(value, f.name)) for f in dataclasses.fields(value)}
    if isinstance(value, pd.DataFrame):
        frame = value.copy()
        if isinstance(frame.index, pd.RangeIndex) and frame.index.name is None:
            frame = frame.reset_index(drop=True)
        else:
            index_name = frame.index.name or "index"
            frame = frame.reset_index().rename(columns={"index": index_name})
        return [
            {str(k): to_jsonable(v) for k, v in row.items()} for row in frame.to_dict(orient="records")
        ]
    if isinstance(value, pd.Series):
        return {str(k): to_jsonable(v) for k, v in value.items()}
    if isinstance(value, dict):
        return {str(k): to_jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [to_jsonable(v) for v in value]
    if isinstance(value, (np.bool_, bool)):
        return bool(value)
    if isinstance(value, (np.integer,)):
        return int(value)
    if isinstance(value, (np.floating, float)):
        f = float(value)
        return None if (math.isnan(f) or math.isinf(f)) else f
    if isinstance(value, (pd.Timestamp,)):
        return value.isoformat()
    if isinstance(value, pd.Period):
        return str(value)
    if value is pd.NA or value is pd.NaT:
        return None
    if isinstance(value, np.ndarray):
        return [to_jsonable(v) for v in value.tolist()]
    return value
