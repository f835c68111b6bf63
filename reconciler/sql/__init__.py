"""SQL understanding, pure: statement splitting, migration-file structure, classification and lint.

Nothing here touches a database; it takes text and returns data.
"""
