"""Public statistics API of ccstudy.

Pure functions: arrays / DataFrames in, frozen result dataclasses out.  This
package never reads files and never rounds; see ``docs/statistics.md``.
"""

from ccstudy.stats._results import Result
from ccstudy.stats.reliability import reliability
from ccstudy.stats.reliability import reliability_table
from ccstudy.stats.factor import cfa
from ccstudy.stats.association import correlate
from ccstudy.stats.effects import paired_effect, controlled_effect
from ccstudy.stats.trends import its
from ccstudy.stats.association import correlation_table, adjust_pvalues
from ccstudy.stats.effects import did, mixed_effect
from ccstudy.stats.power import sensitivity
from ccstudy.stats.change import reliable_change
from ccstudy.stats.invariance import longitudinal_invariance
from ccstudy.stats.polychoric import polychoric

__all__ = [
    "Result",
    "reliability",
    "reliability_table",
    "cfa",
    "correlate",
    "paired_effect",
    "controlled_effect",
    "its",
    "correlation_table",
    "adjust_pvalues",
    "did",
    "mixed_effect",
    "sensitivity",
    "reliable_change",
    "longitudinal_invariance",
    "polychoric",
]
