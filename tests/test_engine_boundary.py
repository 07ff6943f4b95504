"""The engine is pure Python: no Django, Channels, asyncio, threads, wall clock or global random.

Checked on the syntax tree of every engine module, so the rule holds however an import is
written.
"""

import ast
from pathlib import Path

import pytest

ENGINE = Path(__file__).resolve().parents[1] / "clusterlab" / "engine"
FORBIDDEN_MODULES = {
    "django",
    "channels",
    "asyncio",
    "threading",
    "multiprocessing",
    "concurrent",
    "time",
    "socket",
    "daphne",
    "sched",
    "secrets",
    "uuid",
}
FORBIDDEN_CALLS = {
    ("datetime", "now"),
    ("datetime", "utcnow"),
    ("datetime", "today"),
    ("date", "today"),
    ("random", "random"),
    ("random", "choice"),
    ("random", "randint"),
    ("random", "shuffle"),
    ("random", "randrange"),
    ("random", "uniform"),
    ("random", "getrandbits"),
    ("random", "seed"),
    ("os", "urandom"),
}
MODULES = sorted(ENGINE.rglob("*.py"))


def test_engine_modules_found():
    assert len(MODULES) > 20


@pytest.mark.parametrize("path", MODULES, ids=lambda p: str(p.relative_to(ENGINE)))
def test_engine_module_is_pure(path: Path):
    tree = ast.parse(path.read_text(), filename=str(path))
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                assert alias.name.split(".")[0] not in FORBIDDEN_MODULES, f"{path}: import {alias.name}"
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            assert node.module.split(".")[0] not in FORBIDDEN_MODULES, f"{path}: from {node.module}"
        elif isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute):
            target = node.func.value
            if isinstance(target, ast.Name):
                assert (target.id, node.func.attr) not in FORBIDDEN_CALLS, (
                    f"{path}:{node.lineno}: {target.id}.{node.func.attr}() — use the clock or seeded rng"
                )
