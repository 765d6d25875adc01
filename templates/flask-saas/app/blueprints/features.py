"""Blueprints of optional features: none in this project.

archgen renders an optional feature only when the spec uses it; a feature's
template layer replaces this file with its blueprints, which ``create_app`` registers.
"""

from __future__ import annotations

from flask import Blueprint

BLUEPRINTS: tuple[Blueprint, ...] = ()
