# Reference values for ccstudy.stats.effects (paired_effect, controlled_effect, did, mixed_effect).
# Run from the repository root:  Rscript tests/reference/r/effects.R
# Writes tests/reference/data/eff_*.csv and tests/reference/effects_reference.json.
suppressPackageStartupMessages({
  library(jsonlite); library(effectsize); library(sandwich); library(lmtest); library(lme4); library(MASS); library(nlme)
})
out_dir  <- "tests/reference"
data_dir <- file.path(out_dir, "data")
wcsv <- function(d, name) write.csv(d, file.path(data_dir, name), row.names = FALSE, na = "")

# ---- paired data sets ------------------------------------------------------
# sleep: extra sleep of 10 patients under drug 2 (post) and drug 1 (pre); ties and one zero
sl <- data.frame(id = 1:10, pre = sleep$extra[sleep$group == 1], post = sleep$extra[sleep$group == 2])
wcsv(sl, "eff_sleep.csv")
# anorexia (MASS): pre/post weight of 72 patients, 3 treatments (also used for ANCOVA)
ano <- MASS::anorexia
wcsv(ano, "eff_anorexia.csv")
# ChickWeight: weight at day 0 (pre) and day 21 (post); 5 chicks lack day 21 -> NA
cw0 <- ChickWeight[ChickWeight$Time == 0, c("Chick", "Diet", "weight")]
cw21 <- ChickWeight[ChickWeight$Time == 21, c("Chick", "weight")]
cw <- merge(cw0, cw21, by = "Chick", all.x = TRUE, suffixes = c("_pre", "_post"))
cw <- data.frame(chick = as.integer(as.character(cw$Chick)), diet = as.integer(as.character(cw$Diet)),
                 pre = cw$weight_pre, post = cw$weight_post)
cw <- cw[order(cw$chick), ]
# day-10 weight as an alternative baseline with more spread
cw10 <- ChickWeight[ChickWeight$Time == 10, c("Chick", "weight")]
cw$day10 <- cw10$weight[match(cw$chick, as.integer(as.character(cw10$Chick)))]
wcsv(cw, "eff_chickweight.csv")
# synthetic: exact-p small n (no ties, no zeros), ties+zeros, n >= 50 without ties, with NAs
syn_exact <- data.frame(pre = c(3.1, 2.8, 3.6, 4.0, 2.5, 3.3, 3.9, 2.2),
                        post = c(3.5, 3.4, 3.3, 4.9, 3.3, 3.2, 4.6, 3.2))
wcsv(syn_exact, "eff_synthetic_exact.csv")
syn_ties <- data.frame(pre = c(3, 4, 2, 5, 3, 4, 3, 2, 4, 3, 5, 2, NA, 4),
                       post = c(4, 4, 3, 5, 5, 3, 4, 4, 5, 3, 5, 3, 4, NA))
wcsv(syn_ties, "eff_synthetic_ties.csv")
set.seed(20240101)
syn_large <- data.frame(pre = round(rnorm(60, 3.2, 0.6), 4))
syn_large$post <- round(syn_large$pre + rnorm(60, 0.25, 0.5), 4)
syn_large$pre[c(5, 17)] <- NA
wcsv(syn_large, "eff_synthetic_large.csv")

uniroot_ncp <- function(t, df, p) uniroot(function(ncp) pt(t, df, ncp) - p, c(t - 50, t + 50), tol = 1e-13)$root
paired_ref <- function(post, pre, conf = 0.95) {
  ok <- complete.cases(post, pre)
  tt <- t.test(post, pre, paired = TRUE, conf.level = conf)
  d <- suppressWarnings(effectsize::cohens_d(post, pre, paired = TRUE, ci = conf))
  g <- suppressWarnings(effectsize::hedges_g(post, pre, paired = TRUE, ci = conf))
  w <- suppressWarnings(wilcox.test(post, pre, paired = TRUE))
  n <- sum(ok); a <- 1 - conf
  diffs <- post[ok] - pre[ok]
  list(n = n, n_dropped = sum(!ok), mean_diff = mean(diffs), sd_diff = sd(diffs),
       t = unname(tt$statistic), df = unname(tt$parameter), p = tt$p.value,
       ci_low = tt$conf.int[1], ci_high = tt$conf.int[2],
       cohens_d = d$Cohens_d, d_ci_low = d$CI_low, d_ci_high = d$CI_high,
       d_ci_low_uniroot = uniroot_ncp(unname(tt$statistic), n - 1, 1 - a / 2) / sqrt(n),
       d_ci_high_uniroot = uniroot_ncp(unname(tt$statistic), n - 1, a / 2) / sqrt(n),
       hedges_g = g$Hedges_g, g_ci_low = g$CI_low, g_ci_high = g$CI_high,
       wilcoxon_v = unname(w$statistic), wilcoxon_p = w$p.value, wilcoxon_method = w$method)
}
ref <- list()
ref$versions <- list(R = R.version.string, effectsize = as.character(packageVersion("effectsize")),
                     sandwich = as.character(packageVersion("sandwich")), lmtest = as.character(packageVersion("lmtest")),
                     lme4 = as.character(packageVersion("lme4")), MASS = as.character(packageVersion("MASS")),
                     nlme = as.character(packageVersion("nlme")))
