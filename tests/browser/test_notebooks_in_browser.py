"""The notebooks' widgets in a real browser (issue 16): JupyterLab on 127.0.0.1 with a token,
headless Chromium driven by Selenium. Each notebook is opened (a copy with small parameters),
all its cells are run, and the test checks that no cell errors, that every widget renders with
its figure, that moving one control of each widget changes that figure, that every plotly figure
(top level or in a widget) fits within its output area, and that no widget's toggle buttons wrap
onto a second line. The widths, toggle lines and slider ranges are printed per notebook.

Needs Debian's ``chromium`` and ``chromium-driver`` (``.ci/run`` installs them) and selenium
(the ``test`` extra); skips with the reason otherwise. A screenshot of each notebook as the test
left it, and of each widget whole, goes to ``$WORKBENCH_BROWSER_SHOTS`` if set (else the test's
temporary folder). Only loopback traffic: the browser talks to the local JupyterLab, which is started and killed (its whole process group) by the fixture.
"""
from __future__ import annotations

import json
import os
import secrets
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

pytestmark = [pytest.mark.notebook, pytest.mark.slow]

REPO = Path(__file__).resolve().parents[2]
CHROMIUM, CHROMEDRIVER = Path("/usr/bin/chromium"), Path("/usr/bin/chromedriver")
SERVER_START_S, OPEN_S, RUN_ALL_S, RENDER_S, CONTROL_S = 90, 90, 240, 60, 90

#: notebook -> the small parameters its papermill test runs it with (tests/notebooks/).
NOTEBOOKS = {
    "00_tour": {"steps": 6, "attention_steps": 2, "max_per_domain": 25},
    "fig7_attention": {"steps": 3, "eval_every": 3, "batch_size": 8, "class_index": 2},
    "fig8_tsne": {"steps": 6, "eval_every": 3, "max_per_domain": 30,
                  "projection_params": {"perplexity": 8, "max_iter": 250}},
    "transfer_similarity": {"datasets": ["ItalyPowerDemand", "GunPoint", "ArrowHead"], "dba_iterations": 2,
                            "targets": ["ItalyPowerDemand"], "source_epochs": 1, "target_epochs": 1},
}


def _missing() -> str | None:
    for path, package in ((CHROMIUM, "chromium"), (CHROMEDRIVER, "chromium-driver")):
        if not path.exists():
            return f"{path} not found: the browser test needs Debian's {package} (apt-get install {package})"
    try:
        import selenium  # noqa: F401
    except ImportError:
        return "selenium is not installed (pip install -e '.[test]')"
    return None


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _write_settings(settings: Path) -> None:
    """No news or update checks (no traffic beyond loopback), every cell kept in the DOM."""
    for plugin, values in {"@jupyterlab/apputils-extension/notification": {"fetchNews": "false",
                                                                           "checkForUpdates": False},
                           "@jupyterlab/notebook-extension/tracker": {"windowingMode": "none"}}.items():
        package, name = plugin.rsplit("/", 1)
        (settings / package).mkdir(parents=True, exist_ok=True)
        (settings / package / f"{name}.jupyterlab-settings").write_text(json.dumps(values))


def _prepare_notebooks(folder: Path) -> None:
    """Copies of the notebooks with their small parameters injected and no stored outputs."""
    import nbformat
    from papermill.iorw import load_notebook_node
    from papermill.parameterize import parameterize_notebook

    for name, params in NOTEBOOKS.items():
        nb = load_notebook_node(str(REPO / "notebooks" / f"{name}.ipynb"))
        out = folder / name
        out.mkdir()
        nb = parameterize_notebook(nb, {**params, "output_dir": str(out)})
        for cell in nb.cells:
            if cell.cell_type == "code":
                cell.outputs, cell.execution_count = [], None
        nbformat.write(nb, folder / f"{name}.ipynb")


