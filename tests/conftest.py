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
