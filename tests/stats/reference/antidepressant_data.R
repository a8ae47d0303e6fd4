# antidepressant_data.csv: the example data set `antidepressant_data` shipped with R's rbmi
# package (insightsengineering/rbmi, data/antidepressant_data.rda at commit
# c872d4ac7e5406ec50ae9fe4d56898c6ecb7ec03, rbmi 1.5.2, Apache License >= 2; originally the
# public example data of the DIA Scientific Working Group on Estimands and Missing Data,
# masked from Goldstein et al. 2004 J Clin Psychopharmacol 24:389 — see rbmi's
# man/antidepressant_data.Rd). Only the columns the MI comparison needs are kept. Data only;
# no code is copied.
#
#   git -C <rbmi clone> show c872d4ac:data/antidepressant_data.rda > /tmp/ad.rda
#   cd tests/stats/reference && Rscript antidepressant_data.R /tmp/ad.rda
args <- commandArgs(trailingOnly = TRUE)
load(args[1])
d <- antidepressant_data
write.csv(data.frame(PATIENT = as.character(d$PATIENT), VISIT = as.character(d$VISIT),
                     THERAPY = as.character(d$THERAPY), BASVAL = d$BASVAL, CHANGE = d$CHANGE),
          "antidepressant_data.csv", row.names = FALSE)
