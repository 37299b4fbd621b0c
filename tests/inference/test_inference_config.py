"""Reading the environment: defaults, overrides and one clear message per mistake."""

from __future__ import annotations

from pathlib import Path

import pytest

from inference import ConfigError, config_from_env

CWD = Path("/app")
BASE = {"MODEL_PATH": "models/iris-logreg.json"}


def test_defaults_match_the_documented_values() -> None:
    config = config_from_env(BASE, cwd=CWD)
    assert config.model_path == Path("/app/models/iris-logreg.json")
    assert config.model_path_shown == "models/iris-logreg.json"
    assert (config.port, config.startup_seconds, config.model_memory_mb) == (8080, 2.0, 64)
    assert (config.predict_cpu_ms, config.drain_seconds) == (20.0, 20.0)
    assert (config.log_level, config.version) == ("INFO", "2.4.0")


@pytest.mark.parametrize(
    "env, attr, want",
    [
        pytest.param({"PORT": "9000"}, "port", 9000, id="port"),
        pytest.param({"STARTUP_SECONDS": "0.5"}, "startup_seconds", 0.5, id="startup"),
        pytest.param({"MODEL_MEMORY_MB": "256"}, "model_memory_mb", 256, id="memory"),
        pytest.param({"PREDICT_CPU_MS": "0"}, "predict_cpu_ms", 0.0, id="cpu-zero"),
        pytest.param({"LOG_LEVEL": "debug"}, "log_level", "DEBUG", id="level-lowercase"),
        pytest.param({"LOG_LEVEL": "warn"}, "log_level", "WARNING", id="level-warn-alias"),
        pytest.param({"INFERENCE_VERSION": "2.5.0"}, "version", "2.5.0", id="version"),
        pytest.param({"INFERENCE_VERSION": ""}, "version", "2.4.0", id="empty-version"),
        pytest.param({"PORT": ""}, "port", 8080, id="empty-means-default"),
        pytest.param(
            {"MODEL_PATH": "/srv/m.json"},
            "model_path",
            Path("/srv/m.json"),
            id="absolute-path-stays",
        ),
    ],
)
def test_each_variable_overrides_its_default(env: dict[str, str], attr: str, want: object) -> None:
    assert getattr(config_from_env({**BASE, **env}, cwd=CWD), attr) == want


@pytest.mark.parametrize(
    "env, message",
    [
        pytest.param(
            {"MODEL_PATH": ""},
            "MODEL_PATH is not set; set it to the model file, e.g. models/iris-logreg.json",
            id="no-model-path",
        ),
        pytest.param({"PORT": "http"}, "PORT='http' is not a whole number", id="port-word"),
        pytest.param({"PORT": "70000"}, "PORT=70000 is not a TCP port", id="port-range"),
        pytest.param({"STARTUP_SECONDS": "-1"}, "must be zero or more", id="negative"),
        pytest.param({"MODEL_MEMORY_MB": "1.5"}, "is not a whole number", id="memory-fraction"),
        pytest.param({"PREDICT_CPU_MS": "nan"}, "must be zero or more", id="nan"),
        pytest.param({"LOG_LEVEL": "loud"}, "is not one of DEBUG, INFO", id="level"),
    ],
)
def test_bad_values_raise_config_error_with_the_fix(env: dict[str, str], message: str) -> None:
    with pytest.raises(ConfigError) as err:
        config_from_env({**BASE, **env}, cwd=CWD)
    assert message in str(err.value)
