"""Render a validated spec into a project: layers -> unasync -> lint -> manifest -> output."""

from archgen.render.output import write_tree, write_zip
from archgen.render.pipeline import RenderedProject, render_project

__all__ = ["RenderedProject", "render_project", "write_tree", "write_zip"]
