# Reference values for autoserum.stats.icc and cohen_kappa (issue 13: blinded central rating of
# lesion photographs; inter-rater agreement):
#
#   cd tests/stats/reference && Rscript agreement.R   # writes agreement.json
#
# R 4.2, psych 2.2.9. ICC: psych::ICC(x, alpha = 1 - conf_level, lmer = FALSE) — its six
# rows ICC1, ICC2, ICC3, ICC1k, ICC2k, ICC3k (Shrout & Fleiss 1979; McGraw & Wong 1996 CIs)
# with F, df1, df2, p and the CI. lmer = FALSE takes the mean squares from the two-way ANOVA
# (aov), Shrout and Fleiss's definition; psych's default lmer = TRUE estimates them by REML in
# lme4, equal on complete data only to the optimiser's tolerance (~1e-5 here) and truncated at
# zero when a variance component would be negative. Data sets: the worked example of Shrout &
# Fleiss (1979) Table 2 (6 targets, 4 judges; published ICCs .17 .29 .71 .44 .62 .91), and
# seeded synthetic ratings generated here and stored in the JSON (30 photographs x 3 raters on
# a 0-72 EASI-like scale; 12 x 2 on IGA 0-4 integers, i.e. heavy ties).
#
# Kappa: psych::cohen.kappa(cbind(r1, r2), w = W, levels = L) with agreement weights
# W = 1 - |i - j| / (k - 1) (linear) and 1 - (i - j)^2 / (k - 1)^2 (quadratic, psych's
# default). kappa, weighted kappa and the unweighted kappa's variance come from psych.
# psych's variance of the *weighted* kappa departs from Fleiss, Cohen & Everitt (1969) eq. 13
# (its row mean weight is rs_i * sum_j w_ij instead of sum_j p_j. w_ji; the two agree only for
# identity weights), so the variance and CI of the weighted kappa are written from the
# published formula below (fce_var) and psych's own figure is kept as psych_var_weighted for
# the record. Every case carries its R call.
suppressPackageStartupMessages({library(psych); library(jsonlite)})
cases <- list()
add <- function(id, fn, inputs, r_call, expected) {
  cases[[length(cases) + 1]] <<- list(id = id, fn = fn, inputs = inputs, r_call = r_call,
                                      expected = expected)
}
shrout_fleiss <- matrix(c(9, 2, 5, 8,  6, 1, 3, 2,  8, 4, 6, 8,  7, 1, 2, 6,  10, 5, 6, 9,
                          6, 2, 4, 7), ncol = 4, byrow = TRUE)
set.seed(20261202)
truth <- runif(30, 2, 60)
easi <- round(cbind(truth + rnorm(30, 0, 4), truth + 3 + rnorm(30, 0, 5),
                    truth - 1 + rnorm(30, 0, 3)), 1)
