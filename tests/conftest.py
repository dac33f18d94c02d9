"""Test-session settings shared by every test module.

Property-based tests draw their examples from a seed. In CI (``CI`` set, as ``.ci/run`` is run)
the draws are derandomised, so a run is reproducible and a red build names an example anyone can
replay; locally they stay random, so new examples keep being explored.
"""

import os

from hypothesis import settings

settings.register_profile("ci", derandomize=True, print_blob=True)
if os.environ.get("CI"):
    settings.load_profile("ci")


# A test skipped because a tool is missing (chromium, poppler, Java, PySpark) is a failure in CI:
# `make test` installs all of them, so there a missing tool is a broken set-up, not a reason to pass.
_MISSING_TOOL = ("not installed", "system-deps", "make spark", "no Java runtime")


def pytest_runtest_makereport(item, call):
    import pytest

    if not os.environ.get("CI") or call.excinfo is None or not call.excinfo.errisinstance(pytest.skip.Exception):
        return None
    reason = str(call.excinfo.value)
    if any(s in reason for s in _MISSING_TOOL):
        from _pytest.reports import TestReport

        rep = TestReport.from_item_and_call(item, call)
        rep.outcome = "failed"
        rep.longrepr = f"CI: a tool the tests need is missing ({reason}); make test installs it"
        return rep
    return None
