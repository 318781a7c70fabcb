"""The HTTP API: FastAPI routes over one model worker, served by uvicorn.

    POST /v1/edit        multipart: audio + instruction, or operation + description (+ target)  -> audio
    POST /v1/generate    JSON: task, prompt, duration, voice (base64 audio) + voice_text (TTS)    -> audio
    POST /v1/understand  multipart: question (+ audio)                                            -> JSON
    GET  /v1/health      liveness and the waiting line (never needs a key)
    GET  /v1/models      the model this server runs
    GET  /docs           OpenAPI documentation

Audio answers carry `X-Seed`, `X-Model`, `X-Sample-Rate` and `Server-Timing` (queue, compute, encode, total
in ms). Every refusal is JSON, `{"error": {"type": ..., "message": ...}}`: 400 malformed body, 401 missing or
wrong key, 413 upload over the size or duration limit, 415 wrong content type, 422 bad input (corrupt audio,
empty or over-long text, unknown operation, out-of-range setting), 503 waiting line full (with Retry-After),
504 time limit. No endpoint takes a path: audio comes in the request body and goes back in the response.
"""

# No `from __future__ import annotations` here: FastAPI reads the routes' annotations at runtime, and the
# names they use (Request, UploadFile, ...) are imported inside build_api, where only eager evaluation sees them.
import asyncio
import base64
import binascii
import hmac
import io
import ipaddress
import logging
import time
from pathlib import Path
from typing import Annotated, Any, Literal

from audio_omni.errors import AudioOmniError, InstructionError
from audio_omni.serve.inputs import (
    SamplingSettings,
    UploadTooLargeError,
    check_bounded_text,
    decode_upload,
    edit_request,
)
from audio_omni.serve.worker import (
    Job,
    JobTimeoutError,
    ModelWorker,
    QueueFullError,
    ServeLimits,
    WorkerClosedError,
)

log = logging.getLogger(__name__)

__all__ = ["AUDIO_FORMATS", "build_api", "check_address", "is_loopback", "run_server"]

AUDIO_FORMATS = {"wav": ("WAV", "audio/wav"), "flac": ("FLAC", "audio/flac")}
#: tasks the API offers: the video tasks need Synchformer features, which no endpoint takes yet
API_TASKS = ("T2A", "T2M", "TTS")
#: room for the form fields and multipart framing beside an upload, and for base64 (4 bytes per 3)
BODY_OVERHEAD = 64 * 1024
MAX_ANSWER_TOKENS = 512


def is_loopback(host: str) -> bool:
    """True for addresses only this machine can reach (127.0.0.0/8, ::1, localhost)."""
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def check_address(host: str, port: int) -> None:
    """Refuse an address this process cannot listen on (port taken, host not of this machine) before the model
    loads, which takes minutes, rather than after."""
    import socket

    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except OSError as err:
        raise AudioOmniError(f"cannot listen on {host}:{port}: {err.strerror or err}") from None
    family, kind, proto, _, address = infos[0]
    with socket.socket(family, kind, proto) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # what uvicorn sets too
        try:
            probe.bind(address)
        except OSError as err:
            raise AudioOmniError(f"cannot listen on {host}:{port}: {err.strerror or err}") from None


def model_label(name: str) -> str:
    """The model's name as clients see it: a preset name, or the last part of a checkpoint path."""
    return Path(name).name or name


def _error(status: int, kind: str, message: str, headers: dict | None = None, details: Any = None):
    from fastapi.responses import JSONResponse

    body: dict[str, Any] = {"type": kind, "message": message}
    if details is not None:
        body["details"] = details
    return JSONResponse({"error": body}, status_code=status, headers=headers)


def _validation_message(errors: list[dict]) -> str:
    """FastAPI's validation errors as one sentence: "body.task: Field required; form.steps: ..."."""
    parts = []
    for err in errors[:5]:
        where = ".".join(str(x) for x in err.get("loc", ()) if x not in ("body",)) or "request"
        parts.append(f"{where}: {err.get('msg', 'invalid')}")
    return "; ".join(parts)


class BodyLimit:
    """ASGI middleware: a request body over `max_bytes` is refused with 413 and the API's JSON error, at once
    when its Content-Length says so, else as soon as the bytes received pass the limit (chunked uploads).
    (Starlette's own body limit answers a declared oversize in plain text, whatever the handlers say.)"""

    def __init__(self, app, max_bytes: int):
        self.app = app
        self.max_bytes = max_bytes

    def message(self) -> str:
        return f"the request body is over this server's limit of {self.max_bytes} bytes"

    async def __call__(self, scope, receive, send) -> None:
        from starlette.datastructures import Headers
        from starlette.exceptions import HTTPException

        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        declared = Headers(scope=scope).get("content-length", "")
        if declared.isdigit() and int(declared) > self.max_bytes:
            return await _error(413, "too_large", self.message())(scope, receive, send)
        received = 0

        async def counted_receive():
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > self.max_bytes:
                    raise HTTPException(413, self.message())  # reaches the API's handler: JSON
            return message

        await self.app(scope, counted_receive, send)


