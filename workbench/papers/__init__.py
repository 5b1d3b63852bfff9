"""One module per paper: its experiments, table settings and published numbers (always labelled as the paper's)."""
