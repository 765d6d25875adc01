"""archgen: generate AI-SaaS backends that protect a founder's margin from the first request.

``archgen.generate(spec, framework=..., out=... | zip_path=...)`` renders a project;
the ``archgen`` command line is built on it.
"""

from __future__ import annotations

__version__ = "0.1.0"

from archgen.generate import GenerateResult, generate

__all__ = ["GenerateResult", "__version__", "generate"]
