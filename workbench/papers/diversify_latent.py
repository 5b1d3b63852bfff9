"""What DIVERSIFY discovers (Lu et al., ICLR 2023): its latent domains against the true subjects.

``configs`` plans DIVERSIFY ``dg`` runs for several K (``latent_domains``) on one
``harood_cross_person`` scenario. ``latent_view`` re-applies DIVERSIFY's pseudo-domain step
(``set_dlabel``: ``workbench.dg.latent.latent_domain_labels``) with the *trained* network:
d-features ``dbottleneck(featurizer(x))`` and the latent-domain classifier's softmax, over the
source training samples. The clustering made during training used a frozen copy that is not part
of the stored state, so this re-clustering with the final network is what the map shows. It also
returns the classification features (``model.features``), each sample's subject, class and
given source domain. ``agreement`` gives adjusted Rand indices against each; ``latent_figure``
draws the 2-D map (PCA or t-SNE, ``workbench.analysis.embed``) coloured both ways;
``accuracy_vs_k`` is target accuracy against K.
"""
from __future__ import annotations

import numpy as np
import pandas as pd
import torch
import torch.nn.functional as F

from workbench.dg.data import DGData
from workbench.dg.latent import latent_domain_labels
from workbench.dg.scenarios import dg_scenarios
from workbench.sweep import open_store
from workbench.train import RunConfig, load_algorithm

METHOD = "DIVERSIFY"


def configs(dataset: str, ks, seeds, group: int = 0, steps: int = 300, batch_size: int = 32,
            eval_every: int = 50, hparams: dict | None = None, root=None) -> list[RunConfig]:
    """DIVERSIFY runs on held-out group ``group`` of ``harood_cross_person``: one per K and seed."""
    scenario = dg_scenarios(dataset, root=root)[group]
    return [RunConfig(METHOD, dataset, scenario.source_text, scenario.target_text, scenario.scenario_list,
                      hparams={**(hparams or {}), "latent_domains": int(k)}, seed=int(seed), steps=steps,
                      batch_size=batch_size, eval_every=eval_every, selection="source_val", kind="dg")
            for k in ks for seed in seeds]


def latent_view(run, data: DGData, max_samples: int | None = 1000) -> dict:
    """Features and labels of the source training samples under the trained DIVERSIFY of ``run``.

    Returns ``features [N, D]``, ``latent [N]`` (re-clustered pseudo-domains), ``subject [N]``,
    ``label [N]`` and ``domain [N]`` (index of the given source domain); at most ``max_samples``
    (a fixed random subset).
    """
    model = load_algorithm(run, data)
    x = np.concatenate([d.x for d in data.train])
    keep = np.arange(len(x))
    if max_samples is not None and len(x) > max_samples:
        keep = np.sort(np.random.default_rng(0).choice(len(x), max_samples, replace=False))
    with torch.no_grad():
        xs = torch.from_numpy(x[keep])
        z = model.dbottleneck(model.featurizer(xs))                            # [N, D]
        latent, _ = latent_domain_labels(z, F.softmax(model.dclassifier(z), 1), model.hparams["refinements"])
        features = model.features(xs).numpy()
    pick = lambda parts: np.concatenate(parts)[keep]                            # noqa: E731
    return {"features": features, "latent": latent.numpy(),
            "subject": pick([d.meta["subjects"].astype(str) for d in data.train]),
            "label": pick([d.y for d in data.train]),
            "domain": pick([np.full(len(d), i) for i, d in enumerate(data.train)]), "k": model.hparams["latent_domains"]}


def agreement(view: dict) -> dict[str, float]:
    """Adjusted Rand index of the latent domains with the subjects, the given domains and the classes."""
    from sklearn.metrics import adjusted_rand_score
    return {f"ARI(latent, {key})": float(adjusted_rand_score(view[key], view["latent"]))
            for key in ("subject", "domain", "label")}


def agreements(planned: list[RunConfig], ids: list[str], store, data_for, rule: str = "last") -> pd.DataFrame:
    """One row per run: K, seed, the latent domains' sizes and their ``agreement``."""
    results, rows = open_store(store), []
    for config, rid in zip(planned, ids):
        view = latent_view(results.get(rid).select(rule), data_for(config))
        sizes = np.bincount(view["latent"], minlength=view["k"])
        rows.append({"K": view["k"], "seed": config.seed, "latent sizes": " ".join(map(str, sizes)), **agreement(view)})
    return pd.DataFrame(rows)


def latent_figure(view: dict, projection: str = "pca", seed: int = 0):
    """Two panels of the same 2-D map of ``view['features']``: coloured by latent domain, by subject."""
    import matplotlib.pyplot as plt
    from workbench.analysis.embed import embed
    points = embed(view["features"], projection, seed=seed)                    # [N, 2]
    fig, axes = plt.subplots(1, 2, figsize=(10, 4.2))
    for ax, key, title in ((axes[0], "latent", f"discovered latent domain (K = {view['k']})"),
                           (axes[1], "subject", "true subject")):
        values = np.unique(view[key])
        cmap = plt.get_cmap("tab10" if len(values) <= 10 else "tab20")
        for i, value in enumerate(values):
            at = view[key] == value
            ax.scatter(points[at, 0], points[at, 1], s=6, color=cmap(i % cmap.N), label=str(value))
        ax.set_title(title, fontsize=10)
        ax.legend(fontsize=6, markerscale=2, ncol=2, loc="best")
        ax.set_xticks([]), ax.set_yticks([])
    fig.suptitle(f"DIVERSIFY features of the source training samples ({projection.upper()})", fontsize=10)
    fig.tight_layout()
    return fig


def accuracy_vs_k(frame: pd.DataFrame, planned: list[RunConfig], metric: str = "target_test_acc") -> pd.DataFrame:
    """K x (mean, std over seeds) of ``metric`` (%): ``frame`` the ``runs_frame`` rows of ``planned``."""
    frame = frame.assign(K=[c.hparams["latent_domains"] for c in planned])
    stats = (100 * frame.groupby("K")[metric].agg(["mean", "std"])).round(1)
    return stats.fillna(0.0).rename(columns={"mean": f"{metric} mean (%)", "std": "std over seeds"})
