"""Polychoric correlations of ordinal (Likert) items, as R ``psych::polychoric``.

A Likert answer is treated as a coarse reading of a latent normal variable:
category ``c`` is observed when the latent value lies between two thresholds.
The polychoric correlation is the correlation of the two latent variables,
estimated by the two-step maximum-likelihood method (Olsson 1979): thresholds
from each item's marginal proportions, then the correlation maximising the
likelihood of the item pair's contingency table.  Ordinal alpha and omega
(Zumbo, Gadermann & Zeisser 2007) are alpha and omega computed from this
matrix (see :func:`ccstudy.stats.reliability`).
"""

from __future__ import annotations

import hashlib
import math
from dataclasses import dataclass

import numpy as np
import pandas as pd
from numpy.polynomial.legendre import leggauss
from scipy import optimize, special

from ccstudy.stats._results import Result

__all__ = ["PolychoricResult", "bivariate_normal_cdf", "polychoric"]

#: Most categories accepted per item (psych's ``max.cat`` is 8).
MAX_CATEGORIES = 10

_GL = {n: leggauss(n) for n in (6, 12, 20)}
_TWOPI = 2.0 * math.pi


def _phi(x: np.ndarray | float) -> np.ndarray:
    return special.ndtr(x)


def _bvnu(h: np.ndarray, k: np.ndarray, r: float) -> np.ndarray:
    """``P(X > h, Y > k)`` for a standard bivariate normal with correlation r (finite h, k).

    Genz's BVNU algorithm (Drezner & Wesolowsky 1990 with Genz's 2004
    refinements; the algorithm of R ``mnormt``/``pbivnorm`` and SciPy's
    ``mvndst``), accurate to about 1e-15.
    """
    ar = abs(r)
    x, w = _GL[6 if ar < 0.3 else 12 if ar < 0.75 else 20]
    hk = h * k
    if ar < 0.925:
        hs = (h * h + k * k) / 2.0
        asr = math.asin(r)
        sn = np.sin(asr * (x + 1.0) / 2.0)  # all nodes: both halves of Genz's symmetric loop
        terms = np.exp((np.multiply.outer(hk, sn) - hs[..., None]) / (1.0 - sn * sn))
        return (terms @ w) * asr / (2.0 * _TWOPI) + _phi(-h) * _phi(-k)
    if r < 0:
        k = -k
        hk = -hk
    bvn = np.zeros_like(h)
    if ar < 1.0:
        as_ = (1.0 - r) * (1.0 + r)
        a = math.sqrt(as_)
        bs = (h - k) ** 2
        c = (4.0 - hk) / 8.0
        d = (12.0 - hk) / 16.0
        bvn = a * np.exp(-(bs / as_ + hk) / 2.0) * (1.0 - c * (bs - as_) * (1.0 - d * bs / 5.0) / 3.0
                                                    + c * d * as_ * as_ / 5.0)
        b = np.sqrt(bs)
        with np.errstate(over="ignore", invalid="ignore"):
            corr = np.exp(-hk / 2.0) * math.sqrt(_TWOPI) * _phi(-b / a) * b * (1.0 - c * bs * (1.0 - d * bs / 5.0) / 3.0)
        bvn = bvn - np.where(hk > -160.0, corr, 0.0)
        a2 = a / 2.0
        xs = (a2 * (x + 1.0)) ** 2  # nodes
        rs = np.sqrt(1.0 - xs)
        asr = -(bs[..., None] / xs + hk[..., None]) / 2.0
        with np.errstate(over="ignore", invalid="ignore", under="ignore"):
            inner = np.exp(asr) * (np.exp(-hk[..., None] * xs / (2.0 * (1.0 + rs) ** 2)) / rs
                                   - (1.0 + c[..., None] * xs * (1.0 + d[..., None] * xs)))
        inner = np.where(asr > -100.0, inner, 0.0)
        bvn = bvn + a2 * (inner @ w)
        bvn = -bvn / _TWOPI
    if r > 0:
        return bvn + _phi(-np.maximum(h, k))
    bvn = -bvn
    add = np.where(h < 0, _phi(k) - _phi(h), _phi(-h) - _phi(-k))
    return bvn + np.where(k > h, add, 0.0)


