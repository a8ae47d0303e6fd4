# Reference values for the one-sided tests and confidence levels of autoserum.stats
# (issue 16, item 3: --alternative less|greater|two-sided and --conf-level):
#
#   cd tests/stats/reference && Rscript one_sided.R   # writes one_sided.json
#
# Mann-Whitney with the Hodges-Lehmann shift, R wilcox.test(x, y, alternative, conf.int = TRUE,
# conf.level, correct): the exact branch (mw_exact_*: no ties, n < 50), the normal branch with
# ties (mw_ties_*) and with n >= 50 (big_x/big_y: seeded normal samples, generated here and
# stored in the JSON), with and without the continuity correction. Wilcoxon signed-rank,
# R wilcox.test(x, alternative, conf.int = TRUE, conf.level, correct) one-sample and
# wilcox.test(big_x[1:55], big_y, paired = TRUE, ...): exact and normal branches (ties, zeros). t.test (one-sample/paired,
# Welch, Student) and fisher.test on 2x2 tables, each for every alternative.
suppressPackageStartupMessages(library(jsonlite))
v <- read.csv("vectors.csv")
vec <- function(name) v$value[v$name == name]
set.seed(20261202)
big_x <- round(rnorm(60, -3, 4), 1)
big_y <- round(rnorm(55, 0, 4), 1)
samples <- list(mw_exact_x = vec("mw_exact_x"), mw_exact_y = vec("mw_exact_y"),
                mw_ties_x = vec("mw_ties_x"), mw_ties_y = vec("mw_ties_y"),
                big_x = big_x, big_y = big_y, one_sided_ties = vec("one_sided_ties"),
                tiny_exact = vec("tiny_exact"), zeros_no_ties = vec("zeros_no_ties"))
