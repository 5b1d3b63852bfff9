"""An ipywidgets + plotly explorer of the runs in a results store: pick dataset, pair, methods and
projection; the maps update, and hovering a point shows the sample's class and domain.

Widgets are extra: papermill and CI keep no widget state, so notebooks also draw the same maps
as static figures (``MapExplorer.static_figure`` or ``plots.embedding_panel``).
"""
from __future__ import annotations

from typing import Any

from workbench.analysis.maps import MethodMaps, compare_methods
from workbench.analysis.plots import embedding_panel, embedding_panel_plotly


#: Widths (px) of the explorer's controls (fields, one projection button, the draw button, a
#: description label): each row of them fits ``plots.OUTPUT_WIDTH`` (tests/test_issue16_figures.py).
FIELD_PX, TOGGLE_PX, BUTTON_PX, DESCRIPTION_PX = 300, 64, 150, 90


def _pair_label(row: dict[str, Any]) -> str:
    return f"{row['source']}→{row['target']}"


#: What may tell runs of one method on one pair apart (runs of several notebooks share a store).
_DISTINGUISHING = ("steps", "seed", "scenario_list", "preset", "split_protocol", "normalization", "threads")


def run_labels(rows: list[dict[str, Any]]) -> list[str]:
    """A label per run: its method where that is unique; else the method and the fields in which
    its runs differ (``"ERM (60 steps, seed 1)"``), the run id's start only if nothing else does."""
    labels = []
    for row in rows:
        same = [r for r in rows if r["method"] == row["method"]]
        if len(same) == 1:
            labels.append(row["method"])
            continue
        fields = [k for k in _DISTINGUISHING if len({str(r.get(k)) for r in same}) > 1]
        parts = [f"{row[k]} steps" if k == "steps" else f"seed {row[k]}" if k == "seed" else str(row.get(k))
                 for k in fields]
        twins = [r for r in same if all(str(r.get(k)) == str(row.get(k)) for k in fields)]
        parts += [row["run_id"][:6]] if len(twins) > 1 else []
        labels.append(f"{row['method']} ({', '.join(parts)})")
    return labels


class MapExplorer:
    """Browse the runs of a ``ResultsStore`` as embedding maps.

    ``pairs``: already loaded ``PairData`` keyed by ``(dataset, source, target)`` (else each pair is
    loaded from ``root`` with the runs' split protocol and normalisation on first use).
    """

    def __init__(self, store, root=None, projections=("tsne", "umap", "pca"), max_per_domain: int = 300,
                 seed: int = 0, include_raw: bool = True, pairs: dict | None = None):
        import ipywidgets as w

        self.store, self.root, self.seed = store, root, seed
        self.max_per_domain, self.include_raw = max_per_domain, include_raw
        self.rows = [r for r in store.rows()]
        if not self.rows:
            raise ValueError(f"the results store {store.path} holds no runs; train some first "
                             "(workbench run ... or analysis.maps.train_methods)")
        self._pairs = dict(pairs or {})
        self.current: MethodMaps | None = None   # the maps last drawn by ``refresh``
        datasets = sorted({r["dataset"] for r in self.rows})
        self.dataset = w.Dropdown(options=datasets, description="dataset", layout=w.Layout(width=f"{FIELD_PX}px"))
        self.pair = w.Dropdown(description="pair", layout=w.Layout(width=f"{FIELD_PX}px"))
        self.methods = w.SelectMultiple(description="runs", rows=6, layout=w.Layout(width=f"{FIELD_PX}px"))
        self.projection = w.ToggleButtons(options=list(projections), description="projection",
                                          style={"button_width": f"{TOGGLE_PX}px"})
        self.button = w.Button(description="draw maps", button_style="primary",
                               layout=w.Layout(width=f"{BUTTON_PX}px"))
        self.output = w.Output()
        self.dataset.observe(self._on_dataset, names="value")
        self.pair.observe(self._on_pair, names="value")
        self.button.on_click(lambda _: self.refresh())
        self._on_dataset()
        # two rows of controls, each narrower than the output area: the projection buttons stay on
        # one line beside the runs, with the draw button under them
        self.widget = w.VBox([w.HBox([self.dataset, self.pair]),
                              w.HBox([self.methods, w.VBox([self.projection, self.button])]), self.output])

    # -- choices ------------------------------------------------------------------------------
    def _rows_for(self, dataset: str, pair: str | None = None) -> list[dict[str, Any]]:
        return [r for r in self.rows if r["dataset"] == dataset and (pair is None or _pair_label(r) == pair)]

    def _on_dataset(self, *_: Any) -> None:
        options = sorted({_pair_label(r) for r in self._rows_for(self.dataset.value)})
        self.pair.options = options
        self.pair.value = options[0] if options else None   # also fires _on_pair when it changes
        self._on_pair()

    def _on_pair(self, *_: Any) -> None:
        rows = sorted(self._rows_for(self.dataset.value, self.pair.value),
                      key=lambda r: (r["method"], r["steps"], r["seed"]))
        options = list(zip(run_labels(rows), (r["run_id"] for r in rows)))
        self.methods.options = options
        self.methods.value = tuple(run_id for _, run_id in options)

    def selected_runs(self) -> dict:
        labels = {run_id: label for label, run_id in self.methods.options}
        return {labels[run_id]: self.store.get(run_id) for run_id in self.methods.value}

    def _pair_data(self, run):
        from workbench.data.datasets import load_pair

        c = run.config
        key = (c.dataset, str(c.source), str(c.target))
        if key not in self._pairs:
            self._pairs[key] = load_pair(c.scenario, self.root, c.split_protocol, c.normalization)
        return self._pairs[key]

    # -- drawing ------------------------------------------------------------------------------
    def maps(self) -> MethodMaps:
        runs = self.selected_runs()
        if not runs:
            raise ValueError("no run selected; pick at least one in 'runs'")
        pair = self._pair_data(next(iter(runs.values())))
        return compare_methods(pair, runs, self.projection.value, self.include_raw,
                               max_per_domain=self.max_per_domain, seed=self.seed, store=self.store)

    def figure(self, maps: MethodMaps | None = None):
        """The interactive plotly panel of the current selection."""
        maps = maps or self.maps()
        return embedding_panel_plotly(maps.maps(), maps.projection, subtitles=maps.subtitles())

    def static_figure(self, maps: MethodMaps | None = None):
        """The same panel as a static matplotlib figure (what papermill and CI keep)."""
        maps = maps or self.maps()
        title = f"{self.dataset.value} {self.pair.value}"
        return embedding_panel(maps.maps(), maps.projection, subtitles=maps.subtitles(), suptitle=title)

    def refresh(self) -> None:
        from IPython.display import clear_output, display

        self.button.disabled, self.button.description = True, "drawing…"
        try:
            with self.output:
                clear_output(wait=True)   # the old figure goes at once; the status says what is happening
                print(f"drawing {len(self.methods.value)} runs as {self.projection.value} maps "
                      "(the first UMAP or t-SNE takes a while; later draws are cached) …")
                maps = self.current = self.maps()
                clear_output(wait=True)
                display(self.figure(maps))
                display(maps.numbers.round(3))
        finally:
            self.button.disabled, self.button.description = False, "draw maps"

    def _ipython_display_(self) -> None:
        from IPython.display import display

        display(self.widget)
