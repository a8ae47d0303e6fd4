# Reference values for autoserum.analysis.subgroup_table on ../data/three_arm.csv: EASI change
# from baseline to week 12 (FAS), subgroups by baseline EASI (cut at 20) and by sex.
#   Rscript subgroups.R   -> subgroups.json
suppressMessages(library(jsonlite))
d <- read.csv("../data/three_arm.csv")
d <- d[!is.na(d$easi), ]
base <- d[d$week == 0, c("subject_id", "easi")]
names(base)[2] <- "baseline"
w <- merge(d[d$week == 12, c("subject_id", "arm", "sex", "easi")], base, by = "subject_id")
w$change <- w$easi - w$baseline
w$arm <- relevel(factor(w$arm), ref = "placebo")
case <- function(sub) {
  w$sub <- sub
  inter <- anova(lm(change ~ arm + baseline + sub, data = w), lm(change ~ arm * sub + baseline, data = w))
  levels <- list()
  for (lv in sort(unique(sub))) {
    s <- w[w$sub == lv, ]
    fit <- lm(change ~ arm + baseline, data = s)
    co <- summary(fit)$coefficients; ci <- confint(fit)
    levels[[lv]] <- lapply(c("igg", "serum"), function(a) list(
      arm = a, n = sum(s$arm %in% c(a, "placebo")),
      estimate = co[paste0("arm", a), "Estimate"], ci_low = ci[paste0("arm", a), 1],
      ci_high = ci[paste0("arm", a), 2], p_value = co[paste0("arm", a), "Pr(>|t|)"]))
  }
  list(interaction = list(f = inter$F[2], df1 = inter$Df[2], df2 = inter$Res.Df[2],
                          p_value = inter$`Pr(>F)`[2]), levels = levels)
}
ref <- list(
  easi_baseline = case(ifelse(w$baseline < 20, "< 20", "≥ 20")),
  sex = case(w$sex)
)
writeLines(toJSON(ref, digits = NA, auto_unbox = TRUE, pretty = TRUE), "subgroups.json")
