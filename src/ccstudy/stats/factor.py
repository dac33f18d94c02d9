"""Confirmatory factor analysis of questionnaire items (maximum likelihood).

Estimation uses semopy (Wishart-ML objective on the listwise-complete item
covariance matrix); every fit index is then recomputed here from the sample
and model-implied covariance matrices with the conventions of R lavaan 0.6
(``cfa(..., estimator = "ML")``, normal likelihood), so the numbers can be
checked against lavaan directly.  See ``docs/statistics.md``.
"""

from __future__ import annotations

import logging
import math
import warnings
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Literal

import numpy as np
import pandas as pd
from scipy import optimize
from scipy import stats as sps

from ccstudy.stats._checks import column_groups
from ccstudy.stats._results import Result
from ccstudy.stats.reliability import _check_scale, _normalise_reverse

__all__ = ["CFAResult", "CFAWarning", "cfa"]


class CFAWarning(UserWarning):
    """A CFA was estimated but the solution deserves a second look."""


@dataclass(frozen=True, kw_only=True)
class CFAResult(Result):
    """Result of :func:`cfa`.

    Attributes
    ----------
    chi2, df, p : float, int, float
        Likelihood-ratio test of the model against the saturated model,
        ``chi2 = N * F_ML`` (lavaan's default, normal likelihood).
    chi2_wishart, p_wishart : float
        The same with the Wishart convention ``(N - 1) * F_ML`` (semopy,
        LISREL, lavaan ``likelihood = "wishart"``).
    fmin : float
        Minimum of the ML discrepancy ``F_ML = log|Sigma| + tr(S Sigma^-1) - log|S| - p``
        (lavaan reports ``fmin = F_ML / 2``).
    cfi, tli : float
        Comparative fit index and Tucker-Lewis index against the independence
        (diagonal) baseline model, ``baseline_chi2`` on ``baseline_df``.
    rmsea, rmsea_ci_low, rmsea_ci_high, rmsea_p_close : float
        RMSEA ``sqrt(max(chi2 - df, 0) / (df * N))``, its 90 % confidence
        interval and the p-value of H0: RMSEA <= 0.05 (noncentral chi-square,
        Browne & Cudeck 1993; lavaan conventions).
    srmr : float
        Standardized root mean square residual (Bentler's: residual
        covariances scaled by the sample standard deviations, lower triangle
        including the diagonal).
    n, n_rows, n_dropped : int
        Respondents used (complete on every model item), rows passed, rows
        dropped by listwise deletion.
    n_parameters : int
        Free parameters.
    loadings : pandas.DataFrame
        One row per factor -> indicator path (items and, for higher-order
        factors, lower factors): ``factor``, ``indicator``, ``level``
        (``"item"``/``"factor"``), ``estimate`` (first indicator fixed to 1)
        and ``std_estimate`` (completely standardized, lavaan ``std.all``).
    factor_correlations : pandas.DataFrame
        Model-implied correlations between all factors.
    residual_variances : pandas.Series
        Item residual variances (Theta diagonal).
    omega : pandas.DataFrame
        Indexed by factor: ``level``, ``k`` (items reached from the factor),
        ``omega_total`` (share of the unit-weighted sum's model-implied variance
        due to all common factors) and ``omega_h`` (share due to that factor
        alone; for a higher-order factor, hierarchical omega).
    omega_h : float or None
        Hierarchical omega of the single top higher-order factor over all its
        items; None without ``higher_order`` or with several top factors (see
        the per-factor values in ``omega``).
    converged : bool
        Optimiser success flag.
    method, missing, estimator_backend : str
        ``"ML"``, ``"listwise"``, ``"semopy <version> (MLW, SLSQP)"``.
    model, higher_order : dict
        The model as passed.
    reverse : tuple of str
    scale : tuple of float or None
    syntax : str
        The lavaan/semopy model syntax that was fitted.
    warnings : tuple of str
    """

    chi2: float
    df: int
    p: float
    chi2_wishart: float
    p_wishart: float
    fmin: float
    cfi: float
    tli: float
    rmsea: float
    rmsea_ci_low: float
    rmsea_ci_high: float
    rmsea_p_close: float
    srmr: float
    baseline_chi2: float
    baseline_df: int
    n: int
    n_rows: int
    n_dropped: int
    n_parameters: int
    loadings: pd.DataFrame
    factor_correlations: pd.DataFrame
    residual_variances: pd.Series
    omega: pd.DataFrame
    omega_h: float | None
    converged: bool
    method: str
    missing: str
    estimator_backend: str
    model: dict
    higher_order: dict
    reverse: tuple[str, ...]
    scale: tuple[float, float] | None
    syntax: str
    warnings: tuple[str, ...]