@pytest.fixture(scope="module")
def jupyterlab(tmp_path_factory):
    """``(base_url, token)`` of a JupyterLab serving the prepared copies; killed at the end."""
    if reason := _missing():
        pytest.skip(reason)
    tmp = tmp_path_factory.mktemp("jupyterlab")
    root, settings = tmp / "root", tmp / "settings"
    root.mkdir()
    _write_settings(settings)
    _prepare_notebooks(root)
    port, token = _free_port(), secrets.token_hex(24)
    env = {**os.environ, "JUPYTER_CONFIG_DIR": str(tmp / "config"), "JUPYTER_RUNTIME_DIR": str(tmp / "runtime"),
           "JUPYTERLAB_SETTINGS_DIR": str(settings), "JUPYTERLAB_WORKSPACES_DIR": str(tmp / "workspaces"),
           "PYTHONPATH": os.pathsep.join(filter(None, [str(REPO), os.environ.get("PYTHONPATH")]))}
    log = (tmp / "jupyterlab.log").open("wb")
    server = subprocess.Popen(
        [sys.executable, "-m", "jupyterlab", "--no-browser", "--ServerApp.ip=127.0.0.1", f"--ServerApp.port={port}",
         "--ServerApp.port_retries=0", f"--IdentityProvider.token={token}", f"--ServerApp.root_dir={root}",
         "--LabApp.expose_app_in_browser=True", "--LabApp.news_url=", "--LabApp.extension_manager=readonly",
         "--ServerApp.allow_remote_access=False"] + (["--allow-root"] if os.geteuid() == 0 else []),
        cwd=root, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + SERVER_START_S
        while True:
            if server.poll() is not None:
                pytest.fail(f"JupyterLab exited ({server.returncode}): {(tmp / 'jupyterlab.log').read_text()[-3000:]}")
            try:
                with urllib.request.urlopen(f"{base}/api/status?token={token}", timeout=5) as reply:
                    if reply.status == 200:
                        break
            except OSError:
                pass
            if time.monotonic() > deadline:
                pytest.fail(f"JupyterLab did not answer within {SERVER_START_S} s")
            time.sleep(0.5)
        yield base, token
    finally:
        try:
            os.killpg(server.pid, signal.SIGTERM)
            server.wait(timeout=15)
        except ProcessLookupError:
            pass
        except subprocess.TimeoutExpired:
            os.killpg(server.pid, signal.SIGKILL)
            server.wait(timeout=15)
        log.close()


@pytest.fixture(scope="module")
def browser(jupyterlab, tmp_path_factory):
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = str(CHROMIUM)
    for flag in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                 "--window-size=1400,1000", "--no-proxy-server", "--no-first-run", "--disable-extensions",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync",
                 "--disable-default-apps", f"--user-data-dir={tmp_path_factory.mktemp('chromium')}"):
        options.add_argument(flag)
    driver = webdriver.Chrome(options=options, service=Service(str(CHROMEDRIVER)))
    driver.set_script_timeout(30)
    driver.set_page_load_timeout(OPEN_S)
    try:
        yield driver
    finally:
        driver.quit()


def _poll(seconds: float, check, interval: float = 0.5):
    """``check()``'s first truthy value, polled for at most ``seconds``; else ``None``."""
    deadline = time.monotonic() + seconds
    while not (value := check()):
        if time.monotonic() > deadline:
            return None
        time.sleep(interval)
    return value


def _wait(what: str, seconds: float, check):
    """``check()``'s first truthy value within ``seconds``; else fail naming ``what``."""
    if (value := _poll(seconds, check)) is None:
        pytest.fail(f"timed out after {seconds} s waiting for {what}")
    return value


#: The open notebook, from JupyterLab's own model: kernel status, each code cell's count, errors, mime types.
STATE_JS = """
const panel = window.jupyterapp && window.jupyterapp.shell.currentWidget;
if (!panel || !panel.content || !panel.sessionContext || !panel.context.isReady) return null;
const kernel = panel.sessionContext.session && panel.sessionContext.session.kernel;
const cells = panel.content.widgets.filter(c => c.model.type === 'code').map(c => {
  const outputs = c.model.outputs.toJSON();
  return {count: c.model.executionCount,
          errors: outputs.filter(o => o.output_type === 'error').map(o => o.ename + ': ' + o.evalue),
          mimes: outputs.flatMap(o => Object.keys(o.data || {}))};
});
return {path: panel.context.path, kernel: kernel ? kernel.status : null, done: window.__runAllDone || false,
        cells: cells};
"""

