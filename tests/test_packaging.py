"""The package metadata as declared (pyproject.toml) and as installed: description, SPDX
license expression, build requirements."""

import importlib.metadata
from pathlib import Path

import pytest

import npdnn

ROOT = Path(__file__).resolve().parents[1]


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
