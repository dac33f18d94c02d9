# Reference values for ccstudy.stats.factor.cfa -- R 4.2.2, lavaan 0.6.14.
#
# Run from the repository root:
#     Rscript tests/reference/r/cfa_reference.R
# Needs tests/reference/data/rel_hs1939.csv and rel_bfi.csv (written by
# reliability_reference.R); writes tests/reference/data/cfa_synth_competency.csv
# and tests/reference/cfa_reference.json.  The tests never need R.
suppressPackageStartupMessages({
  library(lavaan)
  library(jsonlite)
})
options(digits = 15, warn = 1)
data_dir <- "tests/reference/data"
out_json <- "tests/reference/cfa_reference.json"

## --- synthetic competency questionnaire ----------------------------------
# 6 competencies x 3 five-point items, competencies nested in 2 dimensions
# (higher-order structure), n = 400, 3 % missing completely at random.
set.seed(20240612)
n <- 400
dims <- MASS::mvrnorm(n, c(0, 0), matrix(c(1, 0.45, 0.45, 1), 2))
gam <- c(0.80, 0.70, 0.75, 0.65, 0.85, 0.60)          # competency on dimension
dim_of <- c(1, 1, 1, 2, 2, 2)
comp <- sapply(1:6, function(j) gam[j] * dims[, dim_of[j]] + sqrt(1 - gam[j]^2) * rnorm(n))
lam <- c(0.80, 0.70, 0.60, 0.75, 0.65, 0.70, 0.80, 0.60, 0.70,
         0.70, 0.75, 0.65, 0.80, 0.70, 0.60, 0.65, 0.70, 0.75)
cuts <- c(-Inf, -1.4, -0.5, 0.4, 1.3, Inf)
items <- sapply(1:18, function(i) {
  j <- (i - 1) %/% 3 + 1
  v <- lam[i] * comp[, j] + sqrt(1 - lam[i]^2) * rnorm(n)
  as.integer(cut(v, cuts))
})
items <- as.data.frame(items)
names(items) <- paste0("c", rep(1:6, each = 3), "_", rep(1:3, 6))
for (j in seq_along(items)) items[runif(n) < 0.03, j] <- NA
write.csv(items, file.path(data_dir, "cfa_synth_competency.csv"), row.names = FALSE, na = "")

hs <- read.csv(file.path(data_dir, "rel_hs1939.csv"))
bfi <- read.csv(file.path(data_dir, "rel_bfi.csv"))
comp <- read.csv(file.path(data_dir, "cfa_synth_competency.csv"))
# reverse keying on the declared 1..6 scale (as ccstudy does): x' = 7 - x
for (v in c("A1", "C4", "C5")) bfi[[v]] <- 7 - bfi[[v]]

## --- helpers -------------------------------------------------------------
syntax <- function(model, higher = list()) {
  lines <- c(sprintf("%s =~ %s", names(model), sapply(model, paste, collapse = " + ")),
             if (length(higher)) sprintf("%s =~ %s", names(higher), sapply(higher, paste, collapse = " + ")))
  paste(lines, collapse = "\n")
}

# omega per factor from the model-implied matrices: for factor f with item set
# S (items reached from f), a = total effect of f on the items
# (Lambda (I - B)^-1 e_f), Var(f) from the implied latent covariance;
#   omega_total(S) = 1 - 1'Theta_S 1 / 1'Sigma_S 1
#   omega_h(f)     = (1'a_S)^2 Var(f) / 1'Sigma_S 1
omegas <- function(fit) {
  est <- lavInspect(fit, "est")
  L <- est$lambda; Th <- est$theta; Ps <- est$psi
  B <- if (is.null(est$beta)) matrix(0, ncol(L), ncol(L)) else est$beta
  IB <- solve(diag(ncol(L)) - B); dimnames(IB) <- list(colnames(L), colnames(L))
  Veta <- IB %*% Ps %*% t(IB)
  Tot <- L %*% IB
  Sigma <- lavInspect(fit, "implied")$cov
  res <- list()
  for (f in colnames(L)) {
    S <- which(abs(Tot[, f]) > 0)
    one <- rep(1, length(S))
    vs <- sum(Sigma[S, S])
    res[[f]] <- list(
      items = rownames(L)[S],
      omega_total = 1 - sum(Th[S, S]) / vs,
      omega_h = sum(Tot[S, f])^2 * Veta[f, f] / vs
    )
  }
  res
}

