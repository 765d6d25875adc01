"""Hostile text for the escaping tests: what an attacker or a careless paste puts in a spec."""

from __future__ import annotations

import unicodedata

from hypothesis import strategies as st
from markdown_it.token import Token

# Pieces that mean something in some output format, plus characters from all of Unicode.
HOSTILE_PIECES = (
    "\n",
    "\r",
    "\r\n",
    "\t",
    "\x00",
    "\x1b[31m",
    "\x7f",
    "\x85",
    "\u2028",
    "\ufeff",
    "\u202e",  # right-to-left override
    "\u200f",  # right-to-left mark
    "\u200d",  # zero-width joiner
    "\U0001f600",  # outside the BMP
    "\U0001d400",
    "é",
    "日本",
    " ",
    "  ",
    "\u00a0",
    "a",
    "Z",
    "0",
    "1.",
    "$",
    "$$",
    "${",
    "${x}",
    "$${y}",
    "${ z }",
    "$(shell id)",
    "{{",
    "}}",
    "{{ x }}",
    "{%",
    "%}",
    "{x}",
    "#",
    "\\",
    "\\\n",
    '"',
    "'",
    "'''",
    '"""',
    "`",
    "```",
    "<script>alert(1)</script>",
    "</title>",
    "<!--",
    "&amp;",
    "&",
    "|",
    "*",
    "_",
    "~~",
    "[x](javascript:alert(1))",
    "![i](x)",
    "-",
    "+",
    "=",
    ">",
    ":",
    ";",
    "---",
    "PYTHON = echo PWNED",
    "[tool]",
    "key = 1",
)

HOSTILE_TEXT = st.lists(
    st.one_of(st.sampled_from(HOSTILE_PIECES), st.characters()), max_size=16
).map("".join)

_JOINERS = {"\u200c", "\u200d"}


def printable(char: str) -> bool:
    """What a one-line spec field may hold (see archgen.spec.models)."""
    category = unicodedata.category(char)
    return char in _JOINERS or not (category.startswith("C") or category in ("Zl", "Zp"))


def printable_line(text: str) -> str:
    """``text`` with everything validation refuses in a one-line field dropped."""
    return "".join(c for c in text if printable(c))


def markdown_text(inline: Token) -> str:
    """The text an inline token renders to, asserting it holds no markup at all."""
    assert inline.type == "inline", inline
    kinds = {child.type for child in inline.children or []}
    assert kinds <= {"text"}, f"markup injected: {kinds} in {inline.content!r}"
    return "".join(child.content for child in inline.children or [])
