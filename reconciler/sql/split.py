"""Statement splitting with PostgreSQL's own lexer (libpg_query's scanner, through pglast).

The scanner knows every quoting rule the server knows (standard and E'' strings, quoted
identifiers, nested block comments, dollar quotes, ``a$b$c`` identifiers and ``$1``
parameters), so a statement ends exactly where psql would end it: at a semicolon outside
parentheses (``CREATE RULE ... DO ALSO (a; b)`` stays one statement) and outside a
``BEGIN ATOMIC ... END`` routine body. Each statement keeps its 1-based line and column,
and a ``code`` form in which comments are blanked out. What each statement *is* is read
by PostgreSQL's parser in ``classify``.

As in a file psql runs, the lines after ``COPY ... FROM STDIN;`` up to a line ``\\.`` are
that statement's data (pg_dump writes seed rows this way), not SQL: they are set aside
before splitting (their lines kept blank, so every later statement keeps its line) and
carried by the COPY statement.

A line that starts with a backslash between statements is a psql meta-command (``\\set``,
``\\connect``, ``\\i``, pg_dump's ``\\restrict``): no SQL, and nothing the server could
run. It is set aside the same way (and listed, for ban-psql-meta-command to report), so the
statements around it are still split and checked.
"""

from __future__ import annotations

import bisect
import re
from dataclasses import dataclass, field

from reconciler.errors import Diagnostic, SourceLocation
from reconciler.records import cheap_init

__all__ = ["Comment", "SplitResult", "Statement", "split_sql"]

_SPACE = re.compile(r"\s+")


# where a psql variable's colon may stand, as a regular expression's lookbehind: not after a
# colon (a cast's second), a word or a bracket (an array slice), unless after a whole cast
# (``(...):::name``); read by the psql placeholders and the PL/pgSQL body reader alike
PSQL_VARIABLE_AFTER = r"(?:(?<=[^:]::)|(?<![:\w\])]))"


@cheap_init
@dataclass(frozen=True)
class Statement:
    """One SQL statement, without its terminating semicolon."""

    index: int  # 0-based position in the file
    text: str  # exactly as written, comments included
    code: str  # comments blanked out, whitespace collapsed
    line: int
    col: int
    end_line: int
    data: str | None = None  # the rows of a COPY ... FROM STDIN, as written after it

    @property
    def keywords(self) -> str:
        """Upper-cased leading code, for keyword checks (string literals kept as written)."""
        return self.code.upper()


@cheap_init
@dataclass(frozen=True)
class Comment:
    text: str  # without the leading ``--`` or ``/* */``
    line: int
    col: int
    own_line: bool  # nothing but whitespace before it on its line
    end_line: int = 0  # of its last character (a block comment can span lines)


@dataclass(frozen=True)
class SplitResult:
    statements: list[Statement]
    comments: list[Comment]
    errors: list[Diagnostic]
    # psql meta-command lines set aside, (line, command): ban-psql-meta-command reports them
    meta_commands: list[tuple[int, str]] = field(default_factory=list)


class _Lines:
    def __init__(self, text: str) -> None:
        self.starts = [0] + [m.end() for m in re.finditer("\n", text)]

    def at(self, offset: int) -> tuple[int, int]:
        i = bisect.bisect_right(self.starts, offset) - 1
        return i + 1, offset - self.starts[i] + 1


# the scanner's message -> (diagnostic id, what is open, how to close it)
_UNTERMINATED = {
    "quoted string": ("unterminated-quote", "string literal is never closed", "add the closing '"),
    "quoted identifier": (
        "unterminated-quote",
        "quoted identifier is never closed",
        'add the closing "',
    ),
    "/* comment": ("unterminated-comment", "block comment is never closed", "close it with */"),
    "dollar-quoted string": (
        "unterminated-dollar-quote",
        "dollar-quoted body is never closed",
        "end the body with the tag that opened it",
    ),
}
_COMMENTS = frozenset(("SQL_COMMENT", "C_COMMENT"))
_NESTING = frozenset(("ASCII_40", "ASCII_41", "ATOMIC", "CASE", "END_P"))  # ( ) and ATOMIC bodies
_NEAR = re.compile(r'at or near "(.*)"$', re.DOTALL)


def _scan_error(text: str, message: str, index: int, file: str, lines: _Lines) -> Diagnostic:
    near = _NEAR.search(message)
    # the open token runs to the end of the text; the scanner's own index counts bytes
    at = len(text) - len(near.group(1)) if near and text.endswith(near.group(1)) else index
    line, col = lines.at(max(at, 0))
    for what, (code, said, hint) in _UNTERMINATED.items():
        if f"unterminated {what}" in message:
            if code == "unterminated-dollar-quote" and near:
                tag = near.group(1).split("$", 2)
                if len(tag) == 3:
                    said = f"dollar-quoted body opened with ${tag[1]}$ is never closed"
                    hint = f"end the body with ${tag[1]}$"
            return Diagnostic(code, said, SourceLocation(file, line, col), hint)
    first = message.split(" at or near ")[0]
    return Diagnostic(
        "bad-sql",
        f"PostgreSQL's lexer rejects the text: {first}",
        SourceLocation(file, line, col),
        "fix the SQL so that psql could read it",
    )


