"""Video-sync conditioner: Synchformer features [240 x 768] of a 10 s clip -> a fixed number of tokens.

Reading video and extracting the features is a separate step; this module takes the features. An absent
video is all-zero features, which is also what the official model sees (its "empty" sync feature is zeros).
"""

from __future__ import annotations

import torch
from torch import nn

from audio_omni.errors import InstructionError
from audio_omni.models.conditioners.base import Conditioner, CondTokens
from audio_omni.models.conditioners.sequence_projection import project_sequence


class SyncConditioner(Conditioner):
    def __init__(self, n_tokens_out: int, n_frames_in: int = 240, feature_dim: int = 768, cond_dim: int = 768):
        super().__init__()
        self.n_frames_in = n_frames_in
        self.feature_dim = feature_dim
        self.output_dim = cond_dim
        self.norm = nn.LayerNorm(feature_dim)
        self.proj = nn.Linear(feature_dim, cond_dim)
        self.dim_project = nn.Linear(n_frames_in, n_tokens_out)

    def _features(self, item: torch.Tensor | None, device) -> torch.Tensor:
        if item is None:
            return torch.zeros(self.n_frames_in, self.feature_dim, device=device)
        item = item.to(device=device, dtype=torch.float32)
        if item.dim() == 3:
            item = item[0]
        if tuple(item.shape) != (self.n_frames_in, self.feature_dim):
            raise InstructionError(  # a user's input: one clear line on the command line, not a traceback
                f"sync features must be [{self.n_frames_in}, {self.feature_dim}], got {list(item.shape)}"
            )
        return item

    def forward(self, inputs: list[torch.Tensor | None], device) -> CondTokens:
        features = torch.stack([self._features(item, device) for item in inputs])
        tokens = project_sequence(self.dim_project, self.proj(self.norm(features)))
        return CondTokens(tokens, torch.ones(tokens.shape[:2], device=tokens.device))
