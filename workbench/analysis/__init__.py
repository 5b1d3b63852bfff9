"""Analyses that turn trained models into figures (attention maps, embeddings, similarity).

Modules are imported on use (``from workbench.analysis.attention import plot_attention``);
nothing heavy is imported here.
"""
