"""README.md runs as written: every ```python block, top to bottom in one namespace
(as a reader pastes them into one session), in a temporary folder; its fences are
balanced and no heading hides in a code block; its links point at files a clone has."""

import re
import subprocess
import warnings
from pathlib import Path

import pytest

import npdnn

ROOT = Path(__file__).resolve().parents[1]
README = ROOT / "README.md"
FENCE = re.compile(r"^(\s*)```(.*)$")


def blocks(text):
    """``[(language, first line number, code)]`` of the fenced blocks; raises on an unclosed fence."""
    found, open_at, language, body = [], None, None, []
    for number, line in enumerate(text.splitlines(), start=1):
        match = FENCE.match(line)
        if match and open_at is None:
            open_at, language, body = number, match.group(2).strip(), []
        elif match and open_at is not None:
            if match.group(2).strip():
                raise AssertionError(
                    f"README.md line {number}: a fence with a language ({line!r}) inside the block "
                    f"opened at line {open_at}; close that block first"
                )
            found.append((language, open_at, "\n".join(body)))
            open_at = None
        elif open_at is not None:
            body.append(line)
    if open_at is not None:
        raise AssertionError(f"README.md: the block opened at line {open_at} is never closed")
    return found


def outside_blocks(text):
    """The lines that render as prose (outside every fenced block)."""
    lines, inside = [], False
    for line in text.splitlines():
        if FENCE.match(line):
            inside = not inside
        elif not inside:
            lines.append(line)
    return lines


def test_fences_are_balanced_and_headings_render():
    text = README.read_text()
    found = blocks(text)
    assert [lang for lang, _, _ in found].count("python") >= 4
    prose = outside_blocks(text)
    headings = [line for line in text.splitlines() if line.startswith("## ")]
    assert headings and all(h in prose for h in headings), "a heading sits inside a code block"
    for language, line, code in found:
        if language == "python":
            compile(code, f"README.md:{line}", "exec")  # a block that is not Python fails here
    # the quick start's calls are code, not prose (the fence bug of issue 16)
    for call in ("net.save(", "net.summary()", "npdnn.load("):
        assert not any(line.lstrip().startswith(call) for line in prose), call


def test_readme_opens_with_the_two_setup_commands():
    _, _, first = blocks(README.read_text())[0]
    assert [line.split()[:2] for line in first.splitlines()] == [["make", "demo"], ["make", "test"]]


def test_python_blocks_run_top_to_bottom(tmp_path, monkeypatch):
    """Each block runs after the ones above it; warnings are recorded, and the only ones
    allowed are those the README announces in the block that emits them."""
    monkeypatch.chdir(tmp_path)
    namespace = {"__name__": "__readme__"}
    for language, line, code in blocks(README.read_text()):
        if language != "python":
            continue
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            exec(compile(code, f"README.md:{line}", "exec"), namespace)  # noqa: S102
        for w in caught:
            name = w.category.__name__
            assert name in code, f"README.md block at line {line} emits an unannounced {name}: {w.message}"
    # what the prose claims, checked on what the blocks computed
    shown = namespace["caught"][0]
    assert issubclass(shown.category, npdnn.TrainingWarning)
    assert "predicts the same class for every training row" in str(shown.message) and shown.message.rows == 569
    assert (namespace["raw"].predict(namespace["X_raw"]) == 1).all()
    assert (namespace["scaled"].predict(namespace["X_std"]) == namespace["y_raw"]).mean() > 0.99
    assert namespace["clf"].score(namespace["X_test"], namespace["y_test"]) > 0.9
    assert (tmp_path / "net.npz").exists() and (tmp_path / "model.npz").exists()


def _links(text):
    for target in re.findall(r"\]\(([^)\s]+)\)", "\n".join(outside_blocks(text))):
        if not re.match(r"^[a-z]+:", target) and not target.startswith("#"):
            yield target.split("#")[0]


def test_links_resolve_in_a_clone():
    """Relative links name files that git tracks, so a fresh clone has them."""
    try:
        tracked = subprocess.run(
            ["git", "ls-files"], cwd=ROOT, capture_output=True, text=True, check=True
        ).stdout.splitlines()
    except (OSError, subprocess.CalledProcessError):
        pytest.skip("not a git checkout")
    tracked = set(tracked)
    folders = {str(Path(p).parent) for p in tracked}
    links = list(_links(README.read_text()))
    assert "docs/coming-from-sklearn.md" in links
    missing = [t for t in links if t not in tracked and t.rstrip("/") not in folders]
    assert not missing, f"README.md links to files a clone lacks: {missing}"
