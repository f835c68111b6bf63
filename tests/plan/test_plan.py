"""Planning is pure and deterministic: desired x live -> actions, findings and a stable hash."""

from __future__ import annotations

import json

from reconciler.manifest import MemoryFiles, load_environment
from reconciler.plan import (
    AppliedMigration,
    ApplyMigration,
    ArchiveForum,
    DeleteConfig,
    LiveConfig,
    LiveForum,
    LiveState,
    PlanContext,
    UpsertConfig,
    UpsertForum,
    make_plan,
    render_plan,
)
from reconciler.policy import Approval, count_approvals, evaluate
from tests.manifest.test_load_errors import CONFIG, ENV, FORUM, MIG

M2 = "CREATE INDEX CONCURRENTLY i ON t (id);\n-- Rollback instructions:\n-- 1. DROP INDEX i;\n"


def desired(env: str = ENV, **extra: str):  # type: ignore[no-untyped-def]
    files = {
        "env/dev.yaml": env,
        "m/0001_init.sql": MIG,
        "m/0002_idx_safe.sql": M2,
        "config/xp.yaml": CONFIG,
        "forum.yaml": FORUM,
        **extra,
    }
    return load_environment("env/dev.yaml", MemoryFiles(files))  # type: ignore[arg-type]


def live(
    applied: dict[str, str] | None = None,
    config: dict | None = None,
    forums: dict | None = None,
    partial: dict[str, int] | None = None,
) -> LiveState:
    ms = {v: AppliedMigration(v, "x", c, True, 1) for v, c in (applied or {}).items()}
    for v, done in (partial or {}).items():
        ms[v] = AppliedMigration(v, "x", ms.pop(v).checksum if v in ms else "", False, done)
    return LiveState(True, ms, True, config or {}, True, forums or {})


def test_empty_database_plans_everything_in_order() -> None:
    d = desired()
    p = make_plan(d, LiveState(False))
    kinds = [a.kind for a in p.actions]
    assert kinds == [
        "apply_migration",
        "apply_migration",
        "upsert_config",
        "upsert_forum",
        "upsert_forum",
    ]
    mig = p.actions[1]
    assert isinstance(mig, ApplyMigration) and mig.no_transaction
    assert not p.findings  # tables missing, but pending migrations may create them


def test_in_sync_plan_is_empty_and_stable() -> None:
    d = desired()
    cs = {m.version: m.checksum for m in d.migrations}
    state = live(
        cs,
        {("xp", "daily_cap"): LiveConfig("xp", "daily_cap", 10, "", "reconciler:x")},
        {
            "a": LiveForum("a", None, "zone", "A", "", 1, {}, False),
            "b": LiveForum("b", "a", "forum", "B", "", 1, {}, False),
        },
    )
    p1, p2 = make_plan(d, state), make_plan(desired(), state)
    assert p1.empty and p1.hash == p2.hash
    assert "in sync" in render_plan(p1, "text")


def test_partial_database() -> None:
    d = desired()
    p = make_plan(d, live({"0001": d.migrations[0].checksum}))
    assert [a.version for a in p.migrations] == ["0002"]


def test_hash_changes_with_live_state_and_desired() -> None:
    d = desired()
    a = make_plan(d, live())
    b = make_plan(d, live(config={("xp", "other"): LiveConfig("xp", "other", 1, "", None)}))
    c = make_plan(desired(ENV.replace("name: dev", "name: dev")), live())
    assert a.hash != b.hash and a.hash == c.hash
    changed = desired(**{"config/xp.yaml": CONFIG.replace("value: 10", "value: 11")})
    assert make_plan(changed, live()).hash != a.hash


