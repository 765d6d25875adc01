"""The render pipeline: spec -> context -> template layers -> sync flavour -> ruff -> files.

Everything happens in a private temporary directory; the result is an in-memory
map of relative path -> bytes, written out by ``archgen.render.output``.

Plain template files are copied as they are; only ``.jinja`` files go through
Copier (StrictUndefined, no tasks, no git, no network), which is most of the
render time saved on a project with few varying files.
"""

from __future__ import annotations

import fnmatch
import io
import os
import re
import shutil
import tempfile
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from archgen import __version__
from archgen.errors import RenderError
from archgen.render.context import RenderContext, build_context
from archgen.render.layers import Layer, layers_for
from archgen.render.lint import format_and_lint
from archgen.render.manifest import MANIFEST_PATH, build_manifest, sha256
from archgen.render.prompts import prompt_files
from archgen.render.unasync import RuleUsage, to_sync
from archgen.spec.models import Framework, ProductSpec

SPEC_PATH = "archgen.yaml"
TEMPLATE_SUFFIX = ".jinja"
# The `_exclude` of every layer's copier.yml (test_layers keeps them in step).
EXCLUDED = ("copier.yml", "~*", "*.py[co]", "__pycache__", ".DS_Store")

Progress = Callable[[str], object]


def _quiet(_message: str) -> None:
    """The default progress reporter: says nothing."""


@dataclass(frozen=True)
class RenderedProject:
    slug: str
    framework: Framework
    files: dict[str, bytes]  # relative POSIX path -> content, sorted by path


def _excluded(rel: Path) -> bool:
    return any(fnmatch.fnmatch(part, pattern) for part in rel.parts for pattern in EXCLUDED)


def layer_files(layer: Layer) -> Iterator[Path]:
    """The layer's template files (relative paths, sorted), exclusions applied."""
    for path in sorted(layer.path.rglob("*")):
        rel = path.relative_to(layer.path)
        if path.is_file() and not _excluded(rel):
            yield rel


def _templated(layer: Layer) -> list[Path]:
    return [rel for rel in layer_files(layer) if rel.name.endswith(TEMPLATE_SUFFIX)]


def _render_layer(layer: Layer, context: Mapping[str, Any], dest: Path) -> None:
    """Copy the layer's plain files into ``dest`` and render its ``.jinja`` files there."""
    _copy_plain(layer, dest)
    _run_copier({layer: dest}, context)


def _copy_plain(layer: Layer, dest: Path) -> None:
    for rel in layer_files(layer):
        if not rel.name.endswith(TEMPLATE_SUFFIX):
            (dest / rel).parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(layer.path / rel, dest / rel)


def _run_copier(destinations: Mapping[Layer, Path], context: Mapping[str, Any]) -> None:
    """Render the ``.jinja`` files of every layer into its destination, in one Copier run.

    Copier renders a template made of only those files, so it never reads, renders or
    copies a plain file. They sit side by side under numbered names (Copier renders
    every part of every path as a template of its own, and a flat folder has the
    fewest parts) and are moved to their real paths afterwards.
    """
    from copier import run_copy  # ~0.3 s of imports, paid only when rendering
    from plumbum import local

    templated = [(layer, rel) for layer in destinations for rel in _templated(layer)]
    if not templated:
        return
    with tempfile.TemporaryDirectory(prefix="archgen-jinja-") as tmp:
        source, rendered = Path(tmp) / "template", Path(tmp) / "rendered"
        source.mkdir()
        # Every layer declares the same Jinja settings (test_layers keeps them in step).
        shutil.copyfile(templated[0][0].path / "copier.yml", source / "copier.yml")
        for index, (layer, rel) in enumerate(templated):
            shutil.copyfile(layer.path / rel, source / f"{index}{TEMPLATE_SUFFIX}")
        try:
            # Copier asks git about the destination's file modes once per rendered file;
            # the destination is a private temporary folder, never a repository, so git
            # is hidden from it (Copier looks it up on plumbum's PATH, not os.environ).
            with local.env(PATH=""):
                run_copy(
                    str(source),
                    str(rendered),
                    data={"ctx": dict(context)},
                    defaults=True,
                    overwrite=True,
                    quiet=True,
                    unsafe=False,
                    skip_tasks=True,
                )
        except Exception as exc:  # Copier/Jinja errors are template bugs, not user input
            names = ", ".join(sorted({layer.name for layer, _ in templated}))
            # Name the template files as they are in the layers, not by their numbers here.
            message = re.sub(
                rf"\b(\d+){re.escape(TEMPLATE_SUFFIX)}\b",
                lambda m: (
                    f"{templated[int(m[1])][0].name}/{templated[int(m[1])][1]}"
                    if int(m[1]) < len(templated)
                    else m[0]
                ),
                str(exc),
            )
            raise RenderError(f"template layer {names} failed to render: {message}") from exc
        for index, (layer, rel) in enumerate(templated):
            target = destinations[layer] / rel.with_name(rel.name.removesuffix(TEMPLATE_SUFFIX))
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(rendered / str(index), target)


