"""kubelab's ML inference service: a standard-library model server the course deploys.

Run it with ``python -m inference`` (configuration from the environment, see
docs/inference.md) and load it with ``python -m inference.loadgen URL --rps N --seconds S``.
Nothing here imports anything outside the standard library, so the image needs no pip.
"""

from ._config import DEFAULT_VERSION, Config, config_from_env
from ._errors import BadRequest, ConfigError, InferenceError, ModelError
from ._main import run
from ._metrics import render as render_metrics
from ._model import Model, parse_model, predict, predict_proba, read_model
from ._release import readiness_defect, required_model_format
from ._request import parse_predict_body

__all__ = [
    "DEFAULT_VERSION",
    "BadRequest",
    "Config",
    "ConfigError",
    "InferenceError",
    "Model",
    "ModelError",
    "config_from_env",
    "parse_model",
    "parse_predict_body",
    "predict",
    "predict_proba",
    "read_model",
    "readiness_defect",
    "render_metrics",
    "required_model_format",
    "run",
]
