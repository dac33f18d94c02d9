# Reference values for ccstudy.stats.association (correlate, correlation_table, adjust_pvalues).
# Run from the repository root:  Rscript tests/reference/r/association.R
# Writes tests/reference/data/assoc_*.csv and tests/reference/association_reference.json.
suppressPackageStartupMessages({library(jsonlite); library(psych)})
out_dir  <- "tests/reference"
data_dir <- file.path(out_dir, "data")

# ---- data sets -------------------------------------------------------------
mt <- mtcars[, c("mpg", "wt", "hp", "qsec", "disp")]
write.csv(mt, file.path(data_dir, "assoc_mtcars.csv"), row.names = FALSE)
an <- anscombe
write.csv(an, file.path(data_dir, "assoc_anscombe.csv"), row.names = FALSE)
aq <- airquality[, c("Ozone", "Solar.R", "Wind", "Temp")]
write.csv(aq, file.path(data_dir, "assoc_airquality.csv"), row.names = FALSE, na = "")
# small synthetic sets without ties (exact Spearman for n <= 9, AS 89 series for n >= 10)
syn <- data.frame(
  x7  = c(c(2.1, 3.4, 1.9, 5.6, 4.2, 6.8, 3.9), rep(NA, 5)),
  y7  = c(c(1.0, 2.9, 2.2, 4.1, 4.4, 5.0, 1.7), rep(NA, 5)),
  x12 = c(4.2, 1.3, 5.5, 2.7, 8.8, 6.1, 3.3, 9.4, 7.0, 0.6, 10.2, 11.7),
  y12 = c(3.1, 2.0, 6.2, 1.1, 7.7, 4.9, 5.3, 8.2, 9.9, 0.4, 12.5, 10.8)
)
write.csv(syn, file.path(data_dir, "assoc_synthetic.csv"), row.names = FALSE, na = "")

ct <- function(x, y, method, exact = NULL) {
  r <- suppressWarnings(cor.test(x, y, method = method, exact = exact))
  ok <- complete.cases(x, y)
  res <- list(n = sum(ok), n_dropped = sum(!ok), r = unname(r$estimate), p = r$p.value,
              statistic = unname(r$statistic))
  if (!is.null(r$conf.int)) { res$ci_low <- r$conf.int[1]; res$ci_high <- r$conf.int[2] }
  if (!is.null(r$parameter)) res$df <- unname(r$parameter)
  res
}
# Fisher-z interval for Spearman as psych::corr.test reports it (R cor.test has none)
psych_ci <- function(x, y, method) {
  ok <- complete.cases(x, y)
  ctp <- psych::corr.test(x[ok], y[ok], method = method, adjust = "none")
  list(r = as.numeric(ctp$r), ci_low = ctp$ci$lower, ci_high = ctp$ci$upper, p = as.numeric(ctp$p))
}
# partial correlation: residualise x and y on the covariates (ranks for Spearman, as ppcor),
# r of the residuals, t on n - 2 - k df; Fisher CI with SE 1/sqrt(n - 3 - k) via psych::corr.p(r, n - k)
partial <- function(x, y, z, method) {
  z <- as.data.frame(z)
  ok <- complete.cases(x, y, z)
  x <- x[ok]; y <- y[ok]; z <- z[ok, , drop = FALSE]
  if (method == "spearman") { x <- rank(x); y <- rank(y); z <- as.data.frame(lapply(z, rank)) }
  k <- ncol(z); n <- length(x)
  rx <- resid(lm(x ~ ., data = cbind(x = x, z)))
  ry <- resid(lm(y ~ ., data = cbind(y = y, z)))
  r <- cor(rx, ry)
  df <- n - 2 - k
  tt <- r * sqrt(df / (1 - r^2))
  cp <- psych::corr.p(matrix(c(1, r, r, 1), 2, dimnames = list(c("x", "y"), c("x", "y"))), n = n - k, adjust = "none")
  list(n = n, n_dropped = sum(!ok), r = r, df = df, t = tt, p = 2 * pt(-abs(tt), df),
       p_corr_p = cp$p[1, 2], ci_low = cp$ci$lower[2], ci_high = cp$ci$upper[2],
       r_psych_partial = psych::partial.r(data.frame(x = x, y = y, z), c("x", "y"), names(z))[1, 2])
}

ref <- list()
ref$versions <- list(R = R.version.string, psych = as.character(packageVersion("psych")),
                     jsonlite = as.character(packageVersion("jsonlite")))