def test_every_field_of_every_action_moves_the_hash() -> None:
    """The hash reads each action as its kind and field values in order: a change to any
    field (a one-field action's too) is a new hash, and equal actions give equal hashes."""
    import dataclasses

    from reconciler.plan.compute import plan_hash

    examples = [
        ApplyMigration("0001", "init", "0001_init.sql", "abc", 2, False),
        UpsertConfig("xp", "rate", 10, "per post", 5, True),
        DeleteConfig("xp", "old", 3),
        UpsertForum("news", None, "forum", "News", "", 1, {"a": 1}),
        ArchiveForum("old"),
    ]
    for action in examples:
        base = plan_hash("dev", None, [action], [], "live")
        assert plan_hash("dev", None, [dataclasses.replace(action)], [], "live") == base
        for f in dataclasses.fields(action):
            value = getattr(action, f.name)
            other = (
                not value
                if isinstance(value, bool)
                else value + 1
                if isinstance(value, int)
                else {"a": 2}
                if isinstance(value, dict)
                else ("x",)
                if isinstance(value, tuple)
                else "unarchive"
                if f.name == "change"
                else f"{value}x"
            )
            changed = dataclasses.replace(action, **{f.name: other})
            assert plan_hash("dev", None, [changed], [], "live") != base, (action, f.name)
    # (the kind is part of it: a one-field action is not its characters)
    assert plan_hash("dev", None, [ArchiveForum("ab")], [], "live") != plan_hash(
        "dev", None, [ArchiveForum("a"), ArchiveForum("b")], [], "live"
    )


def test_checksum_mismatch_and_unknown_applied_block() -> None:
    d = desired()
    p = make_plan(d, live({"0001": "edited", "0002": d.migrations[1].checksum, "0009": "x"}))
    kinds = sorted(f.kind for f in p.findings)
    assert kinds == ["ChecksumMismatch", "UnknownApplied"]
    v = evaluate(d, p)
    assert v.status == "blocked"
    mismatch = next(f for f in p.findings if f.kind == "ChecksumMismatch")
    assert mismatch.location is not None and mismatch.location.file == "m/0001_init.sql"
    # told in version order (as numbers), whatever order the database gave the rows in
    rows = {"10": "x", "0002": d.migrations[1].checksum, "9": "y", "0001": "edited"}
    got = [f.subject for f in make_plan(d, live(rows)).findings]
    assert got == ["0001", "9", "10"]


def test_a_file_whose_applied_text_moved_to_another_version_is_told_renumbered() -> None:
    """A file inserted among applied ones (in a LOADORDER, a manifest, a folder's name order)
    moves every one after it to the next version: each was told "edited after it was applied",
    which it was not. Where another file holds the text a version was applied with, the
    error says the files were renumbered, naming where that text is now."""
    d = desired()
    first, second = d.migrations[0], d.migrations[1]
    p = make_plan(d, live({"0001": second.checksum}))
    (f,) = [f for f in p.findings if f.kind == "ChecksumMismatch"]
    assert f.message == (
        f"version 0001 was applied with the text of {second.filename}, which is version "
        f"0002 now, and {first.filename} takes its place: the files were renumbered, not edited"
    ), f.message
    assert f.location is not None and f.location.file == first.path
    # an edit is still an edit
    (f,) = [f for f in make_plan(d, live({"0001": "edited"})).findings]
    assert f.message == f"{first.filename} was edited after it was applied"


def test_out_of_order() -> None:
    d = desired()
    p = make_plan(d, live({"0002": d.migrations[1].checksum}))
    assert [f.kind for f in p.findings] == ["OutOfOrder"]
    assert evaluate(d, p).status == "blocked"
    d2 = desired(ENV + "policy: {allow_out_of_order: true}\n")
    assert evaluate(d2, make_plan(d2, live({"0002": d.migrations[1].checksum}))).status == "allowed"


def test_partially_applied_resumes() -> None:
    d = desired()
    cs = {m.version: m.checksum for m in d.migrations}
    state = LiveState(
        True,
        {
            "0001": AppliedMigration("0001", "x", cs["0001"], True, 1),
            "0002": AppliedMigration("0002", "x", cs["0002"], False, 1),
        },
        True,
        {},
        True,
        {},
    )
    p = make_plan(d, state)
    assert p.migrations[0].resume_from == 1
    assert "resume at statement 2" in render_plan(p, "text")


def test_config_drift_update_and_prune() -> None:
    d = desired(ENV + "policy: {prune_config: true}\n")
    state = live(
        config={
            ("xp", "daily_cap"): LiveConfig("xp", "daily_cap", 99, "", "admin"),
            ("xp", "stale"): LiveConfig("xp", "stale", 1, "", "reconciler:x"),
            ("other", "keep"): LiveConfig("other", "keep", 1, "", "admin"),
        }
    )
    p = make_plan(d, state)
    ups = [a for a in p.actions if isinstance(a, UpsertConfig)]
    dels = [a for a in p.actions if isinstance(a, DeleteConfig)]
    assert [(a.key, a.value, a.old_value) for a in ups] == [("daily_cap", 10, 99)]
    assert [(a.category, a.key) for a in dels] == [("xp", "stale")]  # undeclared category untouched
    assert [f.kind for f in p.findings] == ["ConfigDrift"]
    no_prune = make_plan(desired(), state)
    assert not [a for a in no_prune.actions if isinstance(a, DeleteConfig)]


