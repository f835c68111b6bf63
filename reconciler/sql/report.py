"""Diagnostics for people and machines: compiler-style text, JSON, and SARIF 2.1.0 for code
scanning; and Markdown that text from a pull request cannot break out of."""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from typing import Any

from reconciler.errors import Diagnostic, format_diagnostic, printable

__all__ = ["markdown_cell", "markdown_fenced", "render_diagnostics"]


# what could end a table cell, open a link, an image, a tag or a code span, or mention
# someone, in text that came from the files of a pull request (a name, a message quoting it)
_MARKDOWN_ACTIVE = re.compile(r"[\\`|\[\]<>@]")


def markdown_cell(text: str) -> str:
    """``text`` as one Markdown table cell that reads as the text: on one line, with what
    Markdown would act on escaped, so a name in a pull request cannot add rows, links or
    mentions to the bot's comment, nor a verdict of its own."""
    return _MARKDOWN_ACTIVE.sub(lambda m: "\\" + m.group(0), " ".join(text.split()))


def markdown_fenced(lines: Sequence[str]) -> list[str]:
    """``lines`` as a fenced code block whose fence no line can close: longer than any run
    of backticks in them (a file name or quoted SQL holding ``` would otherwise end it and
    put what follows into the comment as Markdown)."""
    body = [ln.replace("\r", "") for ln in lines]
    longest = max((len(run) for ln in body for run in re.findall(r"`+", ln)), default=0)
    fence = "`" * max(3, longest + 1)
    return [fence, *body, fence]


DOCS = "https://github.com/neon-reconciler/neon-reconciler/blob/main/docs/rules/{}.md"


def _sarif(diags: Sequence[Diagnostic], version: str) -> dict[str, Any]:
    from reconciler.sql.rules import RULES  # only SARIF needs the rule descriptions

    used = sorted({d.code for d in diags})
    rules = []
    for rid in used:
        r = RULES.get(rid)
        rules.append(
            {
                "id": rid,
                "shortDescription": {"text": r.summary if r else rid.replace("-", " ")},
                "helpUri": DOCS.format(rid) if r else None,
                "defaultConfiguration": {"level": r.severity if r else "error"},
            }
        )
    results = []
    for d in diags:
        loc = d.location
        region = {"startLine": max(loc.line, 1), "startColumn": max(loc.col, 1)} if loc else {}
        results.append(
            {
                "ruleId": d.code,
                "ruleIndex": used.index(d.code),
                "level": {"error": "error", "warning": "warning"}.get(d.severity, "note"),
                "message": {"text": d.message + (f" (help: {d.hint})" if d.hint else "")},
                "locations": [
                    {
                        "physicalLocation": {
                            "artifactLocation": {"uri": loc.file if loc else "."},
                            **({"region": region} if region else {}),
                        }
                    }
                ],
            }
        )
    return {
        "$schema": "https://json.schemastore.org/sarif-2.1.0.json",
        "version": "2.1.0",
        "runs": [
            {
                "tool": {
                    "driver": {
                        "name": "neon-reconciler",
                        "version": version,
                        "informationUri": "https://github.com/neon-reconciler/neon-reconciler",
                        "rules": rules,
                    }
                },
                "results": results,
            }
        ],
    }


def _escape_data(text: str) -> str:
    """GitHub workflow command data: %, CR and LF are escaped."""
    return text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def _escape_property(text: str) -> str:
    return _escape_data(text).replace(":", "%3A").replace(",", "%2C")


def _github(diags: Sequence[Diagnostic], checked: int) -> str:
    """GitHub Actions workflow commands: each finding an inline annotation on the pull request."""
    lines = []
    for d in diags:
        kind = {"error": "error", "warning": "warning"}.get(d.severity, "notice")
        props = [f"title={_escape_property(f'{d.severity}[{d.code}]')}"]
        if d.location is not None:
            props.insert(0, f"file={_escape_property(printable(d.location.file))}")
            if d.location.line:
                props.insert(1, f"line={d.location.line}")
                props.insert(2, f"col={max(d.location.col, 1)}")
        message = d.message + (f"\nhelp: {d.hint}" if d.hint else "")
        lines.append(f"::{kind} {','.join(props)}::{_escape_data(printable(message))}")
    errors = sum(d.severity == "error" for d in diags)
    warnings = sum(d.severity == "warning" for d in diags)
    lines.append(f"{checked} file(s) checked: {errors} error(s), {warnings} warning(s)")
    return "\n".join(lines)


def render_diagnostics(diags: Sequence[Diagnostic], fmt: str, version: str, checked: int) -> str:
    if fmt == "github":
        return _github(diags, checked)
    if fmt == "sarif":
        return json.dumps(_sarif(diags, version), indent=2)
    if fmt == "json":  # one line, written by json's C encoder in one call
        return json.dumps(
            {
                "files_checked": checked,
                "errors": sum(d.severity == "error" for d in diags),
                "warnings": sum(d.severity == "warning" for d in diags),
                "diagnostics": [
                    {
                        "rule": d.code,
                        "severity": d.severity,
                        "message": d.message,
                        "help": d.hint,
                        "file": d.location.file if d.location else None,
                        "line": d.location.line if d.location else None,
                        "col": d.location.col if d.location else None,
                    }
                    for d in diags
                ],
            }
        )
    lines = [format_diagnostic(d) for d in diags]
    errors = sum(d.severity == "error" for d in diags)
    warnings = sum(d.severity == "warning" for d in diags)
    lines.append(f"{checked} file(s) checked: {errors} error(s), {warnings} warning(s)")
    if fmt == "markdown":
        return "\n".join(markdown_fenced(lines))
    return "\n".join(lines)
