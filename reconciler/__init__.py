"""neon-reconciler: keeps PostgreSQL databases in the state declared in git.

The public entry point for programs is :func:`reconciler.engine.reconcile`; people use
the ``reconcile`` command (:mod:`reconciler.cli`).
"""

__all__ = ["__version__"]

__version__ = "0.1.0"
