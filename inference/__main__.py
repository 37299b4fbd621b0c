"""``python -m inference``: run the model server with configuration from the environment."""

from __future__ import annotations

import os
from pathlib import Path

from ._main import run

if __name__ == "__main__":
    raise SystemExit(run(os.environ, cwd=Path.cwd()))
