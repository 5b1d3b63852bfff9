"""Looking inside trained models: features, embedding maps, alignment numbers, plots, widgets.

Submodules are imported where used (``from workbench.analysis.embed import embed``), so
importing this package costs nothing; umap and plotly load only inside the functions that need them.
"""
