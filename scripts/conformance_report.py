"""Print how closely this implementation reproduces every case of an official conformance fixture.

    python3 scripts/conformance_report.py [../shared/fixtures/official-tiny]

Each line: the case, the largest absolute error relative to the reference's largest magnitude.
"""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path

os.environ.setdefault("HF_HUB_OFFLINE", "1")

import torch  # noqa: E402
from safetensors.torch import load_file  # noqa: E402

from audio_omni.models.audio_omni_model import Conditioning  # noqa: E402
from audio_omni.models.builders import build_model  # noqa: E402
from audio_omni.models.checkpoints import load_official_checkpoint  # noqa: E402
from audio_omni.models.conditioners.mel import MelInput  # noqa: E402
from audio_omni.models.conditioners.mllm import MLLMPrompt  # noqa: E402
from audio_omni.models.config import load_config  # noqa: E402


def rel(a: torch.Tensor, b: torch.Tensor) -> float:
    return ((a.float() - b.float()).abs().max() / b.float().abs().max().clamp(min=1e-12)).item()


def main(root: Path) -> None:
    torch.set_num_threads(2)
    cases = load_file(str(root / "cases.safetensors"))
    meta = json.loads((root / "cases.json").read_text(encoding="utf-8"))["cases"]
    model = build_model(load_config(root / "config.json"), vocab_file=root / "vocab.txt", mllm_path=root / "qwen-tiny")
    print(f"checkpoint: {load_official_checkpoint(model, root / 'model.ckpt').describe()}")
    model.eval().requires_grad_(False)
    conds = model.conditioner.conditioners
    rows = []
    with torch.inference_mode():
        sp = conds["speech_prompt"](meta["speech_prompt"]["texts"], "cpu")
        rows.append(("speech.tokens", rel(sp.tokens, cases["speech.tokens"])))
        wave = cases["input.wave_a_int16"].float() / 32768
        rows.append(("mel.log_mel_a", rel(conds["audio_input_prompt"].log_mel(wave[None])[0], cases["mel.log_mel_a"])))
        mel = conds["audio_input_prompt"]([MelInput(wave), MelInput(torch.zeros(441000), True)], "cpu")
        rows.append(("mel.tokens", rel(mel.tokens, cases["mel.tokens"])))
        torch.manual_seed(123)
        api = conds["audio_input_prompt"]([MelInput(wave, True)], "cpu", mask_voice=True)
        rows.append(("mel_apimode.tokens", rel(api.tokens, cases["mel_apimode.tokens"])))
        sync = conds["sync_feature"]([torch.zeros(1, 240, 768), cases["input.sync_rand_f16"].float()], "cpu")
        rows.append(("sync.tokens", rel(sync.tokens, cases["sync.tokens"])))
        omni = conds["omni_prompt"]
        stored = omni.from_hidden_states(cases["omni.hidden_layer_m2"], cases["omni.attention_mask"])
        rows.append(("omni.tokens (stored hidden states)", rel(stored.tokens, cases["omni.tokens"])))
        live = omni([MLLMPrompt(p) for p in meta["omni_prompt_dict"]["prompts"]], "cpu")
        rows.append(("omni.tokens (thinker recomputed, bf16)", rel(live.tokens, cases["omni.tokens"])))
        dit = model.model
        for name, scale, phi in (("dit.v_cfg1", 1, 0), ("dit.v_cfg6", 6, 0), ("dit.v_cfg6_phi0.7", 6, 0.7)):
            ctx = dit.prepare_context(cases["dit.cross_attn_cond"], cases["dit.cross_attn_mask"], scale != 1)
            v = dit(cases["dit.x"], cases["dit.t"], ctx, cases["dit.global_cond"], cfg_scale=scale, rescale_phi=phi)
            rows.append((name, rel(v, cases[name])))
        for case, seed in (("sample_edit", 777), ("sample_tts", 2026)):
            cond = Conditioning(
                cases[f"{case}.cross_attn_cond"], cases[f"{case}.cross_attn_mask"], cases[f"{case}.global_cond"]
            )
            noise = torch.randn([1, 8, 32], generator=torch.Generator().manual_seed(seed))
            latent = model.sample_latents(cond, noise, steps=4, cfg_scale=7.0)
            rows.append((f"{case}.latent", rel(latent, cases[f"{case}.latent"])))
            rows.append((f"{case}.audio", rel(model.pretransform.decode(latent), cases[f"{case}.audio"])))
        audio = cases["vae.audio_in_int16"].float() / 32768
        rows.append(("vae.pre_bottleneck", rel(model.pretransform.model.encoder(audio), cases["vae.pre_bottleneck"])))
        rows.append(("vae.decode_mean", rel(model.pretransform.decode(cases["vae.mean"]), cases["vae.decode_mean"])))
    for name, value in rows:
        print(f"{name:<42} {value:.2e}")
    print(f"worst: {max(v for n, v in rows if 'recomputed' not in n):.2e} (tolerance 1e-4)")


if __name__ == "__main__":
    default = Path(__file__).resolve().parents[2] / "shared" / "fixtures" / "official-tiny"
    main(Path(sys.argv[1]) if len(sys.argv) > 1 else default)
