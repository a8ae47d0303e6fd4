# Reference values for autoserum.stats, computed with R.
#
#   cd tests/stats/reference && Rscript reference.R      # writes reference.json
#
# Inputs: the seeded synthetic CSVs of make_datasets.py. Each case records the R call that
# produced its numbers (`r_call`); tests/stats/test_reference.py recomputes every case with
# autoserum.stats and compares (1e-6 relative for estimates/SEs/CIs/statistics; p-values 1e-6
# relative or 1e-10 absolute, whichever is looser).
#
# Selections shared with the Python test (rows kept in file order):
#   within(ds, g, w)  = change[group == g & week == w & !is.na(change)]
#   between(ds, w)    : x = within(ds, 1, w) (treatment), y = within(ds, 0, w) (control)
#   responders(ds, w) : responder = change <= -0.5 * baseline among rows with a change at week w
#
# MMRM (nlme::gls): y ~ group * visit + baseline * visit with visit = factor(week) (levels in
# increasing week), group a 0/1 numeric, corSymm(form = ~ visit_index | subject) where
# visit_index = as.integer(visit), varIdent(form = ~ 1 | visit), method = "REML"; rows with a
# missing change are dropped first (na.omit), which is how dropouts enter. The treatment -
# control difference at visit v is the linear combination L beta with L = 1 on "group" and, for
# v above the first level, 1 on "group:visit<v>"; its SE is sqrt(L vcov(fit) L'); the t
# statistic is referred to a t distribution with N - p residual df (fit$dims$N - fit$dims$p),
# exactly as summary.gls() does for single coefficients; CI = est -/+ qt(0.975, N - p) * SE.
# R's own optimisers stop about 1e-7 (relative) short of the REML optimum, so the fit (tightened
# glsControl) is polished with Newton steps on nlme's own REML log-likelihood (mmrm_polish:
# gls with the covariance parameters fixed, central-difference derivatives) and the numbers are
# those of that gls fit. The default-control fit is recorded too (`mmrm_default`): it agrees
# to about 1e-4 relative.

suppressPackageStartupMessages({
  library(nlme)
  library(metafor)
  library(jsonlite)
})

cases <- list()
add_case <- function(id, dataset, fun, inputs, r_call, expected) {
  cases[[length(cases) + 1L]] <<- list(
    id = id, dataset = dataset, `function` = fun, inputs = inputs,
    r_call = r_call, expected = expected
  )
}

read_trial <- function(name) {
  d <- read.csv(paste0(name, ".csv"), stringsAsFactors = FALSE)
  d
}
within_arm <- function(d, g, w) {
  v <- d$change[d$group == g & d$week == w]
  v[!is.na(v)]
}

