"""The web app: Edit, Generate and Understand tabs in Gradio, over one model worker.

Edit takes an uploaded or recorded clip and either a free-form instruction or an operation with its sound
description; it shows the result beside the input as players and as spectrograms. Every run shows the seed it
used (type it under "Advanced" to get the same result again). Gradio's queue lets one request at a time reach
the model (the three tabs share it) and shows each waiting visitor their place; sampling reports its steps as a
progress bar. A user's mistake (no audio, a corrupt file, an empty or over-long instruction, a clip over the
length limit) appears as a message in the page, never as a stack trace.
"""

from __future__ import annotations

import os

os.environ.setdefault("GRADIO_ANALYTICS_ENABLED", "False")
os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("HF_HUB_DISABLE_TELEMETRY", "1")

import concurrent.futures  # noqa: E402
import html  # noqa: E402
import json  # noqa: E402
import logging  # noqa: E402
from importlib.resources import files  # noqa: E402
from pathlib import Path  # noqa: E402

import numpy as np  # noqa: E402

from audio_omni.errors import AudioOmniError  # noqa: E402
from audio_omni.serve.api import API_TASKS, model_label  # noqa: E402
from audio_omni.serve.inputs import (  # noqa: E402
    SamplingSettings,
    check_bounded_text,
    display_name,
    edit_request,
    load_recording,
)
from audio_omni.serve.worker import Job, ModelWorker, ServeLimits  # noqa: E402
from audio_omni.tasks import INSTRUCTION_EDITS  # noqa: E402

log = logging.getLogger(__name__)

__all__ = ["build_app", "example_edits", "launch_app", "run_app"]

FREE_FORM = "(free-form instruction)"
EXAMPLES_DIR = Path(str(files("audio_omni") / "examples"))
MAX_ANSWER_TOKENS = 512


def example_edits() -> list[dict]:
    """The edits to try on the recordings shipped in audio_omni/examples (examples.json), with full paths."""
    manifest = EXAMPLES_DIR / "examples.json"
    if not manifest.is_file():
        return []
    rows = []
    for entry in json.loads(manifest.read_text()):
        for edit in entry["edits"]:
            rows.append({"file": str(EXAMPLES_DIR / entry["file"]), **edit})
    return rows


def _as_int16(audio) -> np.ndarray:
    """[C, T] float audio -> [T, C] 16-bit samples, scaled down only if it exceeds full scale (Gradio would
    otherwise normalise every output to its peak, hiding a change of level)."""
    data = np.asarray(audio, dtype=np.float32).T
    peak = float(np.abs(data).max()) if data.size else 0.0
    if peak > 1.0:
        data = data * (0.99 / peak)
    return np.round(data * 32767).astype(np.int16)


def spectrogram_image(panels: dict[str, tuple[np.ndarray, int]]) -> np.ndarray:
    """An RGB image of log spectrograms side by side, one panel per (title: (wave, rate)), same scale."""
    import matplotlib.pyplot as plt

    from audio_omni.eval.plots import spectrogram_figure

    fig = spectrogram_figure([("", panels)], columns=tuple(panels))
    try:
        fig.canvas.draw()
        return np.asarray(fig.canvas.buffer_rgba())[..., :3].copy()
    finally:
        plt.close(fig)


def _settings(seed, steps, cfg_scale) -> SamplingSettings:
    """The Advanced panel's fields (empty or -1: the default, or a fresh seed)."""
    seed = None if seed is None or seed < 0 else int(seed)
    steps = None if not steps else int(steps)
    cfg_scale = None if cfg_scale is None or cfg_scale < 0 else float(cfg_scale)
    return SamplingSettings(seed, steps, cfg_scale)


