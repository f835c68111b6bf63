"""``python -m reconciler`` runs the ``reconcile`` command."""

from reconciler.cli import _entry

_entry()
