"""One module per ``reconcile`` verb: ``FORMATS``, ``arguments(parser)`` and ``run(args)``."""
