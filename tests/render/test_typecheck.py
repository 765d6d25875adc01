"""Generated projects are type-checked: mypy strict, run by their `make test`."""

from __future__ import annotations

import re
import tomllib

import pytest

from tests.render.projects import FRAMEWORKS, rendered


@pytest.mark.parametrize("framework", FRAMEWORKS)
def test_mypy_is_configured_strict_and_run_by_make_test(framework: str) -> None:
    files = rendered("ai-saas", framework).files
    pyproject = tomllib.loads(files["pyproject.toml"].decode())
    mypy = pyproject["tool"]["mypy"]
    assert mypy["strict"] is True
    assert mypy["plugins"] == ["pydantic.mypy"]
    assert mypy["files"] == ["app", "tests"]
    test_extra = pyproject["project"]["optional-dependencies"]["test"]
    assert any(d.startswith("mypy>=") for d in test_extra)

    makefile = files["Makefile"].decode()
    assert re.search(r"^typecheck: install\n\t\$\(BIN\)/mypy$", makefile, re.M)
    assert re.search(r"^test: lint typecheck$", makefile, re.M)
    assert ".mypy_cache/" in files[".gitignore"].decode()
