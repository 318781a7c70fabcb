"""Speech-text conditioner: transcript -> symbols -> ConvNeXt-V2 text encoder -> fixed number of tokens.

The transcript reaches the DiT through cross-attention only; it is never shown to the MLLM for TTS.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

from audio_omni.models.conditioners.base import Conditioner, CondTokens, rms_normalize
from audio_omni.models.conditioners.sequence_projection import project_sequence
from audio_omni.models.conditioners.text_symbols import SymbolVocabulary, text_to_symbols


def sinusoidal_table(dim: int, positions: int, theta: float = 10000.0) -> torch.Tensor:
    """[positions, dim]: cosines in the first half, sines in the second."""
    freqs = 1.0 / (theta ** (torch.arange(0, dim, 2)[: dim // 2].float() / dim))
    angles = torch.outer(torch.arange(positions).float(), freqs)
    return torch.cat([torch.cos(angles), torch.sin(angles)], dim=-1)


class GlobalResponseNorm(nn.Module):
    """ConvNeXt-V2 GRN: rescale each channel by its energy over time relative to the mean channel energy."""

    def __init__(self, dim: int):
        super().__init__()
        self.gamma = nn.Parameter(torch.zeros(1, 1, dim))
        self.beta = nn.Parameter(torch.zeros(1, 1, dim))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        energy = torch.norm(x, p=2, dim=1, keepdim=True)
        relative = energy / (energy.mean(dim=-1, keepdim=True) + 1e-6)
        return self.gamma * (x * relative) + self.beta + x


class ConvNeXtV2Block(nn.Module):
    def __init__(self, dim: int, hidden: int, kernel_size: int = 7):
        super().__init__()
        self.dwconv = nn.Conv1d(dim, dim, kernel_size, padding=kernel_size // 2, groups=dim)
        self.norm = nn.LayerNorm(dim, eps=1e-6)
        self.pwconv1 = nn.Linear(dim, hidden)
        self.act = nn.GELU()
        self.grn = GlobalResponseNorm(hidden)
        self.pwconv2 = nn.Linear(hidden, dim)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        y = self.dwconv(x.transpose(1, 2)).transpose(1, 2)
        y = self.pwconv2(self.grn(self.act(self.pwconv1(self.norm(y)))))
        return x + y


class TextEncoder(nn.Module):
    """Symbol ids -> [B, seq_len, dim]: embedding + sinusoidal positions + ConvNeXt-V2 blocks.

    Index 0 is the filler: ids are shifted by +1, padded/truncated to seq_len, and filler positions are zeroed
    after the embedding and after every block so padding never leaks into real positions.
    """

    def __init__(self, vocab_size: int, dim: int, conv_layers: int = 4, max_positions: int = 4096):
        super().__init__()
        self.text_embed = nn.Embedding(vocab_size + 1, dim)
        self.text_blocks = nn.ModuleList([ConvNeXtV2Block(dim, dim * 2) for _ in range(conv_layers)])
        self.register_buffer("positions", sinusoidal_table(dim, max_positions), persistent=False)

    def forward(self, ids: torch.Tensor, seq_len: int) -> torch.Tensor:
        ids = (ids + 1)[:, :seq_len]
        ids = F.pad(ids, (0, seq_len - ids.shape[1]), value=0)
        filler = (ids == 0).unsqueeze(-1)
        x = self.text_embed(ids) + self.positions[: min(seq_len, self.positions.shape[0])]
        x = x.masked_fill(filler, 0.0)
        for block in self.text_blocks:
            x = block(x).masked_fill(filler, 0.0)
        return x


class SpeechTextConditioner(Conditioner):
    """Transcripts -> [B, proj_seq_len, cond_dim]. An absent transcript (None) gets a learned empty embedding."""

    def __init__(
        self,
        vocabulary: SymbolVocabulary | None,
        text_dim: int,
        seq_len: int,
        proj_seq_len: int,
        cond_dim: int = 768,
        vocab_size: int = 2545,
        conv_layers: int = 4,
    ):
        super().__init__()
        self.vocabulary = vocabulary
        self.seq_len = seq_len
        self.output_dim = cond_dim
        self.text_embed = TextEncoder(vocab_size, text_dim, conv_layers)
        self.proj_features = nn.Linear(text_dim, cond_dim)
        self.proj_seq_len = nn.Linear(seq_len, proj_seq_len)
        self.empty_speech_feat = nn.Parameter(torch.randn(1, proj_seq_len, cond_dim))

    def symbol_ids(self, texts: list[str | None]) -> torch.Tensor:
        """Transcripts -> int64 [B, max_len] padded with -1 (None reads as the empty transcript)."""
        if self.vocabulary is None:
            raise RuntimeError("the speech-text conditioner has no vocabulary; pass vocab_file")
        rows = [self.vocabulary.encode(text_to_symbols(t or "")) for t in texts]
        width = max((len(r) for r in rows), default=0)
        ids = torch.full((len(rows), max(width, 1)), -1, dtype=torch.long)
        for i, row in enumerate(rows):
            ids[i, : len(row)] = torch.tensor(row, dtype=torch.long)
        return ids

    def forward(self, inputs: list[str | None], device) -> CondTokens:
        batch = len(inputs)
        ones = torch.ones(batch, self.proj_seq_len.out_features, device=device)
        absent = torch.tensor([t is None for t in inputs], device=device)
        if absent.all():
            return CondTokens(self.empty_speech_feat.expand(batch, -1, -1), ones)
        features = self.text_embed(self.symbol_ids(inputs).to(device), self.seq_len)
        tokens = project_sequence(self.proj_seq_len, self.proj_features(rms_normalize(features)))
        tokens = torch.where(absent[:, None, None], self.empty_speech_feat.to(tokens.dtype), tokens)
        return CondTokens(rms_normalize(tokens), ones)
