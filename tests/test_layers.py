"""The package's layers: data flows one way, so a module imports only from its own stage or upstream.

The order is base/errors → system → dsp → phrases → script → quick → timeline → speech → audio →
settings → log → play → cli (the settings hold defaults for what the stages before them take: engines,
rates, loudness).
Every import in every module is checked (lazy and type-only ones too), and
what ``voiceguide.base`` holds (the sample rate, the audio type, frame/second
conversion) is imported from there, never through a stage.  Then each stage's
modules are imported in a fresh interpreter, to see that nothing downstream
comes with them.
"""

from __future__ import annotations

import ast
import json
import subprocess
import sys
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parent.parent / "voiceguide"

STAGES = ("base", "system", "dsp", "phrases", "script", "quick", "timeline", "speech", "audio", "settings",
          "log", "play", "cli")
"""Upstream first; a module may import from its own stage and the ones before it."""
RANK = {stage: rank for rank, stage in enumerate(STAGES)}
SHARED = {"voiceguide", "voiceguide.base", "voiceguide.bounded", "voiceguide.errors", "voiceguide.printable",
          "voiceguide.streams", "voiceguide.summary", "voiceguide.true_peak",
          "voiceguide.__main__"}
"""Modules of the base layer: the package itself and the top-level modules every stage may use."""


def module_name(path: Path) -> str:
    """``voiceguide/script/parse.py`` → ``voiceguide.script.parse``."""
    parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def stage_of(module: str) -> str:
    """The stage a ``voiceguide`` module belongs to."""
    if module == "voiceguide.__main__":
        return "cli"
    if module in SHARED:
        return "base"
    stage = module.split(".")[1]
    assert stage in RANK, f"{module} is in no known stage: add its package to STAGES in the right place"
    return stage


MODULES = {module_name(path): path for path in sorted(PACKAGE.rglob("*.py"))}


