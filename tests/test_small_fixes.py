"""Issue 16's small fixes: net.summary() shows its table at the REPL, and the package
metadata (description, SPDX license) as installed."""

import importlib.metadata
from pathlib import Path

import pytest

import npdnn
from npdnn.nn.summary import Summary

ROOT = Path(__file__).resolve().parents[1]


def test_summary_repr_is_the_table():
    net = npdnn.Network([4, 3, 1], seed=0)
    text = net.summary()
    assert isinstance(text, Summary) and isinstance(text, str)
    assert repr(text) == str(text) == text  # the REPL shows the table, not a quoted one-liner
    assert repr(text).splitlines()[0] == "Network: 4 -> 3 -> 1, hidden relu, output sigmoid, float64"
    assert "\\n" not in repr(text)

    class Printer:  # IPython's pretty printer protocol
        def __init__(self):
            self.parts = []

        def text(self, s):
            self.parts.append(s)

    p = Printer()
    text._repr_pretty_(p, cycle=False)
    assert p.parts == [str(text)]


def test_package_metadata():
    tomllib = pytest.importorskip("tomllib")  # Python 3.11+
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())
    assert project["project"]["license"] == "MIT"  # an SPDX expression, not the deprecated table
    assert "binary and multi-class" in project["project"]["description"]
    assert any(r.startswith("setuptools>=77") for r in project["build-system"]["requires"])
    installed = importlib.metadata.metadata("npdnn")
    assert "binary and multi-class" in installed["Summary"]
    assert installed["License-Expression"] == "MIT"
    assert "binary and multi-class" in npdnn.__doc__
