# Reference values for reference-based MI on rbmi's example data (issue 16: "reference-based
# MI against the published results of R's rbmi on its example data where they are available,
# otherwise against an independent implementation"):
#
#   cd tests/stats/reference && Rscript rbmi.R   # writes rbmi.json (needs nlme, jsonlite)
#
# 1. Published rbmi figures (transcribed, not computed here; rbmi 1.5.2 vignettes at commit
#    c872d4ac7e5406ec50ae9fe4d56898c6ecb7ec03 of insightsengineering/rbmi):
#    - CondMean_Inference: jump to reference, conditional mean imputation (method_condmean,
#      REML unstructured MMRM CHANGE ~ THERAPY*VISIT + BASVAL*VISIT), ANCOVA CHANGE ~ THERAPY +
#      BASVAL per visit; the point estimates are deterministic (printed to 3 decimals).
#    - quickstart: jump to reference, Bayesian MI (method_bayes, 150 imputations, Stan,
#      set.seed(987)), the same ANCOVA, Rubin's rules; random (Monte Carlo error).
#    rbmi's trt = PLACEBO - DRUG ("alt" - "ref"); lsm_ref = DRUG, lsm_alt = PLACEBO.
# 2. An independent implementation of the conditional-mean J2R estimate (written here from
#    Carpenter, Roger & Kenward 2013, not from rbmi's or autoserum's code): nlme::gls REML fit
#    with corSymm + varIdent, each subject's mean profile under its own arm and under placebo
#    (J2R: own up to the last observed visit, placebo after, for DRUG subjects; MAR for placebo
#    subjects and intermittent gaps), missing values set to their conditional means given the
#    observed ones, then lm(CHANGE ~ THERAPY + BASVAL) per visit and the emmeans-style LS means
#    at the mean baseline. Printed to full precision.
suppressPackageStartupMessages({library(nlme); library(jsonlite)})
d <- read.csv("antidepressant_data.csv", colClasses = c(PATIENT = "character",
                                                          VISIT = "character"))
visits <- c("4", "5", "6", "7")
pats <- sort(unique(d$PATIENT))
d$VISIT <- factor(d$VISIT, levels = visits)
d$THERAPY <- factor(d$THERAPY, levels = c("PLACEBO", "DRUG"))
d$vi <- as.integer(d$VISIT)
fit <- gls(CHANGE ~ THERAPY * VISIT + BASVAL * VISIT, data = d,
           correlation = corSymm(form = ~ vi | PATIENT), weights = varIdent(form = ~ 1 | VISIT),
           method = "REML", control = glsControl(tolerance = 1e-10, msTol = 1e-10))
complete_pat <- names(which(table(d$PATIENT) == 4))[1]
sigma <- unclass(getVarCov(fit, individual = complete_pat))  # a subject with all 4 visits
stopifnot(nrow(sigma) == 4)
subj <- data.frame(PATIENT = pats)
subj$THERAPY <- d$THERAPY[match(pats, d$PATIENT)]
subj$BASVAL <- d$BASVAL[match(pats, d$PATIENT)]
Y <- matrix(NA_real_, length(pats), 4)
Y[cbind(match(d$PATIENT, pats), d$vi)] <- d$CHANGE
means <- function(arm) {
  nd <- data.frame(THERAPY = factor(rep(arm, each = 4 * length(pats)), levels = levels(d$THERAPY)),
                   VISIT = factor(rep(visits, length(pats)), levels = visits),
                   BASVAL = rep(subj$BASVAL, each = 4))
  matrix(predict(fit, nd), ncol = 4, byrow = TRUE)
}
own <- matrix(NA_real_, length(pats), 4)
own[subj$THERAPY == "PLACEBO", ] <- means("PLACEBO")[subj$THERAPY == "PLACEBO", ]
own[subj$THERAPY == "DRUG", ] <- means("DRUG")[subj$THERAPY == "DRUG", ]
ref <- means("PLACEBO")
Yc <- Y
for (i in seq_along(pats)) {
  o <- which(!is.na(Y[i, ])); m <- which(is.na(Y[i, ]))
  if (length(m) == 0) next
  last <- max(o)
  prof <- own[i, ]
  if (subj$THERAPY[i] == "DRUG") prof[seq_len(4) > last] <- ref[i, seq_len(4) > last]
  Yc[i, m] <- prof[m] + sigma[m, o, drop = FALSE] %*% solve(sigma[o, o], Y[i, o] - prof[o])
}
independent <- lapply(1:4, function(v) {
  df <- data.frame(y = Yc[, v], THERAPY = subj$THERAPY, BASVAL = subj$BASVAL)
  f <- lm(y ~ THERAPY + BASVAL, data = df)
  s <- summary(f)$coefficients
  nd <- data.frame(THERAPY = factor(c("DRUG", "PLACEBO"), levels = levels(d$THERAPY)),
                   BASVAL = mean(subj$BASVAL))
  list(visit = visits[v], estimate = s["THERAPYDRUG", "Estimate"],
       se = s["THERAPYDRUG", "Std. Error"], lsm_drug = unname(predict(f, nd)[1]),
       lsm_placebo = unname(predict(f, nd)[2]))
})
url <- "https://github.com/insightsengineering/rbmi/blob/c872d4ac7e5406ec50ae9fe4d56898c6ecb7ec03/"
published <- list(
  condmean_j2r = list(
    source = paste0(url, "vignettes/CondMean_Inference.html"),
    call = "draws(method = method_condmean(type = 'jackknife')); impute(references = c(DRUG = 'PLACEBO', PLACEBO = 'PLACEBO')); analyse(rbmi::ancova); pool()",
    decimals = 3,
    visits = list(
      list(visit = "4", trt = -0.092, lsm_ref = -1.616, lsm_alt = -1.708),
      list(visit = "5", trt = 1.305, lsm_ref = -4.133, lsm_alt = -2.828),
      list(visit = "6", trt = 1.929, lsm_ref = -6.088, lsm_alt = -4.159),
      list(visit = "7", trt = 2.126, lsm_ref = -6.965, lsm_alt = -4.839))),
  bayes_j2r = list(
    source = paste0(url, "vignettes/quickstart.html"),
    call = "draws(method = method_bayes(n_samples = 150, control = control_bayes(warmup = 200, thin = 5))) after set.seed(987); impute(references = c(DRUG = 'PLACEBO', PLACEBO = 'PLACEBO')); analyse(rbmi::ancova); pool()",
    m = 150, visit = "7", trt = 2.16910952, se = 1.1200045, ci_low = -0.04448631,
    ci_high = 4.3827054, p_value = 5.472200e-02))
write_json(list(generated_by = "rbmi.R", r_version = R.version.string,
                nlme_version = as.character(packageVersion("nlme")),
                published = published, independent_condmean_j2r = independent),
           "rbmi.json", digits = NA, auto_unbox = TRUE, pretty = TRUE)
print(do.call(rbind, lapply(independent, as.data.frame)))