num <- function(x) if (is.infinite(x)) (if (x > 0) "Inf" else "-Inf") else x
cases <- list()
add <- function(id, fn, inputs, r_call, expected) {
  cases[[length(cases) + 1]] <<- list(id = id, fn = fn, inputs = inputs, r_call = r_call,
                                      expected = expected)
}
for (alt in c("two.sided", "less", "greater")) {
  side <- if (alt == "two.sided") "two-sided" else alt
  for (cl in c(0.9, 0.95, 0.99)) {
    for (pair in list(c("mw_exact_x", "mw_exact_y"), c("mw_ties_x", "mw_ties_y"),
                      c("big_x", "big_y"))) {
      x <- samples[[pair[1]]]; y <- samples[[pair[2]]]
      for (correct in c(TRUE, FALSE)) {
        r <- suppressWarnings(wilcox.test(x, y, alternative = alt, conf.int = TRUE,
                                          conf.level = cl, correct = correct))
        add(sprintf("mann_whitney/%s/%s/cl%g/correct%s", pair[1], side, cl, correct),
            "mann_whitney",
            list(x = pair[1], y = pair[2], alternative = side, conf_level = cl, correct = correct),
            sprintf("wilcox.test(x, y, alternative = '%s', conf.int = TRUE, conf.level = %g, correct = %s)",
                    alt, cl, correct),
            list(statistic = unname(r$statistic), p_value = r$p.value,
                 estimate = unname(r$estimate), ci_low = num(r$conf.int[1]),
                 ci_high = num(r$conf.int[2]),
                 method = if (grepl("exact", r$method)) "exact" else "normal"))
      }
    }
    ttest <- function(r) list(estimate = unname(if (length(r$estimate) == 2)
                                   r$estimate[1] - r$estimate[2] else r$estimate),
                              statistic = unname(r$statistic), df = unname(r$parameter),
                              p_value = r$p.value, ci_low = num(r$conf.int[1]),
                              ci_high = num(r$conf.int[2]))
    for (name in c("one_sided_ties", "tiny_exact")) {
      add(sprintf("paired_t/%s/%s/cl%g", name, side, cl), "paired_t",
          list(x = name, alternative = side, conf_level = cl),
          sprintf("t.test(x, alternative = '%s', conf.level = %g)", alt, cl),
          ttest(t.test(samples[[name]], alternative = alt, conf.level = cl)))
    }
    for (pair in list(c("mw_ties_x", "mw_ties_y"), c("big_x", "big_y"))) {
      x <- samples[[pair[1]]]; y <- samples[[pair[2]]]
      add(sprintf("welch_t/%s/%s/cl%g", pair[1], side, cl), "welch_t",
          list(x = pair[1], y = pair[2], alternative = side, conf_level = cl),
          sprintf("t.test(x, y, alternative = '%s', conf.level = %g)", alt, cl),
          ttest(t.test(x, y, alternative = alt, conf.level = cl)))
      add(sprintf("student_t/%s/%s/cl%g", pair[1], side, cl), "student_t",
          list(x = pair[1], y = pair[2], alternative = side, conf_level = cl),
          sprintf("t.test(x, y, var.equal = TRUE, alternative = '%s', conf.level = %g)", alt, cl),
          ttest(t.test(x, y, var.equal = TRUE, alternative = alt, conf.level = cl)))
    }
  }
  # Wilcoxon signed-rank (one-sample / paired), exact (n < 50, no ties or zeros) and normal
  # (ties, zeros, n >= 50) branches, with and without the continuity correction.
  for (name in c("mw_exact_x", "tiny_exact", "one_sided_ties", "zeros_no_ties", "big_x",
                 "paired")) for (cl in c(0.9, 0.95, 0.99)) {
    for (correct in c(TRUE, FALSE)) {
      r <- suppressWarnings(if (name == "paired")
        wilcox.test(big_x[1:55], big_y, paired = TRUE, alternative = alt, conf.int = TRUE,
                    conf.level = cl, correct = correct)
      else wilcox.test(samples[[name]], alternative = alt, conf.int = TRUE, conf.level = cl,
                       correct = correct))
      add(sprintf("signed_rank/%s/%s/cl%g/correct%s", name, side, cl, correct),
          "wilcoxon_signed_rank",
          list(x = name, alternative = side, conf_level = cl, correct = correct),
          sprintf("wilcox.test(%s, alternative = '%s', conf.int = TRUE, conf.level = %g, correct = %s)",
                  if (name == "paired") "big_x[1:55], big_y, paired = TRUE" else "x", alt, cl,
                  correct),
          list(statistic = unname(r$statistic), p_value = r$p.value,
               estimate = unname(r$estimate), ci_low = num(r$conf.int[1]),
               ci_high = num(r$conf.int[2]),
               method = if (grepl("exact", r$method)) "exact" else "normal"))
    }
  }
  for (tab in list(c(7, 11, 2, 12), c(3, 4, 1, 4), c(0, 10, 5, 10), c(12, 12, 6, 13))) {
    k1 <- tab[1]; n1 <- tab[2]; k2 <- tab[3]; n2 <- tab[4]
    m <- matrix(c(k1, k2, n1 - k1, n2 - k2), 2)
    add(sprintf("fisher/%d_%d_%d_%d/%s", k1, n1, k2, n2, side), "fisher_exact",
        list(k1 = k1, n1 = n1, k2 = k2, n2 = n2, alternative = side),
        sprintf("fisher.test(matrix(c(%d, %d, %d, %d), 2), alternative = '%s')",
                k1, k2, n1 - k1, n2 - k2, alt),
        list(p_value = fisher.test(m, alternative = alt)$p.value))
  }
}
# R's normal quantiles, both tails, at seeded probabilities over (0, 1) and the levels used
# above: autoserum reproduces them bit for bit (they feed the root searches of the HL CIs).
probs <- c(runif(300), 10^-(1:12), 0.005, 0.025, 0.05, 0.1, 0.5, 0.95, 1 - 1e-10)
full <- function(v) sprintf("%.17g", v)  # as text: toJSON keeps 15 significant digits
qnorms <- list(p = full(probs), lower = full(qnorm(probs)),
               upper = full(qnorm(probs, lower.tail = FALSE)))
out <- list(r_version = R.version.string, samples = samples, cases = cases, qnorm = qnorms)
writeLines(toJSON(out, auto_unbox = TRUE, digits = NA, pretty = TRUE), "one_sided.json")
