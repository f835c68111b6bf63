"""The database edge: connections, bookkeeping schema, live-state reader, advisory lock, applier."""
