"""Where the program keeps its files: one root per kind, all overridable by one folder.

Conversations, learned tables and models are user data (never a cache folder, which cleanup
tools wipe); measured batch costs are a cache because they are cheap to measure again.
"""

from __future__ import annotations

import os
from pathlib import Path

import platformdirs

APP_NAME = "aded-chat"
_override: Path | None = None


def set_data_dir(path: str | os.PathLike | None) -> None:
    """Put every file (data, config, cache) under one folder, e.g. for --data-dir or tests."""
    global _override
    _override = Path(path).expanduser().resolve() if path else None


def _root(kind: str) -> Path:
    env = os.environ.get("ADED_DATA_DIR")
    if _override is not None or env:
        base = _override or Path(env).expanduser().resolve()
        path = base if kind == "data" else base / kind
    else:
        path = Path({
            "data": platformdirs.user_data_dir,
            "config": platformdirs.user_config_dir,
            "cache": platformdirs.user_cache_dir,
        }[kind](APP_NAME, appauthor=False))
    path.mkdir(parents=True, exist_ok=True)
    return path


def data_dir() -> Path:
    return _root("data")


def config_dir() -> Path:
    return _root("config")


def cache_dir() -> Path:
    return _root("cache")


def models_dir() -> Path:
    """Demo models live with user data, but outside the override so tests share one copy."""
    env = os.environ.get("ADED_MODELS_DIR")
    path = Path(env) if env else Path(platformdirs.user_data_dir(APP_NAME, appauthor=False)) / "models"
    path.mkdir(parents=True, exist_ok=True)
    return path


def tables_dir() -> Path:
    path = data_dir() / "tables"
    path.mkdir(parents=True, exist_ok=True)
    return path
