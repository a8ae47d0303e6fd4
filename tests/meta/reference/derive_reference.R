# Reference values for autoserum.meta's derivations from reported results (Cochrane Handbook
# v6.4, chapters 6 and 10), computed in R with metafor 3.8-1 where it has the method.
#   Rscript derive_reference.R   -> derive_reference.json
suppressMessages(library(metafor))
library(jsonlite)

se_ci_t <- (14.9 - 4.2) / (2 * qt(0.975, 28))      # Cochrane 6.5.2.3, small samples (t, df 28)
se_ci_z <- (14.9 - 4.2) / (2 * qnorm(0.975))       # Cochrane 6.5.2.3, large samples (3.92)
se_p_t <- 9.6 / qt(1 - 0.001 / 2, 28)              # Cochrane 6.5.2.3 from an exact p (t)
se_p_z <- 9.6 / qnorm(1 - 0.001 / 2)               # Cochrane 6.3.2 from an exact p (z)
se_log_ci <- (log(0.9) - log(0.3)) / (2 * qnorm(0.975))  # Cochrane 6.3.1, ratio on log scale
smd_t <- escalc("SMD", ti = -9.6 / se_ci_t, n1i = 15, n2i = 15)          # g from t, metafor
smd_p <- escalc("SMD", ti = -qt(1 - 0.006 / 2, 18), n1i = 10, n2i = 10)  # g from exact p
or2d <- escalc("OR2DL", ai = 30, bi = 10, ci = 15, di = 4)           # Chinn 2000 logit method
sd_change <- sqrt(4^2 + 5^2 - 2 * 0.5 * 4 * 5)                       # Cochrane 6.5.2.8, r = 0.5

ref <- list(se_ci_t = se_ci_t, se_ci_z = se_ci_z, se_p_t = se_p_t, se_p_z = se_p_z,
            se_log_ci = se_log_ci,
            smd_t = list(yi = c(smd_t$yi), vi = c(smd_t$vi)),
            smd_p = list(yi = c(smd_p$yi), vi = c(smd_p$vi)),
            or2d = list(yi = c(or2d$yi), vi = c(or2d$vi)),
            sd_change = sd_change)
writeLines(toJSON(ref, digits = NA, auto_unbox = TRUE, pretty = TRUE), "derive_reference.json")
