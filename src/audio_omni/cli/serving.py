"""`audio-omni serve` (the HTTP API) and `audio-omni app` (the web app): one model loaded once, served on
loopback unless told otherwise, until interrupted."""

from __future__ import annotations

from typing import Annotated

import typer

from audio_omni.cli.options import DeviceOpt, ModelOpt, RandomOpt

PortOpt = Annotated[int, typer.Option(min=1, max=65535, help="TCP port")]
HostOpt = Annotated[str, typer.Option(help="address to bind (127.0.0.1: this machine only)")]
WaitingOpt = Annotated[int, typer.Option(min=0, max=1000, help="requests that may wait while one runs")]
TimeoutOpt = Annotated[float, typer.Option(min=1, help="seconds a request may take, waiting included")]
UploadOpt = Annotated[float, typer.Option(min=0.1, help="largest upload in MB")]
SecondsOpt = Annotated[float, typer.Option(min=0.1, help="longest recording or generation in seconds")]


def _limits(max_waiting: int, timeout: float, max_upload_mb: float, max_seconds: float):
    from audio_omni.serve.worker import ServeLimits

    return ServeLimits(max_waiting=max_waiting, timeout_seconds=timeout,
                       max_upload_bytes=int(max_upload_mb * 2**20), max_audio_seconds=max_seconds)


def serve(
    model: ModelOpt = "audio-omni-small",
    host: HostOpt = "127.0.0.1",
    port: PortOpt = 8000,
    api_key: Annotated[str | None, typer.Option(envvar="AUDIO_OMNI_API_KEY", show_envvar=True,
                                                help="bearer token clients must send (required off loopback)")] = None,
    max_waiting: WaitingOpt = 8,
    timeout: TimeoutOpt = 300.0,
    max_upload_mb: UploadOpt = 25.0,
    max_seconds: SecondsOpt = 60.0,
    device: DeviceOpt = None,
    random_init: RandomOpt = False,
) -> None:
    """Serve the HTTP API (/v1/edit, /v1/generate, /v1/understand; docs at /docs) until interrupted."""
    from audio_omni.serve.api import run_server

    typer.echo(f"loading {model} ...", err=True)
    run_server(model, host, port, device=device, random_init=random_init, api_key=api_key,
               limits=_limits(max_waiting, timeout, max_upload_mb, max_seconds))


def web_app(
    model: ModelOpt = "audio-omni-small",
    host: HostOpt = "127.0.0.1",
    port: PortOpt = 7860,
    max_waiting: WaitingOpt = 8,
    timeout: TimeoutOpt = 300.0,
    max_upload_mb: UploadOpt = 25.0,
    max_seconds: SecondsOpt = 60.0,
    device: DeviceOpt = None,
    random_init: RandomOpt = False,
) -> None:
    """Open the web app (Edit, Generate, Understand) in a browser at http://HOST:PORT until interrupted."""
    from audio_omni.serve.app import run_app

    typer.echo(f"loading {model} ...", err=True)
    run_app(model, host, port, device=device, random_init=random_init,
            limits=_limits(max_waiting, timeout, max_upload_mb, max_seconds))


def register(app: typer.Typer) -> None:
    app.command("serve")(serve)
    app.command("app")(web_app)
