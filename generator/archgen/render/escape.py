"""Spec text made safe for each file format it is printed into.

Validation (``archgen.spec.models``) already refuses control and invisible characters
and line breaks in one-line fields; these functions make the text that remains mean
exactly itself in the target format, so a product name can never become a Makefile
rule, a TOML key, Python code, Markdown markup or a prompt placeholder.

Each function is total (any ``str`` in, valid text out) and deterministic.
"""

from __future__ import annotations

import re
import unicodedata

# Characters never printed raw into a generated file: C0/C1 controls, DEL, invisible
# format characters (bidi overrides...), surrogates, private use, unassigned, and the
# Unicode line and paragraph separators.
_HIDDEN_CATEGORIES = frozenset({"Cc", "Cf", "Cs", "Co", "Cn", "Zl", "Zp"})

# The short escapes Python and TOML share.
_SHORT_ESCAPES = {'"': '\\"', "\\": "\\\\", "\n": "\\n", "\r": "\\r", "\t": "\\t"}

# Long Python literals are split so no generated line passes ruff's line length.
_PYTHON_CHUNK = 60

# ASCII punctuation that Markdown (CommonMark + GitHub extensions) or inline HTML gives
# a meaning to anywhere in a line: code spans, emphasis, links and images, raw HTML and
# entities, table cells, strikethrough, math, and a heading's closing #s.
_MARKDOWN_INLINE = frozenset("\\`*_[]<>&|~$#")
# At the start of a line these open a list, a quote or a setext/thematic break.
_MARKDOWN_LINE_START = re.compile(r"^([-+=]|\d+[.)])")

# The generated prompt format's placeholder (app/services/prompts/model.py,
# PLACEHOLDER_RE); "$${name}" is its escape for a literal "${name}".
_PROMPT_PLACEHOLDER = re.compile(r"\$(?=\{\s*[A-Za-z_][A-Za-z0-9_]*\s*\})")


# Zero-width (non-)joiners are invisible but spell words in Persian and Indic scripts.
_JOINERS = frozenset({"\u200c", "\u200d"})


def _hidden(char: str) -> bool:
    return char not in _JOINERS and unicodedata.category(char) in _HIDDEN_CATEGORIES


def _code_point_escape(char: str) -> str:
    """``\\uXXXX`` or ``\\UXXXXXXXX``: understood by Python and TOML alike."""
    point = ord(char)
    return f"\\u{point:04x}" if point <= 0xFFFF else f"\\U{point:08x}"


def _python_char(char: str) -> str:
    if char in _SHORT_ESCAPES:
        return _SHORT_ESCAPES[char]
    if " " <= char <= "~":
        return char
    # Non-ASCII is escaped too: ruff (RUF001) rejects letters that look like ASCII
    # ones, and PLE2502 bidi controls; escapes keep any name lint-clean.
    return _code_point_escape(char)


def python_str(text: str) -> str:
    """A Python expression for ``text``: an ASCII string literal, parenthesised pieces if long.

    The pieces are implicitly concatenated, so ``ruff format`` can lay them out within
    the line length whatever the text's length or escapes.
    """
    pieces: list[str] = []
    current = ""
    for char in text:
        escaped = _python_char(char)
        if current and len(current) + len(escaped) > _PYTHON_CHUNK:
            pieces.append(current)
            current = ""
        current += escaped
    pieces.append(current)
    if len(pieces) == 1:
        return f'"{pieces[0]}"'
    return "(" + " ".join(f'"{piece}"' for piece in pieces) + ")"


def toml_str(text: str) -> str:
    """A TOML basic string (one line) for ``text``; printable Unicode stays readable."""
    out = []
    for char in text:
        if char in _SHORT_ESCAPES:
            out.append(_SHORT_ESCAPES[char])
        elif char == "\x7f" or char < " " or _hidden(char):
            out.append(_code_point_escape(char))
        else:
            out.append(char)
    return '"' + "".join(out) + '"'


def _visible_line(text: str) -> str:
    """``text`` on one line, hidden characters shown as ``U+XXXX``."""
    text = " ".join(text.splitlines())
    return "".join(f"U+{ord(c):04X}" if _hidden(c) else c for c in text)


def markdown_inline(text: str) -> str:
    """``text`` as literal Markdown inline content: a heading, a paragraph or a table cell.

    Markup characters are backslash-escaped (CommonMark renders ``\\<`` as ``<``), so the
    text cannot open raw HTML, links, emphasis, code or table cells, nor start a list.
    """
    line = _visible_line(text)
    escaped = "".join("\\" + c if c in _MARKDOWN_INLINE else c for c in line)
    match = _MARKDOWN_LINE_START.match(escaped)
    if match:
        marker = match.group(1)
        escaped = marker[:-1] + "\\" + marker[-1] + escaped[len(marker) :]
    return escaped


def makefile_comment(text: str) -> str:
    """``text`` for the inside of a one-line ``#`` comment in a Makefile.

    A line break would end the comment and start a rule or variable assignment; a
    trailing backslash would continue the comment onto the next line and swallow it.
    """
    line = _visible_line(text)
    return line + " " if line.endswith("\\") else line


def prompt_text(text: str) -> str:
    """``text`` as literal body text of a generated prompt file: ``${x}`` becomes ``$${x}``.

    The prompt format has no escape for ``{{ x }}``, which it refuses; validation
    refuses that in the spec fields copied into prompts.
    """
    return _PROMPT_PLACEHOLDER.sub("$$", " ".join(text.splitlines()))