def build_app(worker: ModelWorker, *, title: str = "audio-omni"):
    """The Gradio Blocks of the web app over `worker` (which the caller owns and closes)."""
    import gradio as gr

    limits: ServeLimits = worker.limits
    label = model_label(worker.name)

    def wait(job: Job, progress) -> object:
        """The job's outcome, reporting its sampling steps to the page while it runs."""
        while True:
            done, _ = concurrent.futures.wait([job.future], timeout=0.25)
            if done:
                return job.result()
            steps, total = job.progress
            if total:
                progress((steps, total), desc="sampling", unit="steps")
            elif job.started is None:
                progress(0.0, desc="waiting for the model")

    def user_errors(fn):
        """Errors a visitor can act on become a message in the page; anything else a generic one."""
        def run(*args, **kwargs):
            try:
                return fn(*args, **kwargs)
            except gr.Error:
                raise
            except AudioOmniError as err:
                raise gr.Error(html.escape(str(err)), duration=None, print_exception=False) from None
            except Exception:
                log.exception("the web app failed on a request")
                raise gr.Error("the server failed on this request; its log says why", duration=None,
                               print_exception=False) from None
        run.__name__ = fn.__name__
        return run

    def recording(path: str | None, what: str) -> tuple[np.ndarray, int]:
        if not path:
            raise gr.Error(f"upload or record {what} first", duration=None, print_exception=False)
        return load_recording(path, limits, display_name(Path(path).name))

    @user_errors
    def run_edit(audio, instruction, operation, description, target, seed, steps, cfg, progress=gr.Progress()):
        operation = None if operation == FREE_FORM else operation
        request = edit_request(instruction, operation, description, target, limits)
        settings = _settings(seed, steps, cfg).checked(limits)
        wave, rate = recording(audio, "a recording to edit")
        result = wait(worker.submit(lambda model, on_step: model.edit(
            wave, request, sample_rate=rate, progress=on_step, **settings.as_kwargs()), "edit"), progress)
        image = spectrogram_image({"input": (wave, rate), "output": (result.audio.numpy(), result.sample_rate)})
        return (result.sample_rate, _as_int16(result.audio)), image, str(result.seed)

    @user_errors
    def run_generate(task, prompt, duration, voice, voice_text, seed, steps, cfg, progress=gr.Progress()):
        prompt = check_bounded_text(prompt, "transcript" if task == "TTS" else "prompt", limits)
        voice_text = check_bounded_text(voice_text, "voice text", limits) if (voice_text or "").strip() else None
        if duration and not 0 < duration <= limits.max_audio_seconds:  # 0 or empty: the model's window
            raise gr.Error(f"the duration must be between 0 and {limits.max_audio_seconds:g} s", duration=None,
                           print_exception=False)
        settings = _settings(seed, steps, cfg).checked(limits)
        ref = rate = None
        if voice and task == "TTS":
            ref, rate = recording(voice, "a voice")
        result = wait(worker.submit(lambda model, on_step: model.generate(
            task, prompt, duration=duration or None, voice=ref, voice_sample_rate=rate, voice_text=voice_text,
            progress=on_step, **settings.as_kwargs()), "generate"), progress)
        image = spectrogram_image({"output": (result.audio.numpy(), result.sample_rate)})
        return (result.sample_rate, _as_int16(result.audio)), image, str(result.seed)

    @user_errors
    def run_understand(audio, question, max_tokens, progress=gr.Progress()):
        question = check_bounded_text(question, "question", limits)
        wave = rate = None
        if audio:
            wave, rate = recording(audio, "a recording")
        return wait(worker.submit(lambda model, on_step: model.understand(
            question, audio=wave, sample_rate=rate, max_new_tokens=int(max_tokens)), "understand"), progress)

    def advanced(prefix: str):
        with gr.Accordion("Advanced", open=False, elem_id=f"{prefix}-advanced"):
            seed = gr.Number(value=-1, precision=0, label="Seed (-1: a new one each run)", minimum=-1,
                             elem_id=f"{prefix}-seed")
            steps = gr.Slider(0, limits.max_steps, value=0, step=1, label="Sampling steps (0: the model's default)",
                              elem_id=f"{prefix}-steps")
            cfg = gr.Slider(-1, 15, value=-1, step=0.5, label="Guidance scale (-1: the model's default)",
                            elem_id=f"{prefix}-cfg")
        return seed, steps, cfg

    def outputs(kind: str):
        audio = gr.Audio(label=f"{kind} audio", type="numpy", format="wav", interactive=False,
                         elem_id=f"{kind.lower()}-output")
        image = gr.Image(label="Spectrograms", type="numpy", interactive=False, elem_id=f"{kind.lower()}-spectrogram")
        seed = gr.Textbox(label="Seed used (type it under Advanced to reproduce)", interactive=False,
                          elem_id=f"{kind.lower()}-seed")
        return audio, image, seed

    upload_note = (f"Up to {limits.max_audio_seconds:g} s and {limits.max_upload_bytes / 2**20:.3g} MB; WAV, FLAC, "
                   "OGG, MP3 and other common formats.")
    with gr.Blocks(title=title, delete_cache=(900, 3600)) as demo:
        gr.Markdown(f"# {title}\nEdit, generate and understand sound, music and speech with one model "
                    f"(**{html.escape(label)}**).")
        with gr.Tab("Edit", id="edit"):
            with gr.Row():
                with gr.Column():
                    source = gr.Audio(sources=["upload", "microphone"], type="filepath", label="Recording to edit",
                                      elem_id="edit-input")
                    gr.Markdown(upload_note)
                    instruction = gr.Textbox(label="Instruction", placeholder="e.g. Remove the dog barking.",
                                             max_length=limits.max_text_chars, elem_id="edit-instruction")
                    with gr.Row():
                        operation = gr.Dropdown([FREE_FORM, *INSTRUCTION_EDITS], value=FREE_FORM, label="Operation")
                        description = gr.Textbox(label="Sound", placeholder="e.g. dog barking")
                        target = gr.Textbox(label="Into (Style Transfer)", placeholder="e.g. violin")
                    seed, steps, cfg = advanced("edit")
                    button = gr.Button("Edit", variant="primary", elem_id="edit-run")
                with gr.Column():
                    edit_out = outputs("Edited")
            rows = [[e["file"], e.get("instruction", ""), e.get("operation", FREE_FORM), e.get("description", ""),
                     e.get("target", "")] for e in example_edits()]
            if rows:
                gr.Examples(rows, [source, instruction, operation, description, target],
                            label="Examples (real recordings that ship with audio-omni)")
            button.click(run_edit, [source, instruction, operation, description, target, seed, steps, cfg],
                         list(edit_out), concurrency_id="model")
        with gr.Tab("Generate", id="generate"):
            with gr.Row():
                with gr.Column():
                    task = gr.Dropdown(list(API_TASKS), value="T2A", label="Task",
                                       info="T2A: sound, T2M: music, TTS: speech")
                    prompt = gr.Textbox(label="Prompt (a caption, or the words to speak for TTS)",
                                        max_length=limits.max_text_chars, elem_id="generate-prompt")
                    duration = gr.Number(value=0, label="Duration in seconds (0: the model's window)",
                                         minimum=0, maximum=limits.max_audio_seconds)
                    with gr.Accordion("Voice to clone (TTS)", open=False):
                        voice = gr.Audio(sources=["upload", "microphone"], type="filepath", label="Voice recording")
                        voice_text = gr.Textbox(label="What the voice recording says")
                    g_seed, g_steps, g_cfg = advanced("generate")
                    g_button = gr.Button("Generate", variant="primary", elem_id="generate-run")
                with gr.Column():
                    gen_out = outputs("Generated")
            gr.Examples([["T2A", "rain on a tin roof", 5], ["T2M", "a calm piano melody with soft strings", 8],
                         ["TTS", "Hello! This voice was made from text.", 0]], [task, prompt, duration])
            g_button.click(run_generate, [task, prompt, duration, voice, voice_text, g_seed, g_steps, g_cfg],
                           list(gen_out), concurrency_id="model")
        with gr.Tab("Understand", id="understand"):
            with gr.Row():
                with gr.Column():
                    heard = gr.Audio(sources=["upload", "microphone"], type="filepath",
                                     label="Recording (optional)", elem_id="understand-input")
                    question = gr.Textbox(label="Question", max_length=limits.max_text_chars,
                                          elem_id="understand-question")
                    max_tokens = gr.Slider(1, MAX_ANSWER_TOKENS, value=128, step=1, label="Longest answer (tokens)")
                    u_button = gr.Button("Ask", variant="primary", elem_id="understand-run")
                with gr.Column():
                    answer = gr.Textbox(label="Answer", lines=6, interactive=False, elem_id="understand-answer")
            gr.Examples([["Which instruments suit a lullaby?"], ["Describe the sound of rain in one sentence."]],
                        [question])
            u_button.click(run_understand, [heard, question, max_tokens], answer, concurrency_id="model")
    return demo


