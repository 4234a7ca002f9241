"""The engine is usable on its own: importing it never imports Django."""

import pkgutil
import subprocess
import sys

import mutuals.engine


def engine_modules():
    return sorted(f"mutuals.engine.{m.name}" for m in pkgutil.iter_modules(mutuals.engine.__path__))


def test_engine_modules_are_found():
    mine = {"spc", "savings", "power", "grade", "engagement", "design", "_results", "errors"}
    assert {f"mutuals.engine.{m}" for m in mine} <= set(engine_modules())


def test_importing_the_engine_never_imports_django():
    imports = "; ".join(f"import {m}" for m in engine_modules())
    code = (
        f"{imports}; import sys; "
        "leaked = sorted(m for m in sys.modules if m == 'django' or m.startswith('django.')); "
        "assert not leaked, leaked"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
