# Reference values for ccstudy.stats.reliability -- R 4.2.2, psych 2.2.9, lavaan 0.6.14.
#
# Run from the repository root:
#     Rscript tests/reference/r/reliability_reference.R
# Writes the input data sets to tests/reference/data/rel_*.csv (then reads them
# back, so that R and Python start from identical numbers) and every printed
# value to tests/reference/rel_reference.json.  The tests never need R.
suppressPackageStartupMessages({
  library(psych)
  library(lavaan)
  library(jsonlite)
})
options(digits = 15, warn = 1)
data_dir <- "tests/reference/data"
out_json <- "tests/reference/rel_reference.json"

## --- data sets -----------------------------------------------------------
# 1. psych::bfi Agreeableness (A1 reverse-keyed) and Conscientiousness
#    (C4, C5 reverse-keyed); 2800 rows with scattered NAs; 6-point items.
bfi_sub <- psych::bfi[, c(paste0("A", 1:5), paste0("C", 1:5))]
write.csv(bfi_sub, file.path(data_dir, "rel_bfi.csv"), row.names = FALSE, na = "")

# 2. lavaan::HolzingerSwineford1939 x1-x9 (complete, continuous, range 0-10).
hs <- lavaan::HolzingerSwineford1939[, paste0("x", 1:9)]
write.csv(hs, file.path(data_dir, "rel_hs1939.csv"), row.names = FALSE)

# 3. Synthetic 5-point Likert items: one factor, s2 and s5 reverse-worded,
#    6 % of answers missing completely at random.
set.seed(20240611)
n <- 240
f <- rnorm(n)
lam <- c(0.75, -0.65, 0.70, 0.55, -0.60, 0.80)
latent <- sapply(lam, function(l) l * f + sqrt(1 - l^2) * rnorm(n))
cuts <- c(-Inf, -1.3, -0.45, 0.35, 1.2, Inf)
synth <- as.data.frame(apply(latent, 2, function(v) as.integer(cut(v, cuts))))
names(synth) <- paste0("s", 1:6)
for (j in seq_along(synth)) synth[runif(n) < 0.06, j] <- NA
write.csv(synth, file.path(data_dir, "rel_synth_likert.csv"), row.names = FALSE, na = "")

bfi_sub <- read.csv(file.path(data_dir, "rel_bfi.csv"))
hs <- read.csv(file.path(data_dir, "rel_hs1939.csv"))
synth <- read.csv(file.path(data_dir, "rel_synth_likert.csv"))
datasets <- list(rel_bfi.csv = bfi_sub, rel_hs1939.csv = hs, rel_synth_likert.csv = synth)

## --- one case ------------------------------------------------------------
one_case <- function(id, file, items, reverse, scale, missing) {
  x <- datasets[[file]][, items]
  if (missing == "listwise") x <- na.omit(x)
  keys <- if (length(reverse)) reverse else NULL
  a <- suppressWarnings(psych::alpha(x, keys = keys, use = "pairwise", warnings = FALSE))
  # effective n: listwise = complete rows; pairwise = minimum pairwise count
  pc <- crossprod(!is.na(as.matrix(x)))
  n_eff <- min(pc[upper.tri(pc)])
  ci <- psych::alpha.ci(a$total$raw_alpha, n_eff, ncol(x))
  ci90 <- psych::alpha.ci(a$total$raw_alpha, n_eff, ncol(x), p.val = 0.10)
  # omega total: one-factor ML factor analysis of the (keyed) correlation
  # matrix psych::alpha works with, cov2cor(cov(x, use = "pairwise")).
  # flip = FALSE keeps the keying as declared (psych's default flip = TRUE
  # silently reverses items with a negative general loading; kept as
  # omega_total_flip for comparison).
  k <- rep(1, ncol(x)); k[items %in% reverse] <- -1
  C <- diag(k) %*% cov(x, use = "pairwise") %*% diag(k)
  R <- cov2cor(C); dimnames(R) <- list(items, items)
  om <- suppressWarnings(suppressMessages(
    psych::omega(R, nfactors = 1, fm = "ml", plot = FALSE, flip = FALSE)))
  om_flip <- suppressWarnings(suppressMessages(
    psych::omega(R, nfactors = 1, fm = "ml", plot = FALSE)))
  fa1 <- suppressWarnings(psych::fa(R, nfactors = 1, fm = "ml"))
  lam <- as.vector(fa1$loadings[, 1]); lam <- lam * sign(sum(lam))
  cat(sprintf("%-22s raw_alpha=%.10f std=%.10f G6=%.10f av_r=%.10f omega_t=%.10f n_eff=%d\n",
              id, a$total$raw_alpha, a$total$std.alpha, a$total[["G6(smc)"]],
              a$total$average_r, om$omega.tot, n_eff))
  print(a$item.stats[, c("n", "r.drop", "mean", "sd")], digits = 10)
  print(a$alpha.drop[, c("raw_alpha", "std.alpha")], digits = 10)
  cat(sprintf("  Feldt (psych, n = nrow = %d): [%.10f, %.10f]; Feldt (n_eff = %d): [%.10f, %.10f]\n",
              nrow(x), unlist(a$feldt$lower.ci), unlist(a$feldt$upper.ci), n_eff, ci$lower.ci, ci$upper.ci))
  list(
    id = id, data = file, items = items, reverse = reverse, scale = scale,
    missing = missing, n_rows = nrow(x), n_eff = n_eff,
    n_harmonic = length(pc[upper.tri(pc)]) / sum(1 / pc[upper.tri(pc)]),
    raw_alpha = a$total$raw_alpha, std_alpha = a$total$std.alpha,
    G6 = a$total[["G6(smc)"]], average_r = a$total$average_r,
    feldt_psych = list(n = nrow(x), lower = as.numeric(unlist(a$feldt$lower.ci)),
                       upper = as.numeric(unlist(a$feldt$upper.ci))),
    feldt_neff = list(n = n_eff, lower = ci$lower.ci, upper = ci$upper.ci),
    feldt_neff_90 = list(n = n_eff, lower = ci90$lower.ci, upper = ci90$upper.ci),
    item_n = as.vector(a$item.stats$n), item_mean = as.vector(a$item.stats$mean),
    item_sd = as.vector(a$item.stats$sd), r_drop = as.vector(a$item.stats$r.drop),
    alpha_drop = as.vector(a$alpha.drop$raw_alpha),
    std_alpha_drop = as.vector(a$alpha.drop$std.alpha),
    omega_total = om$omega.tot, omega_total_flip = om_flip$omega.tot, ml_loadings = lam
  )
}