def _move_tree(source: Path, dest: Path) -> None:
    """Move every file of ``source`` into ``dest``, replacing what is there (later layers
    win): renames within the one temporary folder, so no file is read or written again."""
    for path in sorted(source.rglob("*")):
        if path.is_file():
            target = dest / path.relative_to(source)
            target.parent.mkdir(parents=True, exist_ok=True)
            os.replace(path, target)


def _make_sync(root: Path, usage: RuleUsage) -> None:
    for path in sorted(root.rglob("*.py")):
        source = path.read_text(encoding="utf-8")
        converted = to_sync(source, usage)
        if converted != source:
            path.write_text(converted, encoding="utf-8")


def _spec_text_for(spec_text: str, spec: ProductSpec, framework: Framework) -> str:
    """The spec as the project keeps it: the user's text, with the framework it was built for.

    Comments and layout survive (round-trip YAML); only ``framework`` may change.
    """
    if spec.framework is framework:
        return spec_text
    from ruamel.yaml import YAML

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


def _render_tree(
    context: RenderContext, layers: list[Layer], root: Path, progress: Progress
) -> None:
    """Every layer (later ones win), the sync derivation, then the generated extras."""
    staged = {layer: root.parent / f"layer-{index}" for index, layer in enumerate(layers)}
    for index, layer in enumerate(layers):
        progress(f"copying layer {layer.name} ({index + 1}/{len(layers)})")
        staged[layer].mkdir()
        _copy_plain(layer, staged[layer])
    progress("rendering the templated files of every layer")
    _run_copier(staged, context.to_template_data())
    for layer in layers:
        if layer.async_source and not context.flavour.is_async:
            progress(f"deriving the synchronous code of {layer.name}")
            _make_sync(staged[layer], RuleUsage())
        _move_tree(staged[layer], root)
    # Prompt catalogue (app/prompts/<name>/v1.md, lock, experiments): the names come
    # from the spec and Copier cannot loop over paths, so it is written here.
    for rel, text in prompt_files(context).items():
        (root / rel).parent.mkdir(parents=True, exist_ok=True)
        (root / rel).write_bytes(text.encode("utf-8"))


def render_context(
    context: RenderContext, *, spec_text: str, progress: Progress = _quiet
) -> RenderedProject:
    """Render a built ``context``; ``spec_text`` is kept as the project's ``archgen.yaml``."""
    flavour = context.flavour
    layers = layers_for(flavour, knowledge=context.spec.get("knowledge") is not None)
    with tempfile.TemporaryDirectory(prefix="archgen-render-") as tmp:
        project = Path(tmp) / "project"
        project.mkdir()
        _render_tree(context, layers, project, progress)
        (project / SPEC_PATH).write_text(spec_text, encoding="utf-8")
        progress("ruff: fixing, formatting and checking the rendered code")
        format_and_lint(project)
        files = _collect(project)
    files[MANIFEST_PATH] = build_manifest(
        archgen_version=__version__,
        framework=flavour.framework.value,
        layers=[layer.name for layer in layers],
        spec_sha256=sha256(files[SPEC_PATH]),
        files=files,
    )
    slug = context.product["slug"]
    return RenderedProject(
        slug=slug, framework=flavour.framework, files=dict(sorted(files.items()))
    )


def render_project(
    spec: ProductSpec,
    *,
    spec_text: str,
    framework: Framework | None = None,
    progress: Progress | None = None,
) -> RenderedProject:
    """Render ``spec`` (validated, prices resolved) for ``framework`` (default: the spec's)."""
    framework = framework or spec.framework
    context = build_context(spec, framework)
    return render_context(
        context,
        spec_text=_spec_text_for(spec_text, spec, framework),
        progress=progress or _quiet,
    )