ref$paired <- list(
  sleep            = paired_ref(sl$post, sl$pre),
  sleep_90         = paired_ref(sl$post, sl$pre, 0.90),
  anorexia         = paired_ref(ano$Postwt, ano$Prewt),
  anorexia_ft      = paired_ref(ano$Postwt[ano$Treat == "FT"], ano$Prewt[ano$Treat == "FT"]),
  chickweight      = paired_ref(cw$post, cw$pre),
  synthetic_exact  = paired_ref(syn_exact$post, syn_exact$pre),
  synthetic_ties   = paired_ref(syn_ties$post, syn_ties$pre),
  synthetic_large  = paired_ref(syn_large$post, syn_large$pre)
)

# ---- ANCOVA ------------------------------------------------------------------
ancova_ref <- function(d, formula, term_prefix, conf = 0.95) {
  fit <- lm(formula, data = d)
  s <- summary(fit); co <- coef(s); ci <- confint(fit, level = conf)
  rows <- grep(term_prefix, rownames(co), fixed = TRUE)
  list(n = nobs(fit), df_resid = fit$df.residual, r2 = s$r.squared, adj_r2 = s$adj.r.squared, sigma = s$sigma,
       intercept = unname(coef(fit)[1]),
       baseline = list(b = co[2, 1], se = co[2, 2], p = co[2, 4], ci_low = ci[2, 1], ci_high = ci[2, 2]),
       effects = data.frame(level = sub(term_prefix, "", rownames(co)[rows], fixed = TRUE),
                            b = co[rows, 1], se = co[rows, 2], t = co[rows, 3], p = co[rows, 4],
                            ci_low = ci[rows, 1], ci_high = ci[rows, 2], row.names = NULL))
}
ano$Treat2 <- relevel(ano$Treat, ref = "Cont")
cw$diet_f <- factor(cw$diet)
mt <- mtcars; mt$cyl_f <- relevel(factor(mt$cyl), ref = "6")
wcsv(mtcars[, c("mpg", "disp", "cyl")], "eff_mtcars.csv")
set.seed(7)
syn_anc <- data.frame(agent_id = 1:40, group = rep(c("trained", "control"), each = 20),
                      pre = round(rnorm(40, 3.4, 0.5), 3))
syn_anc$post <- round(0.3 + 0.85 * syn_anc$pre + 0.3 * (syn_anc$group == "trained") + rnorm(40, 0, 0.3), 3)
syn_anc$post[c(3, 28)] <- NA
wcsv(syn_anc, "eff_synthetic_ancova.csv")
syn_anc$group_f <- relevel(factor(syn_anc$group), ref = "control")
ref$ancova <- list(
  anorexia_cont = ancova_ref(ano, Postwt ~ Prewt + Treat2, "Treat2"),
  anorexia_cbt  = ancova_ref(transform(ano, T3 = relevel(Treat, ref = "CBT")), Postwt ~ Prewt + T3, "T3"),
  chickweight   = ancova_ref(cw, post ~ day10 + diet_f, "diet_f"),
  mtcars_cyl6   = ancova_ref(mt, mpg ~ disp + cyl_f, "cyl_f"),
  mtcars_cyl6_90 = ancova_ref(mt, mpg ~ disp + cyl_f, "cyl_f", 0.90),
  synthetic     = ancova_ref(syn_anc, post ~ pre + group_f, "group_f")
)

