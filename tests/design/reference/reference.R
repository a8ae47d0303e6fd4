# Reference values for autoserum.design: R's power.t.test and power.prop.test (stats package).
#   Rscript reference.R   -> power_reference.json
# Sample sizes are solved with tol = 1e-12 (R's default uniroot tol is eps^0.25 ~ 1.2e-4).
library(jsonlite)
tol <- 1e-12
pt_case <- function(type, delta, sd, n = NULL, power = NULL, sig = 0.05, strict = FALSE) {
  r <- power.t.test(n = n, delta = delta, sd = sd, sig.level = sig, power = power, type = type,
                    strict = strict, tol = tol)
  list(type = type, delta = delta, sd = sd, sig_level = sig, strict = strict,
       n = r$n, power = r$power, given = if (is.null(n)) "power" else "n")
}
pp_case <- function(p1, p2, n = NULL, power = NULL, sig = 0.05, strict = FALSE) {
  r <- power.prop.test(n = n, p1 = p1, p2 = p2, sig.level = sig, power = power, strict = strict,
                       tol = tol)
  list(p1 = p1, p2 = p2, sig_level = sig, strict = strict, n = r$n, power = r$power,
       given = if (is.null(n)) "power" else "n")
}
rho <- 0.6
ref <- list(
  t = list(
    # paired single-arm on change: e.g. SCORAD change 8 points, SD of change 12
    pt_case("paired", 8, 12, power = 0.8),
    pt_case("paired", 8, 12, n = 15),
    pt_case("one.sample", 0.5, 1, n = 20, strict = TRUE),
    # two-arm parallel on change (Pittler-like SASSAD: 9.6 points, SD 10)
    pt_case("two.sample", 9.6, 10, power = 0.9),
    pt_case("two.sample", 9.6, 10, n = 15),
    pt_case("two.sample", 1, 1, n = 10, sig = 0.01, strict = TRUE),
    # ANCOVA: the SD deflated by sqrt(1 - rho^2), rho = 0.6
    pt_case("two.sample", 9.6, 10 * sqrt(1 - rho^2), power = 0.8),
    pt_case("two.sample", 9.6, 10 * sqrt(1 - rho^2), n = 12)
  ),
  # strict = TRUE at large df and large noncentrality (issue 16: a traceback and NaN before):
  # the lower tail is ~1e-30 or below there and the upper tail ~1
  t_strict_large = list(
    pt_case("two.sample", 0.5, 1, power = 0.8, strict = TRUE),
    pt_case("two.sample", 0.5, 1, n = 300, strict = TRUE),
    pt_case("two.sample", 1, 1, n = 300, strict = TRUE),
    pt_case("two.sample", 2, 1, n = 5000, strict = TRUE),
    pt_case("two.sample", 0.1, 1, power = 0.9, strict = TRUE),
    pt_case("two.sample", 0.05, 1, power = 0.95, strict = TRUE),
    pt_case("paired", 0.3, 1, power = 0.99, strict = TRUE),
    pt_case("paired", 3, 1, n = 4000, strict = TRUE),
    pt_case("two.sample", 0.05, 1, power = 0.95),
    pt_case("two.sample", 1.5, 1, n = 2000)
  ),
  prop = list(
    # responder proportions: EASI-50 60% vs 25%; Nahm 2020 exacerbation 11.5% vs 48%
    pp_case(0.60, 0.25, power = 0.8),
    pp_case(0.60, 0.25, n = 30),
    pp_case(0.115, 0.48, power = 0.9, sig = 0.01),
    pp_case(0.5, 0.75, n = 40, strict = TRUE)
  ),
  ancova_rho = rho
)
writeLines(toJSON(ref, digits = NA, auto_unbox = TRUE, pretty = TRUE), "power_reference.json")