def test_forums_archive_update_unarchive() -> None:
    d = desired()
    state = live(
        forums={
            "a": LiveForum("a", None, "zone", "Old name", "", 1, {}, False),
            "b": LiveForum("b", "a", "forum", "B", "", 1, {}, True),
            "gone": LiveForum("gone", "a", "forum", "G", "", 2, {}, False),
        }
    )
    p = make_plan(d, state)
    fa = [a for a in p.actions if isinstance(a, UpsertForum | ArchiveForum)]
    assert [(a.kind, a.slug, getattr(a, "change", None)) for a in fa] == [
        ("upsert_forum", "a", "update"),
        ("upsert_forum", "b", "unarchive"),
        ("archive_forum", "gone", None),
    ]
    assert fa[0].changed == ("name",)  # type: ignore[union-attr]


def test_missing_target_table_without_pending_migrations() -> None:
    d = desired()
    cs = {m.version: m.checksum for m in d.migrations}
    state = LiveState(
        True, {v: AppliedMigration(v, "x", c, True, 1) for v, c in cs.items()}, False, {}, True, {}
    )
    p = make_plan(d, state)
    assert [f.kind for f in p.findings] == ["MissingTargetTable"]
    assert evaluate(d, p).status == "blocked"


def test_policy_naming_rules_and_approvals() -> None:
    env = ENV + (
        "policy:\n  require_safe_suffix: true\n  require_rollback_section: true\n"
        "  approvals: {required: 2, approvers: [alice, bob, carol], sources: [database, kubernetes]}\n"
    )
    d = desired(env)
    p = make_plan(d, LiveState(False))
    v = evaluate(d, p)
    assert v.status == "blocked"
    assert [b.code for b in v.blockers] == ["require-safe-suffix"]  # 0001_init is not *_safe
    d2 = desired(env, **{"m/0001_init.sql": "CREATE TABLE t (id int);\n"})
    v2 = evaluate(d2, make_plan(d2, LiveState(False)))
    assert {b.code for b in v2.blockers} == {"require-safe-suffix", "require-rollback-section"}


def test_approvals_count_only_listed_distinct_current_hash() -> None:
    ok = [
        Approval("alice", "h1", "db"),
        Approval("alice", "h1", "k8s"),
        Approval("bob", "h0", "db"),
        Approval("mallory", "h1", "db"),
        Approval("carol", "h1", "db"),
    ]
    assert count_approvals(ok, "h1", ["alice", "bob", "carol"]) == ["alice", "carol"]


def test_renderers() -> None:
    d = desired()
    p = make_plan(d, LiveState(False))
    v = evaluate(d, p)
    doc = json.loads(render_plan(p, "json", v))
    assert doc["plan_hash"] == p.hash and doc["verdict"]["status"] == "allowed"
    assert doc["counts"] == {"apply_migration": 2, "upsert_config": 1, "upsert_forum": 2}
    md = render_plan(p, "markdown", v)
    assert md.startswith("### ✅ `dev`: allowed") and "| `+` | apply migration 0001_init" in md


def test_a_migration_in_a_versions_folder_is_shown_by_its_path_there() -> None:
    """54/01a.sql (Synapse's), 1.6/drop_chart.sql (LedgerSMB's) and 2.0/V2__x.sql (a Flyway
    tree) were all shown as "apply migration 54", "1.6", "2.0": many files alike. A folder
    kept per migration (Prisma's) is still shown by the folder."""
    from reconciler.plan.render import describe

    shown = [
        describe(ApplyMigration("0054.1", "01a", f, "abc", 1, False))
        for f in ("54/01a.sql", "1.6/drop_chart.sql", "20230101_init/migration.sql", "0001_a.sql")
    ]
    assert shown == [
        "apply migration 54/01a (1 statement)",
        "apply migration 1.6/drop_chart (1 statement)",
        "apply migration 20230101_init (1 statement)",
        "apply migration 0001_a (1 statement)",
    ]


