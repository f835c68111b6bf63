"""pglast's generated AST classes and enums loaded on first use, not with its parser.

They are about 17 ms of pglast's 20 ms import, and only turning a statement into AST objects
(``parse_sql``) needs them: splitting, scanning and the JSON parse tree the rules read never
touch them. An apply of configuration changes or of migrations whose lint finds nothing to
rewrite is that much faster to start (measured in bench/peers.py).
"""

from __future__ import annotations

import sys
import threading
from importlib.machinery import ModuleSpec, PathFinder
from types import ModuleType
from typing import Any

_DEFERRED = frozenset({"pglast.ast", "pglast.enums"})
_LOCK = threading.RLock()


class _DeferredLoader:
    """Runs the module's code on the first attribute it lacks (PEP 562), not on import.

    importlib.util.LazyLoader does not serve: Python 3.11's import system reads ``__spec__``
    of a module found in sys.modules, which makes a LazyLoader module load at once."""

    def __init__(self, real: Any) -> None:
        self.real = real

    def create_module(self, spec: ModuleSpec) -> None:
        return None

    def exec_module(self, module: ModuleType) -> None:
        real = self.real
        state = {"loading": False, "done": False}

        def load(attr: str) -> Any:
            # another thread waits for the code to have run; the loading thread itself (the
            # module's own imports during its run) sees a module still being initialised
            with _LOCK:
                if not state["done"] and not state["loading"]:
                    state["loading"] = True
                    try:
                        module.__loader__ = real
                        if module.__spec__ is not None:
                            module.__spec__.loader = real
                        real.exec_module(module)
                    finally:
                        state["loading"] = False
                    state["done"] = True
                    if module.__dict__.get("__getattr__") is load:
                        del module.__dict__["__getattr__"]
            return object.__getattribute__(module, attr)

        module.__getattr__ = load  # type: ignore[method-assign]


class _DeferredFinder:
    @staticmethod
    def find_spec(fullname: str, path: Any = None, target: Any = None) -> ModuleSpec | None:
        if fullname not in _DEFERRED:
            return None
        spec = PathFinder.find_spec(fullname, path)
        if spec is not None and spec.loader is not None:
            spec.loader = _DeferredLoader(spec.loader)  # type: ignore[assignment]
        return spec


def install() -> None:
    """Defer them from now on (a no-op once pglast is imported, or when already installed)."""
    if "pglast" not in sys.modules and _DeferredFinder not in sys.meta_path:
        sys.meta_path.insert(0, _DeferredFinder)
