"""Routers of optional features: none in this project.

archgen renders an optional feature only when the spec uses it; a feature's
template layer replaces this file with its routers, which ``create_app`` includes.
"""

from __future__ import annotations

from fastapi import APIRouter

ROUTERS: tuple[APIRouter, ...] = ()
