# Reference values for ccstudy.stats.mixed_effect on UNBALANCED nested data, where the fixed-effect
# standard errors of lme4 (sigma^2 (X' V^-1 X)^-1, i.e. vcov(fit)) differ from the inverse of the
# joint Hessian.  Run from the repository root:  Rscript tests/reference/r/mixed_unbalanced.R
# Writes tests/reference/data/mix_*.csv and tests/reference/mixed_unbalanced_reference.json.
suppressPackageStartupMessages({library(jsonlite); library(lme4); library(nlme); library(psych)})
out_dir  <- "tests/reference"
data_dir <- file.path(out_dir, "data")
wcsv <- function(d, name) write.csv(d, file.path(data_dir, name), row.names = FALSE, na = "")

lmer_ref <- function(formula, d, reml = TRUE) {
  m <- lmer(formula, data = d, REML = reml)
  vc <- as.data.frame(VarCorr(m))
  fe <- summary(m)$coefficients
  list(n = nobs(m), n_groups = unname(ngrps(m)[1]), reml = reml,
       fixed = data.frame(term = rownames(fe), b = fe[, 1], se = fe[, 2], row.names = NULL),
       group_var = vc$vcov[1], resid_var = vc$vcov[nrow(vc)], loglik = as.numeric(logLik(m)))
}

# nlme::MathAchieve: 7185 students in 160 schools (14 to 67 per school); SES varies within and
# between schools.  School sector from nlme::MathAchSchool.
ma <- as.data.frame(nlme::MathAchieve)
ms <- as.data.frame(nlme::MathAchSchool)
ma <- data.frame(School = as.character(ma$School), SES = ma$SES, MathAch = ma$MathAch, MEANSES = ma$MEANSES,
                 Sector = as.character(ms$Sector[match(ma$School, ms$School)]))
wcsv(ma, "mix_mathachieve.csv")
# lme4::grouseticks: 403 chicks in 118 broods (1 to 10 per brood); HEIGHT varies between broods only
gt <- as.data.frame(lme4::grouseticks)
gt <- data.frame(BROOD = as.character(gt$BROOD), TICKS = gt$TICKS, YEAR = as.character(gt$YEAR),
                 HEIGHT = gt$HEIGHT)
wcsv(gt, "mix_grouseticks.csv")
# psych::sat.act: 700 students in 6 education levels (52 to 275 per level), two missing SATQ
sa <- as.data.frame(psych::sat.act)
sa$education <- as.character(sa$education)
wcsv(sa, "mix_satact.csv")

ref <- list(
  versions = list(R = R.version.string, lme4 = as.character(packageVersion("lme4")),
                  nlme = as.character(packageVersion("nlme")), psych = as.character(packageVersion("psych"))),
  mathach_ses        = lmer_ref(MathAch ~ SES + (1 | School), ma),
  mathach_ses_ml     = lmer_ref(MathAch ~ SES + (1 | School), ma, reml = FALSE),
  mathach_ses_sector = lmer_ref(MathAch ~ SES + MEANSES + Sector + (1 | School), ma),
  grouseticks        = lmer_ref(TICKS ~ YEAR + HEIGHT + (1 | BROOD), gt),
  satact             = lmer_ref(SATQ ~ age + gender + ACT + (1 | education), sa)
)
for (nm in setdiff(names(ref), "versions")) { cat(nm, "\n"); print(ref[[nm]]$fixed, digits = 15) }
writeLines(toJSON(ref, auto_unbox = TRUE, digits = NA, na = "null", pretty = TRUE, dataframe = "rows"),
           file.path(out_dir, "mixed_unbalanced_reference.json"))
cat("ok\n")
