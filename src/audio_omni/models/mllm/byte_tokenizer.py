"""A byte-level tokenizer with the Qwen chat special tokens, for tiny random test thinkers.

Real use loads the tokenizer shipped with the model; tests and the debug preset need one that builds offline
in microseconds. Ids 0-255 are UTF-8 bytes, specials follow. Padding is on the left, like Qwen's processor.
"""

from __future__ import annotations

import re

import torch

SPECIAL_TOKENS = (
    "<|endoftext|>",
    "<|im_start|>",
    "<|im_end|>",
    "<|AUDIO|>",
    "<|IMAGE|>",
    "<|VIDEO|>",
    "<|audio_bos|>",
    "<|audio_eos|>",
    "<|vision_bos|>",
    "<|vision_eos|>",
)
SPECIAL_IDS = {tok: 256 + i for i, tok in enumerate(SPECIAL_TOKENS)}
VOCAB_SIZE = 256 + len(SPECIAL_TOKENS)
PAD_ID = SPECIAL_IDS["<|endoftext|>"]
_SPLIT = re.compile("(" + "|".join(re.escape(t) for t in SPECIAL_TOKENS) + ")")


class ByteTokenizer:
    pad_token_id = PAD_ID

    def encode(self, text: str) -> list[int]:
        ids: list[int] = []
        for part in _SPLIT.split(text):
            if part in SPECIAL_IDS:
                ids.append(SPECIAL_IDS[part])
            elif part:
                ids.extend(part.encode("utf-8"))
        return ids

    def __call__(self, text: list[str], return_tensors: str = "pt", padding: bool = True) -> dict:
        rows = [self.encode(t) for t in text]
        width = max(len(r) for r in rows)
        ids = torch.full((len(rows), width), PAD_ID, dtype=torch.long)
        mask = torch.zeros((len(rows), width), dtype=torch.long)
        for i, row in enumerate(rows):
            if row:
                ids[i, width - len(row) :] = torch.tensor(row)
                mask[i, width - len(row) :] = 1
        return {"input_ids": ids, "attention_mask": mask}

    def batch_decode(self, ids: torch.Tensor, skip_special_tokens: bool = True) -> list[str]:
        out = []
        for row in ids.tolist():
            data = bytes(i for i in row if i < 256)
            out.append(data.decode("utf-8", errors="replace"))
        return out
