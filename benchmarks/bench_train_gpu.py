"""Training throughput of the DiT: tokens/s, peak memory and model FLOPs utilisation (MFU) in bf16.

    python3 benchmarks/bench_train_gpu.py                       # small preset + a 4-block slice of the paper DiT
    python3 benchmarks/bench_train_gpu.py --blocks 36 --batch 2  # the whole paper DiT (needs sharding beyond 1 GPU)

Runs the real training step of the DiT (forward with cross-attention context and prepended tokens, rectified-flow
loss, backward, AdamW) on random conditioning of the preset's real shapes; the frozen parts (codec, MLLM) are
pre-encoded in real training and left out here. MFU counts 6 x parameters x tokens plus attention matmuls,
against the card's dense bf16 peak (`--peak-tflops`, default 989 for H100/H200 SXM).
"""

from __future__ import annotations

import argparse
import json
import time

import torch

from audio_omni.models.config import DiTConfig
from audio_omni.models.dit import DiffusionTransformer
from audio_omni.models.flow import flow_loss, interpolate
from audio_omni.models.presets import preset_config


def attention_flops(tokens: int, context: int, width: int, depth: int) -> float:
    """Forward matmul FLOPs of self- and cross-attention scores and mixing, per sample."""
    return depth * (4 * tokens * tokens * width + 4 * tokens * context * width)


def measure(name: str, preset: str, blocks: int | None, batch: int, steps: int, peak: float, ckpt: bool) -> dict:
    cfg = preset_config(preset)
    dit_cfg = cfg.model.diffusion.config.model_dump()
    if blocks:
        dit_cfg["depth"] = blocks
    dit = DiffusionTransformer(DiTConfig(**dit_cfg)).cuda()
    dit.reset_parameters_for_training()
    dit.transformer.gradient_checkpointing = ckpt
    dit.train()
    conditioning = cfg.model.conditioning
    routing = cfg.model.diffusion
    specs = {s.id: s.config for s in conditioning.configs}
    high, low = routing.high_level_cond_ids, routing.low_level_cond_ids
    context = sum(int(specs[i].get("pad_length", specs[i].get("proj_seq_len", 0))) for i in high)
    prepend = sum(int(specs[i].get("sync_output_dim", specs[i].get("seq_len", 128))) for i in low)
    frames = cfg.latent_length
    width = dit_cfg["embed_dim"]
    params = sum(p.numel() for p in dit.parameters())
    opt = torch.optim.AdamW(dit.parameters(), lr=1e-4, fused=True)
    gen = torch.Generator(device="cuda").manual_seed(0)

    def step():
        x0 = torch.randn(batch, dit_cfg["io_channels"], frames, device="cuda", generator=gen)
        noise = torch.randn_like(x0)
        t = torch.rand(batch, device="cuda", generator=gen)
        cross = torch.randn(batch, context, conditioning.cond_dim, device="cuda", generator=gen)
        mask = torch.ones(batch, context, device="cuda")
        pre = torch.randn(batch, prepend, conditioning.cond_dim, device="cuda", generator=gen)
        with torch.autocast("cuda", dtype=torch.bfloat16):
            v = dit(interpolate(x0, noise, t), t, None, pre, cross=cross, cross_mask=mask)
        loss = flow_loss(v.float(), x0, noise)
        loss.backward()
        opt.step()
        opt.zero_grad(set_to_none=True)

    for _ in range(3):
        step()
    torch.cuda.synchronize()
    torch.cuda.reset_peak_memory_stats()
    start = time.perf_counter()
    for _ in range(steps):
        step()
    torch.cuda.synchronize()
    seconds = (time.perf_counter() - start) / steps
    tokens = frames + prepend
    flops = batch * (6 * params * tokens + 3 * attention_flops(tokens, context, width, dit_cfg["depth"]))
    return {
        "name": name, "params_M": round(params / 1e6, 1), "depth": dit_cfg["depth"], "batch": batch,
        "tokens_per_sample": tokens, "context_tokens": context, "step_ms": round(seconds * 1e3, 2),
        "tokens_per_s": round(batch * tokens / seconds),
        "peak_mem_GiB": round(torch.cuda.max_memory_allocated() / 2**30, 2),
        "mfu": round(flops / seconds / (peak * 1e12), 3), "grad_checkpointing": ckpt,
    }


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--blocks", type=int, default=4, help="paper-DiT blocks in the slice")
    parser.add_argument("--batch", type=int, default=8)
    parser.add_argument("--small-batch", type=int, default=32)
    parser.add_argument("--steps", type=int, default=10)
    parser.add_argument("--peak-tflops", type=float, default=989.0)
    parser.add_argument("--checkpointing", action="store_true")
    parser.add_argument("--out", default=None, help="write the results as JSON here")
    args = parser.parse_args()
    if not torch.cuda.is_available():
        raise SystemExit("this benchmark needs a CUDA GPU")
    torch.backends.cuda.matmul.allow_tf32 = True
    print(f"device: {torch.cuda.get_device_name()}, torch {torch.__version__}")
    results = [
        measure("audio-omni-small", "audio-omni-small", None, args.small_batch, args.steps, args.peak_tflops,
                args.checkpointing),
        measure(f"audio-omni slice ({args.blocks} blocks)", "audio-omni", args.blocks, args.batch, args.steps,
                args.peak_tflops, args.checkpointing),
    ]
    for r in results:
        print(json.dumps(r))
    if args.out:
        with open(args.out, "w") as f:
            json.dump({"device": torch.cuda.get_device_name(), "results": results}, f, indent=2)


if __name__ == "__main__":
    main()
