"""SQL understanding, pure: statement splitting, migration-file structure, classification and lint.

Nothing here touches a database; it takes text and returns data.
"""

from reconciler.sql import deferred as _deferred

_deferred.install()
