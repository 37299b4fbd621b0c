"""Configuration from the environment: every knob is a hook for one lesson of the course.

``config_from_env`` is pure (a mapping in, a ``Config`` or a ``ConfigError`` out) so the
rules are testable without a process; ``__main__`` feeds it ``os.environ``.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from ._errors import ConfigError

DEFAULT_VERSION = "2.4.0"
LOG_LEVELS = ("DEBUG", "INFO", "WARNING", "ERROR")
MODEL_PATH_EXAMPLE = "models/iris-logreg.json"


@dataclass(frozen=True)
class Config:
    """Everything the server needs to know before it starts; immutable once read."""

    model_path: Path  # resolved against the working directory
    model_path_shown: str  # as the operator wrote it, for log lines they recognise
    port: int = 8080
    startup_seconds: float = 2.0
    model_memory_mb: int = 64
    predict_cpu_ms: float = 20.0
    log_level: str = "INFO"
    drain_seconds: float = 20.0
    version: str = DEFAULT_VERSION
    model_url: str = ""  # remote storage: fetched to MODEL_PATH when that file is missing
    model_fetch_seconds: float = 30.0  # how long a fetch from MODEL_URL takes (modelled)
    api_key_file: Path | None = None  # when set, requests other than probes need its key


def config_from_env(env: Mapping[str, str], *, cwd: Path) -> Config:
    """Read the environment; raise ``ConfigError`` naming the variable and the fix."""
    shown = env.get("MODEL_PATH", "").strip()
    if not shown:
        raise ConfigError(
            f"MODEL_PATH is not set; set it to the model file, e.g. {MODEL_PATH_EXAMPLE}"
        )
    level = env.get("LOG_LEVEL", "INFO").strip().upper() or "INFO"
    if level == "WARN":
        level = "WARNING"
    if level not in LOG_LEVELS:
        raise ConfigError(f"LOG_LEVEL={env['LOG_LEVEL']!r} is not one of {', '.join(LOG_LEVELS)}")
    model_url = env.get("MODEL_URL", "").strip()
    if model_url and not model_url.startswith("file:///"):
        raise ConfigError(
            f"MODEL_URL={model_url!r} is not a file:/// URL; the course's remote storage is "
            "a file the image holds, fetched in MODEL_FETCH_SECONDS, e.g. "
            "file:///app/models/iris-logreg.json (or unset MODEL_URL)"
        )
    key_file = env.get("API_KEY_FILE", "").strip()
    port = int(_number(env, "PORT", 8080, integer=True))
    if port > 65535:
        raise ConfigError(f"PORT={port} is not a TCP port; use 1-65535 (8080 is the default)")
    return Config(
        model_path=cwd / shown,  # an absolute MODEL_PATH stays absolute
        model_path_shown=shown,
        port=port,
        startup_seconds=_number(env, "STARTUP_SECONDS", 2.0),
        model_memory_mb=int(_number(env, "MODEL_MEMORY_MB", 64, integer=True)),
        predict_cpu_ms=_number(env, "PREDICT_CPU_MS", 20.0),
        log_level=level,
        drain_seconds=_number(env, "DRAIN_SECONDS", 20.0),
        version=env.get("INFERENCE_VERSION", "").strip() or DEFAULT_VERSION,
        model_url=model_url,
        model_fetch_seconds=_number(env, "MODEL_FETCH_SECONDS", 30.0),
        api_key_file=cwd / key_file if key_file else None,
    )


def read_api_key(path: Path, *, shown: str) -> str:
    """The key in API_KEY_FILE (surrounding whitespace dropped, as a Secret written with
    `echo` ends in a newline); raise ``ConfigError`` when it cannot be used."""
    try:
        key = path.read_text(encoding="utf-8").strip()
    except FileNotFoundError:
        raise ConfigError(
            f"API_KEY_FILE={shown} does not exist; mount the Secret that holds the key there, "
            "or unset API_KEY_FILE to serve without a key"
        ) from None
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"API_KEY_FILE={shown} cannot be read: {exc}") from None
    if not key:
        raise ConfigError(f"API_KEY_FILE={shown} is empty; put the API key in it")
    return key


def _number(env: Mapping[str, str], name: str, default: float, *, integer: bool = False) -> float:
    """Parse a non-negative number; empty or unset means the default."""
    raw = env.get(name, "").strip()
    if not raw:
        return default
    kind = "a whole number" if integer else "a number"
    try:
        value = int(raw) if integer else float(raw)
    except ValueError:
        raise ConfigError(
            f"{name}={raw!r} is not {kind}; set it to {kind} like {default:g} or unset it"
        ) from None
    if value < 0 or not math.isfinite(value):
        raise ConfigError(f"{name}={raw!r} must be zero or more (the default is {default:g})")
    return value
