"""The paper's MLLM: the Thinker of Qwen2.5-Omni (talker dropped), frozen, loaded from a local directory."""

from __future__ import annotations

import re
from pathlib import Path

import torch

from audio_omni.errors import AssetError
from audio_omni.models.mllm.base import HiddenStates, MLLMBackbone
from audio_omni.models.mllm.qwen_video import VideoProcessorSettings, expand_video_prompts

# The official checkpoint stores the thinker under transformers 5.3 module names; later 5.x releases moved
# the audio/vision towers and the text stack. Map both ways through the official ("canonical") names.
_CANONICAL_TO_INSTALLED = [
    (re.compile(r"^thinker\.audio_tower\."), "thinker.model.audio_tower."),
    (re.compile(r"^thinker\.visual\."), "thinker.model.visual."),
    (re.compile(r"^thinker\.model\.(layers|embed_tokens|norm|rotary_emb)\b"), r"thinker.model.language_model.\1"),
]


def _installed_layout_is_nested(thinker: torch.nn.Module) -> bool:
    return hasattr(getattr(thinker, "model", None), "language_model")


def thinker_key_to_installed(key: str, nested: bool) -> str:
    if not nested:
        return key
    for pattern, repl in _CANONICAL_TO_INSTALLED:
        new = pattern.sub(repl, key)
        if new != key:
            return new
    return key


def thinker_key_to_canonical(key: str) -> str:
    for prefix, canonical in (
        ("thinker.model.audio_tower.", "thinker.audio_tower."),
        ("thinker.model.visual.", "thinker.visual."),
        ("thinker.model.language_model.", "thinker.model."),
    ):
        if key.startswith(prefix):
            return canonical + key[len(prefix) :]
    return key


def audio_tower(thinker: torch.nn.Module) -> torch.nn.Module:
    """The thinker's audio encoder, wherever this transformers release keeps it."""
    inner = getattr(thinker, "model", None)
    return getattr(inner, "audio_tower", None) or thinker.audio_tower


AUDIO_PLACEHOLDER = "<|AUDIO|>"
AUDIO_RATE = 16000


