"""A package's exported names, imported when first used (PEP 562).

A package lists where each of its names lives; :func:`lazy_names` gives it the module-level
``__getattr__`` that imports that module on the first lookup and keeps the value, so later
lookups are plain attributes (as an eager import would have made them). The manifest, plan and
engine packages use it, so a command loads only the modules it touches.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from importlib import import_module
from typing import Any

__all__ = ["lazy_names"]


def lazy_names(namespace: dict[str, Any], where: Mapping[str, str]) -> Callable[[str], Any]:
    """The ``__getattr__`` for the package whose ``globals()`` is ``namespace``: ``where`` maps
    each name to its module, absolute or relative to the package (``".load"``)."""
    package = str(namespace["__name__"])

    def __getattr__(name: str) -> Any:
        module = where.get(name)
        if module is None:
            raise AttributeError(f"module {package!r} has no attribute {name!r}")
        value = getattr(import_module(module, package), name)
        namespace[name] = value
        return value

    return __getattr__
