"""The documentation site builds with ``mkdocs build --strict`` (a broken link, a missing page or an
API reference that does not resolve fails it), its pages are there, and docs/defaults.md states
the defaults the code declares."""

import importlib.util
import inspect
import re
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

import npdnn
from npdnn import optimizers

ROOT = Path(__file__).resolve().parents[1]


def _docs_extra_missing():
    missing = [
        name
        for name in ("mkdocs", "material", "mkdocstrings", "mkdocstrings_handlers")
        if not importlib.util.find_spec(name)
    ]
    return missing


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    missing = _docs_extra_missing()
    if missing:
        pytest.skip(f"the docs extra is not installed (pip install '.[docs]'): no {', '.join(missing)}")
    out = tmp_path_factory.mktemp("site")
    result = subprocess.run(
        [sys.executable, "-m", "mkdocs", "build", "--strict", "--site-dir", str(out)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert result.returncode == 0, f"mkdocs build --strict failed:\n{result.stderr[-4000:]}"
    return out


def test_the_site_builds_strict_with_every_page(site):
    pages = {p.relative_to(site).as_posix() for p in site.rglob("index.html")}
    for page in (
        "user-guide",
        "command-line",
        "data",
        "defaults",
        "how-it-works",
        "large-data",
        "performance",
        "distributed",
        "deploy",
        "guarantees",
        "testing",
        "coming-from-sklearn",
        "benchmarks",  # benchmarks/README.md: the raw runs
    ):
        assert f"{page}/index.html" in pages, page
    for sub in ("npdnn", "nn", "train", "files", "export", "sklearn", "distributed", "cli"):
        assert f"api/{sub}/index.html" in pages, sub
    assert "index.html" in pages


def test_the_api_reference_renders_the_docstrings(site):
    nn = (site / "api/nn/index.html").read_text(encoding="utf-8")
    for module in ("npdnn.nn.activations", "npdnn.nn.layers", "npdnn.nn.losses", "npdnn.nn.fast"):
        assert f'id="{module}"' in nn, module
    assert "Dense" in nn and "Z = W @ A_prev + b" in nn
    top = (site / "api/npdnn/index.html").read_text(encoding="utf-8")
    assert 'id="npdnn.network.Network.fit"' in top


def test_links_to_source_files_lead_to_the_api_reference(site):
    # how-it-works.md links ../src/npdnn/nn/layers.py (for a reader on the code host); on the site that
    # link is the module's entry in the API reference, and a figure outside docs/ is copied in.
    page = (site / "how-it-works/index.html").read_text(encoding="utf-8")
    assert 'href="../api/nn/#npdnn.nn.layers"' in page
    assert "../src/npdnn" not in page
    assert (site / "benchmarks/figures/roofline-2thread.png").is_file()
    assert (site / "notebooks/tutorial.ipynb").is_file()


# ------------------------------------------------------------------ docs/defaults.md
DOCUMENTED = {
    "Network": npdnn.Network.__init__,
    "Network.fit": npdnn.Network.fit,
    "optimizers.Momentum": optimizers.Momentum.__init__,
    "optimizers.RMSProp": optimizers.RMSProp.__init__,
    "optimizers.Adam": optimizers.Adam.__init__,
    "callbacks.EarlyStopping": npdnn.callbacks.EarlyStopping.__init__,
    "callbacks.ModelCheckpoint": npdnn.callbacks.ModelCheckpoint.__init__,
}


def _tables():
    """``{heading: {option: default as written}}`` of docs/defaults.md's option tables."""
    tables, heading = {}, None
    for line in (ROOT / "docs/defaults.md").read_text().splitlines():
        if line.startswith("## "):
            heading = line[3:].strip("`")
            tables[heading] = {}
        match = re.match(r"^\| `([a-z_0-9]+)` \| `([^`]*)` \|", line)
        if match and heading:
            tables[heading][match.group(1)] = match.group(2)
    return tables


def _shown(default):
    return "float64" if default is np.float64 else repr(default)


def _defaults(func):
    return {
        name: _shown(p.default)
        for name, p in inspect.signature(func).parameters.items()
        if p.default is not inspect.Parameter.empty
    }


@pytest.mark.parametrize("heading", [*DOCUMENTED, "DNNClassifier"])
def test_defaults_page_states_every_default_the_code_declares(heading):
    if heading == "DNNClassifier":
        pytest.importorskip("sklearn")
        func = npdnn.DNNClassifier.__init__
    else:
        func = DOCUMENTED[heading]
    assert _tables()[heading] == _defaults(func)


def test_defaults_page_states_each_optimizers_learning_rate():
    rows = re.findall(r"^\| `(\w+)` \| `([0-9.e-]+)` \|$", (ROOT / "docs/defaults.md").read_text(), re.M)
    rates = {name: float(rate) for name, rate in rows}
    assert set(rates) == {"gd", "sgd", "momentum", "nesterov", "rmsprop", "adam"}
    X, y = np.random.default_rng(0).standard_normal((8, 2)), np.arange(8) % 2
    for name, rate in rates.items():  # the rate fit logs when learning_rate is left out
        history = npdnn.Network([2, 1], seed=0).fit(X, y, optimizer=name, epochs=1, diagnostics=False)
        assert history["lr"] == [rate], name