class QwenOmniBackbone(MLLMBackbone):
    accepts_audio = True
    accepts_video = True
    audio_rate = AUDIO_RATE

    def __init__(
        self, thinker: torch.nn.Module, processor=None, external_weights: bool = False, feature_extractor=None
    ):
        super().__init__()
        # Whisper-style log-mel front end of the thinker's audio encoder (128 bins, 16 kHz).
        if feature_extractor is None:
            from transformers import WhisperFeatureExtractor

            feature_extractor = WhisperFeatureExtractor(feature_size=128, sampling_rate=AUDIO_RATE)
        self.feature_extractor = feature_extractor
        # True when the thinker's weights came from its own directory: checkpoints then need not carry them.
        self.external_weights = external_weights
        self.thinker = thinker
        self.processor = processor  # a tokenizer for text prompts
        self.video_settings = VideoProcessorSettings()  # how video frames become the thinker's pixel values
        self.hidden_size = int(thinker.config.text_config.hidden_size)

    @classmethod
    def from_config_dir(
        cls, path: str | Path, with_weights: bool = True, dtype: torch.dtype = torch.bfloat16
    ) -> QwenOmniBackbone:
        """Build the thinker from a local Qwen2.5-Omni directory (config, processor and optionally weights).

        With with_weights=False the weights are random and expected to come from the Audio-Omni checkpoint.
        """
        from transformers import AutoTokenizer, Qwen2_5OmniConfig, Qwen2_5OmniThinkerForConditionalGeneration

        path = Path(path)
        if not (path / "config.json").is_file():
            raise AssetError(
                f"no Qwen2.5-Omni directory at {path} (expected config.json); download the model yourself and "
                "pass its local path as qwen_omni_model_name"
            )
        # Text prompts need only the tokenizer. The full processor would pull in the video processor, which
        # needs torchvision (not installable beside CPU torch here); left padding is the processor's default.
        processor = None
        if (path / "tokenizer_config.json").is_file():
            processor = AutoTokenizer.from_pretrained(path, padding_side="left")
        feature_extractor = None
        if (path / "preprocessor_config.json").is_file():
            from transformers import WhisperFeatureExtractor

            feature_extractor = WhisperFeatureExtractor.from_pretrained(path)
        external = with_weights and any(path.glob("*.safetensors"))
        if external:
            thinker = Qwen2_5OmniThinkerForConditionalGeneration.from_pretrained(
                path, dtype=dtype, attn_implementation="sdpa"
            )
        else:
            config = Qwen2_5OmniConfig.from_pretrained(path).thinker_config
            config._attn_implementation = "sdpa"
            thinker = Qwen2_5OmniThinkerForConditionalGeneration(config).to(dtype)
        thinker.eval().requires_grad_(False)
        backbone = cls(thinker, processor, external_weights=external, feature_extractor=feature_extractor)
        backbone.video_settings = VideoProcessorSettings.from_directory(path)
        return backbone

    @classmethod
    def tiny_random(cls, hidden_size: int = 64, layers: int = 2, seed: int = 0) -> QwenOmniBackbone:
        """A tiny random thinker of the real class with a byte tokenizer: tests and the debug preset."""
        from transformers import Qwen2_5OmniThinkerConfig, Qwen2_5OmniThinkerForConditionalGeneration

        from audio_omni.models.mllm import byte_tokenizer as bt

        ids = bt.SPECIAL_IDS
        config = Qwen2_5OmniThinkerConfig(
            text_config={
                "hidden_size": hidden_size, "intermediate_size": 2 * hidden_size, "num_hidden_layers": layers,
                "num_attention_heads": 4, "num_key_value_heads": 2, "vocab_size": bt.VOCAB_SIZE,
                "rope_parameters": {"mrope_section": [2, 2, 4], "rope_theta": 1e6, "rope_type": "default"},
            },
            audio_config={
                "d_model": 32, "encoder_attention_heads": 2, "encoder_ffn_dim": 64, "encoder_layers": 1,
                "num_hidden_layers": 1, "output_dim": hidden_size,
            },
            vision_config={
                "depth": 1, "hidden_size": 32, "intermediate_size": 64, "num_heads": 2,
                "out_hidden_size": hidden_size, "fullatt_block_indexes": [0],
            },
            audio_token_index=ids["<|AUDIO|>"], image_token_index=ids["<|IMAGE|>"],
            video_token_index=ids["<|VIDEO|>"], audio_start_token_id=ids["<|audio_bos|>"],
            audio_end_token_id=ids["<|audio_eos|>"], vision_start_token_id=ids["<|vision_bos|>"],
            vision_end_token_id=ids["<|vision_eos|>"],
        )
        config._attn_implementation = "sdpa"
        with torch.random.fork_rng():
            torch.manual_seed(seed)
            thinker = Qwen2_5OmniThinkerForConditionalGeneration(config)
        thinker.eval().requires_grad_(False)
        return cls(thinker, bt.ByteTokenizer())

    def installed_key(self, key: str) -> str:
        """An official (transformers 5.3) thinker key -> the name this transformers release uses."""
        return thinker_key_to_installed(key, _installed_layout_is_nested(self.thinker))

    def hidden_states_from_ids(
        self, input_ids: torch.Tensor, attention_mask: torch.Tensor, layer: int = -2
    ) -> HiddenStates:
        out = self.thinker(
            input_ids=input_ids, attention_mask=attention_mask, output_hidden_states=True, use_cache=False
        )
        return HiddenStates(out.hidden_states[layer], attention_mask.bool())

    def tokenize(self, prompts: list[str]) -> tuple[torch.Tensor, torch.Tensor]:
        if self.processor is None:
            raise AssetError("this Qwen2.5-Omni directory has no processor/tokenizer files")
        batch = self.processor(text=prompts, return_tensors="pt", padding=True)
        return batch["input_ids"], batch["attention_mask"]

    @torch.no_grad()
    def hidden_states(self, prompts, layer=-2, audios=None, videos=None) -> HiddenStates:
        """`videos`: per prompt None or uint8 frames [T, 3, H, W] for the prompt's one <|VIDEO|> placeholder."""
        if audios:
            raise NotImplementedError("audio prompts to the MLLM are not wired yet; pass text prompts")
        device = next(self.thinker.parameters()).device
        extra = {}
        if videos:
            prompts, extra = expand_video_prompts(prompts, videos, self.video_settings)
        ids, mask = self.tokenize(prompts)
        if not extra:
            return self.hidden_states_from_ids(ids.to(device), mask.to(device), layer)
        out = self.thinker(
            input_ids=ids.to(device), attention_mask=mask.to(device), output_hidden_states=True, use_cache=False,
            **{key: value.to(device) for key, value in extra.items()},
        )
        return HiddenStates(out.hidden_states[layer], mask.to(device).bool())

    @torch.no_grad()
    def answer(self, prompt: str, max_new_tokens: int = 64, audio=None, video=None) -> str:
        """Greedy answer to a chat-formatted prompt. With `audio` (mono float at 16 kHz), the prompt's single
        <|AUDIO|> placeholder is expanded to one token per encoder frame and the audio features are passed."""
        if video is not None:
            raise NotImplementedError("video questions need the thinker's video processor (torchvision)")
        device = next(self.thinker.parameters()).device
        extra = {}
        if audio is not None:
            features = self.feature_extractor(
                torch.as_tensor(audio, dtype=torch.float32).reshape(-1).numpy(),
                sampling_rate=AUDIO_RATE, return_attention_mask=True, padding="max_length", return_tensors="pt",
            )
            frames = features["attention_mask"].sum(-1)
            # Two stride-2 stages in the audio encoder: frames -> tokens.
            n_tokens = int(((frames - 1) // 2 + 1 - 2) // 2 + 1)
            if prompt.count(AUDIO_PLACEHOLDER) != 1:
                raise ValueError(f"a prompt with audio needs exactly one {AUDIO_PLACEHOLDER} placeholder")
            prompt = prompt.replace(AUDIO_PLACEHOLDER, AUDIO_PLACEHOLDER * n_tokens)
            extra = {
                "input_features": features["input_features"].to(device, self.thinker.dtype),
                "feature_attention_mask": features["attention_mask"].to(device),
            }
        ids, mask = self.tokenize([prompt])
        out = self.thinker.generate(
            input_ids=ids.to(device), attention_mask=mask.to(device), max_new_tokens=max_new_tokens,
            do_sample=False, **extra,
        )
        return self.processor.batch_decode(out[:, ids.shape[1] :], skip_special_tokens=True)[0].strip()
