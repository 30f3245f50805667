"""MkDocs hooks for npdnn's documentation site (mkdocs.yml names this file; it is not a page).

- The home page is README.md, so the README and the site cannot drift apart.
- The API reference: one page per subpackage (``api/nn.md``, ...), each rendering the
  subpackage's docstring and then every module in it with mkdocstrings, found on disk, so a
  new module appears without editing a page. ``api/npdnn.md`` holds the top-level modules.
- Links: the pages are written to read on a code host too, so they link to files outside
  docs/ (``../src/npdnn/nn/layers.py``, ``../benchmarks/README.md``, the notebook). On the
  site a source file's link goes to its module in the API reference (which shows the source),
  and any other file is copied into the site under its path in the repository. A link that
  leads nowhere is left alone, so ``mkdocs build --strict`` fails on it.
"""

from __future__ import annotations

import posixpath
import re
from pathlib import Path

from mkdocs.structure.files import File

ROOT = Path(__file__).resolve().parents[1]
PACKAGE = ROOT / "src" / "npdnn"
# A Markdown link or image: [text](path) or [text](path#anchor); absolute URLs and anchors alone are skipped.
LINK = re.compile(r"\[([^\]]*)\]\((?!https?:|mailto:|#)([^)\s#]+)(#[^)\s]*)?\)")
# Link text that names one public object of the linked module: [`Dense.forward`](../src/npdnn/nn/layers.py)
OBJECT = re.compile(r"^`([A-Za-z]\w*(?:\.[A-Za-z]\w*)*)`$")
# Sphinx roles in docstrings (:class:`x`, :func:`~a.b.c`), which mkdocstrings renders as text: keep the code.
ROLE = re.compile(r":(?:class|func|meth|mod|data|attr|exc|obj):(<code>)(?:~(?:[\w]+\.)*)?")
SUBPACKAGE_TITLES = {
    "nn": "the article's network",
    "train": "the training loop and its parts",
    "files": "model files",
    "export": "ONNX and PyTorch",
    "sklearn": "the scikit-learn estimator",
    "distributed": "training on Dask",
    "cli": "the npdnn command",
}

# repository path of each page the hooks add (src_uri -> path relative to ROOT)
_repo_path: dict[str, str] = {}


def _modules(folder: Path, dotted: str) -> list[str]:
    return [f"{dotted}.{p.stem}" for p in sorted(folder.glob("*.py")) if not p.stem.startswith("_")]


def _api_page(dotted: str, title: str, modules: list[str]) -> str:
    lines = [
        f"# `{dotted}`: {title}",
        "",
        f"::: {dotted}",
        "    options:",
        "      members: false",
        "      show_root_heading: false",
        "      show_source: false",
        "",
    ]
    for module in modules:
        lines += [f"::: {module}", ""]
    return "\n".join(lines)


def _api_pages() -> dict[str, str]:
    found = [m for m in _modules(PACKAGE, "npdnn") if m != "npdnn.__main__"]
    first = [m for m in ("npdnn.network", "npdnn.loading", "npdnn.callbacks") if m in found]  # what a user meets first
    top = first + [m for m in found if m not in first]
    pages = {"api/npdnn.md": _api_page("npdnn", "the public names and the top-level modules", top)}
    # every subpackage gets a page; one missing from mkdocs.yml's nav fails the strict build (omitted_files)
    for folder in sorted(p.parent for p in PACKAGE.glob("*/__init__.py")):
        title = SUBPACKAGE_TITLES.get(folder.name, "a subpackage")
        pages[f"api/{folder.name}.md"] = _api_page(
            f"npdnn.{folder.name}", title, _modules(folder, f"npdnn.{folder.name}")
        )
    return pages


def _linked_outside(text: str, base: str) -> set[str]:
    """Repository paths of the existing files outside docs/ that ``text`` (read at ``base``) links to."""
    found = set()
    for match in LINK.finditer(text):
        path = posixpath.normpath(posixpath.join(base, match.group(2)))
        if not path.startswith(("docs/", "src/", "..")) and path != "README.md" and (ROOT / path).is_file():
            found.add(path)
    return found


def on_files(files, config):
    for uri, content in _api_pages().items():
        files.append(File.generated(config, uri, content=content))
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    files.append(File.generated(config, "index.md", content=readme))
    _repo_path["index.md"] = "README.md"
    # the files outside docs/ that the pages link to, and those their Markdown links to in turn
    wanted = _linked_outside(readme, "")
    for page in Path(config["docs_dir"]).glob("*.md"):
        wanted |= _linked_outside(page.read_text(encoding="utf-8"), "docs")
    for path in sorted(p for p in wanted if p.endswith(".md")):
        wanted |= _linked_outside((ROOT / path).read_text(encoding="utf-8"), posixpath.dirname(path))
    for path in sorted(wanted):
        files.append(File.generated(config, path, abs_src_path=str(ROOT / path)))
        _repo_path[path] = path
    return files


def _site_target(repo_path: str) -> str | None:
    """Where a repository file is on the site (a src_uri, maybe with an anchor), or None."""
    if repo_path == "README.md":
        return "index.md"
    if repo_path.startswith("docs/"):
        return repo_path[len("docs/") :]
    if repo_path.startswith("src/npdnn/") and repo_path.endswith(".py"):
        parts = repo_path[len("src/") : -len(".py")].split("/")
        package = parts[-1] == "__init__"
        if package:
            parts = parts[:-1]
        # a subpackage (npdnn/nn/..., or npdnn/nn/__init__.py itself) has its own page
        page = f"api/{parts[1]}.md" if len(parts) > 2 or (package and len(parts) == 2) else "api/npdnn.md"
        return f"{page}#{'.'.join(parts)}"
    if repo_path in _repo_path:
        return repo_path
    return None


def on_page_markdown(markdown, page, config, files):
    src_uri = page.file.src_uri
    repo_path = _repo_path.get(src_uri, f"docs/{src_uri}")
    base, here = posixpath.dirname(repo_path), posixpath.dirname(src_uri)

    def rewrite(match):
        text, link, anchor = match.group(1), match.group(2), match.group(3) or ""
        target = _site_target(posixpath.normpath(posixpath.join(base, link)))
        if target is None:
            return match.group(0)  # left for mkdocs to report
        path, _, module = target.partition("#")
        if module:  # a source file: its module's entry, or the object the link text names
            named = OBJECT.match(text)
            anchor = f"#{module}.{named.group(1)}" if named else f"#{module}"
        return f"[{text}]({posixpath.relpath(path, here or '.')}{anchor})"

    return LINK.sub(rewrite, markdown)


def on_page_content(html, page, config, files):
    return ROLE.sub(r"\1", html)