def bivariate_normal_cdf(a: np.ndarray, b: np.ndarray, r: float) -> np.ndarray:
    """``P(X <= a, Y <= b)`` of a standard bivariate normal with correlation ``r`` (infinite limits allowed)."""
    a = np.asarray(a, dtype=float)
    b = np.asarray(b, dtype=float)
    a, b = np.broadcast_arrays(a, b)
    out = np.empty(a.shape)
    lo = np.isneginf(a) | np.isneginf(b)
    out[lo] = 0.0
    a_inf = np.isposinf(a) & ~lo
    b_inf = np.isposinf(b) & ~lo
    out[a_inf] = _phi(b[a_inf])
    out[b_inf & ~a_inf] = _phi(a[b_inf & ~a_inf])
    fin = ~(lo | a_inf | b_inf)
    if fin.any():
        out[fin] = _bvnu(-a[fin], -b[fin], float(r))
    return out


def _cell_probabilities(rho: float, tx: np.ndarray, ty: np.ndarray) -> np.ndarray:
    """Probabilities of the (len(tx)+1) x (len(ty)+1) cells given thresholds."""
    cx = np.concatenate(([-np.inf], tx, [np.inf]))
    cy = np.concatenate(([-np.inf], ty, [np.inf]))
    A, B = np.meshgrid(cx, cy, indexing="ij")
    F = bivariate_normal_cdf(A, B, rho)
    P = F[1:, 1:] - F[:-1, 1:] - F[1:, :-1] + F[:-1, :-1]
    return np.maximum(P, 1e-300)


def _pair_rho(tab: np.ndarray, tx: np.ndarray, ty: np.ndarray) -> float:
    """Maximum-likelihood correlation of one contingency table, thresholds fixed.

    The cumulative probabilities at infinite thresholds do not depend on rho, so
    they are set once; each likelihood evaluation computes only the finite grid
    points (the same values :func:`_cell_probabilities` computes).
    """
    cx = np.concatenate(([-np.inf], tx, [np.inf]))
    cy = np.concatenate(([-np.inf], ty, [np.inf]))
    A, B = np.meshgrid(cx, cy, indexing="ij")
    F0 = np.zeros(A.shape)
    lo = np.isneginf(A) | np.isneginf(B)
    a_inf = np.isposinf(A) & ~lo
    b_inf = np.isposinf(B) & ~lo
    F0[a_inf] = _phi(B[a_inf])
    F0[b_inf & ~a_inf] = _phi(A[b_inf & ~a_inf])
    fin = ~(lo | a_inf | b_inf)
    h, k = -A[fin], -B[fin]

    def negll(rho: float) -> float:
        F = F0.copy()
        F[fin] = _bvnu(h, k, float(rho))
        P = F[1:, 1:] - F[:-1, 1:] - F[1:, :-1] + F[:-1, :-1]
        return -float(np.sum(tab * np.log(np.maximum(P, 1e-300))))

    res = optimize.minimize_scalar(negll, bounds=(-0.99999, 0.99999), method="bounded",
                                   options={"xatol": 1e-10, "maxiter": 500})
    return float(res.x)


def _smooth(R: np.ndarray, eig_tol: float = 1e-12) -> tuple[np.ndarray, bool]:
    """psych::cor.smooth: lift eigenvalues below machine epsilon, rescale, back to a correlation matrix."""
    vals, vecs = np.linalg.eigh(R)
    if not np.any(vals < np.finfo(float).eps):
        return R, False
    vals = np.where(vals < eig_tol, 100.0 * eig_tol, vals)
    vals = vals * len(vals) / vals.sum()
    S = (vecs * vals) @ vecs.T
    d = np.sqrt(np.diag(S))
    S = S / np.outer(d, d)
    np.fill_diagonal(S, 1.0)
    return S, True


@dataclass(frozen=True, kw_only=True)
class PolychoricResult(Result):
    """Polychoric correlation matrix (see :func:`polychoric`).

    Attributes
    ----------
    rho : pandas.DataFrame
        k x k polychoric correlations, indexed by item on both axes.
    thresholds : pandas.DataFrame
        Indexed by item, one column per threshold (``t1`` ...), NaN beyond an
        item's number of categories minus one.
    n : pandas.DataFrame
        Respondents contributing to each pair.
    corrected_pairs : int
        Item pairs whose table had an empty cell filled with ``correct``
        (only without global thresholds, as psych).
    correct : float
        Count put into empty cells.
    smoothed : bool
        Whether the matrix was not positive definite and was smoothed.
    global_thresholds : bool
        psych's ``global``: True when every item has the same highest value
        (each item's own thresholds, no correction); False otherwise (each
        pair's thresholds from its own table, empty cells corrected).
    method : str
        Description.
    """

    rho: pd.DataFrame
    thresholds: pd.DataFrame
    n: pd.DataFrame
    corrected_pairs: int
    correct: float
    smoothed: bool
    global_thresholds: bool
    method: str


