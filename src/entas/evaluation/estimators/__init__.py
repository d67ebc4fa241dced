"""PURE impact-evaluation estimators (numpy and scipy; no Django, no database).

Each estimator takes plain arrays and returns an :class:`Result`: the effect, its standard error, a
95 % confidence interval, the sample sizes and the diagnostics a reader needs to judge it (and the
warnings, in English, that a page or a command translates). See docs/evaluation.md.
"""

from .common import Result
from .descriptive import before_after
from .did import callaway_santanna, event_study, staggered, twfe
from .matching import balance_table, ipw_att, nearest_neighbour_att, propensity_score
from .rd import binned_scatter, density_test, rd_local_linear

__all__ = [
    "Result",
    "balance_table",
    "before_after",
    "binned_scatter",
    "callaway_santanna",
    "density_test",
    "event_study",
    "ipw_att",
    "nearest_neighbour_att",
    "propensity_score",
    "rd_local_linear",
    "staggered",
    "twfe",
]