def split_sql(text: str, file: str = "<sql>") -> SplitResult:
    """Split ``text`` into statements. Unterminated quotes or comments become errors.

    A file PostgreSQL's parser reads whole is split by it (in C: a 3 MB INSERT of bulk VALUES
    in a few tens of milliseconds); any other file token by token with the lexer, which also
    locates what is wrong.
    """
    blocks = _copy_blocks(text)
    metas = _meta_commands(text, blocks)
    while True:
        spans = [(b.start, b.end) for b in blocks] + [(m.start, m.end) for m in metas]
        masked = _without(text, sorted(spans))
        lines = _Lines(masked)
        result = _by_parser(masked, lines) or _by_lexer(masked, file, lines)
        by_line = {s.line: s for s in result.statements}
        # a block whose COPY is no statement of its own (it was inside a string or a body) is
        # no block, and a backslash line inside a statement no meta-command: split again
        # without them
        stray = [b for b in blocks if not _is_copy_stdin(by_line.get(b.line))]
        inside = [
            m
            for m in metas
            if any(s.line <= m.line <= s.end_line for s in result.statements)
            or any(c.line <= m.line <= c.end_line for c in result.comments)
        ]
        if not stray and not inside:
            break
        blocks = [b for b in blocks if b not in stray]
        metas = [m for m in metas if m not in inside]
    data = {b.line: b for b in blocks}
    statements = []
    for s in result.statements:
        b = data.get(s.line)
        statements.append(
            s
            if b is None
            else Statement(s.index, s.text, s.code, s.line, s.col, s.end_line, b.rows)
        )
    errors = list(result.errors)
    for b in blocks:
        if not b.ended:
            errors.append(
                Diagnostic(
                    "unterminated-copy",
                    "the rows of this COPY ... FROM STDIN never end with a line \\.",
                    SourceLocation(file, b.line, 1),
                    "end the rows with a line holding only \\. (as pg_dump writes them)",
                )
            )
    return SplitResult(statements, result.comments, errors, [(m.line, m.name) for m in metas])


_META = re.compile(r"^[ \t]*\\([A-Za-z!?][A-Za-z0-9_+]*)?[^\n]*", re.M)


@dataclass(frozen=True)
class _Meta:
    line: int
    start: int  # offsets of the line, without its newline
    end: int
    name: str  # the command: "set", "connect", "restrict", ...


def _meta_commands(text: str, blocks: list[_Block]) -> list[_Meta]:
    """Lines starting with a backslash, outside COPY rows: psql meta-commands, until the
    split shows one to be inside a statement or comment (a string, a body)."""
    if "\\" not in text:
        return []
    found: list[_Meta] = []
    line = 1
    counted = 0  # lines are counted once, however many such lines there are
    for m in _META.finditer(text):
        if m.group(0).lstrip().startswith("\\.") or any(
            b.start <= m.start() < b.end for b in blocks
        ):
            continue  # the end of COPY rows, or a row
        line += text.count("\n", counted, m.start())
        counted = m.start()
        found.append(_Meta(line, m.start(), m.end(), m.group(1) or ""))
    return found


@dataclass(frozen=True)
class _Block:
    line: int  # of the COPY
    start: int  # offsets of the rows and of the end of the \. line
    end: int
    rows: str
    ended: bool


_COPY_STDIN = re.compile(
    r"^[ \t]*COPY\b[^;]*?\bFROM\s+STDIN\b[^;]*;[ \t]*(?:--[^\n]*)?\r?$", re.I | re.M
)
_END_OF_ROWS = re.compile(r"^\\\.\r?$", re.M)


def _copy_blocks(text: str) -> list[_Block]:
    if "STDIN" not in text.upper():
        return []
    blocks: list[_Block] = []
    pos = counted = 0
    line = 1  # of offset ``counted``
    for m in _COPY_STDIN.finditer(text):
        if m.start() < pos:
            continue  # inside the rows of the one before
        first = text.find("\n", m.end())
        if first < 0:
            continue
        first += 1
        end = _END_OF_ROWS.search(text, first)
        stop = end.start() if end else len(text)
        after = text.find("\n", end.end()) if end else len(text)
        after = len(text) if after < 0 else after
        line += text.count("\n", counted, m.start())  # counted once, however many blocks
        counted = m.start()
        blocks.append(_Block(line, first, after, text[first:stop], end is not None))
        pos = after
    return blocks


