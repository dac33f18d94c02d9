"""Longitudinal measurement invariance of a competency model (two waves, one model).

Comparing pre and post means of a questionnaire is only meaningful if it
measures the same construct on the same metric at both waves.  The ladder of
:func:`longitudinal_invariance` fits one confirmatory factor model in which
every factor appears once per wave, the same item's residuals are correlated
across waves, and then constrains the loadings (metric) and the intercepts
(scalar) to equality across waves.  The maximum-likelihood fit is computed
here (numpy/scipy, analytic gradient) and matches R lavaan's ``cfa()`` with
equality labels; see ``docs/statistics.md``.
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Literal

import numpy as np
import pandas as pd
from scipy import optimize
from scipy import stats as sps
from threadpoolctl import threadpool_limits

from ccstudy.stats._checks import column_groups
from ccstudy.stats._results import Result

__all__ = ["InvarianceResult", "InvarianceWarning", "longitudinal_invariance", "LEVELS"]

#: The rungs of the ladder, least to most constrained.
LEVELS = ("configural", "metric", "scalar")


class InvarianceWarning(UserWarning):
    """An invariance model was fitted but the solution deserves a second look."""


@dataclass(frozen=True, kw_only=True)
class InvarianceResult(Result):
    """Result of :func:`longitudinal_invariance`.

    Attributes
    ----------
    fits : pandas.DataFrame
        Indexed by level (``"configural"``, ``"metric"``, ``"scalar"``):
        ``chi2``, ``df``, ``p``, ``cfi``, ``tli``, ``rmsea``, ``srmr``,
        ``delta_cfi`` and ``delta_rmsea`` (change from the previous level,
        NaN for configural), ``chi2_diff``, ``df_diff``, ``p_diff``
        (likelihood-ratio test against the previous level), ``n_parameters``
        and ``converged``.
    holds : str or None
        Highest level supported by the Chen (2007) criteria, checked upwards:
        ``"scalar"``, ``"metric"``, ``"configural"``; None when the
        configural model itself did not converge.
    latent_mean_change : pandas.Series
        Per factor: post minus pre latent mean in the scalar model (in the
        marker item's units; meaningful only when ``holds == "scalar"``).
    loadings : pandas.DataFrame
        Unstandardized loadings of the configural model, one row per item:
        ``factor``, ``pre``, ``post`` (markers are 1 at both waves).
    n, n_rows, n_dropped : int
        People used (complete on every item at both waves), people passed,
        people dropped by listwise deletion.
    factors : dict
        Factor -> items, as passed.
    delta_cfi, delta_rmsea : float
        Thresholds used: a level holds if ``delta_cfi >= `` this (e.g.
        -0.010) and ``delta_rmsea <= `` this (e.g. 0.015).
    estimator : str
        ``"ML"``.
    method : str
        Description.
    warnings : tuple of str
        Every warning raised while fitting.
    """

    fits: pd.DataFrame
    holds: str | None
    latent_mean_change: pd.Series
    loadings: pd.DataFrame
    n: int
    n_rows: int
    n_dropped: int
    factors: dict[str, list]
    delta_cfi: float
    delta_rmsea: float
    estimator: str
    method: str
    warnings: tuple[str, ...]


# ---------------------------------------------------------------------------
# the model: both waves in one LISREL-type CFA with a mean structure
# ---------------------------------------------------------------------------


@dataclass
class _Spec:
    """Free-parameter layout of one rung of the ladder.

    Every free matrix entry maps to a parameter id; entries sharing an id are
    equality-constrained (lavaan labels).  Fixed entries hold ``value``.
    """

    p: int
    m: int
    lam: list[tuple[int, int, int]]  # (row, col, id)
    lam_fixed: list[tuple[int, int, float]]
    phi: list[tuple[int, int, int]]  # lower triangle incl. diagonal
    theta: list[tuple[int, int, int]]  # diagonal and cross-wave pairs
    nu: list[tuple[int, int]]  # (row, id)
    alpha: list[tuple[int, int]]  # (factor, id)
    n_par: int


def _spec(groups: list[list[int]], q: int, level: str) -> _Spec:
    """Layout for ``groups`` (item positions per factor within one wave) of ``q`` items."""
    F = len(groups)
    p, m = 2 * q, 2 * F
    nid = 0

    def new() -> int:
        nonlocal nid
        nid += 1
        return nid - 1

    lam: list[tuple[int, int, int]] = []
    lam_fixed: list[tuple[int, int, float]] = []
    for f, items in enumerate(groups):
        for j_pos, j in enumerate(items):
            if j_pos == 0:  # marker variable: loading fixed to 1 at both waves
                lam_fixed += [(j, f, 1.0), (q + j, F + f, 1.0)]
                continue
            a = new()
            b = a if level in ("metric", "scalar") else new()
            lam += [(j, f, a), (q + j, F + f, b)]
    phi = [(r, c, new()) for r in range(m) for c in range(r + 1)]
    theta = [(j, j, new()) for j in range(p)] + [(q + j, j, new()) for j in range(q)]
    nu: list[tuple[int, int]] = []
    for j in range(q):
        a = new()
        b = a if level == "scalar" else new()
        nu += [(j, a), (q + j, b)]
    alpha = [(F + f, new()) for f in range(F)] if level == "scalar" else []
    return _Spec(p, m, lam, lam_fixed, phi, theta, nu, alpha, nid)


def _index(entries: list, ncol: int) -> tuple[np.ndarray, np.ndarray]:
    """Flat positions and parameter ids of matrix entries."""
    if not entries:
        return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.int64)
    a = np.asarray(entries, dtype=np.int64)
    return a[:, 0] * ncol + a[:, 1], a[:, 2]


class _Model:
    """ML discrepancy of a :class:`_Spec` on sample moments, with its gradient."""

    def __init__(self, spec: _Spec, S: np.ndarray, ybar: np.ndarray) -> None:
        self.spec = spec
        self.S = S
        self.ybar = ybar
        p, m = spec.p, spec.m
        self.p, self.m = p, m
        self.lam_pos, self.lam_id = _index(spec.lam, m)
        self.lam0 = np.zeros((p, m))
        for r, c, v in spec.lam_fixed:
            self.lam0[r, c] = v
        self.phi_pos, self.phi_id = _index(spec.phi, m)
        self.phi_pos_t = np.array([c * m + r for r, c, _ in spec.phi], dtype=np.int64)
        self.phi_off = np.array([r != c for r, c, _ in spec.phi])
        self.th_pos, self.th_id = _index(spec.theta, p)
        self.th_pos_t = np.array([c * p + r for r, c, _ in spec.theta], dtype=np.int64)
        self.th_off = np.array([r != c for r, c, _ in spec.theta])
        nu = np.asarray(spec.nu, dtype=np.int64)
        self.nu_row, self.nu_id = nu[:, 0], nu[:, 1]
        al = np.asarray(spec.alpha, dtype=np.int64).reshape(-1, 2)
        self.al_row, self.al_id = al[:, 0], al[:, 1]
        sign, logdet = np.linalg.slogdet(S)
        if sign <= 0:
            raise ValueError("the sample covariance matrix of the items is not positive definite")
        self.logdet_s = float(logdet)

    def matrices(self, x: np.ndarray) -> tuple[np.ndarray, ...]:
        p, m = self.p, self.m
        L = self.lam0.copy()
        L.flat[self.lam_pos] = x[self.lam_id]
        Phi = np.zeros((m, m))
        Phi.flat[self.phi_pos] = x[self.phi_id]
        Phi.flat[self.phi_pos_t] = x[self.phi_id]
        Th = np.zeros((p, p))
        Th.flat[self.th_pos] = x[self.th_id]
        Th.flat[self.th_pos_t] = x[self.th_id]
        nu = np.zeros(p)
        nu[self.nu_row] = x[self.nu_id]
        al = np.zeros(m)
        al[self.al_row] = x[self.al_id]
        return L, Phi, Th, nu, al

    def implied(self, x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        L, Phi, Th, nu, al = self.matrices(x)
        return L @ Phi @ L.T + Th, nu + L @ al

    def fun_grad(self, x: np.ndarray) -> tuple[float, np.ndarray]:
        """``F = log|Sigma| + tr(S Sigma^-1) - log|S| - p + (ybar - mu)' Sigma^-1 (ybar - mu)``."""
        L, Phi, Th, nu, al = self.matrices(x)
        Sigma = L @ Phi @ L.T + Th
        # numpy's LAPACK only: alternating with SciPy's separately threaded BLAS makes small calls
        # wait for the other library's busy threads (see ccstudy.stats.reliability._gram)
        try:
            C = np.linalg.cholesky(Sigma)
        except np.linalg.LinAlgError:
            return 1e10, np.zeros_like(x)
        logdet = 2.0 * float(np.sum(np.log(np.diag(C))))
        Ci = np.linalg.inv(C)
        Si = Ci.T @ Ci
        d = self.ybar - (nu + L @ al)
        Sid = Si @ d
        f = logdet + float(np.sum(Si * self.S)) - self.logdet_s - self.p + float(d @ Sid)
        if not math.isfinite(f):
            return 1e10, np.zeros_like(x)
        # dF/dSigma (as a symmetric matrix) and dF/dmu
        G = Si - Si @ (self.S + np.outer(d, d)) @ Si
        gmu = -2.0 * Sid
        g = np.zeros_like(x)
        GL = G @ L
        dL = 2.0 * GL @ Phi + np.outer(gmu, al)
        np.add.at(g, self.lam_id, dL.flat[self.lam_pos])
        dPhi = L.T @ GL
        np.add.at(g, self.phi_id, dPhi.flat[self.phi_pos] * np.where(self.phi_off, 2.0, 1.0))
        np.add.at(g, self.th_id, G.flat[self.th_pos] * np.where(self.th_off, 2.0, 1.0))
        np.add.at(g, self.nu_id, gmu[self.nu_row])
        if len(self.al_id):
            np.add.at(g, self.al_id, (L.T @ gmu)[self.al_row])
        return f, g

    def information(self, x: np.ndarray) -> np.ndarray | None:
        """Expected Hessian of F: ``tr(Sigma^-1 S_k Sigma^-1 S_l) + 2 mu_k' Sigma^-1 mu_l``.

        ``S_k`` and ``mu_k`` are the derivatives of the implied moments with
        respect to free parameter ``k`` (summed over entries sharing it).  Every
        matrix entry contributes a symmetric rank-2 term ``a b' + b a'`` to
        ``S_k`` (a loading: ``e_r (Phi L')_c'``; a factor covariance: ``L_a L_b'``;
        a residual covariance: ``e_r e_c'``; halved on diagonals), so with the
        whitened vectors ``a~ = C^-1 a`` the traces are
        ``2[(a~_1.a~_2)(b~_1.b~_2) + (a~_1.b~_2)(b~_1.a~_2)]``: small Gram matrices
        instead of p x p products per parameter.
        """
        L, Phi, Th, nu, al = self.matrices(x)
        p, m, n = self.p, self.m, self.spec.n_par
        Sigma = L @ Phi @ L.T + Th
        try:
            C = np.linalg.cholesky(Sigma)
        except np.linalg.LinAlgError:
            return None
        Ci = np.linalg.inv(C)
        PLw = (Ci @ (Phi @ L.T).T).T  # whitened rows of Phi L', m x p
        Lw = Ci @ L  # whitened columns of L, p x m
        owners: list[np.ndarray] = []
        A_parts: list[np.ndarray] = []
        B_parts: list[np.ndarray] = []
        r, c = self.lam_pos // m, self.lam_pos % m
        owners.append(self.lam_id)
        A_parts.append(Ci[:, r].T)
        B_parts.append(PLw[c])
        a, b = self.phi_pos // m, self.phi_pos % m
        owners.append(self.phi_id)
        A_parts.append(Lw[:, a].T)
        B_parts.append(Lw[:, b].T * np.where(self.phi_off, 1.0, 0.5)[:, None])
        r, c = self.th_pos // p, self.th_pos % p
        owners.append(self.th_id)
        A_parts.append(Ci[:, r].T)
        B_parts.append(Ci[:, c].T * np.where(self.th_off, 1.0, 0.5)[:, None])
        own = np.concatenate(owners)
        A = np.vstack(A_parts)
        B = np.vstack(B_parts)
        Q = 2.0 * ((A @ A.T) * (B @ B.T) + (A @ B.T) * (B @ A.T))
        H = np.zeros((n, n))
        np.add.at(H, (own[:, None], own[None, :]), Q)
        dmu = np.zeros((n, p))
        lr, lc = self.lam_pos // m, self.lam_pos % m
        np.add.at(dmu, (self.lam_id, lr), al[lc])
        np.add.at(dmu, (self.nu_id, self.nu_row), 1.0)
        for a_i, i in zip(self.al_row, self.al_id):
            dmu[i] += L[:, a_i]
        V = dmu @ Ci.T
        return H + 2.0 * (V @ V.T)

    def start(self) -> np.ndarray:
        """Start values: loadings from covariances with the marker, half the variances as residuals."""
        spec, S = self.spec, self.S
        x = np.zeros(spec.n_par)
        markers = {c: r for r, c, _ in spec.lam_fixed}
        phi0 = {c: 0.5 * S[r, r] for c, r in markers.items()}
        for r, c, i in spec.lam:
            x[i] = S[r, markers[c]] / phi0[c] if phi0[c] > 0 else 1.0
        for r, c, i in spec.phi:
            if r == c:
                x[i] = phi0[r]
        for r, c, i in spec.theta:
            if r == c:
                x[i] = 0.5 * S[r, r]
        for r, i in spec.nu:
            x[i] = self.ybar[r]
        return x


def _scoring(model: _Model, x: np.ndarray, tol: float = 1e-7, max_iter: int = 300) -> tuple[np.ndarray, float, bool]:
    """Fisher scoring (Gauss-Newton for ML) with step halving: quadratic-rate start, any model size."""
    f, g = model.fun_grad(x)
    for _ in range(max_iter):
        if float(np.max(np.abs(g))) < tol:
            return x, f, True
        H = model.information(x)
        if H is None:
            break
        try:
            step = np.linalg.solve(H + 1e-12 * np.eye(len(x)) * np.trace(H) / len(x), g)
        except np.linalg.LinAlgError:
            break
        t = 1.0
        for _ in range(40):
            xn = x - t * step
            fn, gn = model.fun_grad(xn)
            if fn <= f:
                break
            t /= 2.0
        else:
            break
        if f - fn < 1e-15 * max(1.0, abs(f)) and float(np.max(np.abs(gn))) >= float(np.max(np.abs(g))):
            x, f, g = xn, fn, gn
            break
        x, f, g = xn, fn, gn
    return x, f, float(np.max(np.abs(g))) < tol


def _minimise(model: _Model, x0: np.ndarray) -> tuple[np.ndarray, float, bool]:
    """Fisher scoring to a small gradient (L-BFGS if it stalls), then Newton steps on a finite-difference
    Hessian of the analytic gradient to a gradient of 1e-10."""
    x, f, ok = _scoring(model, x0)
    if not ok:
        res = optimize.minimize(
            model.fun_grad,
            x,
            jac=True,
            method="L-BFGS-B",
            options={"maxiter": 20000, "maxfun": 40000, "ftol": 1e-15, "gtol": 1e-10, "maxcor": 30},
        )
        x, f = res.x, float(res.fun)
    g = model.fun_grad(x)[1]
    n = len(x)
    for _ in range(8):
        if float(np.max(np.abs(g))) < 1e-10:
            break
        h = 1e-6 * np.maximum(np.abs(x), 1.0)
        H = np.empty((n, n))
        for i in range(n):
            e = np.zeros(n)
            e[i] = h[i]
            H[:, i] = (model.fun_grad(x + e)[1] - model.fun_grad(x - e)[1]) / (2.0 * h[i])
        H = (H + H.T) / 2.0
        try:
            step = np.linalg.solve(H, g)
        except np.linalg.LinAlgError:
            break
        t = 1.0
        improved = False
        for _ in range(30):
            xn = x - t * step
            fn, gn = model.fun_grad(xn)
            if fn <= f + 1e-14 * abs(f):
                x, f, g = xn, fn, gn
                improved = True
                break
            t /= 2.0
        if not improved:
            break
    converged = float(np.max(np.abs(g))) < 1e-6
    return x, f, converged


def _fit_row(
    model: _Model, x: np.ndarray, f: float, n: int, base: tuple[float, int], converged: bool
) -> dict[str, float]:
    p = model.p
    df = p * (p + 1) // 2 + p - model.spec.n_par
    chi2 = n * f
    chi2_0, df0 = base
    num = max(chi2 - df, 0.0)
    den = max(chi2 - df, chi2_0 - df0, 0.0)
    cfi = 1.0 if den == 0 else 1.0 - num / den
    tli = ((chi2_0 / df0) - (chi2 / df)) / ((chi2_0 / df0) - 1.0) if df > 0 else float("nan")
    rmsea = math.sqrt(max(chi2 - df, 0.0) / (df * n)) if df > 0 else float("nan")
    Sigma, mu = model.implied(x)
    sd = np.sqrt(np.diag(model.S))
    resid = (model.S - Sigma) / np.outer(sd, sd)
    mres = (model.ybar - mu) / sd
    srmr = math.sqrt(
        (float(np.sum(resid[np.tril_indices(p)] ** 2)) + float(np.sum(mres**2))) / (p * (p + 1) / 2 + p)
    )
    return {
        "chi2": chi2,
        "df": df,
        "p": float(sps.chi2.sf(chi2, df)) if df > 0 else float("nan"),
        "cfi": cfi,
        "tli": tli,
        "rmsea": rmsea,
        "srmr": srmr,
        "n_parameters": model.spec.n_par,
        "converged": converged,
    }


Estimator = Literal["ML"]


def _check_threshold(value: object, arg: str, sign: int) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float, np.integer, np.floating)):
        raise TypeError(f"longitudinal_invariance(): argument {arg!r} must be a number, got {value!r}")
    v = float(value)
    if not math.isfinite(v) or (sign < 0 and v > 0) or (sign > 0 and v < 0):
        want = "<= 0 (e.g. -0.010)" if sign < 0 else ">= 0 (e.g. 0.015)"
        raise ValueError(f"longitudinal_invariance(): argument {arg!r} must be a finite number {want}, got {value!r}")
    return v