describe_r <- function(x) {
  n <- length(x)
  tt <- t.test(x)
  q <- quantile(x, c(0.25, 0.5, 0.75), type = 7, names = FALSE)
  list(
    n = n, mean = mean(x), sd = sd(x), se = sd(x) / sqrt(n),
    ci_low = tt$conf.int[1], ci_high = tt$conf.int[2],
    median = q[2], q1 = q[1], q3 = q[3], minimum = min(x), maximum = max(x)
  )
}
ttest_r <- function(tt) {
  est <- if (length(tt$estimate) == 2) tt$estimate[[1]] - tt$estimate[[2]] else tt$estimate[[1]]
  list(
    estimate = est, se = tt$stderr, ci_low = tt$conf.int[1], ci_high = tt$conf.int[2],
    statistic = tt$statistic[[1]], df = tt$parameter[[1]], p_value = tt$p.value
  )
}
# Run a wilcox.test call, keeping R's caveat about the CI (the Python side warns likewise);
# R's notes on ties/zeros forcing the normal approximation are not caveats we repeat.
rank_call <- function(expr) {
  caveat <- FALSE
  wt <- withCallingHandlers(expr, warning = function(w) {
    if (grepl("achievable|cannot compute confidence interval", conditionMessage(w))) caveat <<- TRUE
    invokeRestart("muffleWarning")
  })
  res <- rank_r(wt)
  res$warns <- caveat
  res
}
rank_r <- function(wt) {
  method <- if (grepl("exact", wt$method)) "exact" else "normal"
  list(
    statistic = wt$statistic[[1]], p_value = wt$p.value, estimate = wt$estimate[[1]],
    ci_low = wt$conf.int[1], ci_high = wt$conf.int[2], method = method
  )
}
wilson_r <- function(k, n) {
  ci <- suppressWarnings(prop.test(k, n, correct = FALSE))$conf.int
  list(low = ci[1], high = ci[2])
}
newcombe_r <- function(k1, n1, k2, n2) {
  # Newcombe (1998) method 10 from R's Wilson limits (prop.test without correction).
  p1 <- k1 / n1
  p2 <- k2 / n2
  a <- suppressWarnings(prop.test(k1, n1, correct = FALSE))$conf.int
  b <- suppressWarnings(prop.test(k2, n2, correct = FALSE))$conf.int
  rd <- p1 - p2
  list(
    estimate = rd,
    ci_low = rd - sqrt((p1 - a[1])^2 + (b[2] - p2)^2),
    ci_high = rd + sqrt((a[2] - p1)^2 + (p2 - b[1])^2)
  )
}
hedges_r <- function(x, y) {
  es <- escalc("SMD", m1i = mean(x), sd1i = sd(x), n1i = length(x),
               m2i = mean(y), sd2i = sd(y), n2i = length(y))
  s <- summary(es)
  list(
    estimate = s$yi[1], se = s$sei[1], ci_low = s$ci.lb[1], ci_high = s$ci.ub[1],
    statistic = s$zi[1], df = length(x) + length(y) - 2, p_value = s$pval[1]
  )
}
ancova_r <- function(d, w) {
  s <- d[d$week == w & !is.na(d$change), ]
  fit <- lm(change ~ group + baseline, data = s)
  co <- summary(fit)$coefficients["group", ]
  ci <- confint(fit)["group", ]
  list(
    estimate = co[["Estimate"]], se = co[["Std. Error"]], ci_low = ci[[1]], ci_high = ci[[2]],
    statistic = co[["t value"]], df = fit$df.residual, p_value = co[["Pr(>|t|)"]]
  )
}

mmrm_data <- function(d) {
  s <- d[!is.na(d$change), ]
  s$visit <- factor(s$week, levels = sort(unique(d$week)))
  s$visit_index <- as.integer(s$visit)
  s
}
mmrm_fit <- function(s, control) {
  gls(change ~ group * visit + baseline * visit, data = s,
      correlation = corSymm(form = ~ visit_index | subject),
      weights = varIdent(form = ~ 1 | visit), method = "REML", control = control)
}
# nlme's REML fit with the covariance parameters held at `theta` (correlations, then variance
# ratios, both on nlme's natural scale): gls evaluates its own likelihood, no optimisation.
mmrm_fixed <- function(s, theta, nc, ratio_names) {
  gls(change ~ group * visit + baseline * visit, data = s,
      correlation = corSymm(value = theta[seq_len(nc)], form = ~ visit_index | subject,
                            fixed = TRUE),
      weights = varIdent(fixed = setNames(theta[nc + seq_along(ratio_names)], ratio_names),
                         form = ~ 1 | visit),
      method = "REML")
}
# R's gls optimisers stop about 1e-7 (relative) short of the REML optimum (optim's numerical
# gradient uses ndeps = 1e-3). Polish with Newton steps on nlme's own log-likelihood
# (central differences, h = 2e-5) until the step is below 1e-8, then report that gls fit.
mmrm_polish <- function(s, fit) {
  cs <- coef(fit$modelStruct$corStruct, unconstrained = FALSE)
  vs <- coef(fit$modelStruct$varStruct, unconstrained = FALSE)
  nc <- length(cs)
  theta <- c(cs, vs)
  k <- length(theta)
  h <- 2e-5
  ll <- function(th) as.numeric(logLik(mmrm_fixed(s, th, nc, names(vs))))
  grad <- function(th) vapply(seq_len(k), function(j) {
    e <- numeric(k); e[j] <- h
    (ll(th + e) - ll(th - e)) / (2 * h)
  }, numeric(1))
  H <- matrix(0, k, k)
  for (j in seq_len(k)) {
    e <- numeric(k); e[j] <- h
    H[, j] <- (grad(theta + e) - grad(theta - e)) / (2 * h)
  }
  H <- (H + t(H)) / 2
  for (it in 1:8) {
    step <- -solve(H, grad(theta))
    theta <- theta + step
    if (max(abs(step)) < 1e-8) break
  }
  mmrm_fixed(s, theta, nc, names(vs))
}
mmrm_r <- function(d, control, polish) {
  s <- mmrm_data(d)
  fit <- mmrm_fit(s, control)
  if (polish) fit <- mmrm_polish(s, fit)
  b <- coef(fit)
  V <- vcov(fit)
  df <- fit$dims$N - fit$dims$p
  lev <- levels(s$visit)
  per_visit <- lapply(seq_along(lev), function(i) {
    L <- setNames(numeric(length(b)), names(b))
    L["group"] <- 1
    if (i > 1) L[paste0("group:visit", lev[i])] <- 1
    est <- sum(L * b)
    se <- sqrt(drop(t(L) %*% V %*% L))
    q <- qt(0.975, df)
    list(visit = as.numeric(lev[i]), estimate = est, se = se, ci_low = est - q * se,
         ci_high = est + q * se, df = df, p_value = 2 * pt(-abs(est / se), df))
  })
  list(per_visit = per_visit, log_lik = as.numeric(logLik(fit)),
       n_observations = fit$dims$N, n_subjects = length(unique(s$subject)),
       covariance = unname(unclass(getVarCov(fit, individual = complete_subject(s, length(lev))))))
}
complete_subject <- function(s, n_visits) {
  counts <- table(s$subject)
  names(counts)[counts == n_visits][1]
}
tight <- glsControl(maxIter = 500, msMaxIter = 5000, tolerance = 1e-12, msTol = 1e-14,
                    opt = "optim", optimMethod = "BFGS", returnObject = TRUE)

