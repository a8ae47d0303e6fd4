# Reference values for autoserum.stats time-to-event methods, computed with R survival:
#
#   cd tests/stats/reference && Rscript survival.R   # writes flares.csv and survival.json
#
# flares.csv: a synthetic time-to-first-flare data set made here (set.seed(16)): 90 subjects in
# three arms (placebo, serum, igg), exponential flare times with hazard ratios 0.6 (serum)
# and 0.8 (igg) and an age effect, rounded up to whole weeks (ties), administrative
# censoring at week 16 and random dropout (censoring).
# Cases: survfit (conf.type "log" and "log-log"; summary rows with censored = TRUE and the
# median with its CI from quantile()), survdiff (2 and 3 groups), coxph (ties = "efron",
# coxph.control(eps = 1e-12, iter.max = 100) so its Newton iterations end at the optimum)
# and cox.zph (transform = "km" and "identity"). The LR, Wald and score statistics are taken
# unrounded (2 * diff(fit$loglik), fit$wald.test, fit$score; summary() rounds them).

suppressPackageStartupMessages({
  library(survival)
  library(jsonlite)
})
set.seed(16)
n <- 90
arm <- rep(c("placebo", "serum", "igg"), each = 30)
age <- round(rnorm(n, 40, 12), 1)
rate <- 0.08 * c(placebo = 1, serum = 0.6, igg = 0.8)[arm] * exp(0.02 * (age - 40))
flare <- ceiling(rexp(n, rate))
drop <- ceiling(runif(n, 4, 40))
time <- pmin(flare, drop, 16)
event <- as.integer(flare <= pmin(drop, 16))
d <- data.frame(subject = sprintf("F%03d", 1:n), arm = arm, age = age, time = time,
                event = event)
write.csv(d, "flares.csv", row.names = FALSE)
d$treated <- as.integer(d$arm == "serum")
two <- d[d$arm != "igg", ]

km_case <- function(data, type) {
  fit <- survfit(Surv(time, event) ~ arm, data = data, conf.type = type)
  s <- summary(fit, censored = TRUE)
  q <- quantile(fit, 0.5)
  strata <- sub("arm=", "", as.character(s$strata))
  lapply(sort(unique(strata)), function(g) {
    k <- strata == g
    list(group = g, median = unname(q$quantile[paste0("arm=", g), 1]),
         median_ci_low = unname(q$lower[paste0("arm=", g), 1]),
         median_ci_high = unname(q$upper[paste0("arm=", g), 1]),
         time = s$time[k], n_risk = s$n.risk[k], n_event = s$n.event[k],
         n_censor = s$n.censor[k], survival = s$surv[k], se = s$std.err[k],
         ci_low = s$lower[k], ci_high = s$upper[k])
  })
}
lr_case <- function(data) {
  sd <- survdiff(Surv(time, event) ~ arm, data = data)
  list(groups = sub("arm=", "", names(sd$n)), observed = sd$obs, expected = sd$exp,
       statistic = sd$chisq, df = length(sd$n) - 1L,
       p_value = pchisq(sd$chisq, length(sd$n) - 1L, lower.tail = FALSE))
}
cox_case <- function(formula) {
  fit <- coxph(formula, data = two, ties = "efron",
               control = coxph.control(eps = 1e-12, toler.chol = 1e-13, iter.max = 100))
  s <- summary(fit)
  zk <- cox.zph(fit, transform = "km")$table
  zi <- cox.zph(fit, transform = "identity")$table
  list(coef = unname(coef(fit)), se = unname(sqrt(diag(vcov(fit)))),
       hazard_ratio = unname(s$conf.int[, 1]), ci_low = unname(s$conf.int[, 3]),
       ci_high = unname(s$conf.int[, 4]), statistic = unname(s$coefficients[, 4]),
       p_value = unname(s$coefficients[, 5]), log_lik = fit$loglik,
       lr = c(2 * diff(fit$loglik), length(coef(fit)),
              pchisq(2 * diff(fit$loglik), length(coef(fit)), lower.tail = FALSE)),
       wald = c(fit$wald.test, length(coef(fit)),
                pchisq(fit$wald.test, length(coef(fit)), lower.tail = FALSE)),
       score = c(fit$score, length(coef(fit)),
                 pchisq(fit$score, length(coef(fit)), lower.tail = FALSE)),
       zph_km = list(term = rownames(zk), statistic = unname(zk[, 1]), p_value = unname(zk[, 3])),
       zph_identity = list(term = rownames(zi), statistic = unname(zi[, 1]),
                           p_value = unname(zi[, 3])))
}
out <- list(
  generated_by = "tests/stats/reference/survival.R",
  r_version = R.version.string,
  survival_version = as.character(packageVersion("survival")),
  km_log = list(r_call = "summary(survfit(Surv(time, event) ~ arm, conf.type = 'log'), censored = TRUE); quantile(fit, 0.5)",
                curves = km_case(d, "log")),
  km_loglog = list(r_call = "survfit(Surv(time, event) ~ arm, conf.type = 'log-log')",
                   curves = km_case(d, "log-log")),
  logrank3 = c(list(r_call = "survdiff(Surv(time, event) ~ arm)"), lr_case(d)),
  logrank2 = c(list(r_call = "survdiff(Surv(time, event) ~ arm), arm != 'igg'"), lr_case(two)),
  cox_arm = c(list(r_call = "coxph(Surv(time, event) ~ treated, ties = 'efron'), arm != 'igg'; cox.zph(fit, transform = 'km' / 'identity')"),
              cox_case(Surv(time, event) ~ treated)),
  cox_arm_age = c(list(r_call = "coxph(Surv(time, event) ~ treated + age, ties = 'efron'), arm != 'igg'; cox.zph"),
                  cox_case(Surv(time, event) ~ treated + age))
)
writeLines(toJSON(out, auto_unbox = TRUE, digits = NA, pretty = TRUE, na = "null"),
           "survival.json")
