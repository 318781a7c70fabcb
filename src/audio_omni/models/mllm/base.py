"""The interface of the frozen language model that fills the MLLM slot."""

from __future__ import annotations

from dataclasses import dataclass

import torch


@dataclass
class HiddenStates:
    """Per-token features of one batch of prompts.

    features: [B, S, D] hidden states of the requested layer (dtype of the frozen model).
    mask: [B, S] bool, True on real tokens. Padding may be on either side; consumers gather by the mask.
    """

    features: torch.Tensor
    mask: torch.Tensor


class MLLMBackbone(torch.nn.Module):
    """A frozen (multimodal) LLM that turns prompts into hidden states and, optionally, answers."""

    hidden_size: int
    accepts_audio: bool = False  # whether answer() can take audio (the Qwen thinker can; text LLMs cannot)
    accepts_video: bool = False  # whether hidden_states() can take video frames (the Qwen thinker can)
    audio_rate: int = 16000  # the rate answer() expects its audio at (when accepts_audio)

    def question_prompt(self, question: str) -> str | None:
        """The backbone's own layout for a text question, or None to use the chat template (a base LM that was
        never tuned to chat overrides this)."""
        return None

    def hidden_states(
        self,
        prompts: list[str],
        layer: int = -2,
        audios: list | None = None,
        videos: list | None = None,
    ) -> HiddenStates:
        raise NotImplementedError

    def answer(self, prompt: str, max_new_tokens: int = 64, audio=None, video=None) -> str:
        raise NotImplementedError(f"{type(self).__name__} cannot answer questions")
