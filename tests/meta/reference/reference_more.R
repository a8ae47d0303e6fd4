# Reference values for the measures and estimators added in issue 17, produced with R's metafor.
#   Rscript reference_more.R   (run in this folder; writes dat_molloy2014.csv and
#   metafor_reference_more.json; reads dat_bcg.csv, dat_normand1999.csv, zero_cells.csv written by
#   reference.R)
# Measures: ZCOR (ri, ni), ROM (means), PETO (2x2). Estimators: ML, SJ, EB, HE (and the earlier
# ones at level = 90). Iterative estimators run to a tight tolerance (see reference.R).
suppressMessages(library(metafor))
library(jsonlite)

ctl <- list(threshold = 1e-12, tol = 1e-13, maxiter = 10000)

mol <- dat.molloy2014
mol_csv <- data.frame(study = paste(mol$authors, mol$year), ri = mol$ri, ni = mol$ni)
write.csv(mol_csv, "dat_molloy2014.csv", row.names = FALSE)
bcg_csv <- read.csv("dat_bcg.csv")
nor_csv <- read.csv("dat_normand1999.csv")
zero_csv <- read.csv("zero_cells.csv")

fit_summary <- function(res) {
  pr <- predict(res)
  out <- list(k = res$k, estimate = c(res$beta)[1], se = res$se[1], ci_low = res$ci.lb[1],
              ci_high = res$ci.ub[1], statistic = res$zval[1], p_value = res$pval[1],
              tau2 = res$tau2, i2 = res$I2, h2 = res$H2, q = res$QE, q_p_value = res$QEp,
              pi_low = if (is.null(pr$pi.lb)) pr$ci.lb[1] else pr$pi.lb[1],
              pi_high = if (is.null(pr$pi.ub)) pr$ci.ub[1] else pr$pi.ub[1])
  out
}

fits_for <- function(es, methods, level = 95) {
  out <- list()
  for (method in methods) {
    for (test in c("z", "knha")) {
      res <- suppressWarnings(rma(yi, vi, data = es, method = method, test = test,
                                  level = level, control = ctl))
      out[[paste(method, test, sep = "_")]] <- fit_summary(res)
    }
  }
  out
}

ref <- list(meta = list(R = R.version.string, metafor = as.character(packageVersion("metafor"))))
new_methods <- c("ML", "SJ", "EB", "HE")

es <- escalc("ZCOR", ri = ri, ni = ni, data = mol_csv)
ref$molloy_ZCOR <- list(yi = c(es$yi), vi = c(es$vi), fits = fits_for(es, new_methods))

es <- escalc("ROM", m1i = m1i, sd1i = sd1i, n1i = n1i, m2i = m2i, sd2i = sd2i, n2i = n2i,
             data = nor_csv)
ref$normand_ROM <- list(yi = c(es$yi), vi = c(es$vi), fits = fits_for(es, new_methods))

es <- escalc("PETO", ai = ai, bi = bi, ci = ci, di = di, data = bcg_csv)
ref$bcg_PETO <- list(yi = c(es$yi), vi = c(es$vi), fits = fits_for(es, new_methods))
ez <- escalc("PETO", ai = ai, bi = bi, ci = ci, di = di, data = zero_csv)
ref$zero_PETO <- list(yi = c(ez$yi), vi = c(ez$vi))

es <- escalc("RR", ai = ai, bi = bi, ci = ci, di = di, data = bcg_csv)
ref$bcg_RR <- list(fits = fits_for(es, new_methods),
                   level90 = fits_for(es, c("FE", "DL", "REML", "PM", new_methods), level = 90))
es <- escalc("SMD", m1i = m1i, sd1i = sd1i, n1i = n1i, m2i = m2i, sd2i = sd2i, n2i = n2i,
             data = nor_csv)
ref$normand_SMD <- list(fits = fits_for(es, new_methods))

writeLines(toJSON(ref, digits = NA, auto_unbox = TRUE, pretty = TRUE, na = "null"),
           "metafor_reference_more.json")
