"""Writing a new migration file from the template (the original's ``migration:template``)."""

from __future__ import annotations

import json
import os
import posixpath
import re
import secrets
import string
from datetime import UTC, datetime

from reconciler.engine.request import Request
from reconciler.engine.session import load
from reconciler.errors import ReconcilerError
from reconciler.files import LocalFiles
from reconciler.manifest.load import (
    LOAD_ORDER,
    dated_name,
    release_after_words,
    release_script,
    sqitch_project,
    upgrade_script,
    version_folder_of,
)
from reconciler.manifest.sqitch import SqitchLayout
from reconciler.sql.migration import DBCONFIG_SCRIPT, is_repeatable, version_key

__all__ = ["new_migration"]

# what `yoyo new` writes: <yyyymmdd>_<nn>_<random id of 5>-<message>.sql
_YOYO_FILE = re.compile(r"^(?P<day>\d{8})_(?P<n>\d{2})_[A-Za-z0-9]{5}(?:-.*)?\.sql$")


def _next_release(release: str) -> str:
    """The next patch release after ``release``, its last part as wide as before and joined
    as before (2.8.1: 2.8.2; 4: 5; 009: 010; 14-8: 14-9)."""
    head, tail = re.fullmatch(r"(.*?)(\d+)", release).groups()  # type: ignore[union-attr]
    return head + str(int(tail) + 1).zfill(len(tail))


def _strict_readers(request: Request, folder: str) -> list[str]:
    """Environments under the root that read ``folder`` and require the _safe suffix."""
    from reconciler.errors import ManifestError

    out = []
    envs = os.path.join(request.root, "environments")
    for name in sorted(os.listdir(envs)) if os.path.isdir(envs) else []:
        if not name.endswith((".yaml", ".yml")):
            continue
        try:
            d = load(Request(os.path.join(envs, name), root=request.root))
        except ManifestError:
            continue  # a broken neighbour is its own problem; it is reported when used
        mine = os.path.realpath(os.path.join(os.path.dirname(d.env_file), d.env.migrations.dir))
        if mine == folder and (d.env.policy.strict or d.env.policy.require_safe_suffix):
            out.append(d.env.name)
    return out


def new_migration(request: Request, name: str, kind: str = "SAFE") -> str:
    """Write the next numbered file; named ``_safe`` when any environment reading the folder
    requires it (a file written for dev is promoted to prod later). Returns its path. A file
    or folder in the way (a stray one of the next name) is a ReconcilerError, never
    overwritten."""
    try:
        return _new_migration(request, name, kind)
    except FileExistsError as e:
        raise ReconcilerError(
            f"{e.filename} is there already",
            code="bad-name",
            hint="pick another name, or move the stray file or folder out of the way",
        ) from None


