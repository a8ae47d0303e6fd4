# Reference values for autoserum.analysis.time_to_first_event on ../data/three_arm.csv: the first
# "eczema flare" adverse event (onset week), censored at the last visit week; safety population
# (treated subjects with a visit).
#   Rscript time_to_flare.R   -> time_to_flare.json
suppressMessages({library(jsonlite); library(survival)})
d <- read.csv("../data/three_arm.csv")
ae <- read.csv("../data/three_arm.ae.csv")
last <- aggregate(week ~ subject_id + arm, data = d, FUN = max)
fl <- ae[tolower(ae$term) == "eczema flare" & ae$onset_week >= 0, ]
first <- aggregate(onset_week ~ subject_id, data = fl, FUN = min)
s <- merge(last, first, by = "subject_id", all.x = TRUE)
s$event <- as.integer(!is.na(s$onset_week))
s$time <- ifelse(s$event == 1, s$onset_week, s$week)
s$arm <- relevel(factor(s$arm), ref = "placebo")
km <- survfit(Surv(time, event) ~ arm, data = s)
sm <- summary(km, censored = TRUE)
lr <- survdiff(Surv(time, event) ~ arm, data = s)
cx <- coxph(Surv(time, event) ~ arm, data = s, ties = "efron")
zph <- cox.zph(cx, transform = "km")
co <- summary(cx)
ref <- list(
  n = nrow(s), events = sum(s$event),
  km = lapply(levels(s$arm), function(a) {
    k <- sm$strata == paste0("arm=", a)
    list(arm = a, time = sm$time[k], survival = sm$surv[k], ci_low = sm$lower[k],
         ci_high = sm$upper[k], n_risk = sm$n.risk[k])
  }),
  log_rank = list(statistic = lr$chisq, df = length(lr$n) - 1,
                  p_value = pchisq(lr$chisq, length(lr$n) - 1, lower.tail = FALSE)),
  cox = lapply(c("igg", "serum"), function(a) list(
    arm = a, hazard_ratio = co$conf.int[paste0("arm", a), "exp(coef)"],
    ci_low = co$conf.int[paste0("arm", a), "lower .95"],
    ci_high = co$conf.int[paste0("arm", a), "upper .95"],
    p_value = co$coefficients[paste0("arm", a), "Pr(>|z|)"])),
  zph_global_p = zph$table["GLOBAL", "p"]
)
writeLines(toJSON(ref, digits = NA, auto_unbox = TRUE, pretty = TRUE), "time_to_flare.json")
