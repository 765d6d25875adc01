"""Driver selection: operators give plain URLs, the app pins its own driver."""

from __future__ import annotations

from sqlalchemy.engine import make_url

from app.core.db import POSTGRES_DRIVER, SQLITE_DRIVER, driver_url


def test_plain_sqlite_url_gets_this_apps_driver() -> None:
    assert make_url(driver_url("sqlite:///./app.db")).drivername == f"sqlite+{SQLITE_DRIVER}"


def test_plain_postgres_urls_get_this_apps_driver() -> None:
    for url in ("postgresql://u:p@db/app", "postgres://u:p@db/app"):
        parsed = make_url(driver_url(url))
        assert parsed.drivername == f"postgresql+{POSTGRES_DRIVER}"
        assert parsed.password == "p"


def test_catalog_is_consistent() -> None:
    from app.core import catalog

    assert catalog.PROVIDERS
    for tier in catalog.TIERS.values():
        assert set(tier.allowed_models) <= set(catalog.MODELS)
    assert catalog.DEFAULT_WORKFLOW in catalog.WORKFLOWS
    for model in catalog.MODELS.values():
        assert model.price.price_id
        assert {provider for provider, _ in model.routes} <= set(catalog.PROVIDERS) | {"local"}
