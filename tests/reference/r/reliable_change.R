# Reference values for ccstudy.stats.reliable_change (Jacobson & Truax 1991 RCI).
# Run from the repository root:  Rscript tests/reference/r/reliable_change.R
# Writes tests/reference/rc_reference.json (data: tests/reference/data/eff_anorexia.csv = MASS::anorexia).
suppressPackageStartupMessages({library(jsonlite); library(MASS)})
rc <- function(pre, post, rel, conf = 0.95, sd1 = sd(pre, na.rm = TRUE)) {
  sdiff <- sd1 * sqrt(2) * sqrt(1 - rel)
  z <- qnorm(1 - (1 - conf) / 2)
  rci <- (post - pre) / sdiff
  ok <- !is.na(rci)
  status <- ifelse(rci > z, "improved", ifelse(rci < -z, "deteriorated", "unchanged"))
  list(n = sum(ok), sd = sd1, se_diff = sdiff, threshold = z, rci = rci, status = status,
       share_improved = mean(status[ok] == "improved"), share_deteriorated = mean(status[ok] == "deteriorated"),
       share_unchanged = mean(status[ok] == "unchanged"))
}
ano <- MASS::anorexia
ref <- list(
  versions = list(R = R.version.string, MASS = as.character(packageVersion("MASS"))),
  anorexia_090 = rc(ano$Prewt, ano$Postwt, 0.90),
  anorexia_cbt_080_conf90 = rc(ano$Prewt[ano$Treat == "CBT"], ano$Postwt[ano$Treat == "CBT"], 0.80, conf = 0.90)
)
str(ref[-1])
writeLines(toJSON(ref, auto_unbox = TRUE, digits = NA, na = "null", pretty = TRUE),
           file.path("tests/reference", "rc_reference.json"))
cat("ok\n")
