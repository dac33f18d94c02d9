"""Argument checks shared by the statistics functions."""

from __future__ import annotations

from collections.abc import Iterable, Mapping

import pandas as pd


def column_groups(items: pd.DataFrame, groups: object, *, arg: str, member: str, need: str,
                  example: str = "") -> dict[str, list]:
    """Validate a mapping ``name -> item columns`` (scales of a table, factors of a model).

    Every group must be a list of at least two columns of *items*.  Errors name
    the argument (*arg*), the offending entry, the value received and how to
    fix it; *need* completes the "has k item(s); ..." message.
    """
    if not isinstance(groups, Mapping) or len(groups) == 0:
        hint = f"; e.g. {arg}={example}" if example else ""
        raise ValueError(f"{arg} must be a non-empty dict of {member} name -> item columns, got {groups!r}{hint}")
    spec: dict[str, list] = {}
    for name, cols in groups.items():
        if isinstance(cols, str) or not isinstance(cols, Iterable):
            raise TypeError(f"{arg}[{name!r}] must be a list of item columns, got {cols!r}")
        cols = list(cols)
        absent = [c for c in cols if c not in items.columns]
        if absent:
            raise ValueError(f"{arg}[{name!r}] names column(s) not in items: {absent!r}; "
                             f"available columns are {list(items.columns)!r}")
        if len(cols) < 2:
            raise ValueError(f"{arg}[{name!r}] has {len(cols)} item(s); {need}")
        spec[name] = cols
    return spec