def _new_migration(request: Request, name: str, kind: str) -> str:
    from reconciler.sql.template import migration_filename, render_template

    desired = load(request)
    folder = os.path.normpath(
        os.path.join(os.path.dirname(desired.env_file), desired.env.migrations.dir)
    )
    policy = desired.env.policy
    safe = policy.strict or policy.require_safe_suffix
    safe = safe or bool(_strict_readers(request, os.path.realpath(folder)))
    # (a repeatable migration has no number: the next one follows the versioned ones)
    versioned = [m for m in desired.migrations if not is_repeatable(m.version)]
    try:
        filename = migration_filename((m.version for m in versioned), name, safe=safe)
        text = render_template(name, datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"), kind)
    except ValueError as e:
        raise ReconcilerError(
            str(e), code="bad-name", hint="e.g. reconcile new add_user_prefs"
        ) from None
    last = max(versioned, key=lambda m: version_key(m.version), default=None)
    # (the layout the loader read the history by; its problems were reported by the load)
    sqitch = sqitch_project(folder, LocalFiles().listdir(folder), LocalFiles(), [])
    if sqitch is not None:
        return _sqitch_add(folder, sqitch, filename.split("_", 1)[1].removesuffix(".sql"), text)
    listed = ""  # the line to add to a LedgerSMB LOADORDER for the new file
    flyway = last is not None and re.match(
        r"^V\d+(?:[._]\d+)*__", posixpath.basename(last.filename)
    )
    if last is not None and not flyway and (in_version := version_folder_of(last.filename)):
        # a folder per version (Synapse's 54/, Temporal's v1.1/ with its manifest.json): the
        # next release's folder, holding the new file (and a manifest listing it, as the
        # newest folder has one); beside a LedgerSMB LOADORDER, the newest folder
        newest_folder = last.filename.partition("/")[0]
        stem = filename.removesuffix(".sql").split("_", 1)[1]
        release = newest_folder[: in_version.start("version")] + _next_release(
            in_version["version"]
        )
        if os.path.exists(os.path.join(folder, LOAD_ORDER)):
            # LedgerSMB's: the newest release's folder takes the change, listed last
            path = os.path.join(folder, newest_folder, f"{stem}.sql")
            listed = f"{newest_folder}/{stem}.sql"
        elif os.path.exists(os.path.join(folder, newest_folder, "manifest.json")):
            os.mkdir(os.path.join(folder, release))
            path = os.path.join(folder, release, f"{stem}.sql")
            with open(os.path.join(folder, release, "manifest.json"), "x", encoding="utf-8") as f:
                number = _next_release(in_version["version"])
                f.write(
                    json.dumps(
                        {
                            "CurrVersion": number,
                            "MinCompatibleVersion": number,
                            "Description": stem.removesuffix("_safe").replace("_", " "),
                            "SchemaUpdateCqlFiles": [f"{stem}.sql"],
                        },
                        indent=2,
                    )
                    + "\n"
                )
        else:
            os.mkdir(os.path.join(folder, release))
            path = os.path.join(folder, release, f"01_{stem}.sql")
    elif last is not None and "/" in last.filename and not flyway:
        # the history is kept a folder per migration (Prisma's, Diesel's, Hasura's): the new
        # one too, versioned by the time as those tools do (after the newest, whatever the
        # clock)
        inner = last.filename.rpartition("/")[2]
        now = datetime.now(UTC)
        newest = version_key(last.version)[0]
        if len(str(newest)) == 13:  # Hasura's: milliseconds since 1970, 1612345678901_name
            version = str(max(int(now.timestamp() * 1000), newest + 1))
        else:
            version = str(max(int(now.strftime("%Y%m%d%H%M%S")), newest + 1))
            if re.match(r"\d{4}-\d\d-\d\d-\d{6}_", last.filename):  # Diesel's dashes
                version = f"{version[:4]}-{version[4:6]}-{version[6:8]}-{version[8:]}"
        path = os.path.join(folder, f"{version}_{filename.split('_', 1)[1].removesuffix('.sql')}")
        os.mkdir(path)
        if inner == "up.sql":  # (Diesel and Hasura keep the undo beside it)
            with open(os.path.join(path, "down.sql"), "x", encoding="utf-8") as f:
                f.write(
                    "-- The undo of up.sql, for this tool's own down command: the reconciler\n"
                    "-- never runs it (write the same steps in up.sql's rollback section).\n"
                )
        path = os.path.join(path, inner)
    elif last is not None and _YOYO_FILE.match(last.filename):
        # a yoyo history: what `yoyo new` writes, <day>_<nn>_<random id>-<message>.sql, the
        # next number of the day (of the last one's, if the clock is behind it)
        day = max(datetime.now(UTC).strftime("%Y%m%d"), last.filename[:8])
        taken = [
            int(m["n"])
            for n in os.listdir(folder)
            if (m := _YOYO_FILE.match(n)) and m["day"] == day
        ]
        rand = "".join(secrets.choice(string.ascii_letters + string.digits) for _ in range(5))
        message = filename.split("_", 1)[1].removesuffix(".sql").removesuffix("_safe")
        safe_suffix = "_safe" if filename.endswith("_safe.sql") else ""
        stem = f"{day}_{max(taken, default=0) + 1:02d}_{rand}-{message.replace('_', '-')}"
        path = os.path.join(folder, f"{stem}{safe_suffix}.sql")
    elif (
        last is not None
        and (dated := dated_name(last.filename))
        and (now := datetime.now(UTC)).strftime(f"%Y{dated['sep']}%m{dated['sep']}%d")
        >= last.filename[:10]
    ):
        # a history named by dates (2024-01-15-add-users.sql, Laravel's 2024_01_15_093000_x):
        # today's, with the time when the last one has a time or another of today's is there
        # (one version a day)
        sep = dated["sep"]
        day, rest = now.strftime(f"%Y{sep}%m{sep}%d"), filename.split("_", 1)[1]
        todays = [d for n in os.listdir(folder) if n.startswith(day) and (d := dated_name(n))]
        if dated["t"] or dated["iso"] or todays:
            width = 4 if len(dated["t"] or "") == 4 else 6

            def time_of(d: re.Match[str]) -> int:  # (an ISO time is read to the second)
                if not (d["t"] or d["iso"]):
                    return -1
                return int(d["t"] or re.sub("[-:]", "", d["iso"]).ljust(6, "0"))

            # (after the day's last one: two made within a minute or a second stay apart)
            now_t = int(now.strftime("%H%M" if width == 4 else "%H%M%S"))
            at = max([now_t, *(time_of(d) + 1 for d in todays)])
            rest = f"{at:0{width}d}_{rest}"
        path = os.path.join(folder, f"{day}{sep}{rest}")
    elif last is not None and (postgrator := re.match(r"^(\d+)\.do[.]", last.filename)):
        # a postgrator history: the next <version>.do.<name>.sql, numbered as the last one
        number = f"{int(postgrator[1]) + 1:0{len(postgrator[1])}d}"
        path = os.path.join(folder, f"{number}.do.{filename.split('_', 1)[1]}")
    elif last is not None and flyway:
        # a Flyway history: the next V<n>__<description>.sql (after V1.4, V2), beside the last
        # one (Flyway reads its folders at any depth: db/migration/2.0/V2__x.sql)
        nxt = version_key(last.version)[0] + 1
        beside = posixpath.dirname(last.filename)  # (its path from the migrations folder)
        path = os.path.join(folder, beside, f"V{nxt}__{filename.split('_', 1)[1]}")
    elif last is not None and (upgrade := upgrade_script(last.filename)):
        # upgrade scripts named by the releases they go from and to (PowerDNS's
        # 4.3.0_to_4.7.0_schema.pgsql.sql): from the newest's release to the next patch one
        path = os.path.join(
            folder,
            f"{upgrade['new']}{upgrade['link']}{_next_release(upgrade['new'])}"
            f"_{filename.split('_', 1)[1]}",
        )
    elif last is not None and (worded := release_after_words(last.filename)):
        # a release after words that say it is one (upgrade-pre-1.6.0.sql, v1.2.sql,
        # patch_5.sql): the same words, the next patch release, the name after a hyphen
        prefix = last.filename[: worded.start("version")]
        path = os.path.join(
            folder,
            f"{prefix}{_next_release(worded['version'])}-{filename.split('_', 1)[1]}",
        )
    elif last is not None and (dotted := release_script(last.filename)):
        # upgrade scripts named by release (Icinga's 2.8.1.sql, DAViCal's 1.1.11a.sql): the
        # next patch release, its name after a hyphen
        path = os.path.join(
            folder, f"{_next_release(dotted['version'])}-{filename.split('_', 1)[1]}"
        )
    elif last is not None and (debian := DBCONFIG_SCRIPT.fullmatch(last.filename)):
        # dbconfig-common's upgrade scripts, named by a version alone (1.5.10, 19.8,
        # 20~git20201021): the next release, the name after a hyphen as a Debian revision
        # (no "_" in a version), still no .sql
        stem = filename.removesuffix(".sql").split("_", 1)[1].replace("_", "-")
        path = os.path.join(folder, f"{_next_release(debian['version'])}-{stem}")
    elif last is not None and last.filename.endswith(".up.sql"):
        # a golang-migrate history: the pair NNNN_name.up.sql and its .down.sql, which that
        # tool's `migrate down` runs and the reconciler never does
        stem = filename.removesuffix(".sql")
        if len(last.version) >= 14:
            # timestamped (golang-migrate's -format, pop's 20 digits as Ory's Kratos keeps
            # them): the time, after every file there, another database's own files included
            taken = [int(m[1]) for n in os.listdir(folder) if (m := re.match(r"^(\d+)_", n))]
            stamp = datetime.now(UTC).strftime("%Y%m%d%H%M%S").ljust(len(last.version), "0")
            stem = f"{max([int(stamp), *(t + 1 for t in taken)])}_{stem.split('_', 1)[1]}"
        path = os.path.join(folder, stem + ".up.sql")
        down = path.removesuffix(".up.sql") + ".down.sql"
        with open(down, "x", encoding="utf-8") as f:
            f.write(
                f"-- The undo of {os.path.basename(path)}, for golang-migrate's `migrate down`:\n"
                "-- the reconciler never runs it (write the same steps in the rollback section).\n"
            )
    else:
        path = os.path.join(folder, filename)
    with open(path, "x", encoding="utf-8") as f:
        f.write(text)
    if listed:
        with open(os.path.join(folder, LOAD_ORDER), "r+", encoding="utf-8") as f:
            ends = f.read().endswith("\n")
            f.write(("" if ends else "\n") + listed + "\n")
    return path


def _sqitch_add(folder: str, layout: SqitchLayout, name: str, text: str) -> str:
    """In a sqitch project, what `sqitch add` does: the change planned last in its plan
    (after the newest, requiring nothing), its deploy script from the template, and revert
    and verify scripts for sqitch's own commands (the reconciler runs only the deploy one),
    where its sqitch.conf keeps them. The planner is git's user, as sqitch takes it. Returns
    the deploy script's path."""
    import getpass
    import subprocess

    plan = os.path.join(folder, layout.plan_file)
    dirs = {"deploy": layout.deploy_dir, "revert": layout.revert_dir, "verify": layout.verify_dir}
    with open(plan, encoding="utf-8") as f:
        planned = f.read()
    if re.search(rf"(?m)^\s*[+]?{re.escape(name)}(?:\s|$)", planned):
        raise ReconcilerError(
            f"{layout.plan_file} already plans a change {name}",
            code="bad-name",
            hint="pick another name, or rework it with `sqitch rework` (tag the plan first)",
        )

    def git(key: str) -> str:
        try:
            out = subprocess.run(
                ["git", "config", key], cwd=folder, capture_output=True, text=True, timeout=5
            )
        except (OSError, subprocess.TimeoutExpired):
            return ""
        return out.stdout.strip() if out.returncode == 0 else ""

    who = git("user.name") or getpass.getuser()
    email = git("user.email") or f"{getpass.getuser()}@localhost"
    now = datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    scripts = {
        "deploy": text,
        "revert": f"-- Revert {name}: sqitch's `sqitch revert` runs this, the reconciler never\n"
        "-- does (write the same steps in the deploy script's rollback section).\n",
        "verify": f"-- Verify {name}: sqitch's `sqitch verify` runs this, the reconciler never does.\n",
    }
    taken = [
        posixpath.join(dirs[kind], f"{name}.sql")
        for kind in scripts
        if os.path.exists(os.path.join(folder, dirs[kind], f"{name}.sql"))
    ]
    if taken:  # (checked before anything is written: nothing half-made)
        raise ReconcilerError(
            f"{', '.join(taken)} is there already, though {layout.plan_file} does not plan {name}",
            code="bad-name",
            hint="pick another name, or plan the change that script belongs to in sqitch.plan",
        )
    for kind, body in scripts.items():
        os.makedirs(os.path.join(folder, dirs[kind]), exist_ok=True)
        with open(os.path.join(folder, dirs[kind], f"{name}.sql"), "x", encoding="utf-8") as f:
            f.write(body)
    with open(plan, "a", encoding="utf-8") as f:
        f.write("" if planned.endswith("\n") or not planned else "\n")
        f.write(f"{name} {now} {who} <{email}> # {name.replace('_', ' ')}\n")
    return os.path.join(folder, layout.deploy_dir, f"{name}.sql")