def launch_app(worker: ModelWorker, host: str = "127.0.0.1", port: int = 7860, *, block: bool = True):
    """Build the app over `worker` and serve it; `block=False` returns the running Blocks (close() stops it)."""
    from audio_omni.serve.api import is_loopback

    if not is_loopback(host):
        log.warning("the web app has no login: anyone who can reach %s:%d can use the model", host, port)
    demo = build_app(worker)
    # One request at a time reaches the model (the tabs share concurrency_id "model"); the others wait in
    # Gradio's queue, which shows each visitor their place; beyond max_size a visitor is told the app is busy.
    demo.queue(default_concurrency_limit=1, max_size=worker.limits.max_waiting)
    demo.launch(
        server_name=host, server_port=port, prevent_thread_lock=not block, share=False, inbrowser=False,
        show_error=False, quiet=not block, ssr_mode=False, mcp_server=False, allowed_paths=[str(EXAMPLES_DIR)],
        max_file_size=worker.limits.max_upload_bytes, footer_links=["settings"],
    )
    return demo


def run_app(
    model: str | None = None,
    host: str = "127.0.0.1",
    port: int = 7860,
    *,
    device: str | None = None,
    random_init: bool = False,
    limits: ServeLimits | None = None,
) -> None:
    """Load `model` (the default model when None) once and serve the web app until interrupted."""
    from audio_omni.models.locate import DEFAULT_MODEL
    from audio_omni.serve.api import check_address

    check_address(host, port)
    worker = ModelWorker.load(model or DEFAULT_MODEL, device, random_init, limits)
    try:
        launch_app(worker, host, port, block=True)
    finally:
        worker.close()
