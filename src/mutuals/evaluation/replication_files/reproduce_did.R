# Reproduce this run's difference-in-differences estimates with R's did package.
#
# For every panel in panels/did/, att_gt() estimates Callaway and Sant'Anna's group-time
# ATTs against never-treated comparators and aggte(type = "group") aggregates them by
# cohort; each cohort effect and its standard error are compared with the run's
# (results.csv: att and se_analytic). Stops with an error if any differs by more than 1e-6.
#
#   install.packages("did")
#   Rscript reproduce_did.R

library(did)

tolerance <- 1e-6
quarter_index <- function(label) {
  parts <- strsplit(label, "-Q", fixed = TRUE)[[1]]
  as.integer(parts[1]) * 4 + as.integer(parts[2]) - 1
}

results <- read.csv("results.csv", stringsAsFactors = FALSE)
rows <- results[results$method == "did" & !is.na(results$att), ]
worst <- 0
for (panel in sort(unique(rows$panel))) {
  data <- read.csv(panel)
  fitted <- att_gt(yname = "outcome", tname = "time", idname = "unit", gname = "cohort",
                   data = data, control_group = "nevertreated", est_method = "dr",
                   bstrap = FALSE, cband = FALSE)
  groups <- aggte(fitted, type = "group", bstrap = FALSE, cband = FALSE)
  for (i in which(rows$panel == panel)) {
    g <- quarter_index(rows$cohort[i])
    k <- which(groups$egt == g)
    difference <- max(abs(groups$att.egt[k] - rows$att[i]), abs(groups$se.egt[k] - rows$se_analytic[i]))
    worst <- max(worst, difference)
    cat(sprintf("%-24s %-26s %-8s run %.8f did %.8f; se run %.8f did %.8f\n", rows$programme[i],
                rows$metric[i], rows$cohort[i], rows$att[i], groups$att.egt[k],
                rows$se_analytic[i], groups$se.egt[k]))
  }
}
cat(sprintf("%d cohort effects; largest difference %.2e (tolerance %g)\n", nrow(rows), worst, tolerance))
if (worst > tolerance) stop("the estimates differ by more than the tolerance")
