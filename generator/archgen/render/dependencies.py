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

_TEST_COMMON = {
    "pytest": "pytest>=8.2",
    "ruff": "ruff>=0.6",
    # The contract suite drives the real servers with an HTTP client and the OpenAI SDK.
    "httpx": "httpx>=0.27",
    "sniffio": "sniffio>=1.3",  # httpx retries a failing import per request without it
    "openai": "openai>=1.40",
    # `make typecheck` (run by `make test`): mypy strict, with the stubs PyYAML lacks.
    "mypy": "mypy>=1.11",
    "types-pyyaml": "types-PyYAML>=6.0",
}

_TEST_FLAVOUR = {
    Framework.fastapi: {
        "pytest-asyncio": "pytest-asyncio>=0.24",
    },
    Framework.flask: {},
}


def runtime_dependencies(framework: Framework) -> list[str]:
    """What the generated project needs to run, as PEP 508 requirements."""
    return sorted({**_COMMON, **_FLAVOUR[framework]}.values())


def test_dependencies(framework: Framework) -> list[str]:
    """What its ``test`` extra adds (its suite and its lint)."""
    return sorted({**_TEST_COMMON, **_TEST_FLAVOUR[framework]}.values())
