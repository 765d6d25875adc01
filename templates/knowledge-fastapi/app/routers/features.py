"""Routers of the optional features this project has: knowledge."""

from __future__ import annotations

from fastapi import APIRouter

from app.routers import knowledge

ROUTERS: tuple[APIRouter, ...] = (knowledge.router,)