def _without(text: str, spans: list[tuple[int, int]]) -> str:
    """``text`` with each span's lines emptied (its newlines kept, so lines do not move)."""
    parts, at = [], 0
    for start, end in spans:
        parts += [text[at:start], "\n" * text.count("\n", start, end)]
        at = end
    parts.append(text[at:])
    return "".join(parts)


def _is_copy_stdin(s: Statement | None) -> bool:
    return s is not None and bool(re.match(r"COPY\b.*\bFROM\s+STDIN\b", s.code, re.I | re.S))


def _statement(
    text: str, lines: _Lines, index: int, a: int, b: int, spans: list[tuple[int, int]]
) -> Statement:
    """``text[a:b]`` as a statement, its code with the comment ``spans`` (in order, not
    overlapping) inside it blanked. Only the spans from ``a`` on are looked at: a file of
    thousands of statements and comments is not read once per statement."""
    parts, at = [], a
    for i in range(bisect.bisect_left(spans, (a, a)), len(spans)):
        s, e = spans[i]
        if s >= b:
            break
        if e <= b:
            parts += [text[at:s], " "]
            at = e
    parts.append(text[at:b])
    line, col = lines.at(a)
    end_line, _ = lines.at(b - 1)
    code = _SPACE.sub(" ", "".join(parts)).strip()
    return Statement(index, text[a:b], code, line, col, end_line)


def _comment(text: str, lines: _Lines, a: int, b: int) -> Comment:
    """The comment ``text[a:b]`` (``-- ...`` or ``/* ... */``), located."""
    line, col = lines.at(a)
    body = text[a + 2 : b] if text.startswith("--", a) else text[a + 2 : b - 2]
    own = text[lines.starts[line - 1] : a].strip() == ""
    return Comment(body.strip(), line, col, own, lines.at(b - 1)[0])


def _by_parser(text: str, lines: _Lines) -> SplitResult | None:
    from pglast import parser

    try:
        slices = parser.split(text, only_slices=True)
        found = parser.comments(text)
    except parser.ParseError:
        return None
    comments: list[Comment] = []
    spans: list[tuple[int, int]] = []
    pos = 0
    for c in found:  # a comment lies between the end of the token before it and the next token
        at = text.find(c.str, max(c.match_location, pos))
        if at < 0:
            return None
        pos = at + len(c.str)
        spans.append((at, pos))
        comments.append(_comment(text, lines, at, pos))
    starts = {s: e for s, e in spans}
    ends = {e: s for s, e in spans}
    statements: list[Statement] = []
    for sl in slices:
        a, b = sl.start, sl.stop
        while True:  # from the first token to the last, without the comments around them
            while a < b and text[a].isspace():
                a += 1
            while b > a and text[b - 1].isspace():
                b -= 1
            if a in starts and starts[a] <= b:
                a = starts[a]
            elif b in ends and ends[b] >= a:
                b = ends[b]
            else:
                break
        if a < b:
            statements.append(_statement(text, lines, len(statements), a, b, spans))
    return SplitResult(statements, comments, [])


def _by_lexer(text: str, file: str, lines: _Lines) -> SplitResult:
    from pglast import parser

    try:
        tokens = parser.scan(text)
    except parser.ParseError as e:
        message = str(e.args[0]) if e.args else str(e)
        index = int(e.args[1]) if len(e.args) > 1 else 0
        return SplitResult([], [], [_scan_error(text, message, index, file, lines)])

    statements: list[Statement] = []
    comments: list[Comment] = []
    blanks: list[tuple[int, int]] = []  # comment spans of the current statement
    first = last = -1  # offsets of the current statement's first and last token
    paren = atomic = 0
    previous = ""

    def finish() -> None:
        nonlocal first, last, blanks
        if first >= 0:
            statements.append(_statement(text, lines, len(statements), first, last + 1, blanks))
        first, last, blanks = -1, -1, []

    for start, end, name, _ in tokens:
        end += 1
        if name in _COMMENTS:
            comments.append(_comment(text, lines, start, end))
            if first >= 0:
                blanks.append((start, end))
            continue
        if name == "ASCII_59" and paren <= 0 and atomic == 0:  # ;
            finish()
            paren, atomic, previous = 0, 0, ""
            continue
        if first < 0:
            first = start
        last = end - 1
        if name not in _NESTING:
            previous = name
            continue
        if name == "ASCII_40":
            paren += 1
        elif name == "ASCII_41":
            paren -= 1
        elif (name == "ATOMIC" and previous == "BEGIN_P") or (atomic and name == "CASE"):
            atomic += 1
        elif atomic and name == "END_P":
            atomic -= 1
        previous = name
    finish()
    return SplitResult(statements, comments, [])
