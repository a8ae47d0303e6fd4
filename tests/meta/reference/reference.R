# Reference values for autoserum.meta, produced with R's metafor.
#   Rscript reference.R   (run in this folder; writes the CSVs and metafor_reference.json)
# R 4.x, metafor 3.8-1. Iterative estimators are run to a tight tolerance so that the
# comparison at 1e-6 relative tests the estimator, not metafor's default stopping rule
# (threshold = 1e-5 for REML Fisher scoring, tol = eps^0.25 for Paule-Mandel / Q-profile).
suppressMessages(library(metafor))
library(jsonlite)

ctl <- list(threshold = 1e-12, tol = 1e-13, maxiter = 10000)

# --- data sets shipped with metafor, exported with metafor's column names ---
bcg <- dat.bcg
bcg_csv <- data.frame(study = paste(bcg$author, bcg$year), ai = bcg$tpos, bi = bcg$tneg,
                      ci = bcg$cpos, di = bcg$cneg, alloc = bcg$alloc, ablat = bcg$ablat)
write.csv(bcg_csv, "dat_bcg.csv", row.names = FALSE)

nor <- dat.normand1999
nor_csv <- data.frame(study = nor$source, m1i = nor$m1i, sd1i = nor$sd1i, n1i = nor$n1i,
                      m2i = nor$m2i, sd2i = nor$sd2i, n2i = nor$n2i,
                      group = ifelse(nor$study <= 4, "early", "late"))
write.csv(nor_csv, "dat_normand1999.csv", row.names = FALSE)

# a small 2x2 data set with zero cells (synthetic) to check the 1/2 continuity correction
zero_csv <- data.frame(study = c("z1", "z2", "z3", "z4"), ai = c(0, 3, 5, 2),
                       bi = c(20, 17, 15, 18), ci = c(4, 0, 7, 6), di = c(16, 21, 13, 14))
write.csv(zero_csv, "zero_cells.csv", row.names = FALSE)

fit_summary <- function(res) {
  pr <- predict(res)
  out <- list(k = res$k, estimate = c(res$beta)[1], se = res$se[1], ci_low = res$ci.lb[1],
              ci_high = res$ci.ub[1], statistic = res$zval[1], p_value = res$pval[1],
              tau2 = res$tau2, i2 = res$I2, h2 = res$H2, q = res$QE, q_p_value = res$QEp,
              # metafor's predict() gives no prediction interval for an FE model; with tau2 = 0
              # it is the confidence interval, which is what autoserum reports for FE.
              pi_low = if (is.null(pr$pi.lb)) pr$ci.lb[1] else pr$pi.lb[1],
              pi_high = if (is.null(pr$pi.ub)) pr$ci.ub[1] else pr$pi.ub[1])
  if (!is.element(res$method, c("FE", "EE", "CE"))) {
    # tau2.max raised from metafor's default search cap max(100, 10 * tau2), which otherwise
    # reports the cap (e.g. ">2054.09" for dat.normand1999 MD) instead of the Q-profile root.
    ci <- confint(res, control = list(tol = 1e-13, maxiter = 10000, tau2.max = 1e6))
    out$tau2_ci_low <- ci$random["tau^2", "ci.lb"]
    out$tau2_ci_high <- ci$random["tau^2", "ci.ub"]
    out$i2_ci_low <- ci$random["I^2(%)", "ci.lb"]
    out$i2_ci_high <- ci$random["I^2(%)", "ci.ub"]
    out$h2_ci_low <- ci$random["H^2", "ci.lb"]
    out$h2_ci_high <- ci$random["H^2", "ci.ub"]
  }
  out
}

fits_for <- function(es) {
  out <- list()
  for (method in c("FE", "DL", "REML", "PM")) {
    for (test in c("z", "knha")) {
      # (metafor warns that Knapp-Hartung is not meant for FE models; computed all the same)
      res <- suppressWarnings(rma(yi, vi, data = es, method = method, test = test,
                                  control = ctl))
      out[[paste(method, test, sep = "_")]] <- fit_summary(res)
    }
  }
  out
}

subgroup_for <- function(es, grp) {
  out <- list()
  for (method in c("FE", "DL", "REML", "PM")) {
    for (test in c("z", "knha")) {
      res <- suppressWarnings(rma(yi, vi, mods = ~ factor(grp), data = es, method = method,
                                  test = test, control = ctl))
      out[[paste(method, test, sep = "_")]] <- list(
        qm = res$QM, qm_df1 = res$QMdf[1], qm_df2 = res$QMdf[2], qm_p_value = res$QMp,
        tau2 = res$tau2, qe = res$QE, qe_p_value = res$QEp, coef = c(res$beta),
        se = c(res$se))
    }
  }
  out
}

loo_for <- function(es) {
  out <- list()
  for (method in c("FE", "DL", "REML", "PM")) {
    l <- leave1out(rma(yi, vi, data = es, method = method, control = ctl))
    out[[method]] <- list(estimate = l$estimate, se = l$se, ci_low = l$ci.lb, ci_high = l$ci.ub,
                          p_value = l$pval, q = l$Q, tau2 = l$tau2, i2 = l$I2)
  }
  out
}

ref <- list(meta = list(R = R.version.string,
                        metafor = as.character(packageVersion("metafor"))))

for (measure in c("RR", "OR", "RD")) {
  es <- escalc(measure, ai = ai, bi = bi, ci = ci, di = di, data = bcg_csv)
  ref[[paste0("bcg_", measure)]] <- list(
    yi = c(es$yi), vi = c(es$vi), fits = fits_for(es),
    subgroup_alloc = subgroup_for(es, bcg_csv$alloc), leave1out = loo_for(es))
  ez <- escalc(measure, ai = ai, bi = bi, ci = ci, di = di, data = zero_csv)
  ref[[paste0("zero_", measure)]] <- list(yi = c(ez$yi), vi = c(ez$vi))
}
for (measure in c("MD", "SMD")) {
  es <- escalc(measure, m1i = m1i, sd1i = sd1i, n1i = n1i, m2i = m2i, sd2i = sd2i, n2i = n2i,
               data = nor_csv)
  ref[[paste0("normand_", measure)]] <- list(
    yi = c(es$yi), vi = c(es$vi), fits = fits_for(es),
    subgroup_group = subgroup_for(es, nor_csv$group), leave1out = loo_for(es))
}

writeLines(toJSON(ref, digits = NA, auto_unbox = TRUE, pretty = TRUE, na = "null"),
           "metafor_reference.json")