def _codes(X: np.ndarray, names: list, func: str) -> tuple[list[np.ndarray], list[np.ndarray], bool]:
    """Per item: category codes (0..c-1 over the item's used values, -1 missing), the
    thresholds from the item's marginal proportions, and psych's ``global`` flag
    (True when every item's highest value is the same)."""
    codes, taus, maxima = [], [], []
    for j, name in enumerate(names):
        col = X[:, j]
        obs = col[~np.isnan(col)]
        if len(obs) and not np.all(obs == np.round(obs)):
            bad = obs[obs != np.round(obs)][:3].tolist()
            raise ValueError(f"{func}: item {name!r} has non-integer values {bad!r}; polychoric correlations "
                             "need ordered categories (whole numbers)")
        cats = np.unique(obs)
        if len(cats) < 2:
            raise ValueError(f"{func}: item {name!r} uses {len(cats)} category; a polychoric correlation "
                             "needs at least 2 observed categories")
        if cats[-1] - cats[0] + 1 > MAX_CATEGORIES:
            raise ValueError(f"{func}: item {name!r} spans {int(cats[-1] - cats[0] + 1)} categories (more than "
                             f"{MAX_CATEGORIES}); polychoric correlations are for ordinal items - use "
                             "correlation='pearson'")
        code = np.full(len(col), -1, dtype=np.int64)
        ok = ~np.isnan(col)
        code[ok] = np.searchsorted(cats, col[ok])
        freq = np.bincount(code[ok], minlength=len(cats)) / ok.sum()
        codes.append(code)
        taus.append(special.ndtri(np.cumsum(freq)[:-1]))
        maxima.append(float(cats[-1]))
    return codes, taus, len(set(maxima)) == 1


#: Pair estimates already made, keyed by a digest of everything the estimate depends on (both items'
#: category codes and thresholds, the mode, the correction).  A study's reliability asks for the same
#: pair many times (in the competency, its dimension and the total scale, ordinal and Pearson
#: headlines); the estimate is a pure function of its inputs, so a repeat returns the same value.
_PAIR_MEMO: dict[bytes, tuple[float, int, bool]] = {}
_PAIR_MEMO_MAX = 50_000


def _pair(codes_i: np.ndarray, codes_j: np.ndarray, tau_i: np.ndarray, tau_j: np.ndarray, *,
          global_: bool, correct: float) -> tuple[float, int, bool]:
    """(rho, respondents in common, whether a zero cell was corrected) of one item pair (memoised)."""
    h = hashlib.blake2b(digest_size=20)
    for part in (codes_i, codes_j, tau_i, tau_j):
        a = np.ascontiguousarray(part)
        h.update(str((a.dtype.str, a.shape)).encode())
        h.update(a.tobytes())
    h.update(repr((bool(global_), float(correct))).encode())
    key = h.digest()
    hit = _PAIR_MEMO.get(key)
    if hit is None:
        hit = _pair_estimate(codes_i, codes_j, tau_i, tau_j, global_=global_, correct=correct)
        if len(_PAIR_MEMO) >= _PAIR_MEMO_MAX:
            _PAIR_MEMO.clear()
        _PAIR_MEMO[key] = hit
    return hit


def _pair_estimate(codes_i: np.ndarray, codes_j: np.ndarray, tau_i: np.ndarray, tau_j: np.ndarray, *,
                   global_: bool, correct: float) -> tuple[float, int, bool]:
    ok = (codes_i >= 0) & (codes_j >= 0)
    n = int(ok.sum())
    ci, cj = len(tau_i) + 1, len(tau_j) + 1
    tab = np.bincount(codes_i[ok] * cj + codes_j[ok], minlength=ci * cj).reshape(ci, cj).astype(float)
    if global_:  # psych global = TRUE: item thresholds, no correction
        return _pair_rho(tab, tau_i, tau_j), n, False
    # psych global = FALSE: drop empty rows/columns, correct empty cells, thresholds from the pair's margins
    tab = tab[tab.sum(axis=1) > 0][:, tab.sum(axis=0) > 0]
    fixed = False
    if correct > 0 and np.any(tab == 0):
        tab[tab == 0] = correct
        fixed = True
    if min(tab.shape) < 2:
        return float("nan"), n, fixed
    edge = np.nextafter(1.0, 0.0)
    tx = special.ndtri(np.clip(np.cumsum(tab.sum(axis=1))[:-1] / n, 0.0, edge))
    ty = special.ndtri(np.clip(np.cumsum(tab.sum(axis=0))[:-1] / n, 0.0, edge))
    return _pair_rho(tab, tx, ty), n, fixed


