# Reference values for autoserum.stats.rubin_pool (Rubin's rules), computed with R mice:
#
#   cd tests/stats/reference && Rscript rubin.R   # writes rubin.json
#
# Data: trial_dropout.csv in wide form (change at weeks 2, 4, 8, 12 per subject). mice imputes
# the missing changes (method "norm", seeded), lm(change_12 ~ group + baseline) is fitted to
# each completed data set and pooled with mice::pool (dfcom = the lm residual df) and
# summary(pool, conf.int = TRUE). Each case records the per-imputation estimates and squared
# SEs of the term, which the Python test pools. A pool.scalar case covers dfcom = Inf.

suppressPackageStartupMessages({
  library(mice)
  library(jsonlite)
})
d <- read.csv("trial_dropout.csv")
w <- reshape(d[, c("subject", "group", "baseline", "week", "change")], idvar = c("subject",
             "group", "baseline"), timevar = "week", direction = "wide", sep = "_")
w$subject <- NULL
cases <- list()
for (m in c(5L, 20L)) {
  imp <- mice(w, m = m, method = "norm", seed = 16L + m, printFlag = FALSE)
  fit <- with(imp, lm(change_12 ~ group + baseline))
  pl <- pool(fit)
  s <- summary(pl, conf.int = TRUE)
  for (term in c("group", "baseline")) {
    est <- sapply(fit$analyses, function(f) coef(f)[[term]])
    var <- sapply(fit$analyses, function(f) vcov(f)[term, term])
    p <- pl$pooled[pl$pooled$term == term, ]
    r <- s[s$term == term, ]
    cases[[length(cases) + 1]] <- list(
      id = sprintf("mice_m%d_%s", m, term),
      r_call = sprintf("summary(pool(with(mice(w, m = %d, method = 'norm', seed = %d), lm(change_12 ~ group + baseline))), conf.int = TRUE)", m, 16L + m),
      estimates = est, variances = var, df_complete = p$dfcom,
      expected = list(estimate = p$estimate, se = r$std.error, ci_low = r[["2.5 %"]],
                      ci_high = r[["97.5 %"]], statistic = r$statistic, df = r$df,
                      p_value = r$p.value, m = m, within = p$ubar, between = p$b,
                      total = p$t, riv = p$riv, lambda_ = p$lambda, fmi = p$fmi))
  }
}
q <- c(-2.1, -1.7, -2.6, -1.9, -2.3, -2.0)
u <- c(0.41, 0.38, 0.45, 0.40, 0.43, 0.39)
ps <- pool.scalar(q, u, n = Inf, k = 1)
cases[[length(cases) + 1]] <- list(
  id = "scalar_dfcom_inf", r_call = "mice::pool.scalar(q, u, n = Inf, k = 1)",
  estimates = q, variances = u, df_complete = "inf",
  expected = list(estimate = ps$qbar, within = ps$ubar, between = ps$b, total = ps$t,
                  df = ps$df, riv = ps$r, fmi = ps$fmi, m = ps$m,
                  p_value = 2 * pt(-abs(ps$qbar / sqrt(ps$t)), ps$df)))
writeLines(toJSON(list(generated_by = "tests/stats/reference/rubin.R",
                       r_version = R.version.string,
                       mice_version = as.character(packageVersion("mice")), cases = cases),
                  auto_unbox = TRUE, digits = NA, pretty = TRUE), "rubin.json")
