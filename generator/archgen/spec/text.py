"""The rules for free text in a spec (product name and description).

Free text lands in generated Makefiles, TOML, Python, Markdown and prompt files. What
no escaping can make safe, or what would hide in a file (line breaks, control and
invisible characters), is refused here with a message saying why; everything else is
escaped per format at render time (``archgen.render.escape``).
"""

from __future__ import annotations

import re
import unicodedata

# Zero-width (non-)joiners are invisible but spell words in Persian and Indic scripts.
_JOINERS = frozenset({"\u200c", "\u200d"})
# The generated prompt format refuses {{ name }} and has no escape for it
# (app/services/prompts/model.py, DOUBLE_BRACE_RE); ${name} is escaped instead.
_DOUBLE_BRACE_RE = re.compile(r"\{\{\s*[A-Za-z_][A-Za-z0-9_]*\s*\}\}")

PRINTABLE_TEXT = (
    "One line of printable Unicode text: no line breaks, tabs, control characters or "
    "invisible formatting characters (bidi overrides...); zero-width joiners are allowed."
)


def _character(char: str) -> str:
    name = unicodedata.name(char, "")
    names = {"\t": "a tab", "\n": "a line break", "\r": "a carriage return"}
    control = unicodedata.category(char) == "Cc"
    label = names.get(char) or ("a control character" if control else "the character")
    return f"{label} U+{ord(char):04X}" + (f" ({name})" if name else "")


def one_printable_line(value: str) -> str:
    """Refuse what would break a line or hide in a generated file (see PRINTABLE_TEXT)."""
    for index, char in enumerate(value, start=1):
        category = unicodedata.category(char)
        if char in "\n\r" or category in ("Zl", "Zp"):
            raise ValueError(
                f"must be one line, found {_character(char)} at character {index}: "
                "it would end a line in the generated Makefile, README and prompts"
            )
        if category.startswith("C") and char not in _JOINERS:
            raise ValueError(
                f"found {_character(char)} at character {index}: only printable "
                "characters are allowed (control and invisible characters would hide in, "
                "or break, the generated files)"
            )
    return value


def no_prompt_placeholder(value: str) -> str:
    """Refuse ``{{ name }}``: the text is copied into prompt files, whose format rejects it."""
    found = _DOUBLE_BRACE_RE.search(value)
    if found:
        raise ValueError(
            f"'{found.group(0)}' would be read as a placeholder in the generated prompt "
            "files, which refuse double braces: write it without them "
            "(a ${name} is fine, it is escaped)"
        )
    return value


def no_html_tags(value: str) -> str:
    """Refuse ``<`` and ``>``: the name is an HTML page title (FastAPI's /docs) unescaped."""
    if "<" in value or ">" in value:
        raise ValueError(
            "must not contain '<' or '>': the name is the title of HTML pages "
            "(the API docs page) that do not escape it"
        )
    return value