ref$correlate <- list(
  mtcars_mpg_wt_pearson      = ct(mt$mpg, mt$wt, "pearson"),
  mtcars_mpg_wt_spearman     = c(ct(mt$mpg, mt$wt, "spearman"), fisher = list(psych_ci(mt$mpg, mt$wt, "spearman"))),
  mtcars_mpg_hp_pearson_90   = { r <- cor.test(mt$mpg, mt$hp, conf.level = 0.90); list(r = unname(r$estimate), ci_low = r$conf.int[1], ci_high = r$conf.int[2], p = r$p.value) },
  anscombe_x1_y1_pearson     = ct(an$x1, an$y1, "pearson"),
  anscombe_x1_y1_spearman    = ct(an$x1, an$y1, "spearman"),
  anscombe_x1_y3_spearman    = ct(an$x1, an$y3, "spearman"),
  anscombe_x4_y4_pearson     = ct(an$x4, an$y4, "pearson"),
  airquality_ozone_temp_pearson   = ct(aq$Ozone, aq$Temp, "pearson"),
  airquality_ozone_temp_spearman  = c(ct(aq$Ozone, aq$Temp, "spearman"), fisher = list(psych_ci(aq$Ozone, aq$Temp, "spearman"))),
  airquality_ozone_solar_pearson  = ct(aq$Ozone, aq$Solar.R, "pearson"),
  synthetic_x7_y7_spearman   = c(ct(syn$x7, syn$y7, "spearman"), fisher = list(psych_ci(syn$x7, syn$y7, "spearman"))),
  synthetic_x7_y7_pearson    = ct(syn$x7, syn$y7, "pearson"),
  synthetic_x12_y12_spearman = ct(syn$x12, syn$y12, "spearman"),
  synthetic_x12_y12_spearman_t = ct(syn$x12, syn$y12, "spearman", exact = FALSE)
)
# Spearman p for 12 random permutations y of 1:n: exact enumeration (n <= 9), AS 89 series (n >= 10)
sp_grid <- list()
for (nn in c(4, 5, 8, 9, 10, 15, 30)) {
  set.seed(nn)
  xs <- seq_len(nn)
  ps <- c(); rs <- c(); yy <- list()
  for (rep in 1:12) {
    ys <- sample(nn)
    r <- suppressWarnings(cor.test(xs, ys, method = "spearman"))
    ps <- c(ps, r$p.value); rs <- c(rs, unname(r$estimate)); yy[[rep]] <- ys
  }
  sp_grid[[paste0("n", nn)]] <- list(n = nn, y = yy, rho = rs, p = ps)
}
ref$spearman_grid <- sp_grid
ref$partial <- list(
  mtcars_mpg_wt_given_hp_pearson       = partial(mt$mpg, mt$wt, mt[, "hp", drop = FALSE], "pearson"),
  mtcars_mpg_wt_given_hp_qsec_pearson  = partial(mt$mpg, mt$wt, mt[, c("hp", "qsec")], "pearson"),
  mtcars_mpg_wt_given_hp_spearman      = partial(mt$mpg, mt$wt, mt[, "hp", drop = FALSE], "spearman"),
  airquality_ozone_temp_given_wind_pearson = partial(aq$Ozone, aq$Temp, aq[, "Wind", drop = FALSE], "pearson"),
  airquality_ozone_temp_given_wind_solar_spearman = partial(aq$Ozone, aq$Temp, aq[, c("Wind", "Solar.R")], "spearman")
)
# p.adjust
pv <- c(0.01, 0.04, 0.03, 0.005, 0.2, 0.04, NA, 0.9, 0.0001, 0.049)
ref$p_adjust <- list(p = pv, holm = p.adjust(pv, "holm"), bh = p.adjust(pv, "BH"), none = p.adjust(pv, "none"))
# correlation tables: every score x kpi pair, cor.test p, then p.adjust over the table
table_ref <- function(d, scores, kpis, method, adjust) {
  rows <- list()
  for (s in scores) for (k in kpis) {
    r <- suppressWarnings(cor.test(d[[s]], d[[k]], method = method))
    ok <- complete.cases(d[[s]], d[[k]])
    rows[[length(rows) + 1]] <- data.frame(score = s, kpi = k, n = sum(ok), r = unname(r$estimate),
      ci_low = if (is.null(r$conf.int)) NA else r$conf.int[1],
      ci_high = if (is.null(r$conf.int)) NA else r$conf.int[2], p = r$p.value)
  }
  tab <- do.call(rbind, rows)
  tab$p_adj <- p.adjust(tab$p, adjust)
  tab
}
ref$table <- list(
  airquality_pearson_holm = table_ref(aq, c("Ozone", "Solar.R"), c("Wind", "Temp"), "pearson", "holm"),
  airquality_pearson_bh   = table_ref(aq, c("Ozone", "Solar.R"), c("Wind", "Temp"), "pearson", "BH"),
  mtcars_spearman_holm    = table_ref(mt, c("mpg", "qsec"), c("wt", "hp", "disp"), "spearman", "holm"),
  mtcars_pearson_bh       = table_ref(mt, c("mpg", "qsec"), c("wt", "hp", "disp"), "pearson", "BH")
)
writeLines(toJSON(ref, auto_unbox = TRUE, digits = NA, na = "null", pretty = TRUE, dataframe = "rows"),
           file.path(out_dir, "association_reference.json"))
cat("ok\n")
