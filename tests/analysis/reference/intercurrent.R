# Reference values for rescue medication as an intercurrent event (issue 16, item 4), on the
# hand-made ../data/intercurrent.csv (+ .conmed.csv): 8 subjects, EASI at weeks 0, 4, 8.
# Rescue starts: T1 week 6 (start_week), T4 week 3 (start_date 2025-01-27, day 21 after the
# week-0 visit of 2025-01-06), P2 week 2; P3's emollient is not rescue. A visit at or after the
# start is after the event. The data each strategy analyses at week 8 (written out by hand):
#   treatment policy: as observed
#   hypothetical:     T1, T4, P2 missing at week 8 (T4 and P2 also at week 4)
#   while on treatment: T1 carries its week-4 value 12; T4 and P2 have no value before rescue
#   composite:        T1, T4, P2 take the worst EASI, 72
# ANCOVA: lm(change ~ arm + baseline), placebo the reference; EASI-50 responders by arm with
# fisher.test (composite: a subject without a value at week 8 is a non-responder).
#   Rscript intercurrent.R   -> intercurrent.json
suppressMessages(library(jsonlite))
base <- c(T1 = 20, T2 = 24, T3 = 18, T4 = 22, P1 = 21, P2 = 19, P3 = 23, P4 = 20)
arm <- c(T1 = "serum", T2 = "serum", T3 = "serum", T4 = "serum",
         P1 = "placebo", P2 = "placebo", P3 = "placebo", P4 = "placebo")
w8 <- list(
  treatment_policy = c(T1 = 8, T2 = 10, T3 = 6, T4 = 15, P1 = 18, P2 = 16, P3 = 19, P4 = 17),
  hypothetical = c(T1 = NA, T2 = 10, T3 = 6, T4 = NA, P1 = 18, P2 = NA, P3 = 19, P4 = 17),
  while_on_treatment = c(T1 = 12, T2 = 10, T3 = 6, T4 = NA, P1 = 18, P2 = NA, P3 = 19, P4 = 17),
  composite = c(T1 = 72, T2 = 10, T3 = 6, T4 = 72, P1 = 18, P2 = 72, P3 = 19, P4 = 17)
)
out <- list()
for (s in names(w8)) {
  d <- data.frame(id = names(base), baseline = base, value = w8[[s]][names(base)],
                  arm = relevel(factor(arm[names(base)]), ref = "placebo"))
  d$change <- d$value - d$baseline
  d <- d[!is.na(d$value), ]
  fit <- lm(change ~ arm + baseline, data = d)
  co <- summary(fit)$coefficients["armserum", ]
  resp <- (d$baseline - d$value) >= 0.5 * d$baseline
  k <- tapply(resp, d$arm, sum)
  n <- if (s == "composite") c(placebo = 4, serum = 4) else tapply(resp, d$arm, length)
  out[[s]] <- list(
    n = nrow(d), estimate = unname(co["Estimate"]), se = unname(co["Std. Error"]),
    p_value = unname(co["Pr(>|t|)"]), df = fit$df.residual,
    responders = list(serum = unname(k["serum"]), placebo = unname(k["placebo"]),
                      n_serum = unname(n["serum"]), n_placebo = unname(n["placebo"]),
                      fisher_p_value = fisher.test(matrix(c(k["serum"], n["serum"] - k["serum"],
                        k["placebo"], n["placebo"] - k["placebo"]), 2))$p.value)
  )
}
writeLines(toJSON(out, digits = NA, auto_unbox = TRUE, pretty = TRUE), "intercurrent.json")
