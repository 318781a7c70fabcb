"""Sampling cost: cross-attention keys/values computed once per run vs once per step, side by side.

    python3 benchmarks/bench_sampling.py [--preset debug|audio-omni-small] [--steps N] [--repeats R]

Prints both times and their ratio (absolute CPU times mean little; the ratio is the result). The DiT is built
with random weights; the conditioning is random tokens of the preset's real shapes.
"""

from __future__ import annotations

import argparse
import platform
import time

import torch

from audio_omni.models.builders import build_model
from audio_omni.models.flow import sample_ode
from audio_omni.models.presets import preset_config


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--preset", default="audio-omni-small")
    parser.add_argument("--steps", type=int, default=8)
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()
    torch.manual_seed(0)
    cfg = preset_config(args.preset)
    model = build_model(cfg, load_mllm=False, load_vocoder=False).eval()
    dit = model.model
    conditioning = cfg.model.conditioning
    high = sum(
        int(s.config.get("pad_length", s.config.get("proj_seq_len", 0)))
        for s in conditioning.configs
        if s.id in cfg.model.diffusion.high_level_cond_ids
    )
    low = 32
    cross = torch.randn(1, high, conditioning.cond_dim)
    mask = torch.ones(1, high)
    prepend = torch.randn(1, low, conditioning.cond_dim)
    noise = torch.randn(1, cfg.model.pretransform.latent_dim, cfg.latent_length)

    def cached():
        context = dit.prepare_context(cross, mask, guided=True)
        return sample_ode(lambda x, t: dit(x, t, context, prepend, cfg_scale=5.0), noise, args.steps)

    def per_step():
        return sample_ode(
            lambda x, t: dit(x, t, dit.prepare_context(cross, mask, guided=True), prepend, cfg_scale=5.0),
            noise,
            args.steps,
        )

    with torch.inference_mode():
        assert torch.allclose(cached(), per_step(), atol=1e-5)  # the same result, only the cost differs
        times = {"kv once per run": [], "kv every step": []}
        for _ in range(args.repeats):
            for name, fn in (("kv once per run", cached), ("kv every step", per_step)):
                start = time.perf_counter()
                fn()
                times[name].append(time.perf_counter() - start)
    best = {name: min(values) for name, values in times.items()}
    machine = platform.processor() or platform.machine()
    print(f"machine: {machine}, {torch.get_num_threads()} threads, torch {torch.__version__}")
    print(f"preset {args.preset}: {args.steps} steps, {high} context tokens, latent {tuple(noise.shape)}")
    for name, value in best.items():
        print(f"  {name:<16} {value:.3f} s")
    print(f"  ratio every-step / once: {best['kv every step'] / best['kv once per run']:.2f}x")


if __name__ == "__main__":
    main()