# ---------------------------------------------------------------------------
# fit indices (lavaan 0.6 conventions)
# ---------------------------------------------------------------------------


def _f_ml(S: np.ndarray, Sigma: np.ndarray) -> float:
    p = S.shape[0]
    sign_s, logdet_s = np.linalg.slogdet(S)
    sign_m, logdet_m = np.linalg.slogdet(Sigma)
    if sign_s <= 0 or sign_m <= 0:
        return float("nan")
    return float(logdet_m + np.trace(np.linalg.solve(Sigma, S)) - logdet_s - p)


def _rmsea_ci(chi2: float, df: int, n: int, level: float = 0.90) -> tuple[float, float, float]:
    """lavaan's RMSEA interval and close-fit p-value (noncentral chi-square)."""
    if df < 1 or not math.isfinite(chi2):
        return float("nan"), float("nan"), float("nan")

    def cdf(lam: float) -> float:
        return float(sps.ncx2.cdf(chi2, df, lam)) if lam > 0 else float(sps.chi2.cdf(chi2, df))

    hi_q = 1.0 - (1.0 - level) / 2.0
    lo_q = (1.0 - level) / 2.0
    if cdf(0.0) < hi_q:
        low = 0.0
    else:
        lam_l = optimize.brentq(lambda lam: cdf(lam) - hi_q, 0.0, max(chi2, 1e-8), xtol=1e-12)
        low = math.sqrt(lam_l / (n * df))
    upper_bound = max(float(n), 4.0 * chi2)
    if cdf(upper_bound) > lo_q or cdf(0.0) < lo_q:
        high = 0.0
    else:
        lam_u = optimize.brentq(lambda lam: cdf(lam) - lo_q, 0.0, upper_bound, xtol=1e-12)
        high = math.sqrt(lam_u / (n * df))
    p_close = 1.0 - cdf(n * df * 0.05**2)
    return low, high, p_close


def _fit_indices(S: np.ndarray, Sigma: np.ndarray, n: int, n_par: int) -> dict[str, float]:
    p = S.shape[0]
    df = p * (p + 1) // 2 - n_par
    F = _f_ml(S, Sigma)
    chi2 = n * F
    chi2_w = (n - 1) * F
    d = np.diag(S)
    F0 = float(np.sum(np.log(d)) - np.linalg.slogdet(S)[1])
    chi2_0 = n * F0
    df0 = p * (p - 1) // 2
    num = max(chi2 - df, 0.0)
    den = max(chi2 - df, chi2_0 - df0, 0.0)
    cfi = 1.0 if den == 0 else 1.0 - num / den
    tli = ((chi2_0 / df0) - (chi2 / df)) / ((chi2_0 / df0) - 1.0) if df > 0 else float("nan")
    rmsea = math.sqrt(max(chi2 - df, 0.0) / (df * n)) if df > 0 else float("nan")
    lo, hi, pclose = _rmsea_ci(chi2, df, n)
    sd = np.sqrt(d)
    resid = (S - Sigma) / np.outer(sd, sd)
    srmr = float(np.sqrt(np.mean(resid[np.tril_indices(p)] ** 2)))
    return {
        "chi2": chi2,
        "df": df,
        "p": float(sps.chi2.sf(chi2, df)) if df > 0 else float("nan"),
        "chi2_wishart": chi2_w,
        "p_wishart": float(sps.chi2.sf(chi2_w, df)) if df > 0 else float("nan"),
        "fmin": F,
        "cfi": cfi,
        "tli": tli,
        "rmsea": rmsea,
        "rmsea_ci_low": lo,
        "rmsea_ci_high": hi,
        "rmsea_p_close": pclose,
        "srmr": srmr,
        "baseline_chi2": chi2_0,
        "baseline_df": df0,
    }


