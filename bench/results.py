"""Where the benchmark scripts put their numbers."""

from __future__ import annotations

import json
import os


def write_json(out: dict, path: str) -> None:
    os.makedirs(os.path.dirname(os.path.abspath(path)), exist_ok=True)
    with open(path, "w") as f:
        json.dump(out, f, indent=1)
    print(f"wrote {path}")