for (ds in c("trial_dropout", "trial_ties")) {
  d <- read_trial(ds)
  weeks <- sort(unique(d$week))
  for (w in weeks) {
    for (g in c(0, 1)) {
      x <- within_arm(d, g, w)
      inp <- list(group = g, week = w)
      add_case(sprintf("%s/describe/g%d/w%d", ds, g, w), ds, "describe", inp,
               "c(length(x), mean(x), sd(x), t.test(x)$conf.int, quantile(x, type = 7), range(x))",
               describe_r(x))
      add_case(sprintf("%s/paired_t/g%d/w%d", ds, g, w), ds, "paired_t", inp,
               "t.test(x)", ttest_r(t.test(x)))
      add_case(sprintf("%s/wilcoxon/g%d/w%d", ds, g, w), ds, "wilcoxon_signed_rank", inp,
               "wilcox.test(x, conf.int = TRUE)",
               rank_call(wilcox.test(x, conf.int = TRUE)))
      add_case(sprintf("%s/wilcoxon_nocorrect/g%d/w%d", ds, g, w), ds,
               "wilcoxon_signed_rank_nocorrect", inp,
               "wilcox.test(x, conf.int = TRUE, correct = FALSE)",
               rank_call(wilcox.test(x, conf.int = TRUE, correct = FALSE)))
    }
    x <- within_arm(d, 1, w)
    y <- within_arm(d, 0, w)
    inp <- list(week = w)
    add_case(sprintf("%s/welch_t/w%d", ds, w), ds, "welch_t", inp, "t.test(x, y)",
             ttest_r(t.test(x, y)))
    add_case(sprintf("%s/student_t/w%d", ds, w), ds, "student_t", inp,
             "t.test(x, y, var.equal = TRUE)", ttest_r(t.test(x, y, var.equal = TRUE)))
    add_case(sprintf("%s/mann_whitney/w%d", ds, w), ds, "mann_whitney", inp,
             "wilcox.test(x, y, conf.int = TRUE)",
             rank_call(wilcox.test(x, y, conf.int = TRUE)))
    add_case(sprintf("%s/hedges_g/w%d", ds, w), ds, "hedges_g", inp,
             "summary(metafor::escalc('SMD', m1i = mean(x), sd1i = sd(x), n1i = length(x), m2i = mean(y), sd2i = sd(y), n2i = length(y)))",
             hedges_r(x, y))
    add_case(sprintf("%s/ancova/w%d", ds, w), ds, "ancova", inp,
             "summary(lm(change ~ group + baseline, data = d[d$week == w & !is.na(d$change), ]))",
             ancova_r(d, w))
    s <- d[d$week == w & !is.na(d$change), ]
    resp <- s$change <= -0.5 * s$baseline
    k1 <- sum(resp[s$group == 1]); n1 <- sum(s$group == 1)
    k2 <- sum(resp[s$group == 0]); n2 <- sum(s$group == 0)
    cnt <- list(week = w, k1 = k1, n1 = n1, k2 = k2, n2 = n2)
    add_case(sprintf("%s/fisher_exact/w%d", ds, w), ds, "fisher_exact", cnt,
             "fisher.test(matrix(c(k1, n1 - k1, k2, n2 - k2), 2, byrow = TRUE))$p.value",
             list(p_value = fisher.test(matrix(c(k1, n1 - k1, k2, n2 - k2), 2, byrow = TRUE))$p.value))
  }
  add_case(sprintf("%s/mmrm", ds), ds, "mmrm", list(),
           "nlme::gls(change ~ group * visit + baseline * visit, correlation = corSymm(form = ~ visit_index | subject), weights = varIdent(form = ~ 1 | visit), method = 'REML', control = glsControl(opt = 'optim', msTol = 1e-14, ...)), polished to the REML optimum (mmrm_polish)",
           mmrm_r(d, tight, polish = TRUE))
  add_case(sprintf("%s/mmrm_default", ds), ds, "mmrm_default", list(),
           "nlme::gls(same model, default glsControl())", mmrm_r(d, glsControl(), polish = FALSE))
}