# ---------------------------------------------------------------------------
# validation and model syntax
# ---------------------------------------------------------------------------


def _check_model(
    items: pd.DataFrame, model: object, higher_order: object
) -> tuple[dict[str, list], dict[str, list]]:
    spec = column_groups(items, model, arg="model", member="factor",
                         need="a factor needs at least 2 (3 or more to be identified on its own)",
                         example="{'empathy': ['e1', 'e2', 'e3'], ...}")
    spec = {str(f): cols for f, cols in spec.items()}
    clash = [f for f in spec if f in items.columns]
    if clash:
        raise ValueError(f"factor name(s) {clash!r} are also item columns; rename the factors")
    higher: dict[str, list] = {}
    if higher_order is not None:
        if not isinstance(higher_order, Mapping):
            raise TypeError(
                f"higher_order must be a dict of higher factor -> lower factors, got {higher_order!r}"
            )
        known = set(spec) | {str(h) for h in higher_order}
        for h, lows in higher_order.items():
            if isinstance(lows, str) or not isinstance(lows, Sequence):
                raise TypeError(f"higher_order[{h!r}] must be a list of factor names, got {lows!r}")
            lows = list(lows)
            if str(h) in spec or h in items.columns:
                raise ValueError(f"higher_order name {h!r} is already a first-order factor or an item")
            unknown = [x for x in lows if x not in known]
            if unknown:
                raise ValueError(
                    f"higher_order[{h!r}] names unknown factor(s) {unknown!r}; "
                    f"first-order factors are {list(spec)!r}"
                )
            if len(lows) < 2:
                raise ValueError(
                    f"higher_order[{h!r}] has {len(lows)} lower factor(s); it needs at least 2"
                )
            higher[str(h)] = [str(x) for x in lows]
    return spec, higher


def _syntax(model: Mapping[str, list], higher: Mapping[str, list]) -> str:
    lines = [f"{f} =~ {' + '.join(map(str, cols))}" for f, cols in model.items()]
    lines += [f"{h} =~ {' + '.join(lows)}" for h, lows in higher.items()]
    return "\n".join(lines)


# ---------------------------------------------------------------------------
# public API
# ---------------------------------------------------------------------------


