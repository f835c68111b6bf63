"""pglast's AST classes and enums load on first use: reading and linting a plain migration does
not load them, and once used they are the modules they always were, from any thread."""

from __future__ import annotations

import json
import subprocess
import sys

_PROBE = """
import json, sys, threading
from reconciler.sql.migration import parse_migration
from reconciler.sql.lint import lint_migration
from reconciler.sql.lintconfig import LintConfig
from pglast import parser
out = {}
src = parse_migration("m.sql", "CREATE TABLE t (id bigint, x int);\\nALTER TABLE t ADD COLUMN y int;\\n")
out["lint"] = [d.code for d in lint_migration(src, "m.sql", False, LintConfig(strict=True))]
json.loads(parser.parse_sql_json("ALTER TABLE t ADD CONSTRAINT c CHECK (x > 0) NOT VALID"))
out["split_loaded"] = sorted(m for m in ("pglast.ast", "pglast.enums.nodes") if m in sys.modules
                             and "__getattr__" not in vars(sys.modules[m]))
if sys.argv[1] == "threads":
    import pglast.enums as enums
    names = ["ConstrType", "AlterTableType", "ObjectType", "DropBehavior", "NodeTag", "LockWaitPolicy"]
    got, errors = {}, []
    start = threading.Barrier(len(names))
    def first_use(name):
        start.wait()
        try:
            got[name] = getattr(enums, name).__name__
        except Exception as e:
            errors.append(repr(e))
    ts = [threading.Thread(target=first_use, args=(n,)) for n in names]
    [t.start() for t in ts]
    [t.join() for t in ts]
    out["threads"] = [sorted(got.values()) == sorted(names), errors]
else:
    stmt = parser.parse_sql("ALTER TABLE t ALTER COLUMN x SET NOT NULL")[0].stmt
    import pglast
    from pglast import ast, enums
    from pglast.enums import AlterTableType
    from pglast.enums.nodes import NodeTag
    out["ast"] = [type(stmt).__name__, stmt.cmds[0].subtype == AlterTableType.AT_SetNotNull,
                  pglast.ast is ast, pglast.enums is enums, isinstance(stmt, ast.AlterTableStmt),
                  NodeTag.__name__]
    try:
        enums.NoSuchEnum
        out["missing"] = "no error"
    except AttributeError as e:
        out["missing"] = str(e)
print(json.dumps(out))
"""


def _probe(mode: str) -> dict[str, object]:
    out = subprocess.run(
        [sys.executable, "-c", _PROBE, mode], capture_output=True, text=True, timeout=60
    )
    assert out.returncode == 0, out.stderr[-2000:]
    return dict(json.loads(out.stdout))


def test_splitting_and_the_json_tree_leave_the_ast_classes_unloaded() -> None:
    got = _probe("ast")
    assert got["lint"] == ["prefer-bigint", "prefer-bigint"]
    assert got["split_loaded"] == []
    assert got["ast"] == ["AlterTableStmt", True, True, True, True, "NodeTag"]
    assert got["missing"] == "module 'pglast.enums' has no attribute 'NoSuchEnum'"


def test_threads_using_them_first_at_once_all_get_them() -> None:
    got = _probe("threads")
    assert got["split_loaded"] == []
    assert got["threads"] == [True, []]
