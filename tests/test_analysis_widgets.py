"""The map explorer: choices come from the store, maps update, hover shows class and domain."""
from __future__ import annotations

import pytest

from analysis_support import one_thread, tiny_store  # noqa: F401
from workbench.analysis.widgets import MapExplorer
from workbench.results import ResultsStore


@pytest.fixture(scope="module")
def trained(tmp_path_factory, one_thread):
    return tiny_store(tmp_path_factory.mktemp("widgets"))


def test_explorer_choices_and_maps(trained):
    store, pair, runs = trained
    explorer = MapExplorer(store, projections=("pca", "tsne"), max_per_domain=25,
                           pairs={("synthetic", "0", "9"): pair})
    assert explorer.dataset.options == ("synthetic",) and explorer.pair.value == "0→9"
    assert sorted(label for label, _ in explorer.methods.options) == ["DANN", "ERM"]
    explorer.methods.value = (runs["DANN"].run_id,)
    fig = explorer.figure()
    assert fig.layout.annotations[0].text.startswith("raw inputs<br>A-dist")
    assert fig.layout.annotations[1].text.startswith("DANN<br>A-dist")
    dann = [t for t in fig.data if t.xaxis == "x2"]
    assert sum(len(t.x) for t in dann if t.name.endswith("source")) == 25
    assert sum(len(t.x) for t in dann if t.name.endswith("target")) == 25
    assert all("class: " in t.hovertemplate and "domain: " in t.hovertemplate for t in fig.data)
    static = explorer.static_figure()
    assert [ax.get_title().split("\n")[0] for ax in static.axes if ax.get_visible()] == ["raw inputs", "DANN"]
    explorer.projection.value = "tsne"
    explorer.refresh()                                  # what the button does: redraw the selection
    assert explorer.current.projection == "tsne" and list(explorer.current.feature_sets) == ["raw inputs", "DANN"]


def test_explorer_needs_runs(tmp_path):
    with pytest.raises(ValueError, match="holds no runs"):
        MapExplorer(ResultsStore(tmp_path / "empty.sqlite"))
