# Reference values for autoserum.stats.mmrm's covariance structures, covariates and
# denominator df, computed with R (nlme, lme4/lmerTest, pbkrtest):
#
#   cd tests/stats/reference && Rscript mmrm_structures.R   # writes mmrm_structures.json
#
# Data: trial_dropout.csv (make_datasets.py), all 128 subjects ("full") and the first 40
# subjects in file order ("small", where the df methods differ most), with subject covariates
# from covariates.csv (written by make_datasets.py: age numeric, site text).
# Model: change ~ group * visit + baseline * visit [+ age + site], visit = factor(week),
# visit_index = as.integer(visit), REML, rows with a missing change dropped.
#
# gls fits (estimates, SEs with N - p df, logLik, covariance matrix), one per structure:
#   compound_symmetry: correlation = corCompSymm(form = ~ visit_index | subject)
#   ar1:               correlation = corAR1(form = ~ visit_index | subject)
#   toeplitz:          correlation = corARMA(p = T - 1, form = ~ visit_index | subject)
#                      (an AR(T-1) spans every T x T Toeplitz correlation)
# Denominator df on compound symmetry, where gls(corCompSymm) and lmer(... + (1 | subject))
# are the same model (the within-subject correlation estimate is positive): lmerTest::contest
# of the per-visit treatment difference with ddf = "Satterthwaite" and ddf = "Kenward-Roger"
# (lmerTest calls pbkrtest::vcovAdj and pbkrtest's df).
# nlme's optimiser stops short of the optimum by ~1e-8 relative; tightened controls are used.

suppressPackageStartupMessages({
  library(nlme)
  library(lmerTest)
  library(pbkrtest)
  library(jsonlite)
})

d <- read.csv("trial_dropout.csv", stringsAsFactors = FALSE)
cv <- read.csv("covariates.csv", stringsAsFactors = FALSE)
d <- merge(d, cv, by = "subject", sort = FALSE)
d <- d[order(match(d$subject, unique(read.csv("trial_dropout.csv")$subject)), d$week), ]
prep <- function(d) {
  s <- d[!is.na(d$change), ]
  s$visit <- factor(s$week, levels = sort(unique(d$week)))
  s$visit_index <- as.integer(s$visit)
  s$site <- factor(s$site)
  s
}
subsets <- list(full = d, small = d[d$subject %in% unique(d$subject)[1:40], ])

tight <- glsControl(maxIter = 500, msMaxIter = 500, tolerance = 1e-12, msTol = 1e-14,
                    returnObject = TRUE)
per_visit <- function(b, V, lev, df) {
  lapply(seq_along(lev), function(i) {
    L <- setNames(numeric(length(b)), names(b))
    L["group"] <- 1
    if (i > 1) L[paste0("group:visit", lev[i])] <- 1
    est <- sum(L * b)
    se <- sqrt(drop(t(L) %*% V %*% L))
    list(visit = as.numeric(lev[i]), estimate = est, se = se, df = df,
         p_value = 2 * pt(-abs(est / se), df))
  })
}
full_cov <- function(fit, s) {
  T <- nlevels(s$visit)
  counts <- table(s$subject)
  id <- names(counts)[counts == T][1]
  unname(unclass(getVarCov(fit, individual = id)))
}

cases <- list()
for (nm in names(subsets)) {
  s <- prep(subsets[[nm]])
  T <- nlevels(s$visit)
  lev <- levels(s$visit)
  for (cov in c(FALSE, TRUE)) {
    f <- if (cov) change ~ group * visit + baseline * visit + age + site else
      change ~ group * visit + baseline * visit
    calls <- c(compound_symmetry = "corCompSymm(form = ~ visit_index | subject)",
               ar1 = "corAR1(form = ~ visit_index | subject)",
               toeplitz = sprintf("corARMA(p = %d, q = 0, form = ~ visit_index | subject)", T - 1))
    structs <- list(
      compound_symmetry = corCompSymm(form = ~ visit_index | subject),
      ar1 = corAR1(form = ~ visit_index | subject),
      toeplitz = corARMA(p = T - 1, q = 0, form = ~ visit_index | subject)
    )
    for (st in names(structs)) {
      fit <- gls(f, data = s, correlation = structs[[st]], method = "REML", control = tight)
      df <- fit$dims$N - fit$dims$p
      case <- list(
        id = sprintf("%s/%s%s", nm, st, if (cov) "+covariates" else ""),
        subset = nm, covariance = st, covariates = cov,
        r_call = sprintf("nlme::gls(%s, correlation = %s, method = 'REML')",
                         paste(deparse(f), collapse = ""), calls[[st]]),
        per_visit = per_visit(coef(fit), vcov(fit), lev, df),
        log_lik = as.numeric(logLik(fit)),
        sigma = full_cov(fit, s)
      )
      if (cov) {
        b <- coef(fit); se <- sqrt(diag(vcov(fit)))
        keep <- c("age", grep("^site", names(b), value = TRUE))
        case$covariate_effects <- lapply(keep, function(k) list(
          name = k, estimate = unname(b[k]), se = unname(se[k])))
      }
      if (st == "compound_symmetry") {
        lf <- if (cov) change ~ group * visit + baseline * visit + age + site + (1 | subject) else
          change ~ group * visit + baseline * visit + (1 | subject)
        m <- lmerTest::lmer(lf, data = s, REML = TRUE,
                            control = lmerControl(optimizer = "bobyqa",
                                                  optCtrl = list(rhoend = 1e-12, maxfun = 1e5)))
        case$lmer_log_lik <- as.numeric(logLik(m))
        b <- fixef(m)
        for (ddf in c("Satterthwaite", "Kenward-Roger")) {
          rows <- lapply(seq_along(lev), function(i) {
            L <- setNames(numeric(length(b)), names(b))
            L["group"] <- 1
            if (i > 1) L[paste0("group:visit", lev[i])] <- 1
            r <- contest(m, L, ddf = ddf, joint = FALSE)
            list(visit = as.numeric(lev[i]), estimate = r$Estimate, se = r$`Std. Error`,
                 df = r$df, statistic = r$`t value`, p_value = r$`Pr(>|t|)`)
          })
          key <- if (ddf == "Satterthwaite") "satterthwaite" else "kenward_roger"
          case[[key]] <- list(
            r_call = sprintf("lmerTest::contest(lmer(%s, REML = TRUE), L, ddf = '%s')",
                             paste(deparse(lf), collapse = ""), ddf),
            per_visit = rows)
        }
      }
      cases[[length(cases) + 1]] <- case
    }
  }
}
writeLines(toJSON(list(
  generated_by = "tests/stats/reference/mmrm_structures.R",
  r_version = R.version.string,
  packages = list(nlme = as.character(packageVersion("nlme")),
                  lme4 = as.character(packageVersion("lme4")),
                  lmerTest = as.character(packageVersion("lmerTest")),
                  pbkrtest = as.character(packageVersion("pbkrtest"))),
  cases = cases), auto_unbox = TRUE, digits = NA, pretty = TRUE), "mmrm_structures.json")