def cfa(
    items: pd.DataFrame,
    model: dict[str, list[str]],
    higher_order: dict[str, list[str]] | None = None,
    *,
    reverse: Sequence[str] = (),
    scale: tuple[float, float] | None = None,
    missing: Literal["listwise"] = "listwise",
) -> CFAResult:
    r"""Confirmatory factor analysis by maximum likelihood, lavaan conventions.

    Parameters
    ----------
    items : pandas.DataFrame
        Rows respondents, columns items (numeric, NaN = missing).
    model : dict of str to list of str
        First-order factors: factor name -> its indicator items.  The first
        indicator's loading is fixed to 1 (marker-variable identification,
        as lavaan's default); first-order factors not under a higher-order
        factor are allowed to correlate.
    higher_order : dict of str to list of str, optional
        Higher-order factors: name -> lower factors (names from ``model`` or
        other higher-order factors).  Top-level factors correlate; lower
        factors' disturbances do not.
    reverse : sequence of str, default ()
        Items recoded as ``scale[0] + scale[1] - x`` before fitting (requires
        ``scale``).  Reverse keying changes loading signs only, not the fit.
    scale : (float, float), optional
        Declared response bounds; when given, values outside it are an error.
    missing : {"listwise"}, default "listwise"
        Rows with any missing model item are dropped (lavaan's default for
        ``estimator = "ML"``).  FIML is not offered.

    Returns
    -------
    CFAResult
        ``chi2``, ``df``, ``p``, ``cfi``, ``tli``, ``rmsea`` (+ 90 % CI and
        close-fit p), ``srmr``, ``n``, the ``loadings`` table with standardized
        loadings, ``factor_correlations``, per-factor ``omega`` and, with one
        top higher-order factor, ``omega_h``; plus provenance.

    Raises
    ------
    TypeError
        ``items`` is not a DataFrame, non-numeric model items, malformed
        ``model``/``higher_order``.
    ValueError
        Unknown items or factors, a factor with fewer than 2 indicators, a
        constant or all-missing item, values outside ``scale``, ``reverse``
        without ``scale``, fewer complete rows than items, negative degrees
        of freedom (model not identified).

    Warns
    -----
    CFAWarning
        Non-convergence, a Heywood case (negative residual or factor
        variance), standardized loading above 1, n < 200.

    Notes
    -----
    Estimation: semopy's Wishart-ML objective (``obj="MLW"``, SLSQP with
    ``ftol=1e-13``) on the listwise-complete data; semopy uses the sample
    covariance with divisor N.  From the sample covariance :math:`S`
    (divisor N) and the model-implied :math:`\hat\Sigma` the ML discrepancy

    .. math:: F_{ML} = \log|\hat\Sigma| + \operatorname{tr}(S\hat\Sigma^{-1}) - \log|S| - p

    gives :math:`\chi^2 = N F_{ML}` (lavaan default, normal likelihood) and
    :math:`\chi^2_W = (N-1) F_{ML}` (Wishart; reported as ``chi2_wishart``).
    ``F_ML`` does not depend on the divisor, so both conventions come from the
    same fit.  CFI :math:`= 1 - \max(\chi^2-df,0)/\max(\chi^2-df, \chi^2_0-df_0, 0)`,
    TLI :math:`= (\chi^2_0/df_0 - \chi^2/df)/(\chi^2_0/df_0 - 1)` with the
    independence baseline :math:`\chi^2_0 = N(\sum\log s_{ii} - \log|S|)`,
    :math:`df_0 = p(p-1)/2`; RMSEA :math:`= \sqrt{\max(\chi^2-df,0)/(df\,N)}`
    with a 90 % interval from the noncentral :math:`\chi^2` and the close-fit
    test at 0.05; SRMR (Bentler) :math:`= \sqrt{\operatorname{mean}_{i\le j}
    ((s_{ij}-\hat\sigma_{ij})/\sqrt{s_{ii}s_{jj}})^2}`.

    Omega from the model-implied matrices: for a factor :math:`f` with item set
    :math:`I_f` (items reached from :math:`f`), total effects
    :math:`a = \Lambda(I-B)^{-1}e_f` and implied factor variance
    :math:`\phi_f`, ``omega_h`` :math:`= (\mathbf 1'a_{I_f})^2\phi_f/\mathbf 1'\hat\Sigma_{I_f}\mathbf 1`
    and ``omega_total`` :math:`= 1 - \mathbf 1'\Theta_{I_f}\mathbf 1/\mathbf 1'\hat\Sigma_{I_f}\mathbf 1`.
    For a first-order factor both equal the composite reliability
    (McDonald's omega of its items); for a higher-order factor ``omega_h`` is
    hierarchical omega (the Schmid-Leiman general-factor share of a
    higher-order model; Zinbarg et al. 2005).  Bifactor models are not
    offered.  Denominators are model-implied (not observed) variances.

    Differences from lavaan: none in the definitions above (checked to 1e-3
    on three data sets); lavaan's ``srmr`` for a model without mean structure
    is the Bentler SRMR used here.

    References
    ----------
    Browne, M. W., & Cudeck, R. (1993). Alternative ways of assessing model fit.
    In K. A. Bollen & J. S. Long (Eds.), *Testing structural equation models*.
    Hu, L., & Bentler, P. M. (1999). Cutoff criteria for fit indexes in covariance
    structure analysis. *Structural Equation Modeling*, 6, 1-55.
    Igolkina, A. A., & Meshcheryakov, G. (2020). semopy: A Python package for
    structural equation modeling. *Structural Equation Modeling*, 27, 952-963.
    Rosseel, Y. (2012). lavaan: An R package for structural equation modeling.
    *Journal of Statistical Software*, 48(2), 1-36.
    Zinbarg, R. E., Revelle, W., Yovel, I., & Li, W. (2005). Cronbach's alpha,
    Revelle's beta, and McDonald's omega_h. *Psychometrika*, 70, 123-133.

    Examples
    --------
    >>> res = stats.cfa(df, {"visual": ["x1", "x2", "x3"],
    ...                      "textual": ["x4", "x5", "x6"],
    ...                      "speed": ["x7", "x8", "x9"]})  # doctest: +SKIP
    >>> round(res.chi2, 3), res.df  # doctest: +SKIP
    (85.306, 24)

    In R: ``lavaan::cfa("visual =~ x1 + x2 + x3\n textual =~ x4 + x5 + x6\n
    speed =~ x7 + x8 + x9", data = df, estimator = "ML")`` and
    ``fitMeasures(fit)``.
    """
    if not isinstance(items, pd.DataFrame):
        raise TypeError(
            f"items must be a pandas DataFrame (rows respondents, columns items), "
            f"got {type(items).__name__}"
        )
    if missing != "listwise":
        raise ValueError(f"missing must be 'listwise' (FIML is not offered), got {missing!r}")
    spec, higher = _check_model(items, model, higher_order)
    observed: list = []
    for cols in spec.values():
        for c in cols:
            if c not in observed:
                observed.append(c)
    bad = [
        c
        for c in observed
        if pd.api.types.is_bool_dtype(items[c]) or not pd.api.types.is_numeric_dtype(items[c])
    ]
    if bad:
        raise TypeError(
            f"items must be numeric; non-numeric model column(s) {bad!r}; convert them "
            "with pandas.to_numeric"
        )
    rev = _normalise_reverse(reverse)
    unknown = [r for r in rev if r not in observed]
    if unknown:
        raise ValueError(f"reverse names column(s) not in the model: {unknown!r}")
    scale_t = None if scale is None else _check_scale(scale)
    if rev and scale_t is None:
        raise ValueError(
            f"reverse={list(rev)!r} needs the declared scale to recode x as low + high - x; "
            "pass e.g. scale=(1, 5)"
        )
    X = items[observed].to_numpy(dtype=float, na_value=np.nan, copy=True)  # writable under copy-on-write
    empty = [observed[j] for j in np.flatnonzero(np.isnan(X).all(axis=0))]
    if empty:
        raise ValueError(f"items column(s) {empty!r} are entirely missing; drop them from the model")
    if scale_t is not None:
        low, high = scale_t
        with np.errstate(invalid="ignore"):
            outside = ((X < low) | (X > high)).sum(axis=0)
        if outside.any():
            detail = ", ".join(
                f"{observed[j]!r}: {int(outside[j])} value(s)" for j in np.flatnonzero(outside)
            )
            raise ValueError(
                f"items has values outside scale={scale!r} ({detail}); recode them or set them to NaN"
            )
        for r in rev:
            j = observed.index(r)
            X[:, j] = low + high - X[:, j]
    n_rows = X.shape[0]
    keep = ~np.isnan(X).any(axis=1)
    X = X[keep]
    n = X.shape[0]
    p = X.shape[1]
    if n <= p:
        raise ValueError(
            f"missing='listwise' leaves n={n} complete rows for {p} items; the covariance "
            "matrix is singular - collect more data or drop items"
        )
    sd = X.std(axis=0, ddof=1)
    const = [observed[j] for j in np.flatnonzero(~(sd > 0))]
    if const:
        raise ValueError(
            f"items column(s) {const!r} have zero variance among complete rows; drop them"
        )
    syntax = _syntax(spec, higher)

    import semopy  # imported lazily: heavy and only needed here

    data = pd.DataFrame(X, columns=[str(c) for c in observed])
    mod = semopy.Model(syntax)
    logger = logging.getLogger("semopy")
    previous = logger.level
    logger.setLevel(logging.ERROR)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)
            res = mod.fit(data, obj="MLW", solver="SLSQP", options={"ftol": 1e-13, "maxiter": 10000})
    finally:
        logger.setLevel(previous)
    n_par = len(mod.param_vals)
    df_model = p * (p + 1) // 2 - n_par
    if df_model < 0:
        raise ValueError(
            f"the model has {n_par} free parameters for {p * (p + 1) // 2} covariance moments "
            f"(df = {df_model} < 0) and is not identified; add indicators or constraints"
        )

    obs_names = [str(c) for c in mod.names_lambda[0]]
    lat_names = [str(c) for c in mod.names_lambda[1]]
    order = [obs_names.index(str(c)) for c in observed]
    L = np.asarray(mod.mx_lambda, dtype=float)[order]
    B = np.asarray(mod.mx_beta, dtype=float)
    Psi = np.asarray(mod.mx_psi, dtype=float)
    Theta = np.asarray(mod.mx_theta, dtype=float)[np.ix_(order, order)]
    S = np.cov(X, rowvar=False, bias=True)
    IB = np.linalg.inv(np.eye(len(lat_names)) - B)
    V_eta = IB @ Psi @ IB.T
    Tot = L @ IB
    Sigma = Tot @ Psi @ Tot.T + Theta
    fit = _fit_indices(S, Sigma, n, n_par)

    sd_eta = np.sqrt(np.clip(np.diag(V_eta), 0, None))
    sd_x = np.sqrt(np.diag(Sigma))
    rows = []
    for f, cols in spec.items():
        j = lat_names.index(f)
        for c in cols:
            i = observed.index(c)
            est = L[i, j]
            rows.append((f, str(c), "item", est, est * sd_eta[j] / sd_x[i]))
    for h, lows in higher.items():
        j = lat_names.index(h)
        for lo_f in lows:
            i = lat_names.index(lo_f)
            est = B[i, j]
            rows.append((h, lo_f, "factor", est, est * sd_eta[j] / sd_eta[i]))
    loadings = pd.DataFrame(rows, columns=["factor", "indicator", "level", "estimate", "std_estimate"])
    factors = list(spec) + list(higher)
    fidx = [lat_names.index(f) for f in factors]
    with np.errstate(invalid="ignore", divide="ignore"):
        corr = V_eta[np.ix_(fidx, fidx)] / np.outer(sd_eta[fidx], sd_eta[fidx])
    factor_corr = pd.DataFrame(corr, index=factors, columns=factors)

    om_rows = []
    for f in factors:
        j = lat_names.index(f)
        idx = np.flatnonzero(np.abs(Tot[:, j]) > 0)
        vs = Sigma[np.ix_(idx, idx)].sum()
        om_rows.append(
            {
                "factor": f,
                "level": "first" if f in spec else "higher",
                "k": int(len(idx)),
                "omega_total": float(1.0 - Theta[np.ix_(idx, idx)].sum() / vs),
                "omega_h": float(Tot[idx, j].sum() ** 2 * V_eta[j, j] / vs),
            }
        )
    omega = pd.DataFrame(om_rows).set_index("factor")
    lowers = {x for lows in higher.values() for x in lows}
    tops = [h for h in higher if h not in lowers]
    omega_h = float(omega.loc[tops[0], "omega_h"]) if len(tops) == 1 else None

    msgs: list[str] = []
    if not res.success:
        msgs.append(f"the optimiser did not converge ({res.message}); estimates are unreliable")
    neg_theta = [str(observed[i]) for i in np.flatnonzero(np.diag(Theta) < 0)]
    neg_psi = [lat_names[i] for i in np.flatnonzero(np.diag(Psi) < 0)]
    if neg_theta or neg_psi:
        msgs.append(
            f"Heywood case: negative variance for {neg_theta + neg_psi!r}; the model is "
            "misspecified or the sample too small"
        )
    big = loadings.loc[loadings["std_estimate"].abs() > 1, "indicator"].tolist()
    if big:
        msgs.append(f"standardized loading(s) above 1 for {big!r} (improper solution)")
    if n < 200:
        msgs.append(f"small n={n} (< 200) for a CFA: fit indices and loadings are unstable")
    for msg in msgs:
        warnings.warn(msg, CFAWarning, stacklevel=2)

    return CFAResult(
        **fit,
        n=n,
        n_rows=n_rows,
        n_dropped=n_rows - n,
        n_parameters=n_par,
        loadings=loadings,
        factor_correlations=factor_corr,
        residual_variances=pd.Series(np.diag(Theta), index=[str(c) for c in observed], name="theta"),
        omega=omega,
        omega_h=omega_h,
        converged=bool(res.success),
        method="ML",
        missing="listwise",
        estimator_backend=f"semopy {semopy.__version__} (MLW, SLSQP)",
        model={k: list(v) for k, v in spec.items()},
        higher_order={k: list(v) for k, v in higher.items()},
        reverse=rev,
        scale=scale_t,
        syntax=syntax,
        warnings=tuple(msgs),
    )
