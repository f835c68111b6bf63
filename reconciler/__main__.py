"""``python -m reconciler`` runs the ``reconcile`` command."""

import sys

from reconciler.cli import main

sys.exit(main())
