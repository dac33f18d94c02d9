"""Individual change beyond measurement error: the Jacobson-Truax reliable change index.

A group mean can rise while most people stay where they were; the reliable
change index (RCI) asks, person by person, whether the difference between two
scores is larger than the measurement error of the instrument would produce on
its own.  :func:`reliable_change` classifies every agent as improved,
deteriorated or unchanged and reports the shares.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy import special

from ccstudy.stats._results import Result

__all__ = ["ReliableChange", "reliable_change"]

#: Status labels of ``ReliableChange.agents["status"]``.
IMPROVED, DETERIORATED, UNCHANGED = "improved", "deteriorated", "unchanged"


@dataclass(frozen=True, kw_only=True)
class ReliableChange(Result):
    """Jacobson-Truax reliable change of every person (see :func:`reliable_change`).

    Attributes
    ----------
    n : int
        People with both a pre and a post score (the denominators of the shares).
    n_dropped : int
        People with a missing pre or post score (status missing, left out of the shares).
    reliability : float
        Reliability coefficient used in the standard error.
    sd : float
        Pre-wave standard deviation used (given, or computed with divisor n - 1).
    sd_source : str
        ``"pre"`` (computed from the pre scores) or ``"given"``.
    sem : float
        Standard error of measurement ``sd * sqrt(1 - reliability)``.
    se_diff : float
        Standard error of a difference of two scores, ``sqrt(2) * sem``.
    threshold : float
        Two-sided standard normal quantile of ``confidence`` (1.959964 at 0.95).
    min_change : float
        Smallest raw change counted as reliable, ``threshold * se_diff``.
    share_improved, share_deteriorated, share_unchanged : float
        Shares of the ``n`` people (NaN when ``n == 0``); they sum to 1.
    n_improved, n_deteriorated, n_unchanged : int
        The corresponding counts.
    agents : pandas.DataFrame
        Indexed like ``pre``: ``pre``, ``post``, ``change`` (post - pre),
        ``rci`` (change / se_diff) and ``status`` (``"improved"``,
        ``"deteriorated"``, ``"unchanged"``; missing when a score is missing).
    confidence : float
        Level of the classification.
    method : str
        Description.
    """

    n: int
    n_dropped: int
    reliability: float
    sd: float
    sd_source: str
    sem: float
    se_diff: float
    threshold: float
    min_change: float
    share_improved: float
    share_deteriorated: float
    share_unchanged: float
    n_improved: int
    n_deteriorated: int
    n_unchanged: int
    agents: pd.DataFrame
    confidence: float
    method: str


def _as_series(x: object, arg: str) -> pd.Series:
    if isinstance(x, pd.DataFrame):
        if x.shape[1] != 1:
            raise TypeError(
                f"reliable_change(): argument {arg!r} must be one column of scores, got a DataFrame "
                f"with {x.shape[1]} columns; pass e.g. scores['total']"
            )
        x = x.iloc[:, 0]
    if isinstance(x, pd.Series):
        s = x
    elif isinstance(x, (np.ndarray, Sequence)) and not isinstance(x, (str, bytes)):
        s = pd.Series(np.asarray(x))
    else:
        raise TypeError(
            f"reliable_change(): argument {arg!r} must be a pandas Series or a 1-D array of scores, "
            f"got {type(x).__name__}"
        )
    if s.ndim != 1:
        raise TypeError(f"reliable_change(): argument {arg!r} must be one-dimensional")
    if pd.api.types.is_bool_dtype(s.dtype) or not pd.api.types.is_numeric_dtype(s.dtype):
        raise TypeError(
            f"reliable_change(): argument {arg!r} must be numeric, got dtype {s.dtype}; convert it with "
            "pandas.to_numeric"
        )
    return s.astype(float)


def _check_unit(value: object, arg: str, example: str, *, closed_low: bool = False) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float, np.integer, np.floating)):
        raise TypeError(f"reliable_change(): argument {arg!r} must be a number, got {value!r}")
    v = float(value)
    ok = (0.0 <= v < 1.0) if closed_low else (0.0 < v < 1.0)
    if not (math.isfinite(v) and ok):
        raise ValueError(
            f"reliable_change(): argument {arg!r} must lie in {'[0' if closed_low else '(0'}, 1), got {value!r}; "
            f"pass e.g. {arg}={example}"
        )
    return v


def reliable_change(
    pre: pd.Series,
    post: pd.Series,
    reliability: float,
    *,
    sd: float | None = None,
    confidence: float = 0.95,
) -> ReliableChange:
    r"""Jacobson-Truax reliable change index of each person between two waves.

    Parameters
    ----------
    pre, post : pandas.Series or 1-D array
        Scores of the same people at the first and second wave (higher =
        better).  Two Series are aligned on ``pre``'s index (a person missing
        from ``post`` has a missing post score); arrays must have equal length.
        NaN marks a missing score.
    reliability : float
        Reliability of the score in (0, 1), e.g. Cronbach's alpha of the
        scale on the pre wave or a test-retest coefficient.
    sd : float, optional
        Standard deviation of the score in the reference population.  Default:
        the standard deviation (divisor n - 1) of the non-missing ``pre``
        scores.
    confidence : float, default 0.95
        Two-sided level: a change is reliable when ``|rci|`` exceeds the
        standard normal quantile ``z_{(1 + confidence)/2}`` (1.96 at 0.95).

    Returns
    -------
    ReliableChange
        ``n``, ``se_diff``, ``threshold``, ``min_change``, the shares and
        counts improved / deteriorated / unchanged and the per-person table
        ``agents`` (``pre``, ``post``, ``change``, ``rci``, ``status``).

    Raises
    ------
    TypeError
        Non-numeric or multi-column scores, non-numeric options.
    ValueError
        ``reliability`` or ``confidence`` outside (0, 1); ``sd`` not positive;
        arrays of different length; duplicated index labels in ``pre``; fewer
        than 2 pre scores when ``sd`` must be computed, or a constant pre wave.

    Notes
    -----
    Jacobson & Truax (1991), with the correction of Christensen & Mendoza
    (1986):

    .. math::

        \mathrm{SEM} = s_1\sqrt{1 - r_{xx}},\qquad
        S_\mathrm{diff} = \sqrt{2\,\mathrm{SEM}^2} = s_1\sqrt{2}\sqrt{1 - r_{xx}},\qquad
        \mathrm{RCI}_i = \frac{x_{2i} - x_{1i}}{S_\mathrm{diff}}

    with :math:`s_1` the pre-wave standard deviation and :math:`r_{xx}` the
    reliability.  A person has *improved* when :math:`\mathrm{RCI} > z`,
    *deteriorated* when :math:`\mathrm{RCI} < -z` and is *unchanged* otherwise
    (:math:`z` = ``threshold``; equality counts as unchanged).  Under no true
    change and normal measurement error each of the first two happens with
    probability :math:`(1 - \text{confidence})/2`, so a control group shows
    about 2.5 % "improved" at 0.95 by chance alone; more than that in a control
    group suggests the instrument or its administration drifted between waves.

    Conventions: the SD is the pre wave's, with divisor n - 1, over every
    person with a pre score (also those without a post score), unless ``sd``
    is given (e.g. a norm-group SD).  Internal consistency (alpha) as
    :math:`r_{xx}` treats item sampling as the only error; a test-retest
    coefficient would also count day-to-day fluctuation.  No practice-effect
    correction is applied (Chelune et al. 1993 would subtract the control
    group's mean change).  Shares use the ``n`` people with both scores.

    References
    ----------
    Jacobson, N. S., & Truax, P. (1991). Clinical significance: A statistical
    approach to defining meaningful change in psychotherapy research. *Journal
    of Consulting and Clinical Psychology*, 59(1), 12-19.
    Christensen, L., & Mendoza, J. L. (1986). A method of assessing change in a
    single subject: An alteration of the RC index. *Behavior Therapy*, 17,
    305-308.
    Maassen, G. H. (2004). The standard error in the Jacobson and Truax Reliable
    Change Index. *Journal of the International Neuropsychological Society*,
    10, 888-893.

    Examples
    --------
    >>> import pandas as pd
    >>> from ccstudy import stats
    >>> pre = pd.Series([3.0, 3.4, 2.8, 3.9, 3.1], index=["a1", "a2", "a3", "a4", "a5"])
    >>> post = pd.Series([3.9, 3.5, 2.7, 4.0, 2.5], index=pre.index)
    >>> rc = stats.reliable_change(pre, post, 0.85)
    >>> rc.agents["status"].tolist()
    ['improved', 'unchanged', 'unchanged', 'unchanged', 'deteriorated']

    In R: ``sdiff <- sd(pre) * sqrt(2) * sqrt(1 - 0.85); rci <- (post - pre) / sdiff;
    cut(rci, c(-Inf, -qnorm(0.975), qnorm(0.975), Inf))``.
    """
    func = "reliable_change()"
    pre_s = _as_series(pre, "pre")
    post_s = _as_series(post, "post")
    if pre_s.index.has_duplicates:
        dup = pre_s.index[pre_s.index.duplicated()].unique().tolist()[:5]
        raise ValueError(f"{func}: argument 'pre' has duplicated index labels {dup!r}; one score per person")
    if isinstance(pre, pd.Series | pd.DataFrame) and isinstance(post, pd.Series | pd.DataFrame):
        if post_s.index.has_duplicates:
            dup = post_s.index[post_s.index.duplicated()].unique().tolist()[:5]
            raise ValueError(f"{func}: argument 'post' has duplicated index labels {dup!r}; one score per person")
        post_s = post_s.reindex(pre_s.index)
    else:
        if len(pre_s) != len(post_s):
            raise ValueError(
                f"{func}: 'pre' has {len(pre_s)} scores and 'post' has {len(post_s)}; pass scores of the same "
                "people in the same order, or two Series indexed by person"
            )
        post_s = pd.Series(post_s.to_numpy(), index=pre_s.index)
    rel = _check_unit(reliability, "reliability", "0.85")
    conf = _check_unit(confidence, "confidence", "0.95")
    if sd is None:
        x1 = pre_s.dropna().to_numpy()
        if len(x1) < 2:
            raise ValueError(
                f"{func}: {len(x1)} non-missing pre score(s); the pre-wave SD needs at least 2 - pass sd=..."
            )
        sd_v = float(np.std(x1, ddof=1))
        source = "pre"
        if not sd_v > 0:
            raise ValueError(f"{func}: the pre scores are constant (SD 0); pass a reference sd=...")
    else:
        if isinstance(sd, bool) or not isinstance(sd, (int, float, np.integer, np.floating)):
            raise TypeError(f"{func}: argument 'sd' must be a positive number or None, got {sd!r}")
        sd_v = float(sd)
        if not (math.isfinite(sd_v) and sd_v > 0):
            raise ValueError(f"{func}: argument 'sd' must be a positive finite number, got {sd!r}")
        source = "given"
    sem = sd_v * math.sqrt(1.0 - rel)
    se_diff = math.sqrt(2.0) * sem
    threshold = float(-special.ndtri((1.0 - conf) / 2.0))
    change = post_s - pre_s
    rci = change / se_diff
    ok = rci.notna()
    status = pd.Series(pd.NA, index=pre_s.index, dtype="string")
    status[ok] = UNCHANGED
    status[ok & (rci > threshold)] = IMPROVED
    status[ok & (rci < -threshold)] = DETERIORATED
    n = int(ok.sum())
    counts = {s: int((status == s).sum()) for s in (IMPROVED, DETERIORATED, UNCHANGED)}

    def share(c: int) -> float:
        return c / n if n else float("nan")

    agents = pd.DataFrame(
        {"pre": pre_s, "post": post_s, "change": change, "rci": rci, "status": status},
        index=pre_s.index,
    )
    return ReliableChange(
        n=n,
        n_dropped=len(pre_s) - n,
        reliability=rel,
        sd=sd_v,
        sd_source=source,
        sem=sem,
        se_diff=se_diff,
        threshold=threshold,
        min_change=threshold * se_diff,
        share_improved=share(counts[IMPROVED]),
        share_deteriorated=share(counts[DETERIORATED]),
        share_unchanged=share(counts[UNCHANGED]),
        n_improved=counts[IMPROVED],
        n_deteriorated=counts[DETERIORATED],
        n_unchanged=counts[UNCHANGED],
        agents=agents,
        confidence=conf,
        method="Jacobson-Truax RCI: (post - pre) / (sd * sqrt(2) * sqrt(1 - reliability))",
    )
