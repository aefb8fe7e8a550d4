"""The packages import only downward: settings ← evaluator ← trial ← sweep ← analysis, benchmarks on top and nothing
from the tests; the analysis reaches no Ray wiring. Read from the source's import statements (every one, also those
inside functions), so a lazy import cannot hide a cycle."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

from tests.helpers import REPO

# The trial's settings, data and metric names: what every other layer reads.
SETTINGS = (
    "trainables.config",
    "trainables.data",
    "trainables.image_files",
    "trainables.metric_keys",
    "trainables.training_precision",
)
EVALUATOR = "trainables.quality"
# Each package and the project packages it may import from, besides itself.
ALLOWED = {
    "settings": set(),
    "evaluator": {"settings"},
    "trial": {"settings", "evaluator"},
    "sweep": {"settings", "evaluator", "trial"},
    "analysis": {"settings", "evaluator", "trial", "sweep"},
    "benchmarks": {"settings", "evaluator", "trial", "sweep", "analysis"},
}


def layer(module: str) -> str | None:
    """The layer of a project module; None for anything else (the standard library, torch, the tests)."""
    if module in SETTINGS:
        return "settings"
    if module == EVALUATOR or module.startswith(EVALUATOR + "."):
        return "evaluator"
    top = module.split(".")[0]
    return {"trainables": "trial", "tune_gan": "sweep", "analysis": "analysis", "benchmarks": "benchmarks"}.get(top)


def module_name(path: Path) -> str:
    parts = path.relative_to(REPO).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def imports(path: Path) -> set[str]:
    """Every module ``path`` imports, by absolute name (``from pkg import name`` counts as both)."""
    found = set()
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            found |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found |= {node.module, *(f"{node.module}.{alias.name}" for alias in node.names)}
    return found


SOURCES = {
    module_name(path): path
    for package in ("trainables", "tune_gan", "analysis", "benchmarks")
    for path in sorted((REPO / package).rglob("*.py"))
}
PROJECT = set(SOURCES)


def project_imports(module: str) -> set[str]:
    """The project modules ``module`` imports (``from pkg import name`` where name is a module counts as it)."""
    return {name for name in imports(SOURCES[module]) if name in PROJECT}


@pytest.mark.parametrize("module", sorted(SOURCES))
def test_each_module_imports_only_its_own_layer_and_those_below(module):
    own = layer(module)
    upward = {name for name in project_imports(module) if layer(name) not in {own, *ALLOWED[own]}}
    assert not upward, f"{module} ({own}) imports {sorted(upward)}"


def test_no_project_module_imports_the_tests():
    importing = [
        module for module in SOURCES if any(name.split(".")[0] == "tests" for name in imports(SOURCES[module]))
    ]
    assert importing == []


def test_the_analysis_reaches_no_ray_wiring():
    """The sweep modules the analysis imports, and theirs in turn, import neither Ray nor Tune."""
    reached, todo = set(), [module for module in SOURCES if layer(module) == "analysis"]
    while todo:
        for name in project_imports(todo.pop()):
            if name not in reached and layer(name) == "sweep":
                reached.add(name)
                todo.append(name)
    assert reached, "the analysis imports no sweep module at all: this test checks nothing"
    with_ray = {module for module in reached if any(name.split(".")[0] == "ray" for name in imports(SOURCES[module]))}
    assert not with_ray, f"the analysis reaches Ray through {sorted(with_ray)}"


def test_the_layers_hold_the_modules_they_are_named_for():
    assert {module for module in SOURCES if layer(module) == "settings"} == set(SETTINGS)
    assert {module for module in SOURCES if layer(module) == "evaluator"} == {
        "trainables.quality",
        "trainables.quality.anchors",  # what known sets score: scored by the scorers, cached with the reference
        "trainables.quality.classifier",
        "trainables.quality.evaluator",
        "trainables.quality.extractors",  # which network a study is scored in: the classifier's or Inception's
        "trainables.quality.inception",  # the field's network, loaded weights_only: scoring, not training
        "trainables.quality.metrics",
        "trainables.quality.scorers",
        "trainables.quality.train_classifier",
    }
    assert {"trainables.loop", "trainables.trainable", "trainables.checkpoint"} <= {
        module for module in SOURCES if layer(module) == "trial"
    }


def test_the_layer_rules_catch_an_upward_import(tmp_path):
    """The checker itself: an evaluator module importing the training loop is found."""
    source = tmp_path / "scorer.py"
    source.write_text("from trainables.loop import GANTraining\nimport trainables.config\n")
    assert {name for name in imports(source) if name in PROJECT} == {"trainables.loop", "trainables.config"}
    assert layer("trainables.loop") == "trial" not in ALLOWED["evaluator"]
