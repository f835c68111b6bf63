"""pg_dump backups for plain PostgreSQL: custom-format dumps, verified, kept, restored.

A backup is ``<dir>/<env>/<utc>-<plan8>.dump`` made with ``pg_dump -Fc`` (the embedded
server's pg_dump, PostgreSQL 16) and verified by ``pg_restore --list`` before the apply may
go on. Restore replays it with ``--clean --if-exists`` in one transaction, leaving out the
reconciler's audit trail, outbox and approvals, so restoring never erases audit history.
Passwords travel in PGPASSWORD, never on a command line.
"""

from __future__ import annotations

import os
import re
import tempfile
from datetime import UTC, datetime
from pathlib import Path

from reconciler.backup import backup_name
from reconciler.conninfo import tool_target
from reconciler.embedded import pg_tool, run_tool
from reconciler.errors import ReconcilerError
from reconciler.ports import BackupInfo, Target

__all__ = ["PgDumpBackupProvider"]

# audit history must survive a restore: these are left out of it
_KEEP_ON_RESTORE = re.compile(
    r"\breconciler (audit_log|audit_outbox|approvals|environments|reject_audit_change|"
    r"reject_approval_change|reject_outbox_removal|force_approver|stamp_audit|approve|"
    r"refuse_approval|"
    r"audit_log_\w+|audit_outbox_\w+|approvals_\w+|environments_\w+)\b"
    r"|SCHEMA - reconciler\b|COMMENT - SCHEMA reconciler\b"
)
_NAME = re.compile(r"\d{8}T\d{6}\.\d{3}Z-[0-9a-f]{8}\.dump")
_TABLE_ENTRY = re.compile(r"^\d+; \d+ \d+ TABLE (\S+) (\S+) ")


class PgDumpBackupProvider:
    name = "pg_dump"

    def __init__(self, folder: Path) -> None:
        self.folder = folder

    def _dir(self, environment: str) -> Path:
        return self.folder / environment

    def _run(self, args: list[str], env: dict[str, str], what: str) -> str:
        return run_tool(
            args,
            env,
            what,
            code="backup-failed",
            hint="the embedded pg_dump is PostgreSQL 16: it can dump servers up to 16",
        )

    def backup(self, environment: str, plan_hash: str, target: Target) -> BackupInfo:
        name = backup_name(environment, plan_hash)
        path = self._dir(environment) / (name.rsplit("/", 1)[1] + ".dump")
        path.parent.mkdir(parents=True, exist_ok=True)
        url, env = tool_target(target.url)
        if path.exists():
            raise ReconcilerError(
                f"backup {path.name} already exists",
                code="backup-failed",
                hint="two backups in the same millisecond; try again",
            )
        tmp = path.with_suffix(".partial")
        self._run([pg_tool("pg_dump"), "-Fc", "-f", str(tmp), "-d", url], env, "pg_dump")
        listing = self._run([pg_tool("pg_restore"), "--list", str(tmp)], env, "verifying the dump")
        if "; Archive created at" not in listing:
            tmp.unlink(missing_ok=True)
            raise ReconcilerError("the dump is empty or unreadable", code="backup-failed")
        os.replace(tmp, path)
        return BackupInfo(str(path), name, datetime.now(UTC).isoformat(), self.name)

    def backups(self, environment: str) -> list[BackupInfo]:
        d = self._dir(environment)
        if not d.is_dir():
            return []
        out = []
        for p in d.glob("*.dump"):
            if _NAME.fullmatch(p.name):
                stamp = datetime.strptime(p.name[:19], "%Y%m%dT%H%M%S.%f")
                created = stamp.replace(tzinfo=UTC).isoformat()
                out.append(
                    BackupInfo(
                        str(p), f"reconciler/backup/{environment}/{p.stem}", created, self.name
                    )
                )
        return sorted(out, key=lambda b: b.name, reverse=True)

    def prune(self, environment: str, keep: int) -> list[str]:
        deleted = []
        for b in self.backups(environment)[keep:]:
            Path(b.id).unlink(missing_ok=True)
            deleted.append(b.name)
        return deleted

    def restore(self, environment: str, backup_id: str, target: Target) -> str:
        match = [
            b for b in self.backups(environment) if backup_id in (b.id, b.name, Path(b.id).name)
        ]
        if not match:
            raise ReconcilerError(
                f"{backup_id!r} is not a backup of {environment}",
                code="unknown-backup",
                hint=f"reconcile backups --env {environment} lists them",
            )
        dump = match[0].id
        url, env = tool_target(target.url)
        # the state being replaced is itself kept, as Neon's restore keeps the old head
        preserved = self.backup(environment, "0" * 8 + "restore", target)
        listing = self._run([pg_tool("pg_restore"), "--list", dump], env, "reading the dump")
        kept = [line for line in listing.splitlines() if not _KEEP_ON_RESTORE.search(line)]
        archived = {(m.group(1), m.group(2)) for line in kept if (m := _TABLE_ENTRY.search(line))}
        import psycopg

        with psycopg.connect(target.url, autocommit=True) as conn:
            current = conn.execute(
                "SELECT n.nspname, c.relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace "
                "WHERE c.relkind IN ('r', 'p') AND n.nspname NOT IN ('pg_catalog', 'information_schema', "
                "'reconciler') AND n.nspname NOT LIKE 'pg_%'"
            ).fetchall()
        extras = sorted({(str(s), str(t)) for s, t in current} - archived)
        with tempfile.TemporaryDirectory() as d:
            toc = Path(d) / "restore.list"
            toc.write_text("\n".join(kept) + "\n")
            script = self._run(
                [
                    pg_tool("pg_restore"),
                    "--clean",
                    "--if-exists",
                    "--no-owner",
                    "-L",
                    str(toc),
                    "-f",
                    "-",
                    dump,
                ],
                env,
                "reading the dump",
            )
            # tables made after the backup go too, so the schema matches its migration history;
            # psql runs it all in one transaction: the restore happens whole or not at all
            prelude = "".join(f'DROP TABLE IF EXISTS "{s}"."{t}" CASCADE;\n' for s, t in extras)
            sql_file = Path(d) / "restore.sql"
            sql_file.write_text(prelude + script)
            self._run(
                [
                    pg_tool("psql"),
                    "--single-transaction",
                    "-v",
                    "ON_ERROR_STOP=1",
                    "-q",
                    "-X",
                    "-d",
                    url,
                    "-f",
                    str(sql_file),
                ],
                env,
                "restoring the dump",
            )
        return preserved.name
