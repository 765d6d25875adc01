"""Blueprints of the optional features this project has: knowledge."""

from __future__ import annotations

from flask import Blueprint

from app.blueprints.knowledge_bp import knowledge_bp

BLUEPRINTS: tuple[Blueprint, ...] = (knowledge_bp,)
