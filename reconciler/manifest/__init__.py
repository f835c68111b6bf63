"""The desired state, pure: environment YAML, migration files, config and forum map -> models.

Reads files only through the :class:`~reconciler.manifest.fs.Files` interface it is given.
Each name below is imported when first used (``from reconciler.manifest import Desired``
loads desired.py, not the pydantic models), so a tool that reads one migration file does not
pay for the environment's models.
"""

from typing import TYPE_CHECKING

from reconciler.lazy import lazy_names

if TYPE_CHECKING:
    from reconciler.manifest.desired import ConfigEntry, Desired, DesiredMigration, ForumNode
    from reconciler.manifest.fs import Files, MemoryFiles
    from reconciler.manifest.load import load_environment, resolve_env_file
    from reconciler.manifest.models import EnvironmentSpec, Policy

_WHERE = {
    "ConfigEntry": ".desired",
    "Desired": ".desired",
    "DesiredMigration": ".desired",
    "ForumNode": ".desired",
    "Files": ".fs",
    "MemoryFiles": ".fs",
    "load_environment": ".load",
    "resolve_env_file": ".load",
    "EnvironmentSpec": ".models",
    "Policy": ".models",
}

__all__ = [
    "ConfigEntry",
    "Desired",
    "DesiredMigration",
    "EnvironmentSpec",
    "Files",
    "ForumNode",
    "MemoryFiles",
    "Policy",
    "load_environment",
    "resolve_env_file",
]


__getattr__ = lazy_names(globals(), _WHERE)
