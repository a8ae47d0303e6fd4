# Reference values for autoserum.stats.linear_model: R lm + emmeans on the three-arm fixture
# (../../analysis/data/three_arm.csv): EASI change from baseline (week 0) to week 12,
# y ~ arm + baseline [+ age + site + sex], control placebo.
#   Rscript linear_model.R   -> linear_model.json
suppressMessages({library(jsonlite); library(emmeans)})
d <- read.csv("../../analysis/data/three_arm.csv")
d <- d[!is.na(d$easi), ]
base <- d[d$week == 0, c("subject_id", "easi")]
names(base)[2] <- "baseline"
w <- merge(d[d$week == 12, c("subject_id", "arm", "age", "site", "sex", "easi")], base,
           by = "subject_id")
w$change <- w$easi - w$baseline
w$arm <- relevel(factor(w$arm), ref = "placebo")
w$site <- factor(w$site); w$sex <- factor(w$sex)
write.csv(w[, c("subject_id", "arm", "age", "site", "sex", "baseline", "change")],
          "linear_model_data.csv", row.names = FALSE)
fit_case <- function(formula, reduced, level = 0.95, side = "two-sided") {
  fit <- lm(formula, data = w)
  emm <- emmeans(fit, "arm", level = level)
  lsm <- summary(emm, level = level)
  sd <- switch(side, "two-sided" = 0, less = -1, greater = 1)
  con <- summary(contrast(emm, "trt.vs.ctrl", ref = "placebo", adjust = "none"),
                 infer = c(TRUE, TRUE), level = level, side = sd)
  av <- anova(lm(reduced, data = w), fit)
  list(
    formula = deparse(formula), conf_level = level, alternative = side,
    df_residual = fit$df.residual, sigma = summary(fit)$sigma,
    ls_means = lapply(seq_len(nrow(lsm)), function(i) list(
      arm = as.character(lsm$arm[i]), estimate = lsm$emmean[i], se = lsm$SE[i],
      ci_low = lsm$lower.CL[i], ci_high = lsm$upper.CL[i], df = lsm$df[i])),
    contrasts = lapply(seq_len(nrow(con)), function(i) list(
      contrast = as.character(con$contrast[i]), estimate = con$estimate[i], se = con$SE[i],
      ci_low = if (is.null(con$lower.CL)) -Inf else con$lower.CL[i],
      ci_high = if (is.null(con$upper.CL)) Inf else con$upper.CL[i],
      statistic = con$t.ratio[i], df = con$df[i], p_value = con$p.value[i])),
    overall = list(statistic = av$F[2], df1 = av$Df[2], df2 = av$Res.Df[2],
                   p_value = av$`Pr(>F)`[2])
  )
}
ref <- list(
  baseline_only = fit_case(change ~ arm + baseline, change ~ baseline),
  covariates = fit_case(change ~ arm + baseline + age + site + sex,
                        change ~ baseline + age + site + sex),
  covariates_90_less = fit_case(change ~ arm + baseline + age + site + sex,
                                change ~ baseline + age + site + sex, level = 0.90, side = "less"),
  covariates_greater = fit_case(change ~ arm + baseline + age + site + sex,
                                change ~ baseline + age + site + sex, side = "greater")
)
out <- toJSON(ref, digits = NA, auto_unbox = TRUE, pretty = TRUE)
writeLines(gsub('"-Inf"', '"-inf"', gsub('"Inf"', '"inf"', out)), "linear_model.json")
