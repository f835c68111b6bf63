"""The desired state, pure: environment YAML, migration files, config and forum map -> models.

Reads files only through the :class:`~reconciler.manifest.fs.Files` interface it is given.
"""

from reconciler.manifest.desired import ConfigEntry, Desired, DesiredMigration, ForumNode
from reconciler.manifest.fs import Files, MemoryFiles
from reconciler.manifest.load import load_environment, resolve_env_file
from reconciler.manifest.models import EnvironmentSpec, Policy

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
