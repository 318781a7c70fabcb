"""End-to-end edit time of the default model on this CPU, and where the time goes.

    python3 benchmarks/bench_edit_speed.py [--model audio-omni-small] [--seconds 10] [--steps 4 8] [--cfg 1 2]

One run, side by side: the wall time of `AudioOmni.edit` on a real recording of `--seconds` for each
(steps, guidance) setting, the model already loaded (what a user of the Python API, the app or the HTTP server
waits for), and a breakdown of one edit: the MLLM prompt, the DiT sampling, the rendering. Absolute CPU times
vary with the machine and its load; the table states the machine and the threads.
"""

from __future__ import annotations

import argparse
import platform
import time

import torch

from audio_omni import AudioOmni


def real_recording(rate: int, seconds: float) -> torch.Tensor:
    """A real recording (Debian asterisk prompts, joined) of `seconds` at `rate`, mono."""
    from audio_omni.assets import debian_package
    from audio_omni.audio.io import load_audio

    pieces, total = [], 0
    for path in sorted(debian_package("asterisk-core-sounds-en-wav").rglob("*.wav")):
        wave, _ = load_audio(path, sample_rate=rate, channels=1)
        pieces.append(wave[0])
        total += wave.shape[-1]
        if total >= seconds * rate:
            break
    return torch.cat(pieces)[: int(seconds * rate)]


def timed(fn) -> tuple[float, object]:
    start = time.perf_counter()
    out = fn()
    return time.perf_counter() - start, out


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--model", default="audio-omni-small")
    parser.add_argument("--random-init", action="store_true", help="untrained weights (same cost)")
    parser.add_argument("--seconds", type=float, default=10.0)
    parser.add_argument("--steps", type=int, nargs="+", default=[2, 4, 8])
    parser.add_argument("--cfg", type=float, nargs="+", default=[1.0, 2.0])
    parser.add_argument("--repeats", type=int, default=2)
    args = parser.parse_args()

    omni = AudioOmni.from_pretrained(args.model, device="cpu", random_init=args.random_init)
    clip = real_recording(omni.sample_rate, args.seconds)
    instruction = "Remove the sound of 'a woman speaking' from the input audio."
    omni.edit(clip, instruction, sample_rate=omni.sample_rate, steps=1, seed=0)  # warm-up

    print(f"machine: {platform.processor() or platform.machine()}, {torch.get_num_threads()} threads, "
          f"torch {torch.__version__}; model {args.model}; a {args.seconds:g} s edit of a real recording")
    print(f"{'steps':>5} {'cfg':>4} {'edit s':>7} {'x realtime':>10}")
    for steps in args.steps:
        for cfg in args.cfg:
            best = min(timed(lambda s=steps, c=cfg: omni.edit(clip, instruction, sample_rate=omni.sample_rate,
                                                                steps=s, cfg_scale=c, seed=0))[0]
                       for _ in range(args.repeats))
            print(f"{steps:>5} {cfg:>4g} {best:>7.2f} {args.seconds / best:>10.1f}")

    # Where the time goes, for the preset's default sampling.
    mllm = omni.model.conditioner.conditioners[omni.roles["mllm"]]
    prompt = omni.templates.edit(instruction)
    prompt_s, _ = timed(lambda: mllm.fitted_features([prompt], "cpu"))
    codec = omni.model.pretransform
    latents = codec.encode(clip[None, None, : clip.shape[-1] // 256 * 256])
    render_s, _ = timed(lambda: codec.decode_edit(latents, clip[None, None, : latents.shape[-1] * 256]))
    vocode_s, _ = timed(lambda: codec.decode(latents))
    print(f"MLLM prompt {prompt_s:.2f} s; rendering relative to the source {render_s:.2f} s "
          f"(full HiFi-GAN vocoding of the same latents: {vocode_s:.2f} s)")


if __name__ == "__main__":
    main()
