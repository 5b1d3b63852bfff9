"""crosstimenet.ipynb runs offline with its defaults and records the tokenizer, downstream and mask-ratio numbers."""
from __future__ import annotations

import pandas as pd
import pytest


@pytest.mark.notebook
def test_crosstimenet_notebook_records_its_tables(run_notebook, tmp_path):
    nb, out = run_notebook("crosstimenet.ipynb", store=str(tmp_path / "runs.sqlite"))
    tokens = pd.read_csv(out / "crosstimenet_tokenizer.csv", index_col=0)
    assert set(tokens.index) == {"synthetic3x64", "synthetic2x96"}
    assert (tokens.recon_mse < 0.5 * tokens.mean_mse).all() and (tokens.perplexity > 1).all()
    results = pd.read_csv(out / "crosstimenet_downstream.csv")
    assert set(results.setting) == {"cross-domain", "in-domain", "none", "supervised CNN"}
    assert set(results.seed) == {0, 1, 2} and not results[results.setting == "supervised CNN"].linear_probe.any()
    assert set(results.linear_probe) == {False, True} and results.test_acc.between(0, 1).all()
    assert not results.selection.str.contains("ORACLE").any()
    curve = pd.read_csv(out / "crosstimenet_mask_ratio.csv")
    assert sorted(curve.mask_ratio.unique()) == [0.15, 0.5]
    for name in ("crosstimenet_reconstructions.png", "crosstimenet_codebook.png"):
        assert (out / name).stat().st_size > 10_000
    text = "".join(str(o) for c in nb["cells"] for o in c.get("outputs", []))
    assert "language-model initialisation not run" in text
