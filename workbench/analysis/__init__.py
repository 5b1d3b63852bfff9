"""Looking inside trained models: features, embedding maps, alignment numbers, attention,
dataset similarity, plots and widgets.

Submodules are imported where used (``from workbench.analysis.embed import embed``,
``from workbench.analysis.attention import plot_attention``), so importing this package costs
nothing; umap and plotly load only inside the functions that need them.
"""
