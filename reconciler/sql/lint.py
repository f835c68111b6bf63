"""Linting one migration file under an environment's policy: rules, severities, suppressions.

Severity: a rule's ``severity`` in strict environments, its ``relaxed`` severity elsewhere
(None: silent), then ``policy.rules`` overrides (error | warning | off). Emergency applies
turn errors into warnings, except unparsed SQL and credentials. Suppression:
``-- reconciler:ignore rule-id[, rule-id] -- reason`` on its own line covers the next
statement (at the end of a statement's line, that statement; file-level rules: anywhere in
the file). The reason is mandatory, and an ignore that suppresses nothing is reported.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import replace
from functools import cache
from typing import Any

from reconciler.errors import Diagnostic, SourceLocation
from reconciler.sql.classify import DYNAMIC_NAME, StatementInfo, always_true, classify
from reconciler.sql.lintconfig import LintConfig
from reconciler.sql.migration import Ignore, MigrationSource
from reconciler.sql.ruleids import FIXED_RULES
from reconciler.sql.rules import RULES, FileContext, Hit, Rule, StatementContext
from reconciler.sql.rules.base import created_object, created_table, name_key
from reconciler.sql.split import Statement

__all__ = ["NEVER_RELAXED", "TRACE_RULES", "LintConfig", "lint_migration", "statement_ignores"]

NEVER_RELAXED = frozenset({"unparsed-statement", "ban-credentials"}) | FIXED_RULES
# findings of `reconcile check --trace`; they may be ignored like rules
TRACE_RULES = frozenset(
    {"trace-access-exclusive", "trace-brief-exclusive", "trace-table-rewrite", "trace-failed"}
)


@cache
def _rules_for(kind: str) -> tuple[Rule, ...]:
    return tuple(
        r for r in RULES.values() if r.check is not None and (r.kinds is None or kind in r.kinds)
    )


def _severity(rule: Rule, cfg: LintConfig) -> str | None:
    sev: str | None = rule.severity if cfg.strict else rule.relaxed
    if rule.id in cfg.overrides and rule.id not in FIXED_RULES:
        sev = None if cfg.overrides[rule.id] == "off" else cfg.overrides[rule.id]
    if sev == "error" and cfg.emergency and rule.id not in NEVER_RELAXED:
        sev = "warning"
    return sev


_DATA_RULES = frozenset({"ban-unlisted-operation", "ban-delete"})


def _bounded_data_change(rule_id: str, info: StatementInfo) -> bool:
    """INSERT ... ON CONFLICT, or UPDATE / DELETE with a WHERE: let through in a DATA file."""
    if rule_id not in _DATA_RULES:
        return False
    if info.node == "InsertStmt":
        return bool(info.tree.get("onConflictClause"))
    if info.node in ("UpdateStmt", "DeleteStmt"):
        where = info.tree.get("whereClause")
        return bool(where) and not always_true(where)
    return False


def _failure(what: str, e: Exception, path: str, where: Statement, strict: bool) -> Diagnostic:
    """A located finding for a part of the checker that failed: the statement is not known
    to be safe (an error in strict environments), and the other files are still checked."""
    return Diagnostic(
        "checker-failed",
        f"{what} failed on this statement ({type(e).__name__}), so it is not known to be safe",
        SourceLocation(path, where.line, where.col),
        "a bug in neon-reconciler: report it with the statement; until it is fixed, run this "
        "statement by hand as a reviewed operator decision",
        "error" if strict else "warning",
    )


def _classify(stmt: Statement, path: str, strict: bool, failed: list[Diagnostic]) -> StatementInfo:
    """The statement read, or (when reading it fails) unread: no rule takes it for safe."""
    try:
        return classify(stmt)
    except Exception as e:
        failed.append(_failure("reading the statement", e, path, stmt, strict))
        info = StatementInfo(stmt, "unknown")
        info.why_unparsed = "the checker failed to read it"
        return info


def _target_statement(ig: Ignore, statements: list[Statement]) -> int | None:
    """The index of the statement an ignore covers: the one starting on its line (a trailing
    comment), else the next one."""
    for n, stmt in enumerate(statements):
        if stmt.line == ig.line:
            return n
    return next((n for n, s in enumerate(statements) if s.line > ig.line), None)


def statement_ignores(source: MigrationSource) -> dict[int, set[str]]:
    """Statement line -> rule ids an ignore directive (with a reason) suppresses there."""
    out: dict[int, set[str]] = {}
    for ig in source.ignores:
        target = _target_statement(ig, source.statements)
        if target is not None and ig.reason:
            out.setdefault(source.statements[target].line, set()).update(ig.rules)
    return out


def _sets_search_path(info: StatementInfo) -> bool:
    """SET [LOCAL] search_path, RESET, or a set_config('search_path', ...): unqualified names
    may mean other objects from here on."""
    if info.node == "VariableSetStmt":
        return info.tree.get("name") == "search_path" or info.tree.get("kind") == "VAR_RESET_ALL"
    return info.node in ("SelectStmt", "DoStmt") and "search_path" in (info.raw or "")


def lint_migration(
    source: MigrationSource,
    filename: str,
    safe_suffix: bool,
    cfg: LintConfig,
    proven: frozenset[tuple[str, str, str]] = frozenset(),
) -> list[Diagnostic]:
    """Every problem of one file, sorted by position. Pure: text in, diagnostics out.
    ``proven``: what earlier migrations of the history proved (reconciler.sql.proofs)."""
    path = source.path
    failed: list[Diagnostic] = []
    infos = [_classify(s, path, cfg.strict, failed) for s in source.statements]
    fctx = FileContext(
        source,
        filename,
        safe_suffix,
        cfg.strict,
        cfg.require_safe_suffix,
        cfg.require_rollback_section,
        infos,
        {"lock_timeout": cfg.lock_timeout, "statement_timeout": cfg.statement_timeout},
        proven,
    )
    raw: list[tuple[Rule, Hit, StatementInfo | None]] = []

    def checked(
        rule: Rule, check: Callable[[Any], Iterable[Hit]], arg: object, where: Statement
    ) -> list[Hit]:
        """The rule's hits, or none and a located error saying it failed: a bug in one rule
        never lets a statement through unjudged, nor stops the other files being checked."""
        try:
            return list(check(arg))
        except Exception as e:
            failed.append(_failure(rule.id, e, path, where, cfg.strict))
            return []

    for rule in RULES.values():
        if rule.check_file is not None:
            first = source.statements[0] if source.statements else Statement(0, "", "", 1, 1, 1)
            raw.extend((rule, h, None) for h in checked(rule, rule.check_file, fctx, first))
    # what earlier statements created, as written and bare (read by the checks of each later
    # statement, which never keep them; grown after each statement's checks)
    new_tables: set[str] = set()
    new_objects: set[str] = set()
    path_changes = 0
    for info in infos:
        # a DO block's statements are linted like the file's own, located on their lines and
        # suppressed by what suppresses the DO statement
        for one in [info, *info.children]:
            if _sets_search_path(one):
                path_changes += 1
            ctx = StatementContext(one, fctx, new_tables, new_objects, path_changes)
            for rule in _rules_for(one.kind):
                assert rule.check is not None
                for h in checked(rule, rule.check, ctx, one.stmt):
                    if one is not info and h.line is None:
                        h = replace(h, line=one.stmt.line, col=one.stmt.col)
                    raw.append((rule, h, info))
            # a name an EXECUTE gets at run time is none the file made
            t = created_table(one)
            if t and DYNAMIC_NAME not in t:
                new_tables.add(name_key(t, path_changes))
            made = created_object(one)
            if made and DYNAMIC_NAME not in made:
                new_objects.add(name_key(made, path_changes))

    out: list[Diagnostic] = list(failed)
    allow_unparsed = source.directives.get("allow-unparsed", "").lstrip("- ").strip()
    if "allow-unparsed" in source.directives and not allow_unparsed:
        out.append(
            Diagnostic(
                "bad-directive",
                "allow-unparsed needs a reason",
                SourceLocation(path),
                "write `-- reconciler:allow-unparsed -- <why this was reviewed>`",
            )
        )
    targets: dict[int, StatementInfo | None] = {}
    used: set[int] = set()
    for n, ig in enumerate(source.ignores):
        at = _target_statement(ig, source.statements)
        targets[n] = infos[at] if at is not None else None
        loc = SourceLocation(path, ig.line, 1)
        if not ig.reason:
            out.append(
                Diagnostic(
                    "bad-directive",
                    f"ignore of {', '.join(ig.rules)} has no reason",
                    loc,
                    "the reason is mandatory: `-- reconciler:ignore <id> -- <reason>`",
                )
            )
        for r in ig.rules:
            if r in FIXED_RULES:
                out.append(
                    Diagnostic(
                        "bad-directive",
                        f"{r} cannot be ignored: it guards the tool's own history, approvals "
                        "and audit log",
                        loc,
                        "keep the migration out of the reconciler schema",
                    )
                )
            elif r not in RULES and r not in TRACE_RULES:
                out.append(
                    Diagnostic(
                        "bad-directive",
                        f"ignore names unknown rule {r!r}",
                        loc,
                        "see docs/rules/ for the rule ids",
                    )
                )

    reviewed: set[int] = set()  # statement lines where a precise rule was ignored with a reason

    def suppressed(rule: Rule, info: StatementInfo | None) -> Ignore | None:
        if rule.id in FIXED_RULES:
            return None
        for n, ig in enumerate(source.ignores):
            if rule.id in ig.rules and ig.reason and (info is None or targets[n] is info):
                used.add(n)
                if info is not None:
                    reviewed.add(info.stmt.line)
                return ig
        return None

    seen: set[tuple[str, int, str]] = set()
    precise: set[int] = set()  # lines where a statement's precise rule reported an error
    anchored: dict[int, int] = {}  # an allow-list diagnostic -> the line its statement starts on
    data_file = cfg.data_migration and source.header.get("type", "").upper().startswith("DATA")
    fixed: list[Diagnostic] = []  # what would break the apply itself, whatever the policy
    for rule, hit, where in raw:
        sev = "error" if hit.fixed else _severity(rule, cfg)
        if sev is None:
            continue
        waiver = suppressed(rule, where)
        if waiver is not None and not hit.fixed:
            if sev == "error":  # what an approver of the plan is told was waived, and why
                line = hit.line or (where.stmt.line if where else 0)
                if ("waived", line, rule.id + hit.message) not in seen:
                    seen.add(("waived", line, rule.id + hit.message))
                    out.append(
                        Diagnostic(
                            "waived",
                            f"{rule.id} waived by an ignore: {hit.message}",
                            SourceLocation(path, line, hit.col or 1)
                            if line
                            else SourceLocation(path),
                            f"the reason given: {waiver.reason}",
                            "info",
                        )
                    )
            continue
        if data_file and where is not None and _bounded_data_change(rule.id, where):
            continue  # what a reviewed DATA migration is for
        if rule.id == "unparsed-statement" and allow_unparsed and sev == "error":
            sev = "warning"
        line = hit.line if hit.line is not None else (where.stmt.line if where else 0)
        col = (
            hit.col
            if hit.col is not None
            else (where.stmt.col if where and hit.line is None else 1)
        )
        key = (rule.id, line, hit.message)
        if key in seen:
            continue
        seen.add(key)
        if where is not None and sev == "error" and rule.id != "ban-unlisted-operation":
            precise.add(line)
        loc = SourceLocation(path, line, col) if line else SourceLocation(path)
        message = hit.message
        if where is not None and where.kind == "do":  # a name an EXECUTE gets at run time
            message = message.replace(DYNAMIC_NAME, "<a name given at run time>")
        out.append(Diagnostic(rule.id, message, loc, hit.help, sev))  # type: ignore[arg-type]
        if rule.id == "ban-unlisted-operation" and where is not None:
            anchored[id(out[-1])] = where.stmt.line  # (the statement's, wherever the hit is)
        if hit.fixed:
            fixed.append(out[-1])

    # in strict environments, the allow-list rule speaks only where no precise rule did (about
    # a statement: a finding about the whole file, located on its first line, says nothing of it)
    precise |= reviewed
    out = [
        d
        for d in out
        if not (
            d.code == "ban-unlisted-operation"
            and d.location
            and anchored.get(id(d), d.location.line) in precise
        )
    ]
    for n, ig in enumerate(source.ignores):
        if (
            n not in used and ig.reason and all(r in RULES for r in ig.rules)
        ):  # trace ignores: see check
            out.append(
                Diagnostic(
                    "unused-ignore",
                    f"ignore of {', '.join(ig.rules)} suppresses nothing",
                    SourceLocation(path, ig.line, 1),
                    "remove the directive",
                    "warning",
                )
            )
    if cfg.history:  # a file before migrations.checked_from: never held to the policy
        out = fixed
    return sorted(out, key=lambda d: ((d.location.line if d.location else 0), d.code))