def longitudinal_invariance(
    pre_items: pd.DataFrame,
    post_items: pd.DataFrame,
    factors: Mapping[str, Sequence[str]],
    *,
    estimator: Estimator = "ML",
    delta_cfi: float = -0.010,
    delta_rmsea: float = 0.015,
) -> InvarianceResult:
    r"""Configural, metric and scalar invariance of a factor model across two waves.

    Parameters
    ----------
    pre_items, post_items : pandas.DataFrame
        Item answers of the same people (index: person id) at the first and
        second wave, with the same item columns.  People are matched on the
        index; rows of ``post_items`` without a ``pre_items`` row are ignored.
    factors : mapping of str to list of str
        Factor (e.g. competency or dimension) -> its item columns; each item
        belongs to one factor, each factor has at least 2 items.  The first
        item of each factor is its marker (loading fixed to 1).
    estimator : {"ML"}, default "ML"
        Maximum likelihood with the normal likelihood (divisor N).
    delta_cfi : float, default -0.010
        A more constrained level is supported when CFI drops by no more than
        this: ``cfi - cfi_previous >= delta_cfi`` (Chen 2007).
    delta_rmsea : float, default 0.015
        ... and RMSEA rises by no more than this:
        ``rmsea - rmsea_previous <= delta_rmsea``.

    Returns
    -------
    InvarianceResult
        ``fits`` (one row per level), ``holds`` (the highest supported
        level), the latent mean change of the scalar model, loadings, ``n``.

    Raises
    ------
    TypeError
        Non-DataFrame or non-numeric input.
    ValueError
        Items missing from a wave, an item in two factors, a factor with fewer
        than 2 items, fewer complete people than free parameters of the
        configural model, a singular item covariance matrix, an unknown
        ``estimator``, thresholds of the wrong sign.

    Warns
    -----
    InvarianceWarning
        A model that did not converge; a negative residual or factor variance
        (Heywood case).  The messages are also in ``warnings``.

    Notes
    -----
    One model holds both waves: with :math:`q` items and :math:`F` factors
    per wave, the :math:`p = 2q` observed variables (pre items, then post
    items) are :math:`y = \nu + \Lambda\eta + \varepsilon` with :math:`2F`
    factors (each factor at each wave), :math:`\operatorname{Cov}(\eta) =
    \Phi` unrestricted (all factors correlate, within and across waves),
    :math:`E(\eta) = \alpha`, and :math:`\Theta` diagonal except for the
    covariance of each item with itself across waves.  So
    :math:`\Sigma = \Lambda\Phi\Lambda' + \Theta`, :math:`\mu = \nu + \Lambda\alpha`.
    Identification: marker variable (first item of each factor loads 1 at
    both waves), latent means 0 except where freed.

    * **configural**: loadings and intercepts free at each wave, :math:`\alpha = 0`;
    * **metric**: each loading equal across waves;
    * **scalar**: loadings and intercepts equal across waves; the post latent
      means are free (the pre means stay 0), so they estimate the change.

    The ML discrepancy with a mean structure,
    :math:`F = \log|\Sigma| + \operatorname{tr}(S\Sigma^{-1}) - \log|S| - p +
    (\bar y - \mu)'\Sigma^{-1}(\bar y - \mu)` with :math:`S` the covariance
    matrix with divisor N, is minimised by L-BFGS with its analytic gradient
    and polished with Newton steps; :math:`\chi^2 = N F_{\min}` on
    :math:`p(p+3)/2 - t` df (:math:`t` free parameters).  CFI and TLI use
    lavaan's baseline (independence model with free means and variances:
    :math:`\chi^2_0 = N(\sum\log s_{ii} - \log|S|)` on :math:`p(p-1)/2` df);
    :math:`\mathrm{RMSEA} = \sqrt{\max(\chi^2 - df, 0)/(df\,N)}`; SRMR is
    lavaan's ``srmr`` with a mean structure (Bentler): residual covariances
    scaled by the sample SDs (lower triangle with diagonal) and residual means
    scaled by the sample SDs, root of their mean square over
    :math:`p(p+1)/2 + p` terms.  ``chi2_diff`` is the likelihood-ratio test of
    a level against the previous one.

    Decision (Chen 2007, N > 300 guidance for loadings and intercepts): each
    level is compared with the one below it; it holds when
    :math:`\Delta\mathrm{CFI} \ge -0.010` and :math:`\Delta\mathrm{RMSEA} \le
    0.015`.  ``holds`` is the highest level reached without a failure below
    it.  The :math:`\chi^2` difference test is reported but not used: with
    hundreds of agents it rejects trivial differences.

    Missing data: listwise -- a person is used only with every item answered
    at both waves (lavaan's default ``missing = "listwise"``).

    References
    ----------
    Chen, F. F. (2007). Sensitivity of goodness of fit indexes to lack of
    measurement invariance. *Structural Equation Modeling*, 14(3), 464-504.
    Meredith, W. (1993). Measurement invariance, factor analysis and factorial
    invariance. *Psychometrika*, 58, 525-543.
    Widaman, K. F., Ferrer, E., & Conger, R. D. (2010). Factorial invariance
    within longitudinal structural equation models. *Child Development
    Perspectives*, 4(1), 10-18.
    Rosseel, Y. (2012). lavaan: An R package for structural equation modeling.
    *Journal of Statistical Software*, 48(2).

    Examples
    --------
    >>> inv = stats.longitudinal_invariance(pre[items], post[items],
    ...                                     {"empathy": ["e1", "e2", "e3"]})  # doctest: +SKIP
    >>> inv.fits[["cfi", "rmsea", "delta_cfi"]], inv.holds  # doctest: +SKIP

    In R (lavaan), for one factor of three items measured twice::

        scalar <- '
          f1 =~ 1*e1_1 + l2*e2_1 + l3*e3_1
          f2 =~ 1*e1_2 + l2*e2_2 + l3*e3_2
          e1_1 ~ i1*1; e1_2 ~ i1*1; e2_1 ~ i2*1; e2_2 ~ i2*1; e3_1 ~ i3*1; e3_2 ~ i3*1
          f2 ~ 1
          e1_1 ~~ e1_2; e2_1 ~~ e2_2; e3_1 ~~ e3_2'
        cfa(scalar, data = wide, meanstructure = TRUE)
    """
    func = "longitudinal_invariance()"
    if estimator != "ML":
        raise ValueError(f"{func}: argument 'estimator' must be 'ML', got {estimator!r}")
    d_cfi = _check_threshold(delta_cfi, "delta_cfi", -1)
    d_rmsea = _check_threshold(delta_rmsea, "delta_rmsea", +1)
    for arg, frame in (("pre_items", pre_items), ("post_items", post_items)):
        if not isinstance(frame, pd.DataFrame):
            raise TypeError(f"{func}: argument {arg!r} must be a pandas DataFrame (rows people, columns items), "
                            f"got {type(frame).__name__}")
        if frame.index.has_duplicates:
            dup = frame.index[frame.index.duplicated()].unique().tolist()[:5]
            raise ValueError(f"{func}: {arg} has duplicated index labels {dup!r}; one row per person")
    spec = column_groups(pre_items, factors, arg="factors", member="factor",
                         need="a factor needs at least 2 items", example="{'empathy': ['e1', 'e2', 'e3']}")
    items: list = []
    for name, cols in spec.items():
        for c in cols:
            if c in items:
                raise ValueError(f"{func}: item {c!r} is listed under more than one factor (again in {name!r}); "
                                 "each item must measure one factor")
            items.append(c)
    absent = [c for c in items if c not in post_items.columns]
    if absent:
        raise ValueError(f"{func}: post_items lacks item column(s) {absent!r} that pre_items has; both waves "
                         "need the same items")
    for arg, frame in (("pre_items", pre_items), ("post_items", post_items)):
        bad = [c for c in items if pd.api.types.is_bool_dtype(frame[c].dtype)
               or not pd.api.types.is_numeric_dtype(frame[c].dtype)]
        if bad:
            raise TypeError(f"{func}: {arg} column(s) {bad!r} are not numeric; convert them with pandas.to_numeric")
    pre = pre_items[items].astype(float)
    post = post_items[items].astype(float).reindex(pre.index)
    wide = np.hstack([pre.to_numpy(), post.to_numpy()])
    complete = ~np.isnan(wide).any(axis=1)
    Y = wide[complete]
    n_rows, n = len(wide), int(complete.sum())
    q = len(items)
    pos = {c: j for j, c in enumerate(items)}
    groups = [[pos[c] for c in cols] for cols in spec.values()]
    n_config = _spec(groups, q, "configural").n_par
    if n <= 2 * q or n < n_config:
        raise ValueError(
            f"{func}: {n} people answered every item at both waves ({n_rows - n} dropped for a missing "
            f"answer); the configural model has {n_config} free parameters for {2 * q} items - "
            "the invariance ladder needs more complete people than that (in practice 200 or more)"
        )
    ybar = Y.mean(axis=0)
    Yc = Y - ybar
    S = (Yc.T @ Yc) / n
    sign, logdet_s = np.linalg.slogdet(S)
    if sign <= 0 or not np.all(np.diag(S) > 0):
        raise ValueError(
            f"{func}: the covariance matrix of the {2 * q} item columns (both waves, {n} complete people) "
            "is singular - an item is constant or duplicates another; drop it"
        )
    p = 2 * q
    base = (n * float(np.sum(np.log(np.diag(S))) - logdet_s), p * (p - 1) // 2)
    # The fit is many small dense operations: one BLAS thread is several times faster than a pool
    # whose threads wait for each other (and for other processes) on every call.
    with threadpool_limits(limits=1, user_api="blas"):
        return _ladder(spec, groups, q, S, ybar, n, n_rows, base, d_cfi, d_rmsea, pos)


def _ladder(spec: dict[str, list], groups: list[list[int]], q: int, S: np.ndarray, ybar: np.ndarray, n: int,
            n_rows: int, base: tuple[float, int], d_cfi: float, d_rmsea: float,
            pos: dict) -> InvarianceResult:
    """Fit the three levels and assemble the result (see :func:`longitudinal_invariance`)."""
    items = list(pos)
    msgs: list[str] = []
    rows: dict[str, dict] = {}
    fitted: dict[str, tuple[_Model, np.ndarray]] = {}
    prev_x: np.ndarray | None = None
    prev_spec: _Spec | None = None
    for level in LEVELS:
        sp = _spec(groups, q, level)
        model = _Model(sp, S, ybar)
        x0 = model.start()
        if prev_x is not None and prev_spec is not None:
            x0 = _carry(prev_spec, prev_x, sp, x0)
        x, f, ok = _minimise(model, x0)
        if not ok:
            msgs.append(f"{level} model: the optimiser did not reach a stationary point (fit indices are "
                        "unreliable)")
        L, Phi, Th, _nu, _al = model.matrices(x)
        if np.any(np.diag(Th) < 0) or np.any(np.diag(Phi) < 0):
            msgs.append(f"{level} model: a negative variance estimate (Heywood case)")
        rows[level] = _fit_row(model, x, f, n, base, ok)
        fitted[level] = (model, x)
        prev_x, prev_spec = x, sp
    fits = pd.DataFrame.from_dict(rows, orient="index")
    fits.index.name = "level"
    fits["delta_cfi"] = fits["cfi"].diff()
    fits["delta_rmsea"] = fits["rmsea"].diff()
    fits["chi2_diff"] = fits["chi2"].diff()
    fits["df_diff"] = fits["df"].diff()
    fits["p_diff"] = [float("nan")] + [
        float(sps.chi2.sf(max(c, 0.0), d)) if d > 0 else float("nan")
        for c, d in zip(fits["chi2_diff"].iloc[1:], fits["df_diff"].iloc[1:])
    ]
    fits["df_diff"] = fits["df_diff"].astype("Int64")
    fits = fits[["chi2", "df", "p", "cfi", "tli", "rmsea", "srmr", "delta_cfi", "delta_rmsea",
                 "chi2_diff", "df_diff", "p_diff", "n_parameters", "converged"]]
    holds: str | None = None
    if bool(fits.loc["configural", "converged"]):
        holds = "configural"
        for level in LEVELS[1:]:
            r = fits.loc[level]
            if bool(r["converged"]) and r["delta_cfi"] >= d_cfi and r["delta_rmsea"] <= d_rmsea:
                holds = level
            else:
                break
    model_s, x_s = fitted["scalar"]
    _, _, _, _, al = model_s.matrices(x_s)
    F = len(groups)
    latent = pd.Series(al[F:], index=pd.Index(list(spec), name="factor"), name="latent_mean_change")
    model_c, x_c = fitted["configural"]
    Lc = model_c.matrices(x_c)[0]
    fac_of = {pos[c]: (k, f) for f, (k, cols) in enumerate(spec.items()) for c in cols}
    loadings = pd.DataFrame(
        {
            "factor": [fac_of[j][0] for j in range(q)],
            "pre": [Lc[j, fac_of[j][1]] for j in range(q)],
            "post": [Lc[q + j, F + fac_of[j][1]] for j in range(q)],
        },
        index=pd.Index(items, name="item"),
    )
    for msg in msgs:
        warnings.warn(msg, InvarianceWarning, stacklevel=3)
    return InvarianceResult(
        fits=fits,
        holds=holds,
        latent_mean_change=latent,
        loadings=loadings,
        n=n,
        n_rows=n_rows,
        n_dropped=n_rows - n,
        factors={k: list(v) for k, v in spec.items()},
        delta_cfi=d_cfi,
        delta_rmsea=d_rmsea,
        estimator="ML",
        method=("one two-wave CFA with mean structure, marker-variable identification, same-item residuals "
                "correlated across waves; ML, normal likelihood (divisor N), lavaan conventions"),
        warnings=tuple(msgs),
    )


def _carry(prev: _Spec, x_prev: np.ndarray, new: _Spec, x0: np.ndarray) -> np.ndarray:
    """Start a more constrained level from the previous solution (averaging newly equal parameters)."""
    x = x0.copy()
    sums: dict[int, list[float]] = {}

    def collect(old: list, cur: list, key_len: int) -> None:
        old_map = {e[:key_len]: e[key_len] for e in old}
        for e in cur:
            k, i = e[:key_len], e[key_len]
            if k in old_map:
                sums.setdefault(i, []).append(float(x_prev[old_map[k]]))

    collect(prev.lam, new.lam, 2)
    collect(prev.phi, new.phi, 2)
    collect(prev.theta, new.theta, 2)
    collect(prev.nu, new.nu, 1)
    collect(prev.alpha, new.alpha, 1)
    for i, vals in sums.items():
        x[i] = float(np.mean(vals))
    return x
