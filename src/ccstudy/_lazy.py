"""Modules imported on first use, so that importing ccstudy stays light.

``figures = lazy_module("ccstudy.figures")`` binds a stand-in that imports the
real module the first time one of its attributes is read; code using
``figures.reliability_bars(...)`` is unchanged.  A stage kernel then pays only
for the libraries its own stage uses (seaborn, scipy.stats, statsmodels, ...),
and ``import ccstudy.stages`` costs little more than ``import pandas``.
"""

from __future__ import annotations

import importlib
import types
from typing import Any


class LazyModule(types.ModuleType):
    """Stand-in for a module, imported by :func:`importlib.import_module` on first attribute access."""

    def __init__(self, name: str) -> None:
        super().__init__(name)
        self.__dict__["_lazy_target"] = name

    def _load(self) -> types.ModuleType:
        return importlib.import_module(self.__dict__["_lazy_target"])

    def __getattr__(self, attr: str) -> Any:
        return getattr(self._load(), attr)

    def __dir__(self) -> list[str]:
        return dir(self._load())

    def __repr__(self) -> str:
        return f"<lazy module {self.__dict__['_lazy_target']!r}>"


def lazy_module(name: str) -> types.ModuleType:
    """The module *name* if already imported, else a :class:`LazyModule` for it."""
    import sys

    return sys.modules.get(name) or LazyModule(name)
