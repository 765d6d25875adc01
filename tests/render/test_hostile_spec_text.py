"""Hostile spec text (issue 15, items 1 and 2): refused with its location, or rendered inert.

Whatever the product name, description and units hold, either validation refuses the
spec with located problems, or every rendered file still parses in its own language,
says the text literally (no injected Makefile line, TOML key, Python code, HTML or
Markdown markup) and the generated prompt catalogue loads.
"""

from __future__ import annotations

import ast
import configparser
import io
import json
import re
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest
import yaml
from dotenv import dotenv_values
from hypothesis import HealthCheck, event, example, given, settings
from hypothesis import strategies as st
from markdown_it import MarkdownIt
from markdown_it.token import Token

from archgen.errors import SpecError
from archgen.render import RenderedProject, render_project
from archgen.resources import blueprints_dir
from archgen.spec import parse_spec
from archgen.spec.models import Framework, ProductSpec

from .hostile import HOSTILE_PIECES, HOSTILE_TEXT, markdown_text, printable
from .projects import rendered

# doc-qa's name goes into the system prompts (its description no longer does: issue 17),
# and it has the most targets.
BLUEPRINT = "doc-qa"
BLUEPRINT_TEXT = (blueprints_dir() / f"{BLUEPRINT}.yaml").read_text(encoding="utf-8")
MAKE_TARGETS = ("install", "run", "test", "lint", "format")
EXPLOIT = "Evil\nPYTHON = echo PWNED ...\n#"

_LOAD_PROMPTS = """
import json
from app.services.prompts import PromptStore

store = PromptStore()
problems = [str(p) for p in store.check()]
bodies = {name: store.get(name).render() for name in store.published()}
print(json.dumps({"problems": problems, "bodies": bodies}))
"""


def yaml_scalar(value: str) -> str:
    """``value`` as a double-quoted YAML scalar: printable ASCII as is, the rest escaped."""
    return (
        '"'
        + "".join(c if " " <= c <= "~" and c not in '"\\' else f"\\U{ord(c):08x}" for c in value)
        + '"'
    )


def spec_text(name: str, description: str = "", unit: str = "question") -> str:
    """The doc-qa blueprint with the product's free text and the first unit replaced."""
    text = re.sub(r"(?m)^  name: DocAsk$", lambda _: f"  name: {yaml_scalar(name)}", BLUEPRINT_TEXT)
    text = re.sub(
        r"(?m)^  description: .*$", lambda _: f"  description: {yaml_scalar(description)}", text
    )
    return text.replace("unit: question", f"unit: {yaml_scalar(unit)}", 1)


def _run(args: list[str], cwd: Path) -> str:
    done = subprocess.run(args, cwd=cwd, capture_output=True, text=True, timeout=120, check=False)
    assert done.returncode == 0, f"{args} failed:\n{done.stdout}\n{done.stderr}"
    return done.stdout


def _write(project: RenderedProject, root: Path) -> Path:
    for rel, data in project.files.items():
        (root / rel).parent.mkdir(parents=True, exist_ok=True)
        (root / rel).write_bytes(data)
    return root


def _make_plans(root: Path) -> dict[str, str]:
    """What ``make -n`` would run for each documented target (nothing is run)."""
    return {t: _run(["make", "-n", "--no-print-directory", t], root) for t in MAKE_TARGETS}


_BASELINES: dict[Framework, dict[str, str]] = {}


def _baseline_make(framework: Framework, tmp: Path) -> dict[str, str]:
    if framework not in _BASELINES:
        _BASELINES[framework] = _make_plans(_write(rendered(BLUEPRINT, framework.value), tmp))
    return _BASELINES[framework]


def _check_parses(project: RenderedProject) -> None:
    """Every file parses in its own language."""
    for rel, data in project.files.items():
        text = data.decode("utf-8")
        if rel.endswith(".py"):
            ast.parse(text, rel)
        elif rel.endswith(".toml"):
            tomllib.loads(text)
        elif rel.endswith((".json", ".lock")):
            json.loads(text)
        elif rel.endswith((".yaml", ".yml")):
            yaml.safe_load(text)
        elif rel.endswith(".ini"):
            configparser.ConfigParser(interpolation=None).read_string(text)
        elif rel.endswith(".env.example"):
            assert dotenv_values(stream=io.StringIO(text))


def _python_constant(project: RenderedProject, rel: str, name: str) -> object:
    tree = ast.parse(project.files[rel].decode())
    for node in tree.body:
        if isinstance(node, ast.Assign) and [getattr(t, "id", None) for t in node.targets] == [
            name
        ]:
            return ast.literal_eval(node.value)
    raise AssertionError(f"{name} not assigned in {rel}")