one_fit <- function(id, file, data, model, higher = list()) {
  vars <- unlist(model)
  x <- data[, vars]
  mod <- syntax(model, higher)
  fit <- cfa(mod, data = x, estimator = "ML")          # listwise deletion (default)
  fitw <- cfa(mod, data = x, estimator = "ML", likelihood = "wishart")
  fm <- fitMeasures(fit, c("chisq", "df", "pvalue", "cfi", "tli", "rmsea",
                           "rmsea.ci.lower", "rmsea.ci.upper", "rmsea.pvalue",
                           "srmr", "srmr_bentler", "baseline.chisq", "baseline.df",
                           "fmin", "ntotal"))
  fmw <- fitMeasures(fitw, c("chisq", "pvalue", "cfi", "tli", "rmsea"))
  std <- standardizedSolution(fit)
  pe <- parameterEstimates(fit)
  ld <- std[std$op == "=~", ]
  cat("\n==", id, "==\n", mod, "\n")
  print(round(fm, 10))
  cat("wishart (N - 1) chisq:", fmw[["chisq"]], " rmsea:", fmw[["rmsea"]], "\n")
  print(data.frame(factor = ld$lhs, item = ld$rhs, est = pe$est[pe$op == "=~"], std = ld$est.std), digits = 10)
  om <- omegas(fit)
  for (f in names(om)) cat(sprintf("  omega %-10s total=%.10f h=%.10f\n", f, om[[f]]$omega_total, om[[f]]$omega_h))
  list(
    id = id, data = file, model = model, higher_order = higher, syntax = mod,
    n = lavInspect(fit, "nobs"), n_rows = nrow(x),
    chisq = fm[["chisq"]], df = fm[["df"]], pvalue = fm[["pvalue"]], cfi = fm[["cfi"]],
    tli = fm[["tli"]], rmsea = fm[["rmsea"]], rmsea_ci_lower = fm[["rmsea.ci.lower"]],
    rmsea_ci_upper = fm[["rmsea.ci.upper"]], rmsea_pvalue = fm[["rmsea.pvalue"]],
    srmr = fm[["srmr"]], baseline_chisq = fm[["baseline.chisq"]],
    baseline_df = fm[["baseline.df"]], fmin = fm[["fmin"]],
    wishart = list(chisq = fmw[["chisq"]], pvalue = fmw[["pvalue"]], cfi = fmw[["cfi"]],
                   tli = fmw[["tli"]], rmsea = fmw[["rmsea"]]),
    loadings = list(factor = ld$lhs, item = ld$rhs, est = pe$est[pe$op == "=~"], std = ld$est.std),
    omega = om
  )
}

hs_model <- list(visual = c("x1", "x2", "x3"), textual = c("x4", "x5", "x6"), speed = c("x7", "x8", "x9"))
bfi_model <- list(agree = paste0("A", 1:5), consc = paste0("C", 1:5))
comp_model <- setNames(lapply(1:6, function(j) paste0("c", j, "_", 1:3)), paste0("comp", 1:6))
comp_higher <- list(dim1 = paste0("comp", 1:3), dim2 = paste0("comp", 4:6))

fits <- list(
  one_fit("hs_3factor", "rel_hs1939.csv", hs, hs_model),
  one_fit("hs_higher", "rel_hs1939.csv", hs, hs_model, list(g = names(hs_model))),
  one_fit("bfi_2factor", "rel_bfi.csv", bfi, bfi_model),
  one_fit("comp_first_order", "cfa_synth_competency.csv", comp, comp_model),
  one_fit("comp_higher", "cfa_synth_competency.csv", comp, comp_model, comp_higher)
)

out <- list(
  meta = list(R = R.version.string, lavaan = as.character(packageVersion("lavaan")),
              script = "tests/reference/r/cfa_reference.R",
              reverse_bfi = c("A1", "C4", "C5"), reverse_rule = "7 - x"),
  fits = fits
)
writeLines(toJSON(out, digits = NA, auto_unbox = TRUE, pretty = TRUE), out_json)
cat("wrote", out_json, "\n")
