"""Template layers render with StrictUndefined and no tasks: typos fail loudly."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from archgen.errors import RenderError
from archgen.render.layers import Layer
from archgen.render.pipeline import _render_layer
from archgen.resources import templates_dir


def make_layer(tmp_path: Path, files: dict[str, str]) -> Layer:
    root = tmp_path / "layer"
    root.mkdir()
    shutil.copy(templates_dir() / "shared" / "core" / "copier.yml", root / "copier.yml")
    for name, text in files.items():
        (root / name).write_text(text)
    return Layer("test", root, async_source=False)


def test_an_undefined_variable_is_a_render_error(tmp_path: Path) -> None:
    layer = make_layer(tmp_path, {"x.py.jinja": "NAME = {{ ctx.product.nmae }}\n"})

    with pytest.raises(RenderError, match="nmae"):
        _render_layer(layer, {"product": {"name": "A"}}, tmp_path / "out")


def test_plain_files_are_copied_verbatim_and_jinja_files_rendered(tmp_path: Path) -> None:
    layer = make_layer(
        tmp_path,
        {"plain.py": "X = '{{ not rendered }}'\n", "v.py.jinja": "NAME = {{ ctx.n | tojson }}\n"},
    )

    _render_layer(layer, {"n": "acme"}, tmp_path / "out")

    assert (tmp_path / "out" / "plain.py").read_text() == "X = '{{ not rendered }}'\n"
    assert (tmp_path / "out" / "v.py").read_text() == 'NAME = "acme"\n'
    assert not (tmp_path / "out" / "copier.yml").exists()


def test_every_layer_declares_strict_undefined_and_no_tasks() -> None:
    for copier_yml in templates_dir().rglob("copier.yml"):
        text = copier_yml.read_text()
        assert "undefined: jinja2.StrictUndefined" in text, copier_yml
        assert "_tasks" not in text and "_migrations" not in text, copier_yml


def test_layers_agree_on_what_the_single_copier_run_assumes() -> None:
    # One Copier run renders every layer's .jinja files with the first layer's settings,
    # and plain files are copied by archgen with its own exclude list.
    from ruamel.yaml import YAML

    from archgen.render.pipeline import EXCLUDED

    configs = [YAML(typ="safe").load(p.read_text()) for p in templates_dir().rglob("copier.yml")]
    assert len(configs) >= 4
    for config in configs:
        assert config["_envops"] == configs[0]["_envops"]
        assert config["_templates_suffix"] == ".jinja"
        assert set(config["_exclude"]) <= set(EXCLUDED)