class _PolyPairs:
    """Polychoric correlations of item pairs computed on demand and cached, per psych mode.

    psych's mode depends on the item set (``global`` only if all its items
    share the highest value), so sub-scales of one item pool may need
    different modes; each (pair, mode) is estimated once.
    """

    def __init__(self, X: np.ndarray, names: list, *, correct: float, func: str) -> None:
        self.names = names
        self.codes, self.taus, _ = _codes(X, names, func)
        hi = []
        for j in range(X.shape[1]):
            hi.append(float(np.nanmax(X[:, j])))
        self.maxima = np.array(hi)
        self.correct = correct
        self.func = func
        self.cache: dict[tuple[int, int, bool], tuple[float, int, bool]] = {}

    def matrix(self, idx: np.ndarray | list[int]) -> tuple[np.ndarray, np.ndarray, int, bool]:
        """Unsmoothed matrix of items ``idx``, pairwise n, corrected pairs, psych's global flag."""
        idx = list(idx)
        global_ = len(set(self.maxima[idx].tolist())) == 1
        k = len(idx)
        R = np.eye(k)
        npair = np.zeros((k, k), dtype=np.int64)
        n_fixed = 0
        for a in range(k):
            i = idx[a]
            npair[a, a] = int((self.codes[i] >= 0).sum())
            for b in range(a):
                j = idx[b]
                key = (min(i, j), max(i, j), global_)
                if key not in self.cache:
                    self.cache[key] = _pair(self.codes[key[0]], self.codes[key[1]], self.taus[key[0]],
                                            self.taus[key[1]], global_=global_, correct=self.correct)
                rho, n, fixed = self.cache[key]
                if n < 2 or not math.isfinite(rho):
                    raise ValueError(f"{self.func}: items {self.names[i]!r} and {self.names[j]!r} have {n} "
                                     "respondent(s) in common (or one category between them); their polychoric "
                                     "correlation is undefined")
                R[a, b] = R[b, a] = rho
                npair[a, b] = npair[b, a] = n
                n_fixed += int(fixed)
        return R, npair, n_fixed, global_


def _polychoric_matrix(
    X: np.ndarray, names: list, *, correct: float = 0.5, smooth: bool = True, func: str = "polychoric()"
) -> tuple[np.ndarray, list[np.ndarray], np.ndarray, int, bool, bool]:
    pairs = _PolyPairs(X, names, correct=correct, func=func)
    R, npair, n_fixed, global_ = pairs.matrix(range(len(names)))
    smoothed = False
    if smooth:
        R, smoothed = _smooth(R)
    return R, pairs.taus, npair, n_fixed, smoothed, global_