def encode_audio(result, fmt: str) -> bytes:
    """An AudioResult as WAV or FLAC bytes (16-bit); audio above full scale is scaled down, not clipped."""
    import numpy as np
    import soundfile as sf

    audio = result.audio.numpy().astype(np.float32)
    peak = float(np.abs(audio).max()) if audio.size else 0.0
    if peak > 1.0:
        audio = audio * (0.99 / peak)
    buffer = io.BytesIO()
    sf.write(buffer, audio.T, result.sample_rate, format=AUDIO_FORMATS[fmt][0], subtype="PCM_16")
    return buffer.getvalue()


def build_api(worker: ModelWorker, *, api_key: str | None = None):
    """The FastAPI application over `worker` (which the caller owns and closes). With `api_key`, every route
    but /v1/health needs `Authorization: Bearer <key>`."""
    from fastapi import Depends, FastAPI, File, Form, Request, UploadFile
    from fastapi.exceptions import RequestValidationError
    from fastapi.responses import Response
    from pydantic import BaseModel, ConfigDict, Field
    from starlette.concurrency import run_in_threadpool
    from starlette.exceptions import HTTPException

    limits: ServeLimits = worker.limits
    label = model_label(worker.name)
    api = FastAPI(
        title="audio-omni",
        summary="Edit, generate and understand sound, music and speech with one model.",
        version="1",
        form_limits={"max_fields": 16, "max_files": 1, "max_part_size": 64 * 1024},
    )
    api.add_middleware(BodyLimit, max_bytes=limits.max_upload_bytes * 4 // 3 + BODY_OVERHEAD)

    # Errors: one JSON shape for all of them ------------------------------------------------------------------
    @api.exception_handler(RequestValidationError)
    async def _invalid(request: Request, err: RequestValidationError):
        errors = err.errors()
        if any(e.get("type") == "json_invalid" for e in errors):
            return _error(400, "malformed_body", "the request body is not valid JSON")
        return _error(422, "invalid_request", _validation_message(errors), details=[
            {"loc": list(e.get("loc", ())), "msg": e.get("msg")} for e in errors])

    @api.exception_handler(HTTPException)
    async def _http(request: Request, err: HTTPException):
        kinds = {400: "malformed_body", 401: "unauthorized", 404: "not_found", 405: "method_not_allowed",
                 413: "too_large", 415: "unsupported_media_type"}
        message = err.detail if isinstance(err.detail, str) else str(err.detail)
        return _error(err.status_code, kinds.get(err.status_code, "http_error"), message, headers=err.headers)

    @api.exception_handler(QueueFullError)
    async def _busy(request: Request, err: QueueFullError):
        return _error(503, "busy", str(err), headers={"Retry-After": str(worker.retry_after())})

    @api.exception_handler(WorkerClosedError)
    async def _closing(request: Request, err: WorkerClosedError):
        return _error(503, "shutting_down", str(err), headers={"Retry-After": "30"})

    @api.exception_handler(JobTimeoutError)
    async def _timeout(request: Request, err: JobTimeoutError):
        return _error(504, "timeout", f"{err} ({limits.timeout_seconds:g} s)")

    @api.exception_handler(UploadTooLargeError)
    async def _too_large(request: Request, err: UploadTooLargeError):
        return _error(413, "too_large", str(err))

    @api.exception_handler(AudioOmniError)
    async def _refused(request: Request, err: AudioOmniError):
        return _error(422, "invalid_input", str(err))

    @api.exception_handler(Exception)
    async def _bug(request: Request, err: Exception):
        log.exception("unexpected error in %s %s", request.method, request.url.path)
        return _error(500, "internal_error", "the server failed on this request; see its log")

    # Access --------------------------------------------------------------------------------------------------
    def require_key(request: Request) -> None:
        if api_key is None:
            return
        scheme, _, given = request.headers.get("authorization", "").partition(" ")
        if scheme.lower() != "bearer" or not hmac.compare_digest(given.strip().encode(), api_key.encode()):
            raise HTTPException(401, "a valid API key is required: Authorization: Bearer <key>",
                                headers={"WWW-Authenticate": "Bearer"})

    def require_content(*kinds: str):
        def check(request: Request) -> None:
            given = request.headers.get("content-type", "").split(";")[0].strip().lower()
            if given not in kinds:
                raise HTTPException(415, f"send {' or '.join(kinds)} (Content-Type), not {given or 'no content type'}")
        return Depends(check)

    keyed = [Depends(require_key)]

    async def run_job(call, what: str) -> tuple[Any, Job]:
        job = worker.submit(call, what)
        try:
            return await asyncio.wait_for(asyncio.wrap_future(job.future), job.deadline - time.monotonic() + 1.0), job
        except asyncio.TimeoutError:
            job.future.cancel()
            raise JobTimeoutError(f"{what} did not finish within the time limit") from None

    def audio_response(result, job: Job, fmt: str, started: float) -> Response:
        encode_start = time.monotonic()
        data = encode_audio(result, fmt)
        now = time.monotonic()
        timing = (f"queue;dur={job.queue_seconds * 1000:.1f}, compute;dur={job.compute_seconds * 1000:.1f}, "
                  f"encode;dur={(now - encode_start) * 1000:.1f}, total;dur={(now - started) * 1000:.1f}")
        return Response(data, media_type=AUDIO_FORMATS[fmt][1], headers={
            "X-Seed": str(result.seed), "X-Model": label, "X-Sample-Rate": str(result.sample_rate),
            "X-Duration": f"{result.duration:.3f}", "Server-Timing": timing,
        })

    async def read_upload(upload: UploadFile) -> tuple:
        data = await upload.read(limits.max_upload_bytes + 1)
        return await run_in_threadpool(decode_upload, data, upload.filename, limits)

    Format = Literal["wav", "flac"]
    Seed = Annotated[int | None, Form(ge=0, le=2**63 - 1, description="random seed (fresh when omitted)")]
    Steps = Annotated[int | None, Form(ge=1, le=limits.max_steps, description="sampling steps (model default)")]
    Cfg = Annotated[float | None, Form(ge=0, le=50, description="guidance scale (model default)")]

    # Routes --------------------------------------------------------------------------------------------------
    @api.get("/v1/health", tags=["service"])
    def health() -> dict:
        """Whether the server is up, and how long its waiting line is."""
        return {"status": "shutting_down" if worker.closed else "ok", "model": label, "busy": worker.busy,
                "waiting": worker.waiting, "max_waiting": limits.max_waiting}

    @api.get("/v1/models", tags=["service"], dependencies=keyed)
    def models() -> dict:
        """The model this server runs, with what it offers and the server's limits."""
        model = worker.model
        return {"models": [{
            "id": label, "sample_rate": model.sample_rate, "window_seconds": round(model.max_duration, 3),
            "any_length": model.windowed, "default_steps": model.config.sampling.default_steps(),
            "default_edit_steps": model.config.sampling.default_steps(edit=True),
            "tasks": list(API_TASKS), "edit_operations": ["Add", "Remove", "Extract", "Style Transfer"],
        }], "limits": {"max_upload_bytes": limits.max_upload_bytes, "max_audio_seconds": limits.max_audio_seconds,
                       "max_text_chars": limits.max_text_chars, "max_steps": limits.max_steps,
                       "timeout_seconds": limits.timeout_seconds, "max_waiting": limits.max_waiting}}

    @api.post("/v1/edit", tags=["audio"], response_class=Response,
              dependencies=[*keyed, require_content("multipart/form-data")],
              responses={200: {"content": {"audio/wav": {}, "audio/flac": {}}, "description": "the edited audio"}})
    async def edit(
        audio: Annotated[UploadFile, File(description="the recording to edit")],
        instruction: Annotated[str | None, Form(description="free-form instruction")] = None,
        operation: Annotated[str | None, Form(description="Add, Remove, Extract or Style Transfer")] = None,
        description: Annotated[str | None, Form(description="the sound the operation is about")] = None,
        target: Annotated[str | None, Form(description="Style Transfer: the sound to change it into")] = None,
        seed: Seed = None,
        steps: Steps = None,
        cfg_scale: Cfg = None,
        format: Annotated[Format, Form(description="wav or flac")] = "wav",
    ) -> Response:
        """Edit a recording by instruction. The output has the recording's duration."""
        started = time.monotonic()
        request = edit_request(instruction, operation, description, target, limits)
        settings = SamplingSettings(seed, steps, cfg_scale).checked(limits)
        wave, rate = await read_upload(audio)
        result, job = await run_job(lambda model, on_step: model.edit(
            wave, request, sample_rate=rate, progress=on_step, **settings.as_kwargs()), "edit")
        return audio_response(result, job, format, started)

    class GenerateBody(BaseModel):
        model_config = ConfigDict(extra="forbid")
        task: Literal[API_TASKS] = Field(description="T2A (sound), T2M (music) or TTS (speech)")
        prompt: str = Field(description="caption (T2A/T2M) or transcript (TTS)")
        duration: float | None = Field(None, gt=0, le=limits.max_audio_seconds, description="seconds")
        voice: str | None = Field(None, description="TTS: base64 of an audio file with the voice to clone")
        voice_text: str | None = Field(None, description="TTS: transcript of the voice recording")
        seed: int | None = Field(None, ge=0, le=2**63 - 1)
        steps: int | None = Field(None, ge=1, le=limits.max_steps)
        cfg_scale: float | None = Field(None, ge=0, le=50)
        format: Format = "wav"

    @api.post("/v1/generate", tags=["audio"], response_class=Response,
              dependencies=[*keyed, require_content("application/json")],
              responses={200: {"content": {"audio/wav": {}, "audio/flac": {}}, "description": "the generated audio"}})
    async def generate(body: GenerateBody) -> Response:
        """Generate sound, music or speech from text (TTS: optionally in the voice of a recording)."""
        started = time.monotonic()
        prompt = check_bounded_text(body.prompt, "transcript" if body.task == "TTS" else "prompt", limits)
        voice_text = None if body.voice_text is None else check_bounded_text(body.voice_text, "voice text", limits)
        settings = SamplingSettings(body.seed, body.steps, body.cfg_scale).checked(limits)
        voice = voice_rate = None
        if body.voice is not None:
            if body.task != "TTS":
                raise InstructionError("a voice recording is only used by TTS")
            try:
                data = base64.b64decode(body.voice, validate=True)
            except (binascii.Error, ValueError):
                raise InstructionError("voice must be base64 of an audio file") from None
            voice, voice_rate = await run_in_threadpool(decode_upload, data, "voice", limits)
        result, job = await run_job(lambda model, on_step: model.generate(
            body.task, prompt, duration=body.duration, voice=voice, voice_sample_rate=voice_rate,
            voice_text=voice_text, progress=on_step, **settings.as_kwargs()), "generate")
        return audio_response(result, job, body.format, started)

    # A question alone is an ordinary form (what clients send when there is no file); with audio, multipart.
    @api.post("/v1/understand", tags=["text"], dependencies=[
        *keyed, require_content("multipart/form-data", "application/x-www-form-urlencoded")])
    async def understand(
        question: Annotated[str, Form(description="a question, about the recording if one is given")],
        audio: Annotated[UploadFile | None, File(description="a recording the question is about")] = None,
        max_tokens: Annotated[int, Form(ge=1, le=MAX_ANSWER_TOKENS)] = 128,
    ) -> dict:
        """Answer a question with the model's language model; JSON `{"answer": ...}`."""
        started = time.monotonic()
        question = check_bounded_text(question, "question", limits)
        wave = rate = None
        if audio is not None:
            wave, rate = await read_upload(audio)
        answer, job = await run_job(lambda model, on_step: model.understand(
            question, audio=wave, sample_rate=rate, max_new_tokens=max_tokens), "understand")
        return {"answer": answer, "model": label, "timings": {
            "queue_ms": round(job.queue_seconds * 1000, 1), "compute_ms": round(job.compute_seconds * 1000, 1),
            "total_ms": round((time.monotonic() - started) * 1000, 1)}}

    return api


def run_server(
    model: str | None = None,
    host: str = "127.0.0.1",
    port: int = 8000,
    *,
    device: str | None = None,
    random_init: bool = False,
    limits: ServeLimits | None = None,
    api_key: str | None = None,
    log_level: str = "info",
) -> None:
    """Load `model` (the default model when None) once and serve the API until SIGINT/SIGTERM; a shutdown
    lets the requests already accepted finish. Any address but loopback needs `api_key`."""
    import uvicorn

    from audio_omni.models.locate import DEFAULT_MODEL

    if not is_loopback(host) and not api_key:
        raise AudioOmniError(f"binding {host} exposes the server beyond this machine: give an API key "
                             "(--api-key or AUDIO_OMNI_API_KEY), or bind 127.0.0.1")
    if api_key is not None and len(api_key) < 16:
        raise AudioOmniError("the API key is too short: use at least 16 characters")
    check_address(host, port)
    worker = ModelWorker.load(model or DEFAULT_MODEL, device, random_init, limits)
    try:
        config = uvicorn.Config(
            build_api(worker, api_key=api_key), host=host, port=port, log_level=log_level,
            timeout_graceful_shutdown=int(worker.limits.timeout_seconds) + 5,
            # A backstop against connection floods; the waiting line is the real bound.
            limit_concurrency=max(64, 4 * worker.limits.max_waiting),
        )
        uvicorn.Server(config).run()
    finally:
        worker.close()
