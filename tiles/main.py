"""Standalone entry point: `uvicorn tiles.main:app` serves the tile service on its own port."""

from .app import create_app

app = create_app()