#: What the page shows outside widgets: plotly figures drawn, images, widget views, widget errors.
PAGE_JS = """
const top = Array.from(document.querySelectorAll('.jp-Notebook .jp-OutputArea-output'))
  .filter(e => !e.parentElement.closest('.jupyter-widgets'));
return {plotly: top.filter(e => e.matches('.js-plotly-plot') && e.querySelector('.main-svg')).length,
        images: top.filter(e => e.querySelector(':scope > img')).length,
        widgets: top.filter(e => e.querySelector(':scope > .jupyter-widgets')).length,
        widget_errors: top.filter(e => e.innerText.includes('Error displaying widget')).map(e => e.innerText.slice(0, 200)),
        tracebacks: Array.from(document.querySelectorAll(
          '.jp-RenderedText[data-mime-type="application/vnd.jupyter.stderr"]'))
          .map(e => e.innerText).filter(t => t.includes('Traceback'))};
"""

#: The top-level widget views, in page order.
VIEWS_JS = """
return Array.from(document.querySelectorAll('.jp-Notebook .jp-OutputArea-output'))
  .filter(e => !e.parentElement.closest('.jupyter-widgets') && e.querySelector(':scope > .jupyter-widgets'));
"""

#: One widget view (arguments[0]): its figure (img sources, plotly SVG, HTML content), whether a button is busy.
FIGURE_JS = """
const v = arguments[0];
return {figure: Array.from(v.querySelectorAll('img')).map(i => i.src).join('|')
          + Array.from(v.querySelectorAll('.js-plotly-plot .main-svg')).map(s => s.innerHTML).join('|')
          + Array.from(v.querySelectorAll('.widget-html-content')).map(h => h.innerHTML).join('|'),
        busy: Array.from(v.querySelectorAll('button.widget-button')).some(b => b.disabled)};
"""


#: Every drawn plotly figure (top level or inside a widget): its rendered width, its main SVG's, and the
#: width of the output area holding it (the innermost ``.jp-OutputArea-output``), in CSS px, and how far
#: its right edge runs past that area's.
WIDTHS_JS = """
return Array.from(document.querySelectorAll('.jp-Notebook .js-plotly-plot')).filter(p => p.querySelector('.main-svg'))
  .map(p => {
    const area = (p.closest('.jp-OutputArea-output') || p.parentElement).getBoundingClientRect();
    const plot = p.getBoundingClientRect(), svg = p.querySelector('.main-svg').getBoundingClientRect();
    return {plot: plot.width, svg: svg.width, area: area.width, in_widget: !!p.closest('.jupyter-widgets'),
            overhang: Math.max(plot.right, svg.right) - area.right};
  });
"""
#: Each widget's toggle buttons: how many lines they take (distinct tops), and each slider's range as drawn.
CONTROLS_JS = """
const lines = g => new Set(Array.from(g.querySelectorAll('button'))
  .map(b => Math.round(b.getBoundingClientRect().top))).size;
return {toggles: Array.from(document.querySelectorAll('.jp-Notebook .widget-toggle-buttons'))
          .map(g => ({label: g.innerText.replace(/\\s+/g, ' ').trim(), lines: lines(g)})),
        sliders: Array.from(document.querySelectorAll('.jp-Notebook .widget-slider .noUi-handle'))
          .map(h => h.getAttribute('aria-valuemin') + '..' + h.getAttribute('aria-valuemax')
                    + ' at ' + h.getAttribute('aria-valuenow'))};
"""
#: How far (px) a figure may run past its output area (sub-pixel rounding, borders).
WIDTH_SLACK = 2