v <- read.csv("vectors.csv")
vec <- function(name) {
  x <- v$value[v$name == name]
  x
}
for (name in c("three_exact", "tiny_exact", "zeros_no_ties", "one_sided_ties")) {
  x <- vec(name)
  add_case(sprintf("vectors/wilcoxon/%s", name), "vectors", "wilcoxon_signed_rank",
           list(x = name), "wilcox.test(x, conf.int = TRUE)",
           rank_call(wilcox.test(x, conf.int = TRUE)))
  add_case(sprintf("vectors/paired_t/%s", name), "vectors", "paired_t", list(x = name),
           "t.test(x)", ttest_r(t.test(x)))
}
for (pair in list(c("mw_ties_x", "mw_ties_y"), c("mw_exact_x", "mw_exact_y"))) {
  x <- vec(pair[1]); y <- vec(pair[2])
  inp <- list(x = pair[1], y = pair[2])
  add_case(sprintf("vectors/mann_whitney/%s", pair[1]), "vectors", "mann_whitney", inp,
           "wilcox.test(x, y, conf.int = TRUE)",
           rank_call(wilcox.test(x, y, conf.int = TRUE)))
  add_case(sprintf("vectors/mann_whitney_nocorrect/%s", pair[1]), "vectors",
           "mann_whitney_nocorrect", inp, "wilcox.test(x, y, conf.int = TRUE, correct = FALSE)",
           rank_call(wilcox.test(x, y, conf.int = TRUE, correct = FALSE)))
  add_case(sprintf("vectors/welch_t/%s", pair[1]), "vectors", "welch_t", inp,
           "t.test(x, y)", ttest_r(t.test(x, y)))
  add_case(sprintf("vectors/hedges_g/%s", pair[1]), "vectors", "hedges_g", inp,
           "summary(metafor::escalc('SMD', ...))", hedges_r(x, y))
}
# Other confidence levels (conf_level in the inputs).
for (cl in c(0.9, 0.99)) {
  for (name in c("tiny_exact", "zeros_no_ties", "one_sided_ties")) {
    x <- vec(name)
    add_case(sprintf("vectors/wilcoxon/%s/cl%g", name, cl), "vectors", "wilcoxon_signed_rank",
             list(x = name, conf_level = cl), sprintf("wilcox.test(x, conf.int = TRUE, conf.level = %g)", cl),
             rank_call(wilcox.test(x, conf.int = TRUE, conf.level = cl)))
  }
  for (pair in list(c("mw_ties_x", "mw_ties_y"), c("mw_exact_x", "mw_exact_y"))) {
    x <- vec(pair[1]); y <- vec(pair[2])
    inp <- list(x = pair[1], y = pair[2], conf_level = cl)
    add_case(sprintf("vectors/mann_whitney/%s/cl%g", pair[1], cl), "vectors", "mann_whitney", inp,
             sprintf("wilcox.test(x, y, conf.int = TRUE, conf.level = %g)", cl),
             rank_call(wilcox.test(x, y, conf.int = TRUE, conf.level = cl)))
    add_case(sprintf("vectors/welch_t/%s/cl%g", pair[1], cl), "vectors", "welch_t", inp,
             sprintf("t.test(x, y, conf.level = %g)", cl), ttest_r(t.test(x, y, conf.level = cl)))
  }
}

