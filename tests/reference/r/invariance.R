# Reference values for ccstudy.stats.longitudinal_invariance: lavaan cfa() of ONE model holding both waves,
# marker-variable identification, equality labels for loadings (metric) then intercepts (scalar), the
# same item's residuals correlated across waves, ML with the normal likelihood, mean structure.
# Run from the repository root:  Rscript tests/reference/r/invariance.R
# Writes tests/reference/data/inv_*.csv and tests/reference/invariance_reference.json.
suppressPackageStartupMessages({library(jsonlite); library(lavaan); library(psychTools)})
data_dir <- "tests/reference/data"

# lavaan syntax for a ladder level; factors: list(name = items); items named <item>_pre / <item>_post
ladder_syntax <- function(factors, level) {
  lines <- character(0)
  for (f in names(factors)) {
    it <- factors[[f]]
    for (w in c("pre", "post")) {
      terms <- vapply(seq_along(it), function(j) {
        v <- paste0(it[j], "_", w)
        if (j == 1) paste0("1*", v)
        else if (level == "configural") v
        else paste0("l_", it[j], "*", v)
      }, "")
      lines <- c(lines, paste0(f, "_", w, " =~ ", paste(terms, collapse = " + ")))
    }
    if (level == "scalar") lines <- c(lines, paste0(f, "_post ~ 1"))
  }
  for (i in unlist(factors)) {
    lines <- c(lines, paste0(i, "_pre ~~ ", i, "_post"))
    if (level == "scalar") lines <- c(lines, paste0(i, "_pre ~ i_", i, "*1"), paste0(i, "_post ~ i_", i, "*1"))
  }
  paste(lines, collapse = "\n")
}
fit_ladder <- function(wide, factors) {
  out <- list()
  for (level in c("configural", "metric", "scalar")) {
    fit <- cfa(ladder_syntax(factors, level), data = wide, meanstructure = TRUE, estimator = "ML")
    fm <- fitMeasures(fit, c("chisq", "df", "pvalue", "cfi", "tli", "rmsea", "srmr", "npar", "ntotal"))
    pe <- parameterEstimates(fit)
    lat <- pe[pe$op == "~1" & grepl("_post$", pe$lhs) & pe$lhs %in% paste0(names(factors), "_post"), ]
    cat(sprintf("%-10s chi2=%.10f df=%d cfi=%.10f tli=%.10f rmsea=%.10f srmr=%.10f npar=%d\n", level,
                fm["chisq"], as.integer(fm["df"]), fm["cfi"], fm["tli"], fm["rmsea"], fm["srmr"], as.integer(fm["npar"])))
    out[[level]] <- c(as.list(fm), list(converged = lavInspect(fit, "converged"),
                      latent_means = setNames(as.list(lat$est), sub("_post$", "", lat$lhs))))
    if (level == "configural") {
      ld <- pe[pe$op == "=~", ]
      out$loadings <- data.frame(factor = ld$lhs, item = ld$rhs, est = ld$est)
    }
  }
  out
}

# 1. lavaan::PoliticalDemocracy (Bollen 1989): the same four democracy indicators in 1960 (y1-y4) and
#    1965 (y5-y8), 75 countries.
pd <- lavaan::PoliticalDemocracy
pd_pre <- data.frame(id = seq_len(nrow(pd)), press = pd$y1, freedom = pd$y2, elections = pd$y3, legislature = pd$y4)
pd_post <- data.frame(id = seq_len(nrow(pd)), press = pd$y5, freedom = pd$y6, elections = pd$y7, legislature = pd$y8)
write.csv(rbind(cbind(wave = "pre", pd_pre), cbind(wave = "post", pd_post)),
          file.path(data_dir, "inv_politicaldemocracy.csv"), row.names = FALSE)
# 2. psychTools::sai (state anxiety, 1-4 Likert): people measured at time 1 and time 2 of their study;
#    two factors (tension, calm) of four items each; people with a missing answer are kept (listwise in the fit).
sai <- psychTools::sai
items_sai <- c("tense", "anxious", "nervous", "jittery", "calm", "relaxed", "at.ease", "secure")
s1 <- sai[sai$time == 1, c("study", "id", items_sai)]
s2 <- sai[sai$time == 2, c("study", "id", items_sai)]
keep <- paste(s1$study, s1$id) %in% paste(s2$study, s2$id)
s1 <- s1[keep, ]; s2 <- s2[match(paste(s1$study, s1$id), paste(s2$study, s2$id)), ]
s1$person <- s2$person <- paste(s1$study, s1$id, sep = "_")
names(s1) <- names(s2) <- sub(".", "_", names(s1), fixed = TRUE)
items_sai <- sub(".", "_", items_sai, fixed = TRUE)
write.csv(rbind(cbind(wave = "pre", s1[, c("person", items_sai)]), cbind(wave = "post", s2[, c("person", items_sai)])),
          file.path(data_dir, "inv_sai.csv"), row.names = FALSE, na = "")

wide_of <- function(pre, post, items) {
  a <- pre[, items]; names(a) <- paste0(items, "_pre")
  b <- post[, items]; names(b) <- paste0(items, "_post")
  cbind(a, b)
}
f_pd <- list(democracy = c("press", "freedom", "elections", "legislature"))
f_sai <- list(tension = c("tense", "anxious", "nervous", "jittery"), calmness = c("calm", "relaxed", "at_ease", "secure"))
w_sai <- wide_of(s1, s2, items_sai)
cat("sai complete cases:", sum(complete.cases(w_sai)), "of", nrow(w_sai), "\n")
ref <- list(
  versions = list(R = R.version.string, lavaan = as.character(packageVersion("lavaan")),
                  psychTools = as.character(packageVersion("psychTools"))),
  politicaldemocracy = c(list(factors = f_pd), fit_ladder(wide_of(pd_pre, pd_post, unlist(f_pd)), f_pd)),
  sai = c(list(factors = f_sai), fit_ladder(w_sai, f_sai)),
  sai_tension = c(list(factors = f_sai["tension"]), fit_ladder(w_sai, f_sai["tension"]))
)
cat("scalar syntax (sai):\n", ladder_syntax(f_sai, "scalar"), "\n")
writeLines(toJSON(ref, auto_unbox = TRUE, digits = NA, na = "null", pretty = TRUE, dataframe = "rows"),
           file.path("tests/reference", "invariance_reference.json"))
cat("ok\n")