def _open_and_run(driver, base: str, token: str, name: str) -> dict:
    driver.get(f"{base}/lab/tree/{name}.ipynb?reset&token={token}")
    _wait(f"{name}: the notebook and an idle kernel", OPEN_S,
          lambda: (s := driver.execute_script(STATE_JS)) and s["path"] == f"{name}.ipynb" and s["kernel"] == "idle")
    driver.execute_script("window.__runAllDone = false; window.jupyterapp.commands"
                          ".execute('notebook:run-all-cells').then(() => { window.__runAllDone = true; });")

    def finished():
        s = driver.execute_script(STATE_JS)
        errored = any(c["errors"] for c in s["cells"])
        ran = s["done"] and s["kernel"] == "idle" and all(c["count"] is not None for c in s["cells"])
        return s if errored or ran else None
    state = _wait(f"{name}: all cells to run", RUN_ALL_S, finished)
    errors = [e for c in state["cells"] for e in c["errors"]]
    assert not errors, f"{name}: cells raised {errors}"
    return state


def _check_rendered(driver, name: str, state: dict) -> dict:
    """Every plotly, image and widget output of the model is drawn on the page; no widget error."""
    mimes = [m for c in state["cells"] for m in c["mimes"]]
    expected = {"plotly": mimes.count("application/vnd.plotly.v1+json"), "widgets":
                mimes.count("application/vnd.jupyter.widget-view+json"), "images": mimes.count("image/png")}

    def drawn():
        page = driver.execute_script(PAGE_JS)
        return page if page["widget_errors"] or page["tracebacks"] or all(
            page[k] >= n for k, n in expected.items()) else None
    page = _wait(f"{name}: {expected} outputs to be drawn", RENDER_S, drawn)
    assert not page["widget_errors"], f"{name}: {page['widget_errors']}"
    assert not page["tracebacks"], f"{name}: tracebacks on stderr: {page['tracebacks']}"
    return page


def _move_one_control(driver, view) -> str:
    """Move the first slider, else toggle button, else dropdown of ``view``; say which."""
    from selenium.webdriver.common.keys import Keys
    from selenium.webdriver.support.ui import Select

    def into_view(element):
        driver.execute_script("arguments[0].scrollIntoView({block: 'center'});", element)
        return element
    if handles := view.find_elements("css selector", ".widget-slider .noUi-handle"):
        into_view(handles[0]).send_keys(Keys.ARROW_RIGHT)
        return "slider +1"
    toggles = [b for b in view.find_elements("css selector", ".widget-toggle-buttons button")
               if "mod-active" not in (b.get_attribute("class") or "")]
    if toggles:
        into_view(toggles[-1]).click()
        return f"toggle -> {toggles[-1].text}"
    for element in view.find_elements("css selector", ".widget-dropdown select"):
        select = Select(into_view(element))
        if len(select.options) > 1:
            current = select.first_selected_option.text
            choice = next(o.text for o in select.options if o.text != current)
            select.select_by_visible_text(choice)
            return f"dropdown -> {choice}"
    pytest.fail("a widget with no slider, toggle buttons or dropdown with a choice to move")


def _redraw_button(view):
    """A widget's own draw button (a plain button, not one of toggle buttons), if it has one."""
    buttons = [b for b in view.find_elements("css selector", "button.widget-button")
               if not b.find_elements("xpath", "ancestor::*[contains(@class, 'widget-toggle-buttons')]")]
    return buttons[0] if buttons else None


def _check_widgets(driver, name: str) -> list[dict]:
    """Moving one control of each widget changes its figure. One record per widget."""
    records = []
    for i, view in enumerate(driver.execute_script(VIEWS_JS)):
        def figure():
            w = driver.execute_script(FIGURE_JS, view)
            return None if w["busy"] or not w["figure"] else w["figure"]
        if (button := _redraw_button(view)) is not None and not driver.execute_script(FIGURE_JS, view)["figure"]:
            button.click()                                  # a widget that draws on demand: draw once first
        before = _wait(f"{name}: widget {i}'s figure", RENDER_S, figure)
        moved = _move_one_control(driver, view)
        if button is not None:
            _wait(f"{name}: widget {i}'s button", CONTROL_S, lambda: button.is_enabled())
            button.click()
        changed = _poll(CONTROL_S, lambda: (f := figure()) is not None and f != before) is not None
        records.append({"widget": i, "moved": moved, "changed": changed})
    return records


