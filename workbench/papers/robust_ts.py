"""Published numbers of the robust time-series family (Lu, Wang et al.) that cannot be rerun here.

Only tables whose numbers could be read from text are entered. The papers' PDFs are not in
``../shared/papers`` (it holds their abstracts only), so both tables below come from the
authors' public READMEs, cited per table:

- ``DIVERSIFY_EMG``: microsoft/robustlearn ``diversify/README.md``, "Results, EMG dataset"
  (cross-person: 36 subjects in 4 random domains of 9, one held out). Two DIVERSIFY rows: the
  paper's Table 1 (PyTorch 1.7.1) and the authors' rerun of the public code (PyTorch 1.13.1,
  "globally best models", which the README says differs from the paper's "best models of the
  last round").
- ``FIXED_USCHAD``: jindongwang/transferlearning ``code/deep/fixed/readme.md``, "Results,
  USC-HAD" (cross-person: 14 subjects in 4 domains, one held out).

Not entered, because no text with the numbers was found: HAROOD's tables (its README gives
none; the paper is arXiv 2512.10807), SDMix's DSADS / PAMAP2 / USC-HAD tables (its README shows
PACS, an image benchmark, only), FIXED's DSADS / PAMAP2 / UCI-HAR tables and DIVERSIFY's other
datasets (in the papers, not in the READMEs).
"""
from __future__ import annotations

from workbench.papers.published import PublishedTable

_TARGETS = ["0", "1", "2", "3", "AVG"]

DIVERSIFY_EMG = PublishedTable.from_columns(
    "DIVERSIFY (Lu et al., ICLR 2023), microsoft/robustlearn diversify/README.md, Results: EMG",
    "target accuracy (%)",
    "cross-person DG on UCI EMG for gestures (6 of 7 classes, 36 subjects randomly cut into 4 domains of 9); "
    "columns: the held-out domain, AVG their mean; model selection as in the paper (DIVERSIFY's second "
    "row: the public code's globally best model, PyTorch 1.13.1)",
    _TARGETS,
    {"ERM": [62.6, 69.9, 67.9, 69.3, 67.4],
     "DANN": [62.9, 70.0, 66.5, 68.2, 66.9],
     "CORAL": [66.4, 74.6, 71.4, 74.2, 71.7],
     "Mixup": [60.7, 69.9, 70.5, 68.2, 67.3],
     "GroupDRO": [67.6, 77.4, 73.7, 72.5, 72.8],
     "RSC": [70.1, 74.6, 72.4, 71.9, 72.2],
     "ANDMask": [66.5, 69.1, 71.4, 68.9, 69.0],
     "AdaRNN": [68.8, 81.1, 75.3, 78.1, 75.8],
     "DIVERSIFY (paper Table 1, PyTorch 1.7.1)": [71.7, 82.4, 76.9, 77.3, 77.1],
     "DIVERSIFY (public code, PyTorch 1.13.1)": [73.1, 86.8, 80.4, 81.6, 80.5]},
    dataset="EMG")

FIXED_USCHAD = PublishedTable.from_columns(
    "FIXED (Lu et al., arXiv 2211.05228), jindongwang/transferlearning code/deep/fixed/readme.md, Results: USC-HAD",
    "target accuracy (%)",
    "cross-person DG on USC-HAD (14 subjects, 12 activities, 6 channels at 100 Hz, 4 domains); columns: the "
    "held-out domain (sources the other three), AVG their mean",
    _TARGETS,
    {"ERM": [80.98, 57.75, 74.03, 65.86, 69.66],
     "DANN": [81.22, 57.88, 76.69, 70.72, 71.63],
     "CORAL": [78.82, 58.93, 75.02, 53.72, 66.62],
     "ANDMask": [79.88, 55.32, 74.47, 65.04, 68.68],
     "GroupDRO": [80.12, 55.51, 74.69, 59.97, 67.57],
     "RSC": [81.88, 57.94, 73.39, 65.13, 69.59],
     "Mixup": [79.98, 64.14, 74.32, 61.28, 69.93],
     "MIX-ALL": [78.44, 59.32, 72.96, 63.46, 68.54],
     "GILE": [78.00, 62.00, 77.00, 63.00, 70.00],
     "FIXED": [85.1, 69.19, 80.12, 75.82, 77.56]},
    dataset="USC-HAD")

TABLES = {"DIVERSIFY_EMG": DIVERSIFY_EMG, "FIXED_USCHAD": FIXED_USCHAD}
