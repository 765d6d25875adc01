"""The CLI's error edge: every failure is one clear message and a documented exit code.

OSErrors are bad input (2), archgen bugs are internal errors (70, traceback only with
--debug), and user text reaches the terminal exactly as written.
"""

from __future__ import annotations

import json
import resource
import signal
import subprocess
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from archgen.cli import app
from archgen.errors import EXIT_BAD_INPUT, EXIT_INTERNAL, RenderError
from archgen.resources import blueprints_dir

runner = CliRunner()
AI_SAAS = blueprints_dir() / "ai-saas.yaml"
ARCHGEN_NEW = [sys.executable, "-m", "archgen", "new", "--blueprint", "ai-saas"]


def invoke(*args: str):
    return runner.invoke(app, list(args))


def test_a_problem_at_line_100_prints_its_location_not_an_emoji(tmp_path: Path) -> None:
    text = AI_SAAS.read_text().replace("requests_per_minute: 10", "requests_per_minute: ten", 1)
    line = text.splitlines().index("    requests_per_minute: ten") + 1
    padding = "# padding\n" * (100 - line)
    bad = tmp_path / "file.yaml"
    bad.write_text(padding + text)

    result = invoke("validate", str(bad))

    assert result.exit_code == EXIT_BAD_INPUT
    assert f"{bad}:100:" in result.stderr
    assert "\N{HUNDRED POINTS SYMBOL}" not in result.stderr


def test_markup_in_a_product_name_is_printed_as_written(tmp_path: Path) -> None:
    spec = tmp_path / "acme.yaml"
    spec.write_text(AI_SAAS.read_text().replace("name: Acme AI", 'name: "Acme [bold]AI[/bold]"'))

    result = invoke("validate", str(spec))

    assert result.exit_code == 0, result.output
    assert "Acme [bold]AI[/bold]" in result.stderr


def test_an_out_path_that_cannot_be_created_is_bad_input(tmp_path: Path) -> None:
    (tmp_path / "a-file").write_text("not a directory")
    out = tmp_path / "a-file" / "project"

    result = invoke("new", "--blueprint", "ai-saas", "--out", str(out), "--no-verify")

    assert result.exit_code == EXIT_BAD_INPUT, result.output
    assert str(tmp_path / "a-file") in result.stderr
    assert "Not a directory" in result.stderr
    assert "Traceback" not in result.output


def test_a_zip_into_a_missing_directory_is_bad_input_and_writes_nothing(tmp_path: Path) -> None:
    target = tmp_path / "missing" / "acme.zip"

    result = invoke("new", "--blueprint", "ai-saas", "--zip", str(target), "--no-verify")

    assert result.exit_code == EXIT_BAD_INPUT, result.output
    assert "does not exist" in result.stderr
    assert not (tmp_path / "missing").exists()


def _limit_file_size() -> None:
    # What a full disk looks like to archgen: writes fail with an OSError midway.
    signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
    resource.setrlimit(resource.RLIMIT_FSIZE, (60_000, 60_000))


def test_a_full_disk_is_a_clear_message_and_no_partial_zip(tmp_path: Path) -> None:
    target = tmp_path / "acme.zip"

    done = subprocess.run(
        [*ARCHGEN_NEW, "--zip", str(target), "--no-verify"],
        capture_output=True,
        text=True,
        check=False,
        preexec_fn=_limit_file_size,
        timeout=300,
    )

    assert done.returncode == EXIT_BAD_INPUT, done.stderr
    assert "File too large" in done.stderr
    assert "Traceback" not in done.stderr
    assert list(tmp_path.iterdir()) == []


def _raise(exc: BaseException):
    def fail(*_args: object, **_kwargs: object) -> None:
        raise exc

    return fail


@pytest.mark.parametrize("debug", [False, True])
def test_a_bug_is_an_internal_error_with_its_own_exit_code(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, debug: bool
) -> None:
    # The one stand-in here: a bug has to be planted to be observed.
    monkeypatch.setattr("archgen.cli.new.generate", _raise(ZeroDivisionError("oops")))

    result = invoke(
        *(["--debug"] if debug else []),
        "new",
        "--blueprint",
        "ai-saas",
        "--out",
        str(tmp_path / "out"),
        "--no-verify",
    )

    assert result.exit_code == EXIT_INTERNAL == 70
    assert "internal error, please report" in result.stderr
    assert "ZeroDivisionError: oops" in result.stderr
    assert ("Traceback" in result.stderr) is debug


def test_a_render_error_is_not_exit_1(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # 1 means the generated tests failed; a template bug is archgen's, not the user's.
    monkeypatch.setattr("archgen.cli.new.generate", _raise(RenderError("layer x broke")))

    result = invoke("new", "--blueprint", "ai-saas", "--out", str(tmp_path / "o"), "--json")

    assert result.exit_code == EXIT_INTERNAL
    assert "internal error, please report: layer x broke" in result.stderr
    assert json.loads(result.stdout)["error"] == "RenderError"


def test_help_documents_every_exit_code() -> None:
    result = invoke("--help")

    assert result.exit_code == 0
    for code in (
        "0 ok",
        "1 the generated project",
        "2 bad",
        "3 `archgen update` left merge conflicts",
        "70 internal error",
    ):
        assert code in " ".join(result.output.split()), code
    assert "--debug" in result.output
