"""The product spec: load, validate, price, dump, describe.

``load_spec``/``parse_spec`` turn YAML into a validated ``ProductSpec`` with every
model priced, or raise ``SpecError`` listing every located problem.
"""

from archgen.spec.blueprints import Blueprint, blueprint_path, list_blueprints
from archgen.spec.loader import dump_spec, load_spec, parse_spec
from archgen.spec.models import SCHEMA_VERSION, ProductSpec
from archgen.spec.prices import PRICE_REFERENCE_DATE, price_table_version
from archgen.spec.schema import spec_json_schema

__all__ = [
    "PRICE_REFERENCE_DATE",
    "SCHEMA_VERSION",
    "Blueprint",
    "ProductSpec",
    "blueprint_path",
    "dump_spec",
    "list_blueprints",
    "load_spec",
    "parse_spec",
    "price_table_version",
    "spec_json_schema",
]
