"""Light kernels: importing the stage functions costs about what importing pandas costs.

Every stage notebook starts a fresh kernel and imports ``ccstudy.stages``; the
heavy libraries (matplotlib, seaborn, scipy.stats, statsmodels, semopy) must be
loaded only by the stage that uses them.  Measured with ``python -X importtime``
on the 2-core CI machine: ``import ccstudy.stages`` took 9.2 s with everything
imported eagerly (seaborn -> scipy.stats alone 4.3 s, pyplot 2.0 s) and 1.9 s
after, against 1.5-2.4 s for ``import pandas`` in the same minute (a loaded
machine; ratio 0.8-1.3).  The timing test compares with ``import pandas``
measured in the same test, so a slow or busy machine does not make it fail.
"""

from __future__ import annotations

import statistics
import subprocess
import sys

import pytest

HEAVY = ("matplotlib", "seaborn", "scipy.stats", "statsmodels", "semopy", "pingouin")
# import ccstudy.stages / import pandas, median of interleaved runs; measured 0.8-1.3.
BUDGET_RATIO = 1.6


def _import_seconds(module: str) -> float:
    code = f"import time; t = time.perf_counter(); import {module}; print(time.perf_counter() - t)"
    out = subprocess.run([sys.executable, "-c", code], check=True, capture_output=True, text=True)
    return float(out.stdout.strip())


def test_importing_stages_loads_no_heavy_library():
    code = ("import sys, ccstudy.stages, ccstudy.pipeline, ccstudy.io.bundle; "
            f"print(','.join(m for m in {HEAVY!r} if m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], check=True, capture_output=True, text=True)
    assert out.stdout.strip() == "", f"imported at package import: {out.stdout.strip()}"


def test_importing_stages_stays_within_budget_of_pandas():
    pandas, stages = [], []
    for _ in range(3):  # interleaved, so a burst of load hits both
        pandas.append(_import_seconds("pandas"))
        stages.append(_import_seconds("ccstudy.stages"))
    ratio = statistics.median(stages) / statistics.median(pandas)
    assert ratio <= BUDGET_RATIO, (f"import ccstudy.stages took {ratio:.2f}x import pandas "
                                   f"(stages {stages}, pandas {pandas}); budget {BUDGET_RATIO}x")


def test_lazy_module_loads_on_first_use():
    code = ("import sys; from ccstudy._lazy import lazy_module; m = lazy_module('colorsys'); "
            "before = 'colorsys' in sys.modules; v = m.rgb_to_hsv(1, 0, 0); "
            "print(before, 'colorsys' in sys.modules, v)")
    out = subprocess.run([sys.executable, "-c", code], check=True, capture_output=True, text=True)
    assert out.stdout.split()[:2] == ["False", "True"]
    assert out.stdout.strip().endswith("(0.0, 1.0, 1)")


def test_stage_functions_still_reach_their_modules():
    from ccstudy import stages

    assert callable(stages.figures.reliability_bars)
    assert callable(stages.rel_mod.reliability_tables)
    with pytest.raises(AttributeError):
        stages.scoring.no_such_function  # noqa: B018