A <- paste0("A", 1:5); Cc <- paste0("C", 1:5); S <- paste0("s", 1:6)
cases <- list(
  one_case("bfi_agree_pairwise", "rel_bfi.csv", A, "A1", c(1, 6), "pairwise"),
  one_case("bfi_agree_listwise", "rel_bfi.csv", A, "A1", c(1, 6), "listwise"),
  one_case("bfi_agree_unkeyed", "rel_bfi.csv", A, character(0), c(1, 6), "pairwise"),
  one_case("bfi_consc_pairwise", "rel_bfi.csv", Cc, c("C4", "C5"), c(1, 6), "pairwise"),
  one_case("bfi_consc_listwise", "rel_bfi.csv", Cc, c("C4", "C5"), c(1, 6), "listwise"),
  one_case("hs_visual", "rel_hs1939.csv", c("x1", "x2", "x3"), character(0), c(0, 10), "pairwise"),
  one_case("hs_textual", "rel_hs1939.csv", c("x4", "x5", "x6"), character(0), c(0, 10), "pairwise"),
  one_case("hs_speed", "rel_hs1939.csv", c("x7", "x8", "x9"), character(0), c(0, 10), "pairwise"),
  one_case("hs_total", "rel_hs1939.csv", paste0("x", 1:9), character(0), c(0, 10), "pairwise"),
  one_case("synth_pairwise", "rel_synth_likert.csv", S, c("s2", "s5"), c(1, 5), "pairwise"),
  one_case("synth_listwise", "rel_synth_likert.csv", S, c("s2", "s5"), c(1, 5), "listwise")
)

## --- lavaan cross-check of omega total (complete data) --------------------
# One-factor CFA by ML; standardized loadings lambda*; omega_t as psych:
# 1 - sum(1 - lambda*^2) / sum(R), R the sample correlation matrix.
lav_omega <- function(id, x) {
  vars <- names(x)
  fit <- lavaan::cfa(paste("f =~", paste(vars, collapse = " + ")), data = x,
                     estimator = "ML", std.lv = TRUE)
  std <- lavaan::standardizedSolution(fit)
  lam <- std$est.std[std$op == "=~"]
  R <- cor(x)
  om <- 1 - sum(1 - lam^2) / sum(R)
  cat(sprintf("lavaan one-factor %-12s omega_t=%.10f\n", id, om))
  list(id = id, data = "rel_hs1939.csv", items = vars, std_loadings = lam, omega_total = om)
}
lav <- list(
  lav_omega("hs_total", hs),
  lav_omega("hs_textual", hs[, c("x4", "x5", "x6")])
)

out <- list(
  meta = list(
    R = R.version.string,
    psych = as.character(packageVersion("psych")),
    lavaan = as.character(packageVersion("lavaan")),
    script = "tests/reference/r/reliability_reference.R"
  ),
  cases = cases,
  lavaan_omega = lav
)
writeLines(toJSON(out, digits = NA, auto_unbox = TRUE, pretty = TRUE), out_json)
cat("wrote", out_json, "\n")
