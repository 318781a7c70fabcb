"""Serving one loaded model to people and programs: a web app (Gradio) and an HTTP API (FastAPI + uvicorn).

    worker.py   ModelWorker: the model on one thread, a waiting line of fixed length, deadlines; ServeLimits
    inputs.py   request checks and upload decoding shared by both front ends
    api.py      build_api / run_server: the /v1 routes (`audio-omni serve`)
    app.py      build_app / launch_app / run_app: the Edit, Generate and Understand tabs (`audio-omni app`)

Gradio and FastAPI are imported only by the module that uses them, so importing this package stays cheap.
"""

from __future__ import annotations

import importlib

_EXPORTS = {
    "ModelWorker": "worker", "ServeLimits": "worker",
    "build_api": "api", "run_server": "api",
    "build_app": "app", "launch_app": "app", "run_app": "app",
}
__all__ = sorted(_EXPORTS)


def __getattr__(name: str):
    if name in _EXPORTS:
        return getattr(importlib.import_module(f"{__name__}.{_EXPORTS[name]}"), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
