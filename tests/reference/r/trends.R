# Reference values for ccstudy.stats.trends.its (segmented regression, Newey-West HAC).
# Run from the repository root:  Rscript tests/reference/r/trends.R
# Writes tests/reference/data/its_*.csv and tests/reference/trends_reference.json.
suppressPackageStartupMessages({library(jsonlite); library(sandwich); library(lmtest)})
out_dir  <- "tests/reference"
data_dir <- file.path(out_dir, "data")

ym <- function(year, month) sprintf("%04d-%02d", year, month)
ts_frame <- function(x) {
  tt <- time(x); yr <- floor(tt + 1e-8); mo <- round((tt - yr) * 12) + 1
  data.frame(month = ym(yr, mo), value = as.numeric(x))
}
# UK driver deaths 1969-01 .. 1984-12; compulsory seat belts from 1983-02
ukd <- ts_frame(UKDriverDeaths)
write.csv(ukd, file.path(data_dir, "its_ukdriverdeaths.csv"), row.names = FALSE)
# Nile annual flow 1871-1970 (break after 1898), placed on consecutive months from 2000-01
# (the arithmetic of the regression does not depend on the calendar); break at the 28th value
nile <- data.frame(month = ym(2000 + (0:99) %/% 12, (0:99) %% 12 + 1), value = as.numeric(Nile))
write.csv(nile, file.path(data_dir, "its_nile.csv"), row.names = FALSE)
# AirPassengers (log), 1949-01 .. 1960-12, with six months knocked out (missing values);
# hypothetical intervention 1955-07
ap <- ts_frame(log(AirPassengers))
ap$value[c(10, 40, 41, 77, 100, 130)] <- NA
write.csv(ap, file.path(data_dir, "its_airpassengers.csv"), row.names = FALSE, na = "")
# synthetic centre-month answer rate with NAs, 2016-01 .. 2018-12, training from 2017-03
set.seed(42)
syn <- data.frame(month = ym(2016 + (0:35) %/% 12, (0:35) %% 12 + 1))
tt <- 1:36
syn$value <- round(0.80 + 0.002 * tt + 0.03 * (tt >= 15) + 0.001 * pmax(0, tt - 15) +
                   as.numeric(arima.sim(list(ar = 0.5), 36, sd = 0.01)), 5)
syn$value[c(6, 20)] <- NA
write.csv(syn, file.path(data_dir, "its_synthetic.csv"), row.names = FALSE, na = "")

its_ref <- function(d, intervention, se = "hac", lag = NULL, seasonal = FALSE, conf = 0.95) {
  idx <- as.integer(substr(d$month, 1, 4)) * 12 + as.integer(substr(d$month, 6, 7)) - 1
  t0 <- as.integer(substr(intervention, 1, 4)) * 12 + as.integer(substr(intervention, 6, 7)) - 1
  ok <- !is.na(d$value)
  first <- min(idx[ok])
  dd <- data.frame(y = d$value, time = idx - first + 1, post = as.integer(idx >= t0),
                   moy = factor(as.integer(substr(d$month, 6, 7))))
  dd$time_since <- (dd$time - (t0 - first + 1)) * dd$post
  dd <- dd[ok, ]
  f <- if (seasonal) y ~ time + post + time_since + moy else y ~ time + post + time_since
  fit <- lm(f, data = dd)
  n <- nobs(fit)
  if (se == "hac") {
    L <- if (is.null(lag)) floor(4 * (n / 100)^(2 / 9)) else lag
    V <- NeweyWest(fit, lag = L, prewhite = FALSE, adjust = FALSE)
  } else {
    L <- NA
    V <- vcov(fit)
  }
  ct <- coeftest(fit, vcov. = V); ci <- coefci(fit, vcov. = V, level = conf)
  cvec <- setNames(rep(0, length(coef(fit))), names(coef(fit))); cvec[c("time", "time_since")] <- 1
  ps <- sum(cvec * coef(fit)); ps_se <- sqrt(drop(t(cvec) %*% V %*% cvec))
  tq <- qt((1 + conf) / 2, fit$df.residual)
  term <- function(nm) list(b = ct[nm, 1], se = ct[nm, 2], t = ct[nm, 3], p = ct[nm, 4],
                            ci_low = ci[nm, 1], ci_high = ci[nm, 2])
  cf <- fitted(fit) - coef(fit)["post"] * dd$post - coef(fit)["time_since"] * dd$time_since
  list(n = n, n_dropped = sum(!ok), df_resid = fit$df.residual, lag = L,
       intercept = term("(Intercept)"), time = term("time"), post = term("post"), time_since = term("time_since"),
       post_slope = list(b = ps, se = ps_se, p = 2 * pt(-abs(ps / ps_se), fit$df.residual),
                         ci_low = ps - tq * ps_se, ci_high = ps + tq * ps_se),
       r2 = summary(fit)$r.squared, fitted = unname(fitted(fit)), counterfactual = unname(cf),
       all_se = unname(sqrt(diag(V))))
}
ref <- list()
ref$versions <- list(R = R.version.string, sandwich = as.character(packageVersion("sandwich")),
                     lmtest = as.character(packageVersion("lmtest")))
ref$its <- list(
  ukd_hac_default   = its_ref(ukd, "1983-02"),
  ukd_hac_lag12     = its_ref(ukd, "1983-02", lag = 12),
  ukd_ols           = its_ref(ukd, "1983-02", se = "ols"),
  ukd_hac_seasonal  = its_ref(ukd, "1983-02", seasonal = TRUE),
  ukd_ols_seasonal_90 = its_ref(ukd, "1983-02", se = "ols", seasonal = TRUE, conf = 0.90),
  nile_hac_default  = its_ref(nile, "2002-04"),
  nile_ols          = its_ref(nile, "2002-04", se = "ols"),
  air_hac_seasonal  = its_ref(ap, "1955-07", seasonal = TRUE),
  air_hac_lag3      = its_ref(ap, "1955-07", lag = 3),
  synthetic_hac     = its_ref(syn, "2017-03"),
  synthetic_ols     = its_ref(syn, "2017-03", se = "ols"),
  synthetic_hac_lag0 = its_ref(syn, "2017-03", lag = 0)
)
writeLines(toJSON(ref, auto_unbox = TRUE, digits = NA, na = "null", pretty = TRUE),
           file.path(out_dir, "trends_reference.json"))
cat("ok\n")
