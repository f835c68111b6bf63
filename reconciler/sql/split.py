"""Statement splitting that is right about comments, quotes, dollar quotes and BEGIN ATOMIC bodies.

Each statement keeps its 1-based line and column, and a ``code`` form in which comments
are blanked out, so classifiers can look at keywords without being fooled by comments.
"""

from __future__ import annotations

import bisect
import re
from dataclasses import dataclass

from reconciler.errors import Diagnostic, SourceLocation

__all__ = ["Comment", "SplitResult", "Statement", "split_sql"]

_WORD = re.compile(r"[A-Za-z_][A-Za-z0-9_$]*")
_DOLLAR = re.compile(r"\$([A-Za-z_][A-Za-z0-9_]*)?\$")
_SPACE = re.compile(r"\s+")


@dataclass(frozen=True)
class Statement:
    """One SQL statement, without its terminating semicolon."""

    index: int  # 0-based position in the file
    text: str  # exactly as written, comments included
    code: str  # comments blanked out, whitespace collapsed
    line: int
    col: int
    end_line: int

    @property
    def keywords(self) -> str:
        """Upper-cased leading code, for keyword checks (string literals kept as written)."""
        return self.code.upper()


@dataclass(frozen=True)
class Comment:
    text: str  # without the leading ``--`` or ``/* */``
    line: int
    col: int
    own_line: bool  # nothing but whitespace before it on its line


@dataclass(frozen=True)
class SplitResult:
    statements: list[Statement]
    comments: list[Comment]
    errors: list[Diagnostic]


class _Lines:
    def __init__(self, text: str) -> None:
        self.starts = [0] + [m.end() for m in re.finditer("\n", text)]

    def at(self, offset: int) -> tuple[int, int]:
        i = bisect.bisect_right(self.starts, offset) - 1
        return i + 1, offset - self.starts[i] + 1


def split_sql(text: str, file: str = "<sql>") -> SplitResult:
    """Split ``text`` into statements. Unterminated quotes or comments become errors."""
    lines = _Lines(text)
    n = len(text)
    statements: list[Statement] = []
    comments: list[Comment] = []
    errors: list[Diagnostic] = []
    code: list[str] = []  # code of the current statement, comments blanked
    start = -1  # offset of the current statement's first significant char
    atomic_depth = 0  # inside BEGIN ATOMIC ... END of a SQL-standard function body
    words: list[str] = []  # leading words of the current statement (upper-cased)
    i = 0

    def loc(offset: int) -> SourceLocation:
        line, col = lines.at(offset)
        return SourceLocation(file, line, col)

    def finish(end: int) -> None:
        nonlocal start, code, words, atomic_depth
        if start >= 0:
            line, col = lines.at(start)
            end_line, _ = lines.at(max(end - 1, start))
            statements.append(
                Statement(
                    index=len(statements),
                    text=text[start:end].strip(),
                    code=_SPACE.sub(" ", "".join(code)).strip(),
                    line=line,
                    col=col,
                    end_line=end_line,
                )
            )
        start, code, words, atomic_depth = -1, [], [], 0

    def begin(offset: int) -> None:
        nonlocal start
        if start < 0:
            start = offset

    while i < n:
        c = text[i]
        if c == "-" and text.startswith("--", i):
            j = text.find("\n", i)
            j = n if j < 0 else j
            line, col = lines.at(i)
            own = text[lines.starts[line - 1] : i].strip() == ""
            comments.append(Comment(text[i + 2 : j].strip(), line, col, own))
            code.append(" ")
            i = j
            continue
        if c == "/" and text.startswith("/*", i):
            depth, j = 1, i + 2
            while j < n and depth:
                if text.startswith("/*", j):
                    depth, j = depth + 1, j + 2
                elif text.startswith("*/", j):
                    depth, j = depth - 1, j + 2
                else:
                    j += 1
            if depth:
                errors.append(
                    Diagnostic(
                        "unterminated-comment",
                        "block comment is never closed",
                        loc(i),
                        "close it with */",
                    )
                )
                break
            line, col = lines.at(i)
            own = text[lines.starts[line - 1] : i].strip() == ""
            comments.append(Comment(text[i + 2 : j - 2].strip(), line, col, own))
            code.append(" ")
            i = j
            continue
        if c in "'\"":
            begin(i)
            escapes = (
                c == "'"
                and i > 0
                and text[i - 1] in "eE"
                and (i < 2 or not (text[i - 2].isalnum() or text[i - 2] == "_"))
            )
            j = i + 1
            while j < n:
                if escapes and text[j] == "\\":
                    j += 2
                    continue
                if text[j] == c:
                    if j + 1 < n and text[j + 1] == c:
                        j += 2
                        continue
                    break
                j += 1
            if j >= n:
                what = "string literal" if c == "'" else "quoted identifier"
                errors.append(
                    Diagnostic(
                        "unterminated-quote",
                        f"{what} is never closed",
                        loc(i),
                        f"add the closing {c}",
                    )
                )
                break
            code.append(text[i : j + 1])
            i = j + 1
            continue
        if c == "$":
            m = _DOLLAR.match(text, i)
            prev = text[i - 1] if i else " "
            if m and not (prev.isalnum() or prev == "_"):
                begin(i)
                tag = m.group(0)
                j = text.find(tag, m.end())
                if j < 0:
                    errors.append(
                        Diagnostic(
                            "unterminated-dollar-quote",
                            f"dollar-quoted body opened with {tag} is never closed",
                            loc(i),
                            f"end the body with {tag}",
                        )
                    )
                    break
                code.append(text[i : j + len(tag)])
                i = j + len(tag)
                continue
        if c == ";":
            if atomic_depth == 0:
                finish(i)
                i += 1
                continue
            code.append(c)
            i += 1
            continue
        m = _WORD.match(text, i) if (c.isalpha() or c == "_") else None
        if m:
            begin(i)
            w = m.group(0).upper()
            if len(words) < 4:
                words.append(w)
            is_routine = words[:1] == ["CREATE"] and ("FUNCTION" in words or "PROCEDURE" in words)
            if (
                w == "ATOMIC" and is_routine and "".join(code).upper().rstrip().endswith("BEGIN")
            ) or (atomic_depth and w == "CASE"):
                atomic_depth += 1
            elif atomic_depth and w == "END":
                atomic_depth -= 1
            code.append(m.group(0))
            i = m.end()
            continue
        if not c.isspace():
            begin(i)
        code.append(c)
        i += 1
    if not errors:
        finish(n)
    return SplitResult(statements, comments, errors)