def test_hash_does_not_depend_on_where_it_is_computed() -> None:
    files = {
        "env/dev.yaml": ENV,
        "m/0001_init.sql": MIG,
        "config/xp.yaml": CONFIG,
        "forum.yaml": FORUM,
    }
    here = load_environment("env/dev.yaml", MemoryFiles(files))  # type: ignore[arg-type]
    there = load_environment(
        "/home/ci/checkout/env/dev.yaml",
        MemoryFiles({f"/home/ci/checkout/{k}": v for k, v in files.items()}),
    )  # type: ignore[arg-type]
    assert make_plan(here, LiveState(False)).hash == make_plan(there, LiveState(False)).hash


def test_another_tools_history_without_ours_blocks_running_every_file_again() -> None:
    """Another tool's history table and none of ours: every file would run again on what that
    tool made, so the plan has an error finding naming the tool and the baseline to take;
    with any history of ours (a baseline taken), or a plan of config alone, there is none."""
    d = desired()
    others = ("public.flyway_schema_history", "sqitch.changes")
    p = make_plan(d, LiveState(False, other_histories=others))
    (f,) = [f for f in p.findings if f.kind == "OtherToolHistory"]
    assert f.severity == "error" and "holds Flyway and sqitch's migration history" in f.message
    assert f.hint is not None and "--baseline VERSION" in f.hint
    assert evaluate(d, p).allowed is False
    first = next(m for m in d.migrations)
    ours = live({first.version: first.checksum})
    ours = LiveState(True, ours.migrations, True, {}, True, {}, other_histories=others)
    assert not [f for f in make_plan(d, ours).findings if f.kind == "OtherToolHistory"]
    only_config = make_plan(
        d, LiveState(False, other_histories=others), PlanContext(scope="config")
    )
    assert not [f for f in only_config.findings if f.kind == "OtherToolHistory"]


def test_what_another_tools_history_applied_last_is_read_as_its_file_is_named() -> None:
    """Each tool's rows say it differently: Flyway's last successful version by rank,
    Liquibase's last file, dbmate's and golang-migrate's highest version, goose's last
    applied, yoyo's and node-pg-migrate's last names, Prisma's last finished folder, sqitch's
    last change; None where nothing can be told."""
    from reconciler.plan.live import last_applied, tells_last_applied

    rows = [
        {"installed_rank": 1, "version": "1", "success": True},
        {"installed_rank": 2, "version": "1.1", "success": True},
        {"installed_rank": 3, "version": "2", "success": False},
        {"installed_rank": 4, "version": None, "success": True},  # (a repeatable one)
    ]
    assert last_applied("public.flyway_schema_history", rows) == "1.1"
    lb = [
        {"orderexecuted": 1, "filename": "db/a.sql"},
        {"orderexecuted": 2, "filename": "db\\b.sql"},
    ]
    assert last_applied("public.databasechangelog", lb) == "b.sql"
    dbmate = [{"version": "20230101000000"}, {"version": "20240101000000"}, {"version": "x"}]
    assert last_applied("public.schema_migrations", dbmate) == "20240101000000"
    assert last_applied("public.schema_migrations", [{"version": 9, "dirty": False}]) == "9"
    goose = [
        {"id": 1, "version_id": 0, "is_applied": True},
        {"id": 2, "version_id": 3, "is_applied": True},
    ]
    assert last_applied("public.goose_db_version", goose) == "3"
    prisma = [
        {"migration_name": "20230101_init", "finished_at": "t", "rolled_back_at": None},
        {"migration_name": "20230102_bad", "finished_at": None, "rolled_back_at": None},
    ]
    assert last_applied("public._prisma_migrations", prisma) == "20230101_init"
    yoyo = [{"migration_id": "20230419_01_abcde-a", "applied_at_utc": "2023-04-19"}]
    assert last_applied("public._yoyo_migration", yoyo) == "20230419_01_abcde-a"
    sq = [
        {"change": "users", "committed_at": "2024-01-02"},
        {"change": "init", "committed_at": "2024-01-01"},
    ]
    assert last_applied("sqitch.changes", sq) == "users"
    assert last_applied("public.flyway_schema_history", []) is None
    assert last_applied("public.flyway_schema_history", [{"rank": 1}]) is None  # (other columns)
    assert not tells_last_applied("public.alembic_version")
    assert last_applied("public.alembic_version", [{"version_num": "abc"}]) is None
    # Synapse's deltas: by version, then in name order, as "<version>/<file>"
    synapse = [
        {"version": 58, "file": "58/29create_registration_tokens.sql"},
        {"version": 59, "file": "59/04_event_auth_chains.sql.postgres"},
        {"version": 59, "file": "59/02shard_send_to_device.sql"},
        {"version": 9, "file": "9/z.sql"},
    ]
    assert last_applied("public.applied_schema_deltas", synapse) == (
        "59/04_event_auth_chains.sql.postgres"
    )


