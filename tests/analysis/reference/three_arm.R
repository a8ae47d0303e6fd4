# Reference values for the three-arm analysis (issue 16): each active arm (serum, igg) against
# placebo on ../data/three_arm.csv, EASI change from baseline (week 0) to week 12, full analysis
# set (a baseline and at least one post-baseline value). The ANCOVA fits all three arms in one
# model (lm(change ~ arm + baseline), emmeans LS means); the other methods compare each pair.
#   Rscript three_arm.R   -> three_arm.json
suppressMessages({library(jsonlite); library(nlme); library(emmeans)})
d <- read.csv("../data/three_arm.csv")
d <- d[!is.na(d$easi), ]
base <- d[d$week == 0, c("subject_id", "easi")]
names(base)[2] <- "baseline"
post <- merge(d[d$week > 0, c("subject_id", "arm", "week", "easi")], base, by = "subject_id")
post$change <- post$easi - post$baseline
post$pct <- ifelse(post$baseline == 0, NA, (post$baseline - post$easi) / post$baseline * 100)
w12 <- post[post$week == 12, ]
rules <- list(easi_50 = 50, easi_75 = 75, easi_90 = 90, easi_100 = 100)
tol <- 1e-9
flag <- function(r, s) {
  if (r == "easi_mcid") return(s$baseline - s$easi >= 6.6 - tol * 6.6)
  thr <- rules[[r]]
  s$baseline - s$easi >= s$baseline * thr / 100 - tol * pmax(abs(s$baseline * thr / 100), 1)
}
# ANCOVA: all three arms in one model, placebo the reference (emmeans trt.vs.ctrl, unadjusted)
w12$armf <- relevel(factor(w12$arm), ref = "placebo")
all3 <- lm(change ~ armf + baseline, data = w12)
emm <- emmeans(all3, "armf")
lsm <- summary(emm)
av <- anova(lm(change ~ baseline, data = w12), all3)
out <- list(
  ls_means = lapply(seq_len(nrow(lsm)), function(i) list(
    arm = as.character(lsm$armf[i]), estimate = lsm$emmean[i], se = lsm$SE[i],
    ci_low = lsm$lower.CL[i], ci_high = lsm$upper.CL[i], df = lsm$df[i])),
  overall = list(statistic = av$F[2], df1 = av$Df[2], df2 = av$Res.Df[2],
                 p_value = av$`Pr(>F)`[2])
)
for (arm in c("igg", "serum")) {
  pair <- w12[w12$arm %in% c(arm, "placebo"), ]
  pair$group <- as.integer(pair$arm == arm)
  fit <- summary(all3)$coefficients[paste0("armf", arm), ]
  ci <- confint(all3)[paste0("armf", arm), ]
  x <- pair$change[pair$group == 1]; y <- pair$change[pair$group == 0]
  mw <- suppressWarnings(wilcox.test(x, y, conf.int = TRUE))
  resp <- list()
  for (r in c(names(rules), "easi_mcid")) {
    f1 <- flag(r, pair[pair$group == 1, ]); f0 <- flag(r, pair[pair$group == 0, ])
    tab <- matrix(c(sum(f1), sum(!f1), sum(f0), sum(!f0)), 2)
    resp[[r]] <- list(k1 = sum(f1), n1 = length(f1), k0 = sum(f0), n0 = length(f0),
                      fisher_p_value = fisher.test(tab)$p.value)
  }
  s <- post[post$arm %in% c(arm, "placebo"), ]
  s$group <- as.integer(s$arm == arm)
  s$visit <- factor(s$week)
  s$visit_index <- as.integer(s$visit)
  g <- gls(change ~ group * visit + baseline * visit, data = s,
           correlation = corSymm(form = ~ visit_index | subject_id),
           weights = varIdent(form = ~ 1 | visit), method = "REML",
           control = glsControl(maxIter = 200, msMaxIter = 200, tolerance = 1e-10,
                                msTol = 1e-10))
  L <- setNames(rep(0, length(coef(g))), names(coef(g)))
  L["group"] <- 1; L["group:visit12"] <- 1
  est <- sum(L * coef(g)); se <- sqrt(drop(t(L) %*% vcov(g) %*% L))
  dfm <- nrow(s) - length(coef(g))
  out[[arm]] <- list(
    ancova = list(estimate = unname(fit["Estimate"]), se = unname(fit["Std. Error"]),
                  statistic = unname(fit["t value"]), p_value = unname(fit["Pr(>|t|)"]),
                  df = all3$df.residual, ci_low = unname(ci[1]), ci_high = unname(ci[2]),
                  n_treatment = length(x), n_control = length(y)),
    mann_whitney = list(statistic = unname(mw$statistic), p_value = mw$p.value,
                        estimate = unname(mw$estimate)),
    mmrm_week12 = list(estimate = est, se = se, statistic = est / se, df = dfm,
                       p_value = 2 * pt(-abs(est / se), dfm)),
    responders = resp
  )
}
# non-responder imputation: every FAS subject (treated, a baseline and a post-baseline
# assessment of any instrument, as the ADSL defines it) without an EASI response at week 12 is a
# non-responder (the composite strategy for discontinuation); S003 has no EASI at week 0
raw <- read.csv("../data/three_arm.csv")
inst <- c("easi", "scorad", "dlqi", "poem", "viga_ad")
any_value <- rowSums(!is.na(raw[, inst])) > 0
pre <- unique(raw$subject_id[raw$week <= 0 & any_value])
postb <- unique(raw$subject_id[raw$week > 0 & any_value])
fas <- unique(raw[raw$subject_id %in% intersect(pre, postb), c("subject_id", "arm")])
nri <- list()
for (arm in c("igg", "serum")) {
  nri[[arm]] <- list()
  for (r in c(names(rules), "easi_mcid")) {
    count <- function(a) {
      ids <- fas$subject_id[fas$arm == a]
      s <- w12[w12$subject_id %in% ids, ]
      c(k = sum(flag(r, s)), n = length(ids))
    }
    t1 <- count(arm); t0 <- count("placebo")
    nri[[arm]][[r]] <- list(k1 = unname(t1["k"]), n1 = unname(t1["n"]), k0 = unname(t0["k"]),
                            n0 = unname(t0["n"]),
                            fisher_p_value = fisher.test(matrix(c(t1["k"], t1["n"] - t1["k"],
                                                                  t0["k"], t0["n"] - t0["k"]),
                                                                2))$p.value)
  }
}
out$non_responder_imputation <- nri
# One-sided at the 90 % level (--alternative less --conf-level 0.9): the Mann-Whitney of each
# arm against placebo (change lower on treatment) and Fisher's test of the responders in the
# direction of benefit (more responders on treatment: alternative = "greater")
one <- list()
for (arm in c("igg", "serum")) {
  pair <- w12[w12$arm %in% c(arm, "placebo"), ]
  x <- pair$change[pair$arm == arm]; y <- pair$change[pair$arm == "placebo"]
  mw <- suppressWarnings(wilcox.test(x, y, alternative = "less", conf.int = TRUE,
                                     conf.level = 0.9))
  resp <- list()
  for (r in c(names(rules), "easi_mcid")) {
    f1 <- flag(r, pair[pair$arm == arm, ]); f0 <- flag(r, pair[pair$arm == "placebo", ])
    tab <- matrix(c(sum(f1), sum(!f1), sum(f0), sum(!f0)), 2)
    resp[[r]] <- fisher.test(tab, alternative = "greater")$p.value
  }
  one[[arm]] <- list(mann_whitney = list(statistic = unname(mw$statistic), p_value = mw$p.value,
                                         estimate = unname(mw$estimate),
                                         ci_high = mw$conf.int[2]),
                     fisher_greater = resp)
}
# Within each arm, the change to week 12 tested one-sided (the score falls):
# wilcox.test(change, alternative = "less", conf.int = TRUE, conf.level = 0.9) (signed rank)
# and t.test(change, alternative = "less", conf.level = 0.9)
for (arm in c("igg", "placebo", "serum")) {
  ch <- w12$change[w12$arm == arm]
  sr <- suppressWarnings(wilcox.test(ch, alternative = "less", conf.int = TRUE,
                                     conf.level = 0.9))
  tt <- t.test(ch, alternative = "less", conf.level = 0.9)
  one$within[[arm]] <- list(n = length(ch), wilcoxon_statistic = unname(sr$statistic),
                            wilcoxon_p_value = sr$p.value,
                            wilcoxon_method = if (grepl("exact", sr$method)) "exact" else "normal",
                            hl_estimate = unname(sr$estimate), hl_ci_high = sr$conf.int[2],
                            t_statistic = unname(tt$statistic), t_p_value = tt$p.value)
}
out$less_90 <- one
writeLines(toJSON(out, digits = NA, auto_unbox = TRUE, pretty = TRUE), "three_arm.json")
