"""The admin UI's routes: /admin/database-config with its Configuration, Migrations and Sync tabs.

Every read and every write goes through the engine (plans, validate, edits, applies with
the environment's gates); this module holds no SQL. Writes are POSTs that need the CSRF
token; ``read_only`` mounts none of them.
"""

from __future__ import annotations

import contextlib
import json
import os
import re
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import FormData
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response, StreamingResponse
from starlette.routing import Mount, Route
from starlette.staticfiles import StaticFiles
from starlette.templating import Jinja2Templates

from reconciler.engine.editing import ConfigChange, commit_on_branch, git_work_tree, prepare, save
from reconciler.errors import ReconcilerError, format_diagnostic
from reconciler.web import views
from reconciler.web.security import COOKIE, Guard
from reconciler.web.workspace import Workspace

__all__ = ["PREFIX", "create_app"]

PREFIX = "/admin/database-config"
HERE = Path(__file__).parent
RULE_DOCS = HERE.parent.parent / "docs" / "rules"
MIGRATIONS_PAGE = 100
WARM_TIMEOUT = (
    10.0  # seconds the start waits for the first plans (a dead database must not hold it)
)


def _int(value: str | None, default: int = 1) -> int:
    try:
        return int(value or default)
    except ValueError:
        return default


class UI:
    def __init__(self, workspace: Workspace, *, read_only: bool) -> None:
        self.ws = workspace
        self.read_only = read_only
        import jinja2

        env = jinja2.Environment(
            loader=jinja2.FileSystemLoader(HERE / "templates"),
            autoescape=True,  # every page: nothing from a manifest or a database is markup
        )
        self.templates = Jinja2Templates(env=env)
        self.templates.env.filters["show"] = views.show
        self.templates.env.filters["num"] = views.num
        self.templates.env.filters["clock"] = views.clock
        self.templates.env.globals.update(prefix=PREFIX, format_diagnostic=format_diagnostic)

    # -- helpers -------------------------------------------------------------------------------
    def page(self, request: Request, name: str, status: int = 200, **ctx: Any) -> Response:
        guard: Guard | None = request.scope.get("state", {}).get("guard")
        ctx.update(
            request=request,
            csrf=guard.csrf if guard else "",
            read_only=self.read_only,
            envs=self.ws.names(),
            root=self.ws.root,
        )
        return self.templates.TemplateResponse(request, name, ctx, status_code=status)

    async def form(self, request: Request) -> FormData:
        """The POST's form, after the CSRF check (403 without the right token)."""
        form = await request.form()
        guard: Guard | None = request.scope.get("state", {}).get("guard")
        given = form.get("csrf") or request.headers.get("x-csrf-token")
        if guard is None or not guard.csrf_ok(given if isinstance(given, str) else None):
            raise HTTPException(403, "refused: missing or wrong CSRF token; reload the page")
        return form

    def env_param(self, request: Request, value: str | None = None) -> str:
        env = value if value is not None else request.query_params.get("env")
        names = self.ws.names()
        if not names:
            raise HTTPException(404, f"no environments under {self.ws.root}/environments")
        if not env:
            return names[0]
        if env not in names:
            raise HTTPException(404, f"no environment {env!r}")
        return env

    # -- configuration -------------------------------------------------------------------------
    async def config(self, request: Request) -> Response:
        q = request.query_params.get("q", "")
        only_drift = request.query_params.get("drift") == "1"
        states, entries = await self._loaded()
        desireds = {n: s.desired for n, s in states.items() if s.desired is not None}
        outcomes = {n: s.outcome for n, s in states.items()}
        page = views.config_rows(
            entries.values(),
            desireds,
            outcomes,
            q,
            only_drift,
            _int(request.query_params.get("page")),
        )
        return self.page(
            request,
            "config.html",
            tab="config",
            states=states,
            page=page,
            q=q,
            only_drift=only_drift,
            total=len(entries),
            categories=sorted({e.category for e in entries.values()}),
        )

    async def _loaded(self) -> tuple[dict[str, Any], dict[tuple[str, str], Any]]:
        """Every environment's state and the config catalog (both cached by the workspace)."""
        states = await run_in_threadpool(self.ws.states)
        return states, await run_in_threadpool(self.ws.catalog, states)

    async def _entry_form(
        self,
        request: Request,
        values: dict[str, str],
        errors: dict[str, str] | None = None,
        problems: list[str] | None = None,
        status: int = 200,
        loaded: tuple[dict[str, Any], dict[tuple[str, str], Any]] | None = None,
    ) -> Response:
        states, entries = loaded or await self._loaded()
        entry = entries.get((values.get("category", ""), values.get("key", "")))
        if entry is None and values.get("mode") != "new":
            raise HTTPException(
                404, f"no config entry {values.get('category')}.{values.get('key')}"
            )
        return self.page(
            request,
            "config_edit.html",
            status,
            tab="config",
            entry=entry,
            values=values,
            errors=errors or {},
            problems=problems or [],
            categories=sorted({e.category for e in entries.values()}),
            states=states,
        )

    async def config_edit_form(self, request: Request) -> Response:
        qp = request.query_params
        values = {k: qp.get(k, "") for k in ("category", "key", "env")}
        if qp.get("new"):
            values.update(mode="new", value="", type="", min="", max="", enum="", description="")
            return await self._entry_form(request, values)
        states, entries = loaded = await self._loaded()
        entry = entries.get((values["category"], values["key"]))
        if entry is None:
            raise HTTPException(404, f"no config entry {values['category']}.{values['key']}")
        current: Any = entry.spec.value
        env = values["env"]
        st = states.get(env)
        if env and st is not None and st.desired is not None:
            over = st.desired.env.config.overrides.get(entry.category, {})
            if isinstance(over, dict) and entry.key in over:
                current = over[entry.key]
        values.update(mode="edit", value=views.show(current))
        return await self._entry_form(request, values, loaded=loaded)

    async def config_edit(self, request: Request) -> Response:
        form = await self.form(request)
        values = {k: str(form.get(k) or "") for k in form}
        adding = values.get("mode") == "new"
        constraints: dict[str, Any] | None = None
        errors: dict[str, str] = {}
        if adding:
            constraints = {"type": values.get("type") or None}
            for bound in ("min", "max"):
                if values.get(bound, "").strip():
                    try:
                        constraints[bound] = float(values[bound])
                    except ValueError:
                        errors[bound] = f"{values[bound]!r} is not a number"
            if values.get("enum", "").strip():
                try:
                    enum = json.loads(values["enum"])
                    if not isinstance(enum, list):
                        raise ValueError
                    constraints["enum"] = enum
                except ValueError:
                    errors["enum"] = 'a JSON array of the allowed values, e.g. ["a", "b"]'
        if errors:
            return await self._entry_form(request, values, errors, status=422)
        change = ConfigChange(
            values.get("category", ""),
            values.get("key", ""),
            raw=values.get("value", ""),
            environment=values.get("env") or None,
            description=values.get("description") if adding else None,
            constraints=constraints,
        )
        edit = await run_in_threadpool(prepare, self.ws.root, change)
        if not edit.ok:
            problems = [format_diagnostic(d) for d in edit.problems]
            return await self._entry_form(request, values, edit.field_errors, problems, 422)
        return await self._saved(request, edit)

    async def _saved(self, request: Request, edit: Any) -> Response:
        try:
            await run_in_threadpool(save, edit)
        except ReconcilerError as e:
            raise HTTPException(409, e.message) from None
        self.ws.forget()
        edit_id = os.urandom(9).hex()
        self.ws.edits[edit_id] = edit
        results = []
        for env in self.ws.names():
            st = await run_in_threadpool(self.ws.state, env, fresh=True)
            auto = st.desired is not None and st.desired.env.policy.auto_apply
            run = None
            if env in edit.affected and auto:
                run = self.ws.start(env, "apply config", "config")
            results.append({"env": env, "state": st, "affected": env in edit.affected, "run": run})
        needs_pr = any(r["affected"] and r["run"] is None for r in results)
        return self.page(
            request,
            "edit_result.html",
            tab="config",
            edit=edit,
            diff=edit.diff(self.ws.root),
            results=results,
            edit_id=edit_id,
            needs_pr=needs_pr,
            git=git_work_tree(self.ws.root) is not None,
        )

    async def config_commit(self, request: Request) -> Response:
        form = await self.form(request)
        edit = self.ws.edits.get(str(form.get("edit") or ""))
        if edit is None:
            raise HTTPException(404, "that edit is gone (the UI restarted?); make it again")
        ch = edit.change
        scope = ch.environment or "all"
        message = (
            f"config: {ch.category}.{ch.key} = {views.show(edit.value)} ({scope})\n\n"
            f"Edited in the admin UI by {self.ws.actor or 'the UI user'}; "
            f"environments whose config changes: {', '.join(edit.affected) or 'none'}."
        )
        try:
            branch, sha = await run_in_threadpool(
                commit_on_branch,
                self.ws.root,
                {p: after for p, (_b, after) in edit.files.items()},
                message,
                f"{scope}-{ch.category}-{ch.key}",
                self.ws.actor or "reconciler-ui",
            )
        except ReconcilerError as e:
            raise HTTPException(409, e.message) from None
        self.ws.edits.pop(str(form.get("edit")), None)
        return self.page(request, "committed.html", tab="config", branch=branch, sha=sha, edit=edit)

    async def config_adopt(self, request: Request) -> Response:
        form = await self.form(request)
        env = self.env_param(request, str(form.get("env") or ""))
        category, key = str(form.get("category") or ""), str(form.get("key") or "")
        st = await run_in_threadpool(self.ws.state, env, fresh=True)
        live = st.outcome.live.config.get((category, key)) if st.outcome else None
        if live is None:
            raise HTTPException(409, f"{env} has no live value for {category}.{key} to adopt")
        change = ConfigChange(category, key, value=live.value, environment=env)
        edit = await run_in_threadpool(prepare, self.ws.root, change)
        if not edit.ok:
            why = list(edit.field_errors.values()) + [format_diagnostic(d) for d in edit.problems]
            raise HTTPException(422, "cannot adopt: " + "; ".join(why))
        return await self._saved(request, edit)

    async def config_restore(self, request: Request) -> Response:
        form = await self.form(request)
        env = self.env_param(request, str(form.get("env") or ""))
        run = self.ws.start(env, "put git's config values back", "config")
        return RedirectResponse(f"{PREFIX}/runs/{run.id}", 303)

    # -- migrations ----------------------------------------------------------------------------
    async def migrations(self, request: Request) -> Response:
        env = self.env_param(request)
        q = request.query_params.get("q", "")
        st = await run_in_threadpool(self.ws.state, env)
        rows: list[views.MigrationRow] = []
        lint_error = None
        if st.desired is not None:
            try:
                diags = await run_in_threadpool(self.ws.lint, env)
            except ReconcilerError as e:
                diags, lint_error = [], e.message
            rows = views.migration_rows(st.desired, st.outcome, diags, q)
        page = views.paginate(rows, _int(request.query_params.get("page")), MIGRATIONS_PAGE)
        counts: dict[str, int] = {}
        for r in rows:
            counts[r.state] = counts.get(r.state, 0) + 1
        return self.page(
            request,
            "migrations.html",
            tab="migrations",
            env=env,
            st=st,
            page=page,
            q=q,
            counts=counts,
            lint_error=lint_error,
        )

    async def migration_file(self, request: Request) -> Response:
        env = self.env_param(request)
        version = request.query_params.get("version", "")
        st = await run_in_threadpool(self.ws.state, env)
        if st.desired is None:
            raise HTTPException(409, st.error or "the environment does not load")
        found = [m for m in st.desired.migrations if m.version == version]
        if not found:
            raise HTTPException(404, f"no migration {version!r} in {env}")
        m = found[0]
        diags = await run_in_threadpool(self.ws.lint, env)
        mine = views.findings_by_file(diags).get(os.path.normpath(os.path.abspath(m.path)), [])
        text = await run_in_threadpool(Path(m.path).read_text, "utf-8")
        by_line: dict[int, list[Any]] = {}
        for d in mine:
            by_line.setdefault(d.location.line if d.location else 0, []).append(d)
        rows = [
            m2
            for m2 in views.migration_rows(st.desired, st.outcome, diags)
            if m2.version == version
        ]
        return self.page(
            request,
            "migration_file.html",
            tab="migrations",
            env=env,
            m=m,
            row=rows[0] if rows else None,
            lines=text.splitlines(),
            by_line=by_line,
            unplaced=by_line.get(0, []),
        )

    async def rule_doc(self, request: Request) -> Response:
        code = request.path_params["code"]
        if not re.fullmatch(r"[a-z0-9-]{1,64}", code):
            raise HTTPException(404, "no such rule")
        path = RULE_DOCS / f"{code}.md"
        if not path.is_file():
            from reconciler.sql.report import DOCS

            return self.page(
                request, "rule.html", tab="migrations", code=code, text=None, url=DOCS.format(code)
            )
        text = await run_in_threadpool(path.read_text, "utf-8")
        return self.page(request, "rule.html", tab="migrations", code=code, text=text, url=None)

    # -- sync ----------------------------------------------------------------------------------
    async def sync(self, request: Request) -> Response:
        from reconciler.audit import delivery_state
        from reconciler.engine import audit_events

        env = self.env_param(request)
        st = await run_in_threadpool(self.ws.state, env)
        declared: list[views.TreeNode] = []
        live: list[views.TreeNode] = []
        changes: dict[str, str] = {}
        events: list[dict[str, Any]] = []
        audit_error = None
        if st.outcome is not None:
            changes = views.forum_changes(st.outcome)
            live = views.forum_tree(st.outcome.live.forums.values(), changes)
            try:
                events, _ = await run_in_threadpool(
                    lambda: audit_events(
                        self.ws.request(env), limit=20, deliver_first=False, desired=st.desired
                    )
                )
                for e in events:
                    e["delivery"] = delivery_state(e)
            except ReconcilerError as e:
                audit_error = e.message
        if st.desired is not None and st.desired.forums is not None:
            declared = views.forum_tree(st.desired.forums, changes)
        return self.page(
            request,
            "sync.html",
            tab="sync",
            env=env,
            st=st,
            declared=declared,
            live=live,
            changes=changes,
            events=events,
            audit_error=audit_error,
        )

    async def sync_now(self, request: Request) -> Response:
        form = await self.form(request)
        env = self.env_param(request, str(form.get("env") or ""))
        run = self.ws.start(env, "sync forums", "forums")
        return RedirectResponse(f"{PREFIX}/runs/{run.id}", 303)

    # -- runs ----------------------------------------------------------------------------------
    def _run(self, request: Request) -> Any:
        run = self.ws.runs.get(request.path_params["run"])
        if run is None:
            raise HTTPException(404, "no such run (the UI keeps the latest 50)")
        return run

    async def run_page(self, request: Request) -> Response:
        run = self._run(request)
        return self.page(request, "run.html", tab="sync", run=run)

    async def run_events(self, request: Request) -> Response:
        run = self._run(request)
        start = _int(request.headers.get("last-event-id"), -1) + 1

        async def stream() -> Any:
            seen = max(start, 0)
            yield "retry: 1000\n\n"
            while True:
                while seen < len(run.events):
                    ev = run.events[seen]
                    yield f"id: {seen}\nevent: progress\ndata: {json.dumps(ev)}\n\n"
                    seen += 1
                if run.done:
                    end = {"ok": run.ok, "summary": run.summary}
                    yield f"event: end\ndata: {json.dumps(end)}\n\n"
                    return
                if await request.is_disconnected():
                    return
                await run_in_threadpool(self.ws.wait, run, 0.5, seen)

        return StreamingResponse(
            stream(), media_type="text/event-stream", headers={"x-accel-buffering": "no"}
        )

    # -- login -----------------------------------------------------------------------------------
    async def login_form(self, request: Request) -> Response:
        return self.page(request, "login.html", tab="", error=None)

    async def login(self, request: Request) -> Response:
        form = await request.form()
        guard: Guard | None = request.scope.get("state", {}).get("guard")
        if guard is None or guard.token is None:
            return RedirectResponse(PREFIX, 303)
        given = form.get("csrf")
        if not guard.csrf_ok(given if isinstance(given, str) else None):
            raise HTTPException(403, "refused: missing or wrong CSRF token; reload the page")
        token = form.get("token")
        if not isinstance(token, str) or not guard.token_ok(token):
            return self.page(request, "login.html", 401, tab="", error="wrong token")
        response = RedirectResponse(PREFIX, 303)
        response.set_cookie(
            COOKIE,
            guard.session or "",
            httponly=True,
            samesite="strict",
            secure=request.url.scheme == "https",
            path="/",
        )
        return response