easi <- pmax(easi, 0)
iga_truth <- sample(0:4, 12, TRUE)
iga <- cbind(iga_truth, pmin(4, pmax(0, iga_truth + sample(-1:1, 12, TRUE))))
ratings <- list(shrout_fleiss = shrout_fleiss, photo_easi = easi, iga_two_raters = iga)
for (name in names(ratings)) {
  for (cl in c(0.95, 0.9)) {
    r <- ICC(ratings[[name]], alpha = 1 - cl, lmer = FALSE)$results
    add(sprintf("icc/%s/cl%g", name, cl), "icc", list(ratings = name, conf_level = cl),
        sprintf("psych::ICC(x, alpha = %g, lmer = FALSE)", 1 - cl),
        lapply(seq_len(nrow(r)), function(i) list(
          type = r$type[i], icc = r$ICC[i], statistic = r$F[i], df1 = r$df1[i],
          df2 = r$df2[i], p_value = r$p[i], ci_low = r[i, "lower bound"],
          ci_high = r[i, "upper bound"])))
  }
}
fce_var <- function(x, w) {  # Fleiss, Cohen & Everitt (1969), eq. 13, large-sample variance
  n <- sum(x); p <- x / n; rs <- rowSums(p); cs <- colSums(p)
  po <- sum(w * p); pe <- sum(w * outer(rs, cs))
  wi <- as.vector(w %*% cs); wj <- as.vector(t(w) %*% rs)
  (sum(p * (w * (1 - pe) - outer(wi, wj, "+") * (1 - po))^2) - (po * pe - 2 * pe + po)^2) /
    (n * (1 - pe)^4)
}
set.seed(13)
a <- sample(0:4, 60, TRUE, prob = c(.15, .25, .3, .2, .1))
b <- pmin(4, pmax(0, a + sample(-1:1, 60, TRUE, prob = c(.2, .6, .2))))
b[1:4] <- c(4, 0, 4, 0)
c2 <- sample(c(1, 2, 3), 25, TRUE); d2 <- ifelse(runif(25) < .7, c2, sample(c(1, 2, 3), 25, TRUE))
gap1 <- c(0, 0, 1, 1, 3, 3, 3, 0, 1, 3); gap2 <- c(0, 1, 1, 1, 3, 1, 3, 0, 0, 3)  # no 2 seen
pairs <- list(iga_60 = list(a, b, 0:4), three_levels = list(c2, d2, 1:3),
              unused_level = list(gap1, gap2, 0:3), unused_level_default = list(gap1, gap2, NULL))
for (name in names(pairs)) {
  pr <- pairs[[name]]; lev <- if (is.null(pr[[3]])) sort(unique(c(pr[[1]], pr[[2]]))) else pr[[3]]
  k <- length(lev)
  for (weights in c("linear", "quadratic")) {
    W <- if (weights == "linear") 1 - abs(outer(1:k, 1:k, "-")) / (k - 1) else
      1 - outer(1:k, 1:k, "-")^2 / (k - 1)^2
    for (cl in c(0.95, 0.9)) {
      ck <- suppressWarnings(cohen.kappa(cbind(pr[[1]], pr[[2]]), w = W, alpha = 1 - cl,
                                         levels = pr[[3]]))
      x <- table(factor(pr[[1]], lev), factor(pr[[2]], lev))
      v <- fce_var(x, W); z <- qnorm(1 - (1 - cl) / 2)
      add(sprintf("kappa/%s/%s/cl%g", name, weights, cl), "cohen_kappa",
          list(pair = name, weights = weights, conf_level = cl,
               levels = if (is.null(pr[[3]])) NULL else pr[[3]]),
          sprintf("psych::cohen.kappa(cbind(r1, r2), w = W_%s, alpha = %g%s)", weights, 1 - cl,
                  if (is.null(pr[[3]])) "" else ", levels = L"),
          list(n = ck$n.obs, kappa = ck$kappa, var_kappa = ck$var.kappa,
               kappa_ci_low = ck$confid[1, 1], kappa_ci_high = ck$confid[1, 3],
               weighted_kappa = ck$weighted.kappa, var_weighted = v,
               weighted_ci_low = max(-1, ck$weighted.kappa - z * sqrt(v)),
               weighted_ci_high = min(1, ck$weighted.kappa + z * sqrt(v)),
               psych_var_weighted = ck$var.weighted))
    }
  }
}
# Identity weights: the published formula and psych coincide (a check of fce_var itself).
x <- table(factor(a, 0:4), factor(b, 0:4))
stopifnot(abs(fce_var(x, diag(5)) - cohen.kappa(cbind(a, b))$var.kappa) < 1e-15)
write_json(list(generated_by = "agreement.R", r_version = R.version.string,
                psych_version = as.character(packageVersion("psych")),
                ratings = lapply(ratings, function(m) unname(split(m, row(m)))),
                pairs = lapply(pairs, function(p) list(r1 = p[[1]], r2 = p[[2]])),
                cases = cases),
           "agreement.json", digits = NA, auto_unbox = TRUE, pretty = TRUE, null = "null")
