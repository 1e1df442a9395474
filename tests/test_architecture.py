"""docs/architecture.md cannot lie: every module is in its tables, opens with a docstring, and each
folder imports only what the page allows (the core never imports the web layer)."""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
PAGE = (ROOT / "docs" / "architecture.md").read_text(encoding="utf-8")
FOLDERS = ("emis_lod", "loaders", "endpoint", "profiles")
# what a folder's modules are imported as (pyproject.toml installs the folders under emis_lod)
PACKAGE = {"emis_lod": "emis_lod", "loaders": "emis_lod.loaders",
           "endpoint": "emis_lod.endpoint", "profiles": "emis_lod.profiles"}
SIZE = 500   # lines; a longer module is one thing, and its row on the page says so


def modules() -> list[Path]:
    """The platform's Python modules (the demo generator is one entry: its package)."""
    return [path for folder in FOLDERS for path in sorted((ROOT / folder).rglob("*.py"))
            if path.relative_to(ROOT).parts[:2] != ("emis_lod", "generator")]


def named_as(path: Path) -> str:
    """How the page names a module: ``loaders/mapper.py``, or ``loaders/shacl/`` for a
    package and ``loaders/shacl/runner.py`` for its modules."""
    rel = path.relative_to(ROOT)
    if path.name == "__init__.py" and len(rel.parts) > 2:
        return "/".join(rel.parts[:-1]) + "/"
    return str(rel)


def dotted(path: Path) -> str:
    rel = path.relative_to(ROOT).with_suffix("")
    parts = [PACKAGE[rel.parts[0]], *rel.parts[1:]]
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def imports(path: Path) -> set[str]:
    """The absolute names of the modules a module imports (relative imports resolved)."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    here = dotted(path).split(".")
    if path.name != "__init__.py":
        here = here[:-1]
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom):
            base = here[:len(here) - node.level + 1] if node.level else []
            module = ".".join([*base, *(node.module or "").split(".")]).strip(".")
            names.add(module)
            names |= {f"{module}.{alias.name}" for alias in node.names}
    return names


def test_every_module_is_on_the_page_once() -> None:
    missing = [named_as(p) for p in modules() if f"`{named_as(p)}`" not in PAGE]
    assert not missing, f"docs/architecture.md does not name: {missing}"


@pytest.mark.parametrize("path", modules(), ids=named_as)
def test_a_module_says_what_it_is_for(path: Path) -> None:
    docstring = ast.get_docstring(ast.parse(path.read_text(encoding="utf-8")))
    assert docstring and len(docstring) > 20, f"{named_as(path)} opens with no docstring"


def test_a_long_module_is_one_thing_and_the_page_says_why() -> None:
    rows = {m.group(1): m.group(2) for m in re.finditer(r"^\| `([^`]+)` \|(.*)$", PAGE, re.M)}
    for path in modules():
        lines = len(path.read_text(encoding="utf-8").splitlines())
        if lines > SIZE:
            row = rows.get(named_as(path), "")
            assert "one thing" in row, (f"{named_as(path)} has {lines} lines: split it by what it "
                                        f"does, or say on its row why it is one thing")


def allowed(path: Path) -> tuple[str, ...]:
    """The packages a module may not import, by folder (docs/architecture.md)."""
    rel = path.relative_to(ROOT)
    if rel.parts[0] == "loaders":
        return ("emis_lod.endpoint", "emis_lod.cli")
    if rel.parts[0] == "endpoint":
        return ("emis_lod.cli",)
    if rel.parts[0] == "profiles" or (rel.parts[0] == "emis_lod" and path.name != "cli.py"):
        return ("emis_lod.loaders", "emis_lod.endpoint", "emis_lod.cli")
    return ()


@pytest.mark.parametrize("path", modules(), ids=named_as)
def test_a_folder_imports_only_what_the_page_allows(path: Path) -> None:
    forbidden = allowed(path)
    wrong = sorted(n for n in imports(path) if n.startswith(forbidden))
    assert not wrong, f"{named_as(path)} imports {wrong}, which its folder may not"


def test_the_demo_generator_imports_neither_the_core_nor_the_web_layer() -> None:
    for path in (ROOT / "emis_lod" / "generator").rglob("*.py"):
        wrong = [n for n in imports(path)
                 if n.startswith(("emis_lod.loaders", "emis_lod.endpoint", "emis_lod.cli"))]
        assert not wrong, f"{path.relative_to(ROOT)} imports {wrong}"
