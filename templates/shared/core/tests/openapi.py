"""Compare an app's OpenAPI document with the route table's (``app/openapi``).

Both web layers' tests use this: FastAPI's own document and the Flask app's must
each equal ``build_document()``, so they equal each other. Descriptions (the
handlers' docstrings) are prose and not compared; everything else is.
"""

from __future__ import annotations

from typing import Any

TABLE = "app/openapi/routes.py (ROUTES)"


def operations(document: dict[str, Any]) -> dict[tuple[str, str], dict[str, Any]]:
    """Every operation by (path, method), without its prose description."""
    return {
        (path, method): {k: v for k, v in operation.items() if k != "description"}
        for path, item in document.get("paths", {}).items()
        for method, operation in item.items()
    }


def differences(served: dict[str, Any], table: dict[str, Any]) -> list[str]:
    """What differs between the served document and the table's, one line each."""
    problems: list[str] = []
    ours, theirs = operations(served), operations(table)
    for path, method in sorted(set(ours) - set(theirs)):
        problems.append(f"{method.upper()} {path} is served but missing from {TABLE}")
    for path, method in sorted(set(theirs) - set(ours)):
        problems.append(f"{method.upper()} {path} is in {TABLE} but not served")
    for key in sorted(set(ours) & set(theirs)):
        served_op, table_op = ours[key], theirs[key]
        for part in sorted(set(served_op) | set(table_op)):
            if served_op.get(part) != table_op.get(part):
                problems.append(
                    f"{key[1].upper()} {key[0]}: {part} differs from {TABLE}: "
                    f"served {served_op.get(part)!r}, table {table_op.get(part)!r}"
                )
    served_schemas = served.get("components", {}).get("schemas", {})
    table_schemas = table.get("components", {}).get("schemas", {})
    for name in sorted(set(served_schemas) | set(table_schemas)):
        if served_schemas.get(name) != table_schemas.get(name):
            problems.append(f"components.schemas.{name} differs")
    return problems