def imports_of(path: Path) -> list[tuple[int, str, list[str]]]:
    """Every ``voiceguide`` import in a file: (line, module, names imported from it)."""
    package = module_name(path) if path.name == "__init__.py" else module_name(path).rpartition(".")[0]
    found: list[tuple[int, str, list[str]]] = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), str(path))):
        if isinstance(node, ast.Import):
            found += [(node.lineno, alias.name, []) for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            if node.level:  # relative: resolve against this module's package
                base = package.rsplit(".", node.level - 1)[0] if node.level > 1 else package
                module = f"{base}.{node.module}" if node.module else base
            else:
                module = node.module or ""
            names = [alias.name for alias in node.names]
            # ``from voiceguide.play import screen`` imports a module: count it as that module.
            submodules = [f"{module}.{name}" for name in names if f"{module}.{name}" in MODULES]
            if submodules and len(submodules) == len(names):
                found += [(node.lineno, submodule, []) for submodule in submodules]
            else:
                found.append((node.lineno, module, names))
    return [(line, module, names) for line, module, names in found
            if module == "voiceguide" or module.startswith("voiceguide.")]


def base_names() -> set[str]:
    """The public names ``voiceguide/base.py`` defines (``Audio`` is built lazily, so named by hand)."""
    names = {"Audio"}
    for node in ast.parse((PACKAGE / "base.py").read_text(encoding="utf-8")).body:
        if isinstance(node, (ast.FunctionDef, ast.ClassDef)):
            names.add(node.name)
        elif isinstance(node, ast.Assign):
            names |= {target.id for target in node.targets if isinstance(target, ast.Name)}
        elif isinstance(node, ast.AnnAssign) and isinstance(node.target, ast.Name):
            names.add(node.target.id)
    return {name for name in names if not name.startswith("_")}


def layer_problems(module: str, imports: list[tuple[int, str, list[str]]], shared: set[str]) -> list[str]:
    """What is wrong with one module's imports: backward imports, and base's names taken through a stage."""
    path = f"{module.replace('.', '/')}.py"
    own = stage_of(module)
    problems = []
    for line, imported, names in imports:
        if imported == "voiceguide.base" or imported == module:
            continue
        stage = stage_of(imported)
        if RANK[stage] > RANK[own]:
            problems.append(f"{path}:{line}: the {own} stage imports {imported}, downstream ({stage})")
        through = sorted(set(names) & shared)
        if through:
            problems.append(f"{path}:{line}: {', '.join(through)} imported from {imported}; "
                            f"import it from voiceguide.base")
    return problems


def test_every_module_belongs_to_a_stage() -> None:
    assert len(MODULES) > 20
    stages = {stage_of(module) for module in MODULES}
    assert stages == set(STAGES)


def test_the_checker_catches_a_backward_import_and_a_constant_taken_through_a_stage() -> None:
    shared = base_names()
    assert {"SAMPLE_RATE", "Audio", "clock", "frames_to_milliseconds"} <= shared
    backward = [(3, "voiceguide.play.player", ["Player"])]
    assert layer_problems("voiceguide.timeline.compiler", backward, shared) == [
        "voiceguide/timeline/compiler.py:3: the timeline stage imports voiceguide.play.player, downstream (play)"]
    through = [(5, "voiceguide.speech.clips", ["SpeechBank", "SAMPLE_RATE"])]
    assert layer_problems("voiceguide.audio.mixer", through, shared) == [
        "voiceguide/audio/mixer.py:5: SAMPLE_RATE imported from voiceguide.speech.clips; "
        "import it from voiceguide.base"]
    assert layer_problems("voiceguide.audio.mixer", [(1, "voiceguide.timeline.compiler", ["Event"])], shared) == []
    assert layer_problems("voiceguide.base", [(1, "voiceguide.script.model", ["Script"])], shared) != []


def test_imports_flow_one_way_and_base_names_come_from_base() -> None:
    shared = base_names()
    problems = [problem for module, path in MODULES.items()
                for problem in layer_problems(module, imports_of(path), shared)]
    assert problems == []


_LOADED = """
import importlib, json, sys
for name in sys.argv[1:]:
    importlib.import_module(name)
print(json.dumps(sorted(m for m in sys.modules if m == "voiceguide" or m.startswith("voiceguide."))))
"""


@pytest.mark.parametrize("stage", STAGES[:-1])
def test_importing_a_stage_pulls_in_no_downstream_stage(stage: str) -> None:
    # Every module of the stage, in a fresh interpreter: what comes along is upstream or the stage itself.
    own = sorted(module for module in MODULES if stage_of(module) == stage and module != "voiceguide.__main__")
    done = subprocess.run([sys.executable, "-c", _LOADED, *own], capture_output=True, text=True, timeout=60,
                          cwd=PACKAGE.parent)
    assert done.returncode == 0, done.stderr
    loaded: list[str] = json.loads(done.stdout)
    assert set(own) <= set(loaded)
    downstream = [module for module in loaded if RANK[stage_of(module)] > RANK[stage]]
    assert downstream == []


def test_no_test_module_imports_another() -> None:
    # Shared fakes and fixtures live in tests/fakes.py and tests/conftest.py (and the
    # helpers beside them), so a test module can change without breaking another.
    tests = Path(__file__).resolve().parent
    problems = []
    for path in sorted(tests.glob("test_*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), str(path))):
            if isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom):
                names = [node.module or ""] + [f"{node.module}.{alias.name}" for alias in node.names]
            else:
                continue
            problems += [f"{path.name}:{node.lineno}: imports {name}" for name in names
                         if name.startswith("tests.test_") or name.startswith("test_")]
    assert problems == []


def test_the_package_map_names_every_sub_package_and_no_other() -> None:
    section = (PACKAGE.parent / "docs" / "how-it-works.md").read_text(encoding="utf-8")
    mapped = {line.split("`")[1] for line in section.splitlines() if line.startswith("| `voiceguide/")}
    packages = {f"voiceguide/{path.parent.name}/" for path in PACKAGE.glob("*/__init__.py")}
    assert {name for name in mapped if name.endswith("/")} == packages
    top_level = {path.name for path in PACKAGE.glob("*.py")} - {"__init__.py", "__main__.py"}
    assert {name for name in top_level if f"`{name}`" not in section and f"`voiceguide/{name}`" not in section} == set()


def test_module_file_names_are_unique() -> None:
    # One word, one meaning: a newcomer who opens ``keys.py`` finds the one module of that name.
    by_name: dict[str, list[str]] = {}
    for path in PACKAGE.rglob("*.py"):
        if path.name not in ("__init__.py", "__main__.py") or path.parent == PACKAGE:
            by_name.setdefault(path.name, []).append(str(path.relative_to(PACKAGE.parent)))
    assert {name: paths for name, paths in by_name.items() if len(paths) > 1} == {}


MODULE_MAX_LINES = 400
CLI_MODULE_MAX_LINES = 300
FUNCTION_MAX_LINES = 60


def module_sizes() -> dict[str, int]:
    """Lines of every module of the package, by its path from the repository."""
    return {str(path.relative_to(PACKAGE.parent)): len(path.read_text(encoding="utf-8").splitlines())
            for path in PACKAGE.rglob("*.py")}


def long_functions(source: str, limit: int) -> dict[str, int]:
    """The functions and methods of ``source`` longer than ``limit`` lines (decorators aside), by name."""
    return {node.name: node.end_lineno - node.lineno + 1 for node in ast.walk(ast.parse(source))
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)) and node.end_lineno is not None
            and node.end_lineno - node.lineno + 1 > limit}


def test_modules_and_functions_stay_small() -> None:
    sizes = module_sizes()
    assert len(sizes) > 20
    assert {path: lines for path, lines in sizes.items() if lines > MODULE_MAX_LINES} == {}
    cli = {path: lines for path, lines in sizes.items() if path.startswith("voiceguide/cli/")}
    assert len(cli) > 5
    assert {path: lines for path, lines in cli.items() if lines > CLI_MODULE_MAX_LINES} == {}
    long = {f"{path}: {name}": lines for path in sizes
            for name, lines in long_functions((PACKAGE.parent / path).read_text(encoding="utf-8"),
                                              FUNCTION_MAX_LINES).items()}
    assert long == {}


def test_the_size_check_sees_a_long_method_and_passes_a_short_function() -> None:
    body = "".join(f"        x = {n}\n" for n in range(60))
    source = f"def short():\n    pass\n\n\nclass C:\n    def long(self):\n{body}"
    assert long_functions(source, FUNCTION_MAX_LINES) == {"long": 61}
