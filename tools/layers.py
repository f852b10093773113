"""The one-way flow of the pipeline's stages, checked over the import graph.

    spiders -> crawler -> archive -> extract -> publish

Each stage folder may import the stages before it and the shared core (`nianbao.db`, `nianbao.fts`,
`nianbao.__init__`); none may import a later one. The core imports no stage. The other
modules of `nianbao/` are the application on top (the command line, the run of a crawl
from start to extraction, the Scrapy extension that does it under `scrapy crawl`, the
sources check, the demo portal): they tie the stages together and may import any, and
neither a stage nor the core may import them (a stage that needs something of theirs
is given it, or the thing moves down into the stage). Every import counts, including
imports inside functions: a late import is still a dependency. Scrapy settings that
name a class by dotted path (crawler/settings.py) are configuration, not imports.

Run `python tools/layers.py` for the list of violations (exit 1 if any);
tests/test_layers.py runs it in CI.
"""
from __future__ import annotations

import ast
import sys
from pathlib import Path

STAGES = ("spiders", "crawler", "archive", "extract", "publish")
CORE = ("nianbao.db", "nianbao.fts", "nianbao")  # usable by every stage, importing none


def stage_of(module: str) -> str | None:
    """`nianbao.extract.pipeline` -> "extract"; core and top-level modules -> None."""
    parts = module.split(".")
    if len(parts) >= 2 and parts[0] == "nianbao" and parts[1] in STAGES:
        return parts[1]
    return None


def module_files(root: Path) -> dict[str, Path]:
    """Every module of the product package, by dotted name (as pyproject's package-dir maps them)."""
    out: dict[str, Path] = {}
    for stage in STAGES:
        for path in sorted((root / stage).rglob("*.py")):
            rel = path.relative_to(root / stage).with_suffix("")
            parts = [p for p in rel.parts if p != "__init__"]
            out[".".join(["nianbao", stage, *parts])] = path
    for path in sorted((root / "nianbao").rglob("*.py")):
        rel = path.relative_to(root).with_suffix("")
        parts = [p for p in rel.parts if p != "__init__"]
        out[".".join(parts)] = path
    return out


def imports_of(module: str, path: Path, known: set[str] | frozenset[str] = frozenset()) -> list[tuple[int, str]]:
    """(line, dotted target) of every import; `known` are the package's modules, for
    telling `from nianbao import cli` (a module) from `from nianbao import __version__`."""
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    package = module if path.name == "__init__.py" else module.rsplit(".", 1)[0]
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found += [(node.lineno, alias.name) for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            if node.level:  # relative: resolve against this module's package
                base = package.split(".")[: len(package.split(".")) - node.level + 1]
                name = ".".join(base + ([node.module] if node.module else []))
            else:
                name = node.module or ""
            found.append((node.lineno, name))
            # `from nianbao import extract` (or `import cli`) names a module through the alias
            found += [(node.lineno, f"{name}.{alias.name}") for alias in node.names
                      if name == "nianbao" and (alias.name in STAGES or f"nianbao.{alias.name}" in known)]
    return found


def application_of(target: str, application: set[str]) -> str | None:
    """The application module `target` is or lies in (`nianbao.demo_portal.server` ->
    `nianbao.demo_portal`), else None. Any `nianbao.X` that is neither a stage nor the
    core is the application, whether or not its file exists."""
    parts = target.split(".")
    if len(parts) < 2 or parts[0] != "nianbao" or stage_of(target) is not None:
        return None
    if target in CORE or ".".join(parts[:2]) in CORE:
        return None
    for n in range(len(parts), 1, -1):
        if ".".join(parts[:n]) in application:
            return ".".join(parts[:n])
    return ".".join(parts[:2])


def violations(root: Path) -> list[str]:
    problems = []
    modules = module_files(root)
    application = {m for m in modules if stage_of(m) is None and m not in CORE}
    for module, path in modules.items():
        mine = stage_of(module)
        if mine is None and module not in CORE:
            continue  # the application on top
        for line, target in imports_of(module, path, set(modules)):
            where = f"{path.relative_to(root)}:{line}"
            who = f"{module} (core)" if mine is None else f"{module} (stage {mine})"
            app = application_of(target, application)
            if app is not None:
                problems.append(f"{where}: {who} imports {target} (the application {app}, on top of every stage)")
                continue
            theirs = stage_of(target)
            if theirs is None:
                continue
            if mine is None:  # core
                problems.append(f"{where}: {who} imports {target} (stage {theirs})")
            elif STAGES.index(theirs) > STAGES.index(mine):
                problems.append(f"{where}: {who} imports {target} (later stage {theirs})")
    return problems


if __name__ == "__main__":
    found = violations(Path(__file__).resolve().parent.parent)
    print("\n".join(found) or "imports run one way: spiders -> crawler -> archive -> extract -> publish;"
          " no stage imports the application")
    sys.exit(1 if found else 0)
