"""A runnable template: one blueprint rendered into ``build/dev``, linked back to ``templates/``.

    python -m archgen.dev [--blueprint ai-saas] [--out build/dev]      (``make dev``)

The FastAPI (async) flavour is rendered, so the core's files are the template files
themselves: every output file that comes from a plain file of the winning template
layer becomes a symlink to that file (as written in ``templates/``, before the
pipeline's ruff formatting); everything else (rendered ``.jinja`` outputs, the
prompt catalogue, the manifest) is a regular file. The result runs and
tests like any generated project (``cd build/dev && pytest``), an editor resolves its
imports, and an edit to a linked file lands in ``templates/``.
"""

from __future__ import annotations

import argparse
import os
import shutil
import sys
from dataclasses import dataclass
from pathlib import Path

from archgen.generate import generate
from archgen.render.flavour import FASTAPI
from archgen.render.layers import layers_for
from archgen.render.pipeline import TEMPLATE_SUFFIX, layer_files
from archgen.resources import blueprints_dir
from archgen.spec.loader import load_spec

DEFAULT_OUT = Path("build/dev")


@dataclass(frozen=True)
class DevTree:
    """What ``link_dev`` wrote: symlinked template files and generated ones."""

    root: Path
    linked: list[str]
    generated: list[str]


def _sources(*, knowledge: bool = False) -> dict[str, Path]:
    """Output path -> the plain template file that produces it (later layers win)."""
    sources: dict[str, Path] = {}
    for layer in layers_for(FASTAPI, knowledge=knowledge):
        for rel in layer_files(layer):
            if not rel.name.endswith(TEMPLATE_SUFFIX):
                sources[rel.as_posix()] = layer.path / rel
    return sources


def link_dev(out: Path = DEFAULT_OUT, *, blueprint: str = "ai-saas") -> DevTree:
    """Render ``blueprint`` (FastAPI) into ``out``, replacing it, linked back to templates."""
    project = generate(blueprints_dir() / f"{blueprint}.yaml", framework=FASTAPI.framework).project
    spec = load_spec(blueprints_dir() / f"{blueprint}.yaml")
    sources = _sources(knowledge=spec.knowledge is not None)
    if out.is_symlink() or out.is_file():
        out.unlink()
    elif out.exists():
        shutil.rmtree(out)
    linked: list[str] = []
    generated: list[str] = []
    for rel, data in project.files.items():
        target = out / rel
        target.parent.mkdir(parents=True, exist_ok=True)
        source = sources.get(rel)
        if source is not None:
            # Relative links keep working when the checkout moves.
            target.symlink_to(os.path.relpath(source.resolve(), target.parent.resolve()))
            linked.append(rel)
        else:
            target.write_bytes(data)
            generated.append(rel)
    return DevTree(root=out, linked=linked, generated=generated)


def main(argv: list[str] | None = None) -> int:
    """``python -m archgen.dev``: see the module docstring."""
    parser = argparse.ArgumentParser(prog="python -m archgen.dev", description=__doc__)
    parser.add_argument("--blueprint", default="ai-saas")
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT)
    args = parser.parse_args(argv)
    tree = link_dev(args.out, blueprint=args.blueprint)
    print(
        f"{tree.root}: {len(tree.linked)} files linked to templates/, "
        f"{len(tree.generated)} generated: {', '.join(tree.generated)}",
        file=sys.stderr,
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
