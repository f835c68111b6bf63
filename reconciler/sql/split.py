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


_TOKEN = re.compile(
    r"--|/\*|[eE]'|'|\"|\$(?:[A-Za-z_][A-Za-z0-9_]*)?\$|;|\b(?:ATOMIC|CASE|END)\b", re.IGNORECASE
)
_ROUTINE = re.compile(r"^\s*CREATE\b(?:\s+OR\s+REPLACE)?\s+(?:FUNCTION|PROCEDURE)\b", re.IGNORECASE)
_NONSPACE = re.compile(r"\S")


def split_sql(text: str, file: str = "<sql>") -> SplitResult:
    """Split ``text`` into statements. Unterminated quotes or comments become errors.

    Jumps from one interesting token to the next (comment, quote, dollar quote, semicolon,
    the words of a BEGIN ATOMIC body) instead of walking every character.
    """
    lines = _Lines(text)
    n = len(text)
    statements: list[Statement] = []
    comments: list[Comment] = []
    errors: list[Diagnostic] = []
    code: list[str] = []  # code of the current statement, comments blanked
    start = -1  # offset of the current statement's first significant char
    atomic_depth = 0  # inside BEGIN ATOMIC ... END of a SQL-standard function body
    paren = (
        0  # open parentheses: as in psql, a ; inside them (CREATE RULE ... DO (a; b)) ends nothing
    )
    i = 0

    def loc(offset: int) -> SourceLocation:
        line, col = lines.at(offset)
        return SourceLocation(file, line, col)

    def plain(a: int, b: int) -> None:
        """Ordinary code between tokens."""
        nonlocal start, paren
        if a >= b:
            return
        chunk = text[a:b]
        paren += chunk.count("(") - chunk.count(")")
        if start < 0:
            m = _NONSPACE.search(chunk)
            if m:
                start = a + m.start()
        code.append(chunk)

    def finish(end: int) -> None:
        nonlocal start, code, atomic_depth, paren
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
        start, code, atomic_depth, paren = -1, [], 0, 0

    def comment(a: int, b: int, body: str) -> None:
        line, col = lines.at(a)
        own = text[lines.starts[line - 1] : a].strip() == ""
        comments.append(Comment(body.strip(), line, col, own))
        code.append(" ")

    while i < n:
        m = _TOKEN.search(text, i)
        if m is None:
            plain(i, n)
            break
        plain(i, m.start())
        tok, j = m.group(0), m.start()
        if tok == "--":
            e = text.find("\n", j)
            e = n if e < 0 else e
            comment(j, e, text[j + 2 : e])
            i = e
        elif tok == "/*":
            depth, e = 1, j + 2
            while depth:
                a, b = text.find("/*", e), text.find("*/", e)
                if b < 0:
                    break
                if 0 <= a < b:
                    depth, e = depth + 1, a + 2
                else:
                    depth, e = depth - 1, b + 2
            if depth:
                errors.append(
                    Diagnostic(
                        "unterminated-comment",
                        "block comment is never closed",
                        loc(j),
                        "close it with */",
                    )
                )
                break
            comment(j, e, text[j + 2 : e - 2])
            i = e
        elif tok in ("'", '"') or tok in ("e'", "E'"):
            quote = tok[-1]
            q = j + len(tok) - 1  # the quote character
            escapes = len(tok) == 2
            if escapes and j > 0 and (text[j - 1].isalnum() or text[j - 1] == "_"):
                escapes = False  # the e is the end of a word, not a prefix
            if start < 0:
                start = j
            e = q + 1
            while True:
                if escapes:
                    k = e
                    while k < n and text[k] != quote:
                        k += 2 if text[k] == "\\" else 1
                    e = k
                else:
                    e = text.find(quote, e)
                    if e < 0:
                        e = n
                if e >= n:
                    break
                if e + 1 < n and text[e + 1] == quote:
                    e += 2
                    continue
                break
            if e >= n:
                what = "string literal" if quote == "'" else "quoted identifier"
                errors.append(
                    Diagnostic(
                        "unterminated-quote",
                        f"{what} is never closed",
                        loc(q),
                        f"add the closing {quote}",
                    )
                )
                break
            code.append(text[j : e + 1])
            i = e + 1
        elif tok.startswith("$"):
            prev = text[j - 1] if j else " "
            if prev.isalnum() or prev == "_":  # a$b$ is an identifier, $1 a parameter
                plain(j, j + 1)
                i = j + 1
                continue
            if start < 0:
                start = j
            e = text.find(tok, m.end())
            if e < 0:
                errors.append(
                    Diagnostic(
                        "unterminated-dollar-quote",
                        f"dollar-quoted body opened with {tok} is never closed",
                        loc(j),
                        f"end the body with {tok}",
                    )
                )
                break
            code.append(text[j : e + len(tok)])
            i = e + len(tok)
        elif tok == ";":
            if atomic_depth == 0 and paren <= 0:
                finish(j)
            else:
                code.append(";")
            i = j + 1
        else:  # ATOMIC, CASE, END: only matter inside a BEGIN ATOMIC routine body
            word = tok.upper()
            if word == "ATOMIC":
                so_far = "".join(code)
                if _ROUTINE.match(so_far) and so_far.upper().rstrip().endswith("BEGIN"):
                    atomic_depth += 1
            elif atomic_depth and word == "CASE":
                atomic_depth += 1
            elif atomic_depth and word == "END":
                atomic_depth -= 1
            plain(j, m.end())
            i = m.end()
    if not errors:
        finish(n)
    return SplitResult(statements, comments, errors)
