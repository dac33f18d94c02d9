# Reference values for ccstudy.stats.power.sensitivity (smallest detectable effect).
# Run from the repository root:  Rscript tests/reference/r/power.R
# Writes tests/reference/data/pow_grid.csv and tests/reference/power_reference.json.
suppressPackageStartupMessages(library(jsonlite))
out_dir  <- "tests/reference"
data_dir <- file.path(out_dir, "data")

grid <- expand.grid(n = c(5, 12, 20, 40, 64, 150), alpha = c(0.01, 0.05), power = c(0.8, 0.9))
write.csv(grid, file.path(data_dir, "pow_grid.csv"), row.names = FALSE)

# base R power.t.test; tol tightened because the default (.Machine$double.eps^0.25) only
# gives about 1e-4 accuracy; the default-tol value is stored too for comparison
pt_delta <- function(n, a, p, type, alt = "two.sided", strict = FALSE, tol = 1e-12)
  power.t.test(n = n, sd = 1, sig.level = a, power = p, type = type, alternative = alt,
               strict = strict, tol = tol)$delta
rows <- list()
for (i in seq_len(nrow(grid))) {
  g <- grid[i, ]
  rows[[i]] <- data.frame(
    n = g$n, alpha = g$alpha, power = g$power,
    paired = pt_delta(g$n, g$alpha, g$power, "paired"),
    paired_default_tol = power.t.test(n = g$n, sd = 1, sig.level = g$alpha, power = g$power, type = "paired")$delta,
    paired_one_sided = pt_delta(g$n, g$alpha, g$power, "paired", "one.sided"),
    paired_strict = pt_delta(g$n, g$alpha, g$power, "paired", strict = TRUE),
    two_sample = pt_delta(g$n, g$alpha, g$power, "two.sample"),
    two_sample_strict = pt_delta(g$n, g$alpha, g$power, "two.sample", strict = TRUE),
    # Fisher z closed form (Lachin 1981): r = tanh((z_{1-a/2} + z_{power}) / sqrt(n - 3))
    correlation_fisher = tanh((qnorm(1 - g$alpha / 2) + qnorm(g$power)) / sqrt(g$n - 3)),
    correlation_fisher_one_sided = tanh((qnorm(1 - g$alpha) + qnorm(g$power)) / sqrt(g$n - 3))
  )
}
tab <- do.call(rbind, rows)

# Cohen (1988, ch. 3) approximation as implemented in pwr::pwr.r.test (pwr is not installed here;
# its power function is written out): t-critical r, Fisher z with bias term r / (2 (n - 1))
cohen_power <- function(r, n, a) {
  ttt <- qt(a / 2, df = n - 2, lower = FALSE)
  rc <- sqrt(ttt^2 / (ttt^2 + n - 2))
  zr <- atanh(r) + r / (2 * (n - 1))
  zrc <- atanh(rc)
  pnorm((zr - zrc) * sqrt(n - 3)) + pnorm((-zr - zrc) * sqrt(n - 3))
}
tab$correlation_cohen <- mapply(function(n, a, p)
  uniroot(function(r) cohen_power(r, n, a) - p, c(1e-10, 1 - 1e-10), tol = 1e-13)$root,
  tab$n, tab$alpha, tab$power)

# unequal group sizes: same noncentral t power as power.t.test (strict = FALSE) with
# ncp = d sqrt(n1 n2 / (n1 + n2)) and df = n1 + n2 - 2
unequal <- function(n1, n2, a, p) {
  nu <- n1 + n2 - 2
  f <- function(d) pt(qt(a / 2, nu, lower = FALSE), nu, ncp = d * sqrt(n1 * n2 / (n1 + n2)), lower = FALSE) - p
  uniroot(f, c(1e-7, 1e7), tol = 1e-13, extendInt = "upX")$root
}
uneq <- data.frame(n1 = c(20, 30, 12, 100), n2 = c(40, 30, 50, 35), alpha = c(0.05, 0.05, 0.01, 0.05),
                   power = c(0.8, 0.9, 0.8, 0.8))
uneq$d <- mapply(unequal, uneq$n1, uneq$n2, uneq$alpha, uneq$power)

ref <- list(versions = list(R = R.version.string), grid = tab, unequal = uneq)
writeLines(toJSON(ref, digits = NA, pretty = TRUE, dataframe = "rows", auto_unbox = TRUE),
           file.path(out_dir, "power_reference.json"))
cat("ok\n")