def create_app(
    root: str,
    *,
    read_only: bool = False,
    token: str | None = None,
    loopback_only: bool = True,
    actor: str | None = None,
) -> Any:
    """The ASGI application (wrapped in the :class:`Guard`)."""
    ws = Workspace(root, actor=actor)
    ui = UI(ws, read_only=read_only)

    async def home(request: Request) -> Response:
        return RedirectResponse(f"{PREFIX}/config", 303)

    routes = [
        Route("/", home),
        Route(PREFIX, home),
        Route(f"{PREFIX}/config", ui.config),
        Route(f"{PREFIX}/config/edit", ui.config_edit_form),
        Route(f"{PREFIX}/migrations", ui.migrations),
        Route(f"{PREFIX}/migrations/file", ui.migration_file),
        Route(f"{PREFIX}/rules/{{code}}", ui.rule_doc),
        Route(f"{PREFIX}/sync", ui.sync),
        Route(f"{PREFIX}/runs/{{run}}", ui.run_page),
        Route(f"{PREFIX}/runs/{{run}}/events", ui.run_events),
        Route("/login", ui.login_form, methods=["GET"]),
        Route("/login", ui.login, methods=["POST"]),
        Mount("/static", StaticFiles(directory=str(HERE / "static")), name="static"),
    ]
    if not read_only:
        routes += [
            Route(f"{PREFIX}/config/edit", ui.config_edit, methods=["POST"]),
            Route(f"{PREFIX}/config/commit", ui.config_commit, methods=["POST"]),
            Route(f"{PREFIX}/config/adopt", ui.config_adopt, methods=["POST"]),
            Route(f"{PREFIX}/config/restore", ui.config_restore, methods=["POST"]),
            Route(f"{PREFIX}/sync", ui.sync_now, methods=["POST"]),
        ]

    async def http_error(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, HTTPException)
        return ui.page(request, "error.html", exc.status_code, tab="", message=exc.detail)

    @contextlib.asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        # every environment's plan and the config catalog, so the first page need not wait
        await run_in_threadpool(ws.warm, WARM_TIMEOUT)
        yield
        ws.close()

    app = Starlette(
        routes=routes, exception_handlers={HTTPException: http_error}, lifespan=lifespan
    )
    app.state.workspace = ws
    return Guard(app, token=token, loopback_only=loopback_only)
