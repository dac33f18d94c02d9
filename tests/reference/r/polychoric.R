# Reference values for ccstudy.stats.polychoric and reliability(correlation = "polychoric")
# (ordinal alpha and omega, Zumbo, Gadermann & Zeisser 2007).
# Run from the repository root:  Rscript tests/reference/r/polychoric.R
# Reads tests/reference/data/rel_bfi.csv (psych::bfi A1-A5, C1-C5, with NAs) and rel_synth_likert.csv;
# writes tests/reference/data/poly_mixed_max.csv and tests/reference/poly_reference.json.
suppressPackageStartupMessages({library(jsonlite); library(psych)})
data_dir <- "tests/reference/data"
bfi <- read.csv(file.path(data_dir, "rel_bfi.csv"))
syn <- read.csv(file.path(data_dir, "rel_synth_likert.csv"))
# items with different highest categories -> psych sets global = FALSE (pairwise thresholds, 0.5 correction)
mixed <- syn
mixed$s1[mixed$s1 == 5] <- 4
mixed$s4[mixed$s4 == 1] <- 2
mixed$s4[mixed$s4 == 5 & seq_len(nrow(mixed)) %% 3 == 0] <- 4
write.csv(mixed, file.path(data_dir, "poly_mixed_max.csv"), row.names = FALSE, na = "")

one <- function(x, reverse = character(0)) {
  pc <- suppressWarnings(polychoric(x))
  R <- pc$rho
  keys <- if (length(reverse)) reverse else NULL
  a <- suppressWarnings(psych::alpha(R, keys = keys, warnings = FALSE))
  k <- rep(1, ncol(x)); k[colnames(x) %in% reverse] <- -1
  Rk <- diag(k) %*% R %*% diag(k); dimnames(Rk) <- dimnames(R)
  om <- suppressWarnings(suppressMessages(psych::omega(Rk, nfactors = 1, fm = "ml", plot = FALSE, flip = FALSE)))
  cat(sprintf("%s: ordinal alpha=%.10f omega_t=%.10f G6=%.10f av_r=%.10f r12=%.10f\n",
              paste(colnames(x), collapse = ","), a$total$raw_alpha, om$omega.tot, a$total[["G6(smc)"]],
              a$total$average_r, R[1, 2]))
  list(items = colnames(x), reverse = reverse, rho = unname(R), tau = unname(pc$tau),
       ordinal_alpha = a$total$raw_alpha, std_alpha = a$total$std.alpha, average_r = a$total$average_r,
       lambda6 = a$total[["G6(smc)"]], omega_total = om$omega.tot,
       alpha_if_deleted = a$alpha.drop$raw_alpha, item_rest_r = a$item.stats$r.drop)
}
A <- paste0("A", 1:5); Cc <- paste0("C", 1:5); S <- paste0("s", 1:6)
ref <- list(
  versions = list(R = R.version.string, psych = as.character(packageVersion("psych")),
                  mnormt = as.character(packageVersion("mnormt"))),
  bfi_agree = c(list(data = "rel_bfi.csv"), one(bfi[, A], "A1")),
  bfi_consc = c(list(data = "rel_bfi.csv"), one(bfi[, Cc], c("C4", "C5"))),
  bfi_consc_listwise = c(list(data = "rel_bfi.csv"), one(na.omit(bfi[, Cc]), c("C4", "C5"))),
  synth = c(list(data = "rel_synth_likert.csv"), one(syn[, S], c("s2", "s5"))),
  mixed_max = c(list(data = "poly_mixed_max.csv"), one(mixed[, S], c("s2", "s5")))
)
writeLines(toJSON(ref, auto_unbox = TRUE, digits = NA, na = "null", pretty = TRUE),
           file.path("tests/reference", "poly_reference.json"))
cat("ok\n")