# ---- difference in differences (agent-clustered CR1 = vcovCL type "HC1") ------
did_ref <- function(d, y, unit, time, conf = 0.95) {
  d <- d[!is.na(d[[y]]), ]
  d$D <- d$treated * d$post
  G <- length(unique(d[[unit]]))
  f1 <- as.formula(paste(y, "~ treated + post + D"))
  fit1 <- lm(f1, data = d)
  V1 <- vcovCL(fit1, cluster = d[[unit]], type = "HC1")
  ct1 <- coeftest(fit1, vcov. = V1, df = G - 1); ci1 <- coefci(fit1, vcov. = V1, df = G - 1, level = conf)
  f2 <- as.formula(paste(y, "~ D + factor(", unit, ") + factor(", time, ")"))
  fit2 <- lm(f2, data = d)
  V2 <- vcovCL(fit2, cluster = d[[unit]], type = "HC1")
  ct2 <- coeftest(fit2, vcov. = V2, df = G - 1); ci2 <- coefci(fit2, vcov. = V2, df = G - 1, level = conf)
  list(n = nrow(d), n_clusters = G,
       interaction = list(estimate = ct1["D", 1], se = ct1["D", 2], t = ct1["D", 3], p = ct1["D", 4],
                          ci_low = ci1["D", 1], ci_high = ci1["D", 2], df = G - 1,
                          se_iid = coef(summary(fit1))["D", 2]),
       twoway = list(estimate = ct2["D", 1], se = ct2["D", 2], t = ct2["D", 3], p = ct2["D", 4],
                     ci_low = ci2["D", 1], ci_high = ci2["D", 2], df = G - 1))
}
set.seed(11)
agents <- 30; months <- 12
panel <- expand.grid(month = 1:months, agent_id = 1:agents)
panel <- panel[, c("agent_id", "month")]
panel$treated <- as.integer(panel$agent_id <= 15)
panel$post <- as.integer(panel$month >= 7)
a_eff <- rnorm(agents, 0, 4)[panel$agent_id]; m_eff <- rnorm(months, 0, 2)[panel$month]
panel$fcr <- round(70 + a_eff + m_eff + 3 * panel$treated * panel$post + rnorm(nrow(panel), 0, 3), 3)
panel$fcr[c(4, 50, 51, 200, 333)] <- NA
wcsv(panel, "eff_did_panel.csv")
ss <- lme4::sleepstudy
ss$subject <- as.integer(as.character(ss$Subject))
ss$treated <- as.integer(ss$subject %in% c(308, 309, 310, 330, 331, 332, 333, 334, 335))
ss$post <- as.integer(ss$Days >= 5)
ss_out <- ss[, c("subject", "Days", "Reaction", "treated", "post")]
wcsv(ss_out, "eff_sleepstudy.csv")
data("PetersenCL", package = "sandwich")
pc <- PetersenCL[PetersenCL$firm <= 100, ]
pc$treated <- as.integer(pc$firm %% 2 == 0)
pc$post <- as.integer(pc$year >= 6)
wcsv(pc, "eff_petersen.csv")
ref$did <- list(
  synthetic_panel = did_ref(panel, "fcr", "agent_id", "month"),
  sleepstudy      = did_ref(ss_out, "Reaction", "subject", "Days"),
  petersen        = did_ref(pc, "y", "firm", "year"),
  petersen_90     = did_ref(pc, "y", "firm", "year", 0.90)
)

# ---- mixed models (lme4::lmer, REML) ------------------------------------------
lmer_ref <- function(formula, d) {
  m <- lmer(formula, data = d, REML = TRUE)
  vc <- as.data.frame(VarCorr(m))
  fe <- summary(m)$coefficients
  list(n = nobs(m), n_groups = unname(ngrps(m)[1]),
       fixed = data.frame(term = rownames(fe), b = fe[, 1], se = fe[, 2], row.names = NULL),
       group_var = vc$vcov[1], resid_var = vc$vcov[nrow(vc)], reml_loglik = as.numeric(logLik(m)))
}
set.seed(3)
teams <- 12
syn_mixed <- data.frame(agent_id = 1:120, team = rep(sprintf("T%02d", 1:teams), each = 10))
syn_mixed$group <- ifelse(syn_mixed$agent_id %% 2 == 0, "trained", "control")
syn_mixed$pre <- round(rnorm(120, 3.3, 0.5), 3)
t_eff <- rnorm(teams, 0, 0.25)[as.integer(factor(syn_mixed$team))]
syn_mixed$post <- round(0.5 + 0.8 * syn_mixed$pre + 0.25 * (syn_mixed$group == "trained") + t_eff + rnorm(120, 0, 0.3), 3)
syn_mixed$post[c(7, 55, 90)] <- NA
wcsv(syn_mixed, "eff_synthetic_mixed.csv")
orth <- as.data.frame(nlme::Orthodont)
orth$Subject <- as.character(orth$Subject); orth$Sex <- as.character(orth$Sex)
wcsv(orth, "eff_orthodont.csv")
cwl <- as.data.frame(ChickWeight)
cwl$Chick <- as.integer(as.character(cwl$Chick)); cwl$Diet <- as.integer(as.character(cwl$Diet))
wcsv(cwl, "eff_chickweight_long.csv")
syn_mixed$group_f <- relevel(factor(syn_mixed$group), ref = "control")
ref$mixed <- list(
  sleepstudy  = lmer_ref(Reaction ~ Days + (1 | Subject), lme4::sleepstudy),
  synthetic   = lmer_ref(post ~ pre + group_f + (1 | team), syn_mixed),
  orthodont   = lmer_ref(distance ~ age + Sex + (1 | Subject), orth),
  chickweight = lmer_ref(weight ~ Time + factor(Diet) + (1 | Chick), cwl)
)
writeLines(toJSON(ref, auto_unbox = TRUE, digits = NA, na = "null", pretty = TRUE, dataframe = "rows"),
           file.path(out_dir, "effects_reference.json"))
cat("ok\n")
