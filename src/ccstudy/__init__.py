"""ccstudy: reproducible call-centre workforce studies.

Competency questionnaires, agent KPIs and training programmes in; a tested
results bundle and rendered reports out.  See README.md for the quick start.
"""

__version__ = "0.1.0"