def _plain(inline: Token) -> str | None:
    """The text of an inline token made only of text, else None."""
    children = inline.children or []
    return "".join(c.content for c in children) if {c.type for c in children} <= {"text"} else None


MARKERS = {"<!-- permissions:start -->\n", "<!-- permissions:end -->\n"}


def _check_markdown(project: RenderedProject, spec: ProductSpec) -> None:
    """No raw HTML or markup from the spec; headings and cells read as the spec's text."""
    md = MarkdownIt("commonmark").enable("table")
    units = {w.unit for w in spec.workflows}
    for rel in ("README.md", "docs/architecture.md"):
        tokens = md.parse(project.files[rel].decode())
        # Our own markers (the permission table's bounds) are the only HTML allowed.
        html = [t for t in tokens if t.type == "html_block" and t.content not in MARKERS]
        assert not html, rel
        inline = [t for t in tokens if t.type == "inline"]
        assert not [c for t in inline for c in t.children or [] if c.type == "html_inline"], rel
        assert tokens[0].type == "heading_open" and tokens[0].tag == "h1", rel
        title = markdown_text(tokens[1])
        assert title in (spec.product.name, f"{spec.product.name}: architecture at a glance")
        assert units <= {_plain(t) for t in inline}, rel
    readme = md.parse(project.files["README.md"].decode())
    if spec.product.description:
        assert readme[3].type == "paragraph_open"
        assert markdown_text(readme[4]) == spec.product.description


def _check_prompts(root: Path, spec: ProductSpec) -> None:
    """The catalogue loads, and its system prompts quote the product's name literally
    (and never its description: marketing copy is not an instruction)."""
    loaded = json.loads(_run([sys.executable, "-c", _LOAD_PROMPTS], root))
    assert loaded["problems"] == []
    about = spec.product.name
    # The renderer normalises "${ name }" to "${name}" when it unescapes it.
    about = re.sub(r"\$\{\s*([A-Za-z_][A-Za-z0-9_]*)\s*\}", r"${\1}", about)
    for body in loaded["bodies"].values():
        assert body.startswith(f"You are the assistant behind {about}.\n")


def check_project(project: RenderedProject, spec: ProductSpec, root: Path, base: Path) -> None:
    """Every check of this module on one rendered ``project`` of ``spec``."""
    _check_parses(project)
    assert _python_constant(project, "app/core/catalog.py", "PRODUCT_NAME") == spec.product.name
    pyproject = tomllib.loads(project.files["pyproject.toml"].decode())
    assert pyproject["project"]["description"] == spec.product.description
    assert set(pyproject) == {"build-system", "project", "tool"}
    _check_markdown(project, spec)
    _write(project, root)
    assert _make_plans(root) == _baseline_make(project.framework, base)
    _check_prompts(root, spec)


def render_or_problems(
    text: str, framework: Framework
) -> tuple[RenderedProject, ProductSpec] | None:
    """The rendered project, or None when validation refused ``text`` with located problems."""
    try:
        spec = parse_spec(text, "hostile.yaml")
    except SpecError as exc:
        for problem in exc.problems:
            assert problem.file == "hostile.yaml"
            assert problem.line is not None and problem.column is not None, problem
            assert problem.path.startswith(
                ("product.name", "product.description", "workflows[0].unit")
            )
            assert "internal error" not in problem.message
        return None
    return render_project(spec, spec_text=text, framework=framework), spec


# --------------------------------------------------------------------------- the reports


def test_the_reported_makefile_exploit_is_refused_at_its_line() -> None:
    with pytest.raises(SpecError) as info:
        parse_spec(spec_text(EXPLOIT), "evil.yaml")

    [problem] = info.value.problems
    assert (problem.file, problem.line, problem.path) == ("evil.yaml", 7, "product.name")
    assert "must be one line" in problem.message


def test_a_name_that_could_continue_a_makefile_comment_runs_nothing_extra(
    tmp_path: Path,
) -> None:
    """A trailing backslash continues a make comment; with the next line it would swallow
    the PYTHON default. The Makefile must plan exactly what the blueprint's does."""
    name = "Evil \\"
    text = spec_text(name, "PYTHON = echo PWNED $(shell touch pwned)")
    result = render_or_problems(text, Framework.flask)
    assert result is not None

    check_project(*result, root=tmp_path / "p", base=tmp_path / "base")
    assert not (tmp_path / "p" / "pwned").exists()