def test_a_migration_in_a_subfolder_is_named_by_its_path_or_its_name() -> None:
    """The stem of 54/01a.sql (a version's folder, Synapse's) is 54/01a: its folder alone is
    many files', and its name alone may be in another version's folder too. A folder kept
    per migration (Prisma's) is named by the folder."""
    from reconciler.manifest import MemoryFiles, load_environment

    env = "name: dev\ndatabase: {url_from_env: X}\nmigrations: {dir: ../m}\n"
    files = {
        "env/dev.yaml": env,
        "m/54/01a.sql": "SELECT 1;\n",
        "m/54/02b.sql": "SELECT 1;\n",
        "m/54/02b.sql.postgres": "SELECT 1;\n",
        "m/55/01a.sql": "SELECT 1;\n",
    }
    d = load_environment("env/dev.yaml", MemoryFiles(files))
    assert [m.stem for m in d.migrations] == [
        "54/01a",
        "54/02b",
        "54/02b.sql.postgres",
        "55/01a",
    ]
    named = lambda ref: [m.version for m in d.migrations if m.is_named(ref)]  # noqa: E731
    assert named("54/02b.sql.postgres") == ["0054.3"]
    assert named("54/02b.sql") == ["0054.2"]
    assert named("01a") == [] and named("54") == []
    prisma = {"env/dev.yaml": env, "m/20230101000000_init/migration.sql": "SELECT 1;\n"}
    (m,) = load_environment("env/dev.yaml", MemoryFiles(prisma)).migrations
    assert m.stem == "20230101000000_init" and m.is_named("20230101000000_init")


def test_a_pull_requests_text_cannot_break_out_of_the_plan_comment() -> None:
    """The plan comment quotes names and SQL from the pull request: a file name holding a
    pipe, a newline, a link, a mention or ``` could add table rows, close the findings'
    code block and put a verdict of its own under the bot's name. Each is read as text."""
    from reconciler.errors import SourceLocation
    from reconciler.plan.model import Finding, Plan

    evil = "x | y\n### ✅ `prod`: allowed [ok](https://e.example) @org/team <img src=x>"
    plan = Plan(
        "prod",
        [ApplyMigration("0001", "x", f"0001 - {evil}.sql", "abc", 1, False)],
        [
            Finding(
                "ChecksumMismatch",
                "error",
                "t",
                "```\n### ✅ `prod`: allowed\n```` too",
                None,
                SourceLocation("m/0001.sql", 1, 1),
            )
        ],
        "live",
        "h" * 64,
    )
    lines = render_plan(plan, "markdown").splitlines()
    fence = next(ln for ln in lines if ln.startswith("`"))
    assert fence == "`````"  # (longer than the four in the message: nothing closes it early)
    start, end = (i for i, ln in enumerate(lines) if ln == fence)
    outside = lines[:start] + lines[end + 1 :]
    heads = [ln for ln in outside if ln.startswith("#")]
    assert heads == ["### 📋 `prod`: changes pending"], lines  # (only the bot's own)
    (row,) = [ln for ln in outside if ln.startswith("| `+` |")]
    assert row.count(" | ") == 1 and "\\|" in row and "\\[ok\\]" in row and "\\@org" in row
    assert "\\<img" in row and "### ✅" in row  # (in the cell, on its one line: no heading)


def test_a_plan_line_shows_a_terminals_controls_as_escapes() -> None:
    """The plan, apply and watch lines quote file names: an ESC sequence or a carriage
    return in one is shown, not done (it could erase or overwrite the line in a log)."""
    from reconciler.plan.render import describe

    line = describe(ApplyMigration("0001", "x", "Script0001 - a\x1b[2K\rb.sql", "abc", 1, False))
    assert line == "apply migration Script0001 - a\\x1b[2K\\x0db (1 statement)"
