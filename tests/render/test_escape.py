"""``archgen.render.escape``: any text, escaped, means exactly itself in its target format."""

from __future__ import annotations

import ast
import re
import subprocess
import tomllib
from pathlib import Path

from hypothesis import assume, given, settings
from markdown_it import MarkdownIt

from archgen.render.escape import (
    makefile_comment,
    markdown_inline,
    prompt_text,
    python_str,
    toml_str,
)

from .hostile import HOSTILE_TEXT, markdown_text, printable_line

ESCAPES = settings(max_examples=200, deadline=None, database=None)

# The generated project's placeholder syntax (app/services/prompts/model.py): what a
# prompt body means once rendered with no variables.
_PLACEHOLDER = re.compile(r"\$(\$?)\{\s*([A-Za-z_][A-Za-z0-9_]*)\s*\}")


def _render_prompt(body: str) -> str:
    def replace(match: re.Match[str]) -> str:
        assert match.group(1), f"unescaped placeholder {match.group(0)!r}"
        return "${" + match.group(2) + "}"

    return _PLACEHOLDER.sub(replace, body)


@ESCAPES
@given(HOSTILE_TEXT)
def test_python_literal_is_the_text_and_ascii(text: str) -> None:
    literal = python_str(text)

    assert ast.literal_eval(literal) == text
    assert literal.isascii()
    # Pieces short enough for ruff format to lay out one per line within 100 columns.
    pieces = re.findall(r'"(?:[^"\\]|\\.)*"', literal)
    assert max(len(piece) for piece in pieces) <= 72


@ESCAPES
@given(HOSTILE_TEXT)
def test_toml_string_is_the_text(text: str) -> None:
    # TOML cannot hold a lone surrogate at all; the spec refuses them (tests/spec).
    assume(not any(0xD800 <= ord(char) <= 0xDFFF for char in text))
    assert tomllib.loads(f"x = {toml_str(text)}\n") == {"x": text}


@ESCAPES
@given(HOSTILE_TEXT)
def test_markdown_heading_and_table_cell_read_as_the_text(text: str) -> None:
    line = printable_line(text).strip()
    escaped = markdown_inline(line)
    md = MarkdownIt("commonmark").enable("table")

    heading = md.parse(f"# {escaped}\n")
    assert [t.type for t in heading][:1] == ["heading_open"]
    assert markdown_text(heading[1]) == line
    table = md.parse(f"| a | b |\n| --- | --- |\n| {escaped} | z |\n")
    cells = [markdown_text(t) for t in table if t.type == "inline"]
    assert cells == ["a", "b", line, "z"]


@ESCAPES
@given(HOSTILE_TEXT)
def test_prompt_text_renders_back_to_itself(text: str) -> None:
    line = printable_line(text)
    # Every ${name} the text holds comes back as written (the renderer drops the
    # spaces inside ${ name }, which is its own normalisation).
    expected = re.sub(r"\$\{\s*([A-Za-z_][A-Za-z0-9_]*)\s*\}", r"${\1}", line)
    assert _render_prompt(prompt_text(line)) == expected


def test_prompt_text_escapes_placeholders_only() -> None:
    assert prompt_text("a ${x} b") == "a $${x} b"
    assert prompt_text("$${x}") == "$$${x}"
    assert (
        prompt_text("cost: $5 {x} ${ not an id } {{ y }}") == "cost: $5 {x} ${ not an id } {{ y }}"
    )


def test_python_literal_splits_long_text_into_pieces() -> None:
    text = "\U0001f600" * 80
    literal = python_str(text)

    assert literal.startswith("(") and ast.literal_eval(literal) == text
    assert python_str("Acme AI") == '"Acme AI"'


def test_makefile_comment_cannot_continue_or_break_the_line(tmp_path: Path) -> None:
    for text in ("Evil \\", "Evil\nPYTHON = echo PWNED\n#", "a\rb"):
        makefile = tmp_path / "Makefile"
        makefile.write_text(
            f"# {makefile_comment(text)}\nPYTHON ?= python3\nshow:\n\t@echo $(PYTHON)\n"
        )
        out = subprocess.run(
            ["make", "-s", "-f", str(makefile), "show"],
            capture_output=True,
            text=True,
            check=True,
            env={"PATH": "/usr/bin:/bin"},
        )
        assert out.stdout == "python3\n"


def test_plain_text_stays_readable() -> None:
    text = "Upload PDFs and ask questions about them; prepaid credits, no surprise bills."
    assert markdown_inline(text) == text
    assert toml_str("Café") == '"Café"'
    assert markdown_inline("1. first") == "1\\. first"
    assert markdown_inline("- item") == "\\- item"
