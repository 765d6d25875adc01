"""The render pipeline: spec -> context -> Copier layers -> sync flavour -> ruff -> files.

Everything happens in a private temporary directory; the result is an in-memory
map of relative path -> bytes, written out by ``archgen.render.output``.
"""

from __future__ import annotations

import io
import shutil
import tempfile
from dataclasses import dataclass
from pathlib import Path

from copier import run_copy
from ruamel.yaml import YAML

from archgen import __version__
from archgen.errors import RenderError
from archgen.render.context import build_context
from archgen.render.layers import Layer, layers_for
from archgen.render.lint import format_and_lint
from archgen.render.manifest import MANIFEST_PATH, build_manifest, sha256
from archgen.render.prompts import prompt_files
from archgen.render.unasync import RuleUsage, to_sync
from archgen.spec.models import Framework, ProductSpec

SPEC_PATH = "archgen.yaml"


@dataclass(frozen=True)
class RenderedProject:
    slug: str
    framework: Framework
    files: dict[str, bytes]  # relative POSIX path -> content, sorted by path


def _render_layer(layer: Layer, context: dict[str, object], dest: Path) -> None:
    try:
        run_copy(
            str(layer.path),
            str(dest),
            data={"ctx": context},
            defaults=True,
            overwrite=True,
            quiet=True,
            unsafe=False,
            skip_tasks=True,
        )
    except Exception as exc:  # Copier/Jinja errors are template bugs, not user input
        raise RenderError(f"template layer {layer.name} failed to render: {exc}") from exc


def _make_sync(root: Path, usage: RuleUsage) -> None:
    for path in sorted(root.rglob("*.py")):
        path.write_text(to_sync(path.read_text(encoding="utf-8"), usage), encoding="utf-8")


def _spec_text_for(spec_text: str, spec: ProductSpec, framework: Framework) -> str:
    """The spec as the project keeps it: the user's text, with the framework it was built for.

    Comments and layout survive (round-trip YAML); only ``framework`` may change.
    """
    if spec.framework is framework:
        return spec_text
    yaml = YAML()
    yaml.preserve_quotes = True
    data = yaml.load(spec_text)
    data["framework"] = framework.value
    buffer = io.StringIO()
    yaml.dump(data, buffer)
    return buffer.getvalue()


def _collect(root: Path) -> dict[str, bytes]:
    files = {
        path.relative_to(root).as_posix(): path.read_bytes()
        for path in root.rglob("*")
        if path.is_file() and ".ruff_cache" not in path.parts and "__pycache__" not in path.parts
    }
    return dict(sorted(files.items()))


def render_project(
    spec: ProductSpec, *, spec_text: str, framework: Framework | None = None
) -> RenderedProject:
    """Render ``spec`` (validated, prices resolved) for ``framework`` (default: the spec's)."""
    framework = framework or spec.framework
    context = build_context(spec, framework)
    layers = layers_for(framework)
    with tempfile.TemporaryDirectory(prefix="archgen-render-") as tmp:
        project = Path(tmp) / "project"
        project.mkdir()
        for index, layer in enumerate(layers):
            staged = Path(tmp) / f"layer-{index}"
            _render_layer(layer, context, staged)
            if layer.async_source and framework is Framework.flask:
                _make_sync(staged, RuleUsage())
            shutil.copytree(staged, project, dirs_exist_ok=True)
        # Prompt catalogue (app/prompts/<name>/v1.md, lock, experiments): the names come
        # from the spec and Copier cannot loop over paths, so it is written here.
        for rel, text in prompt_files(context).items():
            (project / rel).parent.mkdir(parents=True, exist_ok=True)
            (project / rel).write_bytes(text.encode("utf-8"))
        (project / SPEC_PATH).write_text(
            _spec_text_for(spec_text, spec, framework), encoding="utf-8"
        )
        format_and_lint(project)
        files = _collect(project)
    spec_digest = sha256(files[SPEC_PATH])
    files[MANIFEST_PATH] = build_manifest(
        archgen_version=__version__,
        framework=framework.value,
        layers=[layer.name for layer in layers],
        spec_sha256=spec_digest,
        files=files,
    )
    assert spec.product.slug is not None
    return RenderedProject(
        slug=spec.product.slug, framework=framework, files=dict(sorted(files.items()))
    )