p <- vec("pvals")
for (m in c("holm", "BH")) {
  add_case(sprintf("vectors/p_adjust/%s", m), "vectors", "p_adjust", list(method = m),
           sprintf("p.adjust(p, method = '%s')", m), list(adjusted = p.adjust(p, method = m)))
}

cn <- read.csv("counts.csv")
for (i in seq_len(nrow(cn))) {
  r <- cn[i, ]
  inp <- list(k1 = r$k1, n1 = r$n1, k2 = r$k2, n2 = r$n2)
  tag <- sprintf("%d_%d_%d_%d", r$k1, r$n1, r$k2, r$n2)
  add_case(sprintf("counts/wilson/%s", tag), "counts", "wilson_ci", inp,
           "prop.test(k1, n1, correct = FALSE)$conf.int", wilson_r(r$k1, r$n1))
  add_case(sprintf("counts/newcombe/%s", tag), "counts", "newcombe_rd", inp,
           "Newcombe method 10 from prop.test(k, n, correct = FALSE)$conf.int of both arms",
           newcombe_r(r$k1, r$n1, r$k2, r$n2))
  add_case(sprintf("counts/fisher/%s", tag), "counts", "fisher_exact", inp,
           "fisher.test(matrix(c(k1, n1 - k1, k2, n2 - k2), 2, byrow = TRUE))$p.value",
           list(p_value = fisher.test(matrix(c(r$k1, r$n1 - r$k1, r$k2, r$n2 - r$k2), 2,
                                             byrow = TRUE))$p.value))
}

# Exact null distributions used by the exact Wilcoxon branches.
probs <- c(0.005, 0.025, 0.05, 0.25, 0.5, 0.75)
for (n in c(1, 2, 3, 5, 10, 20, 35, 49)) {
  top <- n * (n + 1) / 2
  q <- unique(floor(seq(0, top, length.out = 9)))
  add_case(sprintf("exact/signrank/%d", n), "exact", "signrank", list(n = n, q = q, probs = probs),
           "psignrank(q, n); psignrank(q, n, lower.tail = FALSE); qsignrank(probs, n)",
           list(p = psignrank(q, n), upper = psignrank(q, n, lower.tail = FALSE),
                quantile = qsignrank(probs, n)))
}
# qwilcox at the probabilities the CIs use (alpha / 2 <= 0.25). At 0.5 with 49 + 49 the
# cumulative probability equals the target exactly and R's double-precision frequencies
# (~1e-14 accumulated rounding) land one step further than exact integer frequencies do.
wprobs <- c(0.005, 0.025, 0.05, 0.25)
for (mn in list(c(1, 1), c(3, 4), c(9, 11), c(20, 25), c(10, 49), c(49, 49))) {
  m <- mn[1]; n <- mn[2]
  q <- unique(floor(seq(0, m * n, length.out = 9)))
  add_case(sprintf("exact/wilcox/%d_%d", m, n), "exact", "wilcox", list(m = m, n = n, q = q, probs = wprobs),
           "pwilcox(q, m, n); pwilcox(q, m, n, lower.tail = FALSE); qwilcox(probs, m, n)",
           list(p = pwilcox(q, m, n), upper = pwilcox(q, m, n, lower.tail = FALSE),
                quantile = qwilcox(wprobs, m, n)))
}

out <- list(
  generated_by = "tests/stats/reference/reference.R",
  r_version = R.version.string,
  nlme_version = as.character(packageVersion("nlme")),
  metafor_version = as.character(packageVersion("metafor")),
  cases = cases
)
writeLines(toJSON(out, auto_unbox = TRUE, digits = NA, pretty = TRUE, na = "null"),
           "reference.json")
cat(sprintf("wrote %d cases to reference.json\n", length(cases)))
