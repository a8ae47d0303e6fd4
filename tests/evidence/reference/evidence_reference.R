# Reference values for the registry's study effects and pooled analyses, computed in R from
# the reported numbers alone (independent of autoserum).  Rscript evidence_reference.R
suppressMessages(library(metafor))
library(jsonlite)
ctl <- list(threshold = 1e-12, tol = 1e-13, maxiter = 10000)

# Pittler 2003, SASSAD week 9: MD -13.5 (95% CI -20.4 to -6.6), t-based CI with 28 df
se9 <- (20.4 - 6.6) / (2 * qt(0.975, 28))
se5 <- (14.9 - 4.2) / (2 * qt(0.975, 28))
pit9 <- escalc("SMD", ti = -13.5 / se9, n1i = 15, n2i = 15)
pit5 <- escalc("SMD", ti = -9.6 / se5, n1i = 15, n2i = 15)
# Nahm 2023, SCORAD % change week 8: p = 0.006, 10 + 10 completers, favours serum
nahm23 <- escalc("SMD", ti = -qt(1 - 0.006 / 2, 18), n1i = 10, n2i = 10)
# Nahm 2020, exacerbation: 3/26 vs 12/25 (derived counts)
nahm20 <- escalc("RR", ai = 3, n1i = 26, ci = 12, n2i = 25)
# Kocaturk 2012, UAS > 30% response, AWB + AS vs placebo: ASST+ (17+13)/40 vs 15/19, ASST- (6+8)/19 vs 6/10
koc_rr <- escalc("RR", ai = c(30, 14), n1i = c(40, 19), ci = c(15, 6), n2i = c(19, 10))
koc_or <- escalc("OR2DL", ai = c(30, 14), n1i = c(40, 19), ci = c(15, 6), n2i = c(19, 10))
koc_split <- escalc("RR", ai = c(17, 6, 13, 8), n1i = c(20, 9, 20, 10),
                    ci = c(7.5, 3, 7.5, 3), n2i = c(9.5, 5, 9.5, 5))
ther <- c("ABT", "ABT", "AST", "AST")
# IJAAI: TSS week 9, 10.94 (3.92) n 35 vs 11.67 (2.72) n 15
ijaai <- escalc("SMD", m1i = 10.94, sd1i = 3.92, n1i = 35, m2i = 11.67, sd2i = 2.72, n2i = 15)

fit <- function(yi, vi, method, test = "z") {
  r <- rma(yi, vi, method = method, test = test, control = ctl)
  list(estimate = c(r$beta), se = r$se, ci_low = r$ci.lb, ci_high = r$ci.ub, p_value = r$pval,
       tau2 = r$tau2, q = r$QE)
}
ad_y <- c(pit9$yi, nahm23$yi); ad_v <- c(pit9$vi, nahm23$vi)
csu_y <- c(ijaai$yi, -koc_or$yi); csu_v <- c(ijaai$vi, koc_or$vi)
ref <- list(
  pittler_w9_smd = list(yi = c(pit9$yi), vi = c(pit9$vi)),
  pittler_w5_smd = list(yi = c(pit5$yi), vi = c(pit5$vi)),
  nahm2023_smd = list(yi = c(nahm23$yi), vi = c(nahm23$vi)),
  nahm2020_rr = list(yi = c(nahm20$yi), vi = c(nahm20$vi)),
  kocaturk_rr = list(yi = c(koc_rr$yi), vi = c(koc_rr$vi)),
  kocaturk_smd = list(yi = c(-koc_or$yi), vi = c(koc_or$vi)),
  ad_severity = list(REML = fit(ad_y, ad_v, "REML"), DL = fit(ad_y, ad_v, "DL"),
                     FE = fit(ad_y, ad_v, "FE"), REML_knha = fit(ad_y, ad_v, "REML", "knha")),
  csu_response = list(REML = fit(koc_rr$yi, koc_rr$vi, "REML")),
  csu_severity = list(REML = fit(csu_y, csu_v, "REML"), PM = fit(csu_y, csu_v, "PM")),
  by_condition = (function() {
    yy <- c(ad_y, csu_y); vv <- c(ad_v, csu_v); cond <- c("AD", "AD", "CSU", "CSU", "CSU")
    r <- rma(yy, vv, mods = ~ factor(cond), method = "REML", control = ctl)
    c(fit(yy, vv, "REML"), list(qm = r$QM, qm_p_value = r$QMp, tau2_residual = r$tau2))
  })(),
  csu_by_therapy = list(qm_p_value = rma(koc_split$yi, koc_split$vi, mods = ~ factor(ther),
                                         method = "REML", control = ctl)$QMp)
)
writeLines(toJSON(ref, digits = NA, auto_unbox = TRUE, pretty = TRUE), "evidence_reference.json")