@pytest.mark.parametrize("name", list(NOTEBOOKS))
def test_notebook_widgets_in_browser(browser, jupyterlab, name, capsys, tmp_path):
    start = time.monotonic()
    state = _open_and_run(browser, *jupyterlab, name)
    try:
        page = _check_rendered(browser, name, state)
        records = _check_widgets(browser, name)
        widths, controls = browser.execute_script(WIDTHS_JS), browser.execute_script(CONTROLS_JS)
    finally:
        shots = Path(os.environ.get("WORKBENCH_BROWSER_SHOTS", tmp_path))
        browser.save_screenshot(str(shots / f"browser_{name}.png"))
        for i, view in enumerate(browser.execute_script(VIEWS_JS)):     # each widget whole, as drawn
            browser.execute_script("arguments[0].scrollIntoView({block: 'start'});", view)
            view.screenshot(str(shots / f"browser_{name}_widget{i}.png"))
    with capsys.disabled():
        print(f"\n[browser] {name}: {len(state['cells'])} code cells run, no errors; {page['plotly']} plotly figures, "
              f"{page['images']} images, {page['widgets']} widgets: "
              + ("; ".join(f"{r['moved']} -> figure changed: {'yes' if r['changed'] else 'no'}" for r in records)
                 or "none") + f" ({time.monotonic() - start:.0f} s)")
        sizes = [f"{w['plot']:.0f}/{w['svg']:.0f} in {w['area']:.0f}" + (" (widget)" if w["in_widget"] else "")
                 for w in widths]
        toggles = [f"{t['label']!r} on {t['lines']} line(s)" for t in controls["toggles"]]
        print(f"[browser] {name}: plotly widths (figure/svg in output area, px): {', '.join(sizes) or 'none'}; "
              f"toggle buttons: {', '.join(toggles) or 'none'}; "
              f"sliders (min..max at value): {', '.join(controls['sliders']) or 'none'}")
    assert page["plotly"] + page["images"] > 0, f"{name}: no figure rendered"
    too_wide = [w for w in widths
                if max(w["plot"], w["svg"]) > w["area"] + WIDTH_SLACK or w["overhang"] > WIDTH_SLACK]
    assert not too_wide, (f"{name}: plotly figures wider than their output area (cut off): "
                          + "; ".join(f"{max(w['plot'], w['svg']):.0f} px in {w['area']:.0f} px" for w in too_wide))
    wrapped = [t["label"] for t in controls["toggles"] if t["lines"] > 1]
    assert not wrapped, f"{name}: toggle buttons wrap onto a second line: {wrapped}"
    unchanged = [r for r in records if not r["changed"]]
    assert not unchanged, (f"{name}: the figure did not change within {CONTROL_S} s after moving a control: "
                           + "; ".join(f"widget {r['widget']}: {r['moved']}" for r in unchanged))


@pytest.fixture(autouse=True)
def _save_and_stop_kernels(browser, jupyterlab):
    """After each notebook: save it (no 'leave page?' prompt on the next one), stop its kernel."""
    yield
    base, token = jupyterlab
    browser.execute_async_script("const done = arguments[arguments.length - 1];"
                                 "window.jupyterapp.commands.execute('docmanager:save').then(done, done);")
    headers = {"Authorization": f"token {token}"}
    with urllib.request.urlopen(urllib.request.Request(f"{base}/api/sessions", headers=headers), timeout=10) as r:
        sessions = json.load(r)
    for session in sessions:
        request = urllib.request.Request(f"{base}/api/sessions/{session['id']}", headers=headers, method="DELETE")
        urllib.request.urlopen(request, timeout=30).close()
