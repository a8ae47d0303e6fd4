# Read the SDTM XPT files and ADaM's ADSL written by autoserum (make_sdtm.py) with
# haven::read_xpt and write what R sees (variable names, labels and every value) to
# haven_sdtm.json and haven_adam.json; the tests compare pyreadstat's reading of a fresh export
# to them.  Run: Rscript tests/exports/reference/haven_sdtm.R
library(haven)
here <- "tests/exports/reference"
read_dir <- function(dir) {
  files <- sort(list.files(file.path(here, dir), pattern = "\\.xpt$", full.names = TRUE))
  out <- list()
  for (f in files) {
    d <- read_xpt(f)
    name <- toupper(sub("\\.xpt$", "", basename(f)))
    labels <- vapply(names(d), function(v) {
      l <- attr(d[[v]], "label"); if (is.null(l)) "" else l
    }, character(1))
    values <- lapply(names(d), function(v) {
      x <- d[[v]]
      if (is.character(x)) ifelse(x == "", NA, x) else as.numeric(x)
    })
    names(values) <- names(d)
    out[[name]] <- list(label = attr(d, "label"), names = names(d), labels = unname(labels),
                        nrow = nrow(d), values = values)
  }
  out
}
json <- function(x) {
  if (is.list(x)) {
    if (!is.null(names(x))) {
      parts <- vapply(names(x), function(k) paste0('"', k, '":', json(x[[k]])), character(1))
      return(paste0("{", paste(parts, collapse = ","), "}"))
    }
    return(paste0("[", paste(vapply(x, json, character(1)), collapse = ","), "]"))
  }
  if (is.null(x)) return("null")
  enc <- function(v) {
    if (is.na(v)) return("null")
    if (is.numeric(v)) return(format(v, digits = 15))
    v <- gsub("\\\\", "\\\\\\\\", v); v <- gsub('"', '\\\\"', v)
    paste0('"', v, '"')
  }
  paste0("[", paste(vapply(as.list(x), enc, character(1)), collapse = ","), "]")
}
writeLines(json(read_dir("sdtm")), file.path(here, "haven_sdtm.json"))
writeLines(json(read_dir("adam")), file.path(here, "haven_adam.json"))
cat("R", R.version.string, "haven", as.character(packageVersion("haven")), "\n")