@pytest.mark.parametrize("framework", list(Framework))
def test_placeholders_in_name_and_description_stay_literal_in_prompts(
    tmp_path: Path, framework: Framework
) -> None:
    """Issue 15 item 2: "${x}" in the spec made every prompt file fail to load."""
    text = spec_text("Docs ${x}", "Ask ${ question } for $5; $${literal} stays.")
    result = render_or_problems(text, framework)
    assert result is not None
    project, spec = result

    check_project(project, spec, root=tmp_path / "p", base=tmp_path / "base")
    body = project.files["app/prompts/pdf_question/v1.md"].decode()
    assert "behind Docs $${x}." in body
    assert "question" not in body.split("\n---\n", 1)[1].split("\n")[0]


@pytest.mark.parametrize("field", ["name", "description"])
def test_double_brace_placeholders_are_refused_naming_the_field(field: str) -> None:
    args = {"name": "DocAsk", "description": "", field: "Ask {{ question }}"}
    with pytest.raises(SpecError) as info:
        parse_spec(spec_text(args["name"], args["description"]), "brace.yaml")

    [problem] = info.value.problems
    assert problem.path == f"product.{field}" and problem.line in (7, 8)
    assert "prompt files" in problem.message


# --------------------------------------------------------------------------- properties

_DOUBLE_BRACE = re.compile(r"\{\{\s*[A-Za-z_][A-Za-z0-9_]*\s*\}\}")


@settings(max_examples=150, deadline=None, database=None)
@given(name=HOSTILE_TEXT, description=HOSTILE_TEXT)
def test_validation_refuses_exactly_what_cannot_be_escaped(name: str, description: str) -> None:
    """Refused: hidden characters and line breaks, '<' '>' in the name, {{ x }}; all located."""
    name, description = name.strip() or "x", description.strip()
    expect_ok = (
        all(map(printable, name + description))
        and not {"<", ">"} & set(name)
        and not _DOUBLE_BRACE.search(name + "\0" + description)
        and len(name) <= 80
    )
    try:
        spec = parse_spec(spec_text(name, description), "hostile.yaml")
    except SpecError as exc:
        assert not expect_ok, [str(p) for p in exc.problems]
        for problem in exc.problems:
            assert problem.file == "hostile.yaml" and problem.line is not None, problem
            assert problem.path in ("product.name", "product.description"), problem
            assert "internal error" not in problem.message
            assert problem.message.isprintable()
    else:
        assert expect_ok
        assert (spec.product.name, spec.product.description) == (name, description)


# Text validation accepts (hostile to every output format, but printable), so that
# every example renders; what validation refuses is covered by the test above it.
_PRINTABLE_PIECES = [p for p in HOSTILE_PIECES if all(printable(c) for c in p)]
_PRINTABLE_TEXT = st.lists(
    st.one_of(
        st.sampled_from(_PRINTABLE_PIECES),
        st.characters(categories=["L", "M", "N", "P", "S", "Zs"]),
    ),
    min_size=1,
    max_size=12,
).map("".join)
_UNIT = st.from_regex(r"[A-Za-z][A-Za-z0-9 _-]{0,12}", fullmatch=True)

RENDERS = settings(
    max_examples=3,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)


@RENDERS
@given(
    name=_PRINTABLE_TEXT.map(lambda text: text.replace("<", "(").replace(">", ")")),
    description=_PRINTABLE_TEXT,
    unit=_UNIT,
    framework=st.sampled_from(list(Framework)),
)
@example(
    name="`Evil` *bold* # $x$ & [a](b) | \\",
    description="- <script>alert(1)</script> {% x %} ${y} {{ z } \"q\" 'q' \U0001f600 \u200f",
    unit="per _q_ x",
    framework=Framework.fastapi,
)
@example(  # the longest name, all escapes: the Python literal is split over lines
    name="\U0001f600" * 40 + "\u0416" * 40,
    description="x" * 500,
    unit="question",
    framework=Framework.flask,
)
def test_hostile_free_text_is_refused_or_rendered_inert(
    tmp_path_factory: pytest.TempPathFactory,
    name: str,
    description: str,
    unit: str,
    framework: Framework,
) -> None:
    result = render_or_problems(spec_text(name, description, unit), framework)
    event("refused with located problems" if result is None else "rendered")
    if result is not None:
        tmp = tmp_path_factory.mktemp("hostile")
        check_project(*result, root=tmp / "p", base=tmp_path_factory.mktemp("base"))
