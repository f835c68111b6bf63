"""Runs a GitHub Actions workflow's ``run:`` steps here, as a runner would.

For one job (and one matrix entry): the job's and each step's ``env:`` are evaluated
(``${{ inputs.* }}``, ``secrets.*``, ``needs.<job>.outputs.*``, ``steps.<id>.outputs.*``,
``matrix.*``, ``github.*``), ``if:`` conditions are evaluated, ``uses:`` steps are skipped
(the checkout is the project folder, Python is this interpreter) and each ``run:`` script goes
to ``bash --noprofile --norc -eo pipefail`` with GITHUB_OUTPUT, GITHUB_STEP_SUMMARY,
GITHUB_EVENT_PATH and GITHUB_ENV set as GitHub sets them. ``pip`` is a no-op: the package under
test is already installed.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ruamel.yaml import YAML

REPO = Path(__file__).resolve().parent.parent.parent
_EXPR = re.compile(r"\$\{\{\s*(.*?)\s*\}\}")
_NAME = re.compile(r"(?<![\w.'])([a-z_][\w-]*(?:\.[\w-]+)+)")


@dataclass
class JobResult:
    ok: bool
    outputs: dict[str, str]
    summary: str
    log: str
    failed_step: str | None = None


@dataclass
class Runner:
    root: Path  # the checked-out project
    secrets: dict[str, str] = field(default_factory=dict)
    inputs: dict[str, Any] = field(default_factory=dict)
    github: dict[str, Any] = field(default_factory=dict)
    needs: dict[str, dict[str, str]] = field(default_factory=dict)
    base_env: dict[str, str] = field(default_factory=dict)

    def workflow(self, name: str) -> dict[str, Any]:
        return dict(YAML(typ="safe").load((REPO / ".github/workflows" / name).read_text()))

    def _lookup(self, dotted: str, matrix: dict[str, Any], steps: dict[str, dict[str, str]]) -> Any:
        head, *rest = dotted.split(".")
        ctx: Any = {
            "inputs": self.inputs,
            "secrets": self.secrets,
            "github": self.github,
            "matrix": matrix,
            "steps": {k: {"outputs": v} for k, v in steps.items()},
            "needs": {k: {"outputs": v} for k, v in self.needs.items()},
        }.get(head, {})
        for part in rest:
            ctx = ctx.get(part, "") if isinstance(ctx, dict) else ""
        return ctx

    def evaluate(self, expr: str, matrix: dict[str, Any], steps: dict[str, dict[str, str]]) -> Any:
        py = expr.replace("&&", " and ").replace("||", " or ").replace("!=", " != ")
        py = re.sub(r"\b(always|success)\(\)", "True", py)
        py = re.sub(r"!(?!=)", " not ", py)
        names: dict[str, Any] = {}

        def sub(m: re.Match[str]) -> str:
            key = f"_v{len(names)}"
            names[key] = self._lookup(m.group(1), matrix, steps)
            return key

        py = _NAME.sub(sub, py)
        return eval(py, {"__builtins__": {}, "True": True, "False": False}, names)

    def _text(self, value: Any, matrix: dict[str, Any], steps: dict[str, dict[str, str]]) -> str:
        s = str(value)
        full = _EXPR.fullmatch(s.strip())
        if full:
            v = self.evaluate(full.group(1), matrix, steps)
            return str(v).lower() if isinstance(v, bool) else str(v)
        return _EXPR.sub(lambda m: str(self.evaluate(m.group(1), matrix, steps)), s)

    def run_job(
        self,
        workflow: str,
        job: str,
        matrix: dict[str, Any] | None = None,
        event: dict[str, Any] | None = None,
    ) -> JobResult:
        spec = self.workflow(workflow)["jobs"][job]
        matrix = matrix or {}
        work = self.root / ".harness" / f"{workflow}-{job}-{'-'.join(map(str, matrix.values()))}"
        work.mkdir(parents=True, exist_ok=True)
        shim = work / "bin"
        shim.mkdir(exist_ok=True)
        (shim / "pip").write_text(
            "#!/bin/sh\necho 'harness: the package under test is installed'\n"
        )
        (shim / "pip").chmod(0o755)
        event_path = work / "event.json"
        event_path.write_text(json.dumps(event or {}))
        summary = work / "summary.md"
        summary.write_text("")
        steps: dict[str, dict[str, str]] = {}
        log: list[str] = []
        if "if" in spec and not self.evaluate(str(spec["if"]), matrix, steps):
            return JobResult(True, {}, "", "job skipped by its if:")
        job_env = {k: self._text(v, matrix, steps) for k, v in (spec.get("env") or {}).items()}
        for n, step in enumerate(spec.get("steps") or []):
            name = str(step.get("name") or step.get("uses") or f"step {n}")
            if "uses" in step:
                continue
            if "if" in step and not self.evaluate(str(step["if"]), matrix, steps):
                continue
            out_file = work / f"output-{n}"
            out_file.write_text("")
            env = {
                **os.environ,
                **self.base_env,
                **job_env,
                **{k: self._text(v, matrix, steps) for k, v in (step.get("env") or {}).items()},
                "PATH": f"{shim}:{Path(sys.executable).parent}:{os.environ.get('PATH', '')}",
                "GITHUB_OUTPUT": str(out_file),
                "GITHUB_STEP_SUMMARY": str(summary),
                "GITHUB_EVENT_PATH": str(event_path),
                "GITHUB_ENV": str(work / "env"),
                "GITHUB_ACTIONS": "true",
                "CI": "true",
            }
            script = self._text(step["run"], matrix, steps)
            r = subprocess.run(
                ["bash", "--noprofile", "--norc", "-eo", "pipefail", "-c", script],
                cwd=self.root,
                env=env,
                capture_output=True,
                text=True,
                timeout=300,
            )
            log.append(f"--- {name} (exit {r.returncode})\n{r.stdout}{r.stderr}")
            outputs = dict(
                line.split("=", 1) for line in out_file.read_text().splitlines() if "=" in line
            )
            if step.get("id"):
                steps[str(step["id"])] = outputs
            if r.returncode != 0:
                return JobResult(False, {}, summary.read_text(), "\n".join(log), name)
        job_outputs = {
            k: self._text(v, matrix, steps) for k, v in (spec.get("outputs") or {}).items()
        }
        return JobResult(True, job_outputs, summary.read_text(), "\n".join(log))
