# fev_data.csv: the synthetic example data set `fev_data` shipped with R's mmrm package
# (openpharma/mmrm, data/fev_data.rda at commit ec290b2695b25057b31bc98e27c39d3f498cd0d6,
# mmrm 0.3.18, Apache License 2.0; "This is an artificial dataset", man/fev_data.Rd).
# Copied here as data only, so that autoserum's MMRM can be compared with the SAS PROC MIXED
# output the mmrm authors published for the same data (mmrm_sas.json). No code is copied.
#
#   git -C <mmrm clone> show ec290b26:data/fev_data.rda > /tmp/fev_data.rda
#   cd tests/stats/reference && Rscript fev_data.R /tmp/fev_data.rda
args <- commandArgs(trailingOnly = TRUE)
load(args[1])
out <- data.frame(USUBJID = as.character(fev_data$USUBJID),
                  AVISIT = as.character(fev_data$AVISIT),
                  ARMCD = as.character(fev_data$ARMCD), RACE = as.character(fev_data$RACE),
                  SEX = as.character(fev_data$SEX),
                  FEV1_BL = sprintf("%.17g", fev_data$FEV1_BL),
                  FEV1 = ifelse(is.na(fev_data$FEV1), "", sprintf("%.17g", fev_data$FEV1)))
write.csv(out, "fev_data.csv", row.names = FALSE, quote = TRUE)