def polychoric(items: pd.DataFrame, *, correct: float = 0.5, smooth: bool = True) -> PolychoricResult:
    r"""Polychoric correlation matrix of ordinal items (two-step maximum likelihood).

    Parameters
    ----------
    items : pandas.DataFrame
        Rows respondents, columns items coded as whole numbers (e.g. 1..5);
        NaN = missing (pairwise deletion).
    correct : float, default 0.5
        Count put into every empty cell of a pair's contingency table (psych's
        ``correct``); used only without global thresholds (see Notes), as
        psych; 0 for none.
    smooth : bool, default True
        Smooth a matrix that is not positive definite (``psych::cor.smooth``).

    Returns
    -------
    PolychoricResult
        ``rho`` (k x k), ``thresholds``, pairwise ``n``, the number of
        corrected pairs, whether smoothing was needed.

    Raises
    ------
    TypeError
        ``items`` not a DataFrame or with non-numeric columns.
    ValueError
        Fewer than 2 items; non-integer values; an item with fewer than 2 or
        more than 10 observed categories; a pair without 2 common respondents;
        a negative ``correct``.

    Notes
    -----
    Two-step ML (Olsson 1979), the procedure of ``psych::polychoric(x)``
    (psych 2.2.9 defaults: ``global = TRUE, correct = 0.5, smooth = TRUE``),
    including its two modes:

    * **global thresholds** (every item has the same highest value, the usual
      Likert case): thresholds of item :math:`j` are
      :math:`\tau_{jc} = \Phi^{-1}(\text{proportion of answers} \le c)` over
      every answer to the item; for each pair, with :math:`n_{ab}` the counts
      of its table (rows answering both) and :math:`\pi_{ab}(\rho)` the
      bivariate-normal probability of the cell,
      :math:`\hat\rho = \arg\max_\rho \sum_{ab} n_{ab}\log\pi_{ab}(\rho)`.
      No continuity correction is applied in this mode (psych ignores
      ``correct`` here).
    * **pairwise thresholds** (items differ in their highest value; psych then
      warns and sets ``global = FALSE``): each pair's table loses its empty
      rows and columns, empty cells are set to ``correct`` (0.5 of a count),
      and both items' thresholds come from that table's margins divided by
      the pair's n (psych's convention, margins including the added counts).

    The bivariate normal probabilities use Genz's algorithm (accurate to
    about 1e-15) and :math:`\rho` is located to 1e-10; psych uses
    ``mnormt::sadmvn`` (about 1e-6) and R's ``optimize`` with its default
    tolerance, so single values may differ from psych's in the fifth decimal.
    A category no respondent used for an item adds nothing to the likelihood
    (a zero-probability row, which psych drops as NA), so it is merged away.
    A matrix that is not positive definite is smoothed as ``psych::cor.smooth``
    (eigenvalues below machine epsilon set to 1e-10, rescaled, back to a
    correlation matrix).  Differences: a constant item is an error (psych
    drops it with a message); up to 10 categories are accepted (psych stops
    above ``max.cat = 8``).

    References
    ----------
    Olsson, U. (1979). Maximum likelihood estimation of the polychoric
    correlation coefficient. *Psychometrika*, 44, 443-460.
    Genz, A. (2004). Numerical computation of rectangular bivariate and
    trivariate normal and t probabilities. *Statistics and Computing*, 14,
    251-260.
    Revelle, W. (2022). psych (R package version 2.2.9), ``polychoric``.

    Examples
    --------
    >>> pc = polychoric(df[["q1", "q2", "q3"]])  # doctest: +SKIP
    >>> pc.rho  # doctest: +SKIP

    In R: ``psych::polychoric(df[c("q1", "q2", "q3")])$rho``.
    """
    func = "polychoric()"
    if not isinstance(items, pd.DataFrame):
        raise TypeError(f"{func}: items must be a pandas DataFrame, got {type(items).__name__}")
    names = list(items.columns)
    if len(names) < 2:
        raise ValueError(f"{func}: items must have at least 2 columns, got {len(names)}")
    bad = [c for c, dt in zip(names, items.dtypes)
           if pd.api.types.is_bool_dtype(dt) or not pd.api.types.is_numeric_dtype(dt)]
    if bad:
        raise TypeError(f"{func}: non-numeric column(s) {bad!r}; convert them with pandas.to_numeric")
    if isinstance(correct, bool) or not isinstance(correct, (int, float)) or not correct >= 0:
        raise ValueError(f"{func}: correct must be a number >= 0 (psych's default 0.5), got {correct!r}")
    X = items.to_numpy(dtype=float, na_value=np.nan)
    R, taus, npair, n_fixed, smoothed, global_ = _polychoric_matrix(X, names, correct=float(correct),
                                                                    smooth=bool(smooth), func=func)
    idx = pd.Index(names, name="item")
    width = max(len(t) for t in taus)
    th = pd.DataFrame([np.pad(t, (0, width - len(t)), constant_values=np.nan) for t in taus], index=idx,
                      columns=[f"t{i + 1}" for i in range(width)])
    return PolychoricResult(
        rho=pd.DataFrame(R, index=idx, columns=idx),
        thresholds=th,
        n=pd.DataFrame(npair, index=idx, columns=idx),
        corrected_pairs=n_fixed,
        correct=float(correct),
        smoothed=smoothed,
        global_thresholds=global_,
        method="two-step ML (thresholds from marginals, then ML rho per pair), as psych::polychoric",
    )
