# Reference values for autoserum.study.photos.agreement (issue 13: blinded central rating of
# lesion photographs): a hand-made example of 6 photographs, each rated by 3 raters.
#
#   cd tests/study/reference && Rscript photo_agreement.R   # writes photo_agreement.json
#
# Region scores are EASI region scores as the raters' signs and areas give them (signs x area
# x multiplier; e.g. trunk (2 + 1.5 + 1 + 0) x 3 x 0.3 = 4.05). ICC: psych::ICC(x, lmer =
# FALSE) (Shrout & Fleiss 1979 mean squares from the two-way ANOVA; the same call as
# tests/stats/reference/agreement.R). Kappa: psych::cohen.kappa(cbind(a, b), w = W, levels =
# 0:4) with quadratic agreement weights W = 1 - (i - j)^2 / (k - 1)^2, for each pair of raters.
suppressPackageStartupMessages({library(psych); library(jsonlite)})
photos <- c("PH-01", "PH-02", "PH-03", "PH-04", "PH-05", "PH-06")
raters <- c("rhea", "rolf", "ruth")
region <- matrix(c(4.05, 4.8, 3.6,
                   0.8, 0.8, 1.2,
                   9.6, 9.6, 7.2,
                   2.4, 3.6, 2.7,
                   14.4, 12.6, 16.2,
                   0, 0.6, 0.3), ncol = 3, byrow = TRUE)
viga <- matrix(c(3, 3, 2,
                 1, 2, 1,
                 4, 4, 3,
                 2, 2, 2,
                 4, 3, 4,
                 0, 1, 1), ncol = 3, byrow = TRUE)
r <- ICC(region, lmer = FALSE)$results
icc_rows <- lapply(seq_len(nrow(r)), function(i) list(
  type = r$type[i], icc = r$ICC[i], statistic = r$F[i], df1 = r$df1[i], df2 = r$df2[i],
  p_value = r$p[i], ci_low = r[i, "lower bound"], ci_high = r[i, "upper bound"]))
k <- 5
W <- 1 - outer(1:k, 1:k, "-")^2 / (k - 1)^2
pairs <- list()
for (p in combn(3, 2, simplify = FALSE)) {
  ck <- cohen.kappa(cbind(viga[, p[1]], viga[, p[2]]), w = W, levels = 0:4)
  pairs[[length(pairs) + 1]] <- list(rater_a = raters[p[1]], rater_b = raters[p[2]],
                                     kappa = ck$kappa, weighted_kappa = ck$weighted.kappa)
}
write_json(list(generated_by = "photo_agreement.R", r_version = R.version.string,
                psych_version = as.character(packageVersion("psych")),
                r_call = "psych::ICC(region, lmer = FALSE); psych::cohen.kappa(cbind(a, b), w = W_quadratic, levels = 0:4)",
                photos = photos, raters = raters,
                region_score = unname(split(region, row(region))),
                viga_grade = unname(split(viga, row(viga))),
                icc = icc_rows, kappa = pairs),
           "photo_agreement.json", digits = NA, auto_unbox = TRUE, pretty = TRUE)
