"""The Synchformer visual encoder (the video half of MMAudio's Synchformer), whose features Audio-Omni's
sync conditioner reads, written from its description in the synchformer-tiny fixture.

A segment is 16 RGB frames at 224x224 in [-1, 1]. A 3-D convolution cuts it into 8 x 14 x 14 tubelets
(2 frames x 16 x 16 pixels); a ViT with divided space-time attention runs over them (time attention, then space
attention, then the MLP, in every block); a small attention layer pools each time step's 196 tokens into one
vector. One segment -> 8 vectors, one per 2 frames (0.08 s at 25 fps).

`SyncFeatureEncoder.features` cuts a clip into segments of 16 frames with stride 8 (S = (T - 16) // 8 + 1,
frames after the last full segment are ignored) and concatenates their vectors: 10 s at 25 fps = 250 frames
-> 30 segments -> 240 vectors, the [240, 768] that Audio-Omni conditions on.

Weights load strictly from the user's `synchformer_state_dict.pth` (the `vfeat_extractor.*` entries, original
names); nothing is downloaded.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import torch
import torch.nn.functional as F
from torch import nn

from audio_omni.errors import CheckpointError, VideoInputError
from audio_omni.video.resize import to_unit_range

STATE_DICT_PREFIX = "vfeat_extractor."
FRAMES_PER_SEGMENT = 16
SEGMENT_STRIDE = 8
TUBELET_FRAMES = 2
PATCH = 16
IMAGE_SIZE = 224
GRID = IMAGE_SIZE // PATCH  # 14
TIME_STEPS = FRAMES_PER_SEGMENT // TUBELET_FRAMES  # 8 vectors per segment
LAYER_NORM_EPS = 1e-6  # everywhere in the original


@dataclass(frozen=True)
class SynchformerConfig:
    """Sizes of the encoder; the released model is the default (ViT-B: 768 wide, 12 blocks, 12 heads)."""

    embed_dim: int = 768
    depth: int = 12
    num_heads: int = 12
    mlp_ratio: int = 4


def _layer_norm(dim: int) -> nn.LayerNorm:
    return nn.LayerNorm(dim, eps=LAYER_NORM_EPS)


class DividedAttention(nn.Module):
    """Self-attention over one axis of the tubelet grid, with the CLS token seen by every group.

    "time": each patch token attends to the CLS token and the 8 tokens at its own spatial position.
    "space": each patch token attends to the CLS token and the 196 tokens of its own time step.
    The CLS query attends to every token in both modes.
    """

    def __init__(self, dim: int, num_heads: int, axis: str):
        super().__init__()
        if axis not in ("time", "space"):
            raise ValueError(f"axis must be 'time' or 'space', got {axis!r}")
        self.num_heads, self.axis = num_heads, axis
        self.scale = (dim // num_heads) ** -0.5
        self.qkv = nn.Linear(dim, 3 * dim)
        self.proj = nn.Linear(dim, dim)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        batch, tokens, dim = x.shape
        heads, head_dim = self.num_heads, dim // self.num_heads
        positions = (tokens - 1) // TIME_STEPS
        # [3, B, heads, tokens, head_dim]: q, k, v are consecutive dim-wide chunks, heads contiguous slices.
        q, k, v = self.qkv(x).reshape(batch, tokens, 3, heads, head_dim).permute(2, 0, 3, 1, 4)
        cls_out = F.scaled_dot_product_attention(q[:, :, :1], k, v, scale=self.scale)

        def grouped(t: torch.Tensor) -> torch.Tensor:  # patch tokens -> [B, heads, groups, length, head_dim]
            t = t[:, :, 1:].reshape(batch, heads, TIME_STEPS, positions, head_dim)
            return t.transpose(2, 3) if self.axis == "time" else t

        q_g, k_g, v_g = grouped(q), grouped(k), grouped(v)
        groups = q_g.shape[2]
        k_g = torch.cat([k[:, :, None, :1].expand(-1, -1, groups, -1, -1), k_g], dim=3)
        v_g = torch.cat([v[:, :, None, :1].expand(-1, -1, groups, -1, -1), v_g], dim=3)
        out = F.scaled_dot_product_attention(
            q_g.flatten(1, 2), k_g.flatten(1, 2), v_g.flatten(1, 2), scale=self.scale
        ).unflatten(1, (heads, groups))
        if self.axis == "time":
            out = out.transpose(2, 3)  # back to time-major token order
        out = torch.cat([cls_out, out.reshape(batch, heads, tokens - 1, head_dim)], dim=2)
        return self.proj(out.transpose(1, 2).reshape(batch, tokens, dim))


class FeedForward(nn.Module):
    def __init__(self, dim: int, hidden: int):
        super().__init__()
        self.fc1 = nn.Linear(dim, hidden)
        self.fc2 = nn.Linear(hidden, dim)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.fc2(F.gelu(self.fc1(x)))  # exact (erf) GELU


class SpaceTimeBlock(nn.Module):
    """x += time_attn(norm3 x); x += space_attn(norm1 x); x += mlp(norm2 x). The odd norm numbering is the
    original's (norm3 was added last) and is kept because the checkpoint's key names follow it."""

    def __init__(self, dim: int, num_heads: int, mlp_ratio: int):
        super().__init__()
        self.norm1, self.norm2, self.norm3 = _layer_norm(dim), _layer_norm(dim), _layer_norm(dim)
        self.timeattn = DividedAttention(dim, num_heads, "time")
        self.attn = DividedAttention(dim, num_heads, "space")
        self.mlp = FeedForward(dim, dim * mlp_ratio)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = x + self.timeattn(self.norm3(x))
        x = x + self.attn(self.norm1(x))
        return x + self.mlp(self.norm2(x))


class PackedAttention(nn.Module):
    """Multi-head attention with one packed input projection (rows: query, key, value), as torch stores it."""

    def __init__(self, dim: int, num_heads: int):
        super().__init__()
        self.num_heads = num_heads
        self.in_proj_weight = nn.Parameter(torch.empty(3 * dim, dim))
        self.in_proj_bias = nn.Parameter(torch.zeros(3 * dim))
        self.out_proj = nn.Linear(dim, dim)
        nn.init.xavier_uniform_(self.in_proj_weight)

    def forward(self, query: torch.Tensor, context: torch.Tensor) -> torch.Tensor:
        """One query per item, query [N, 1, D], attends to context [N, L, D] -> [N, 1, D].

        With a single query the key and value projections need not be applied to every context token:
        q.(Wk x + bk) = (Wk^T q).x + q.bk, and sum_i a_i (Wv x_i + bv) = Wv (sum_i a_i x_i) + bv. Folding the
        projections into the query and the pooled context is the same arithmetic with ~L times fewer products."""
        items, dim = query.shape[0], query.shape[-1]
        heads = self.num_heads
        head_dim = dim // heads
        w_q, w_k, w_v = self.in_proj_weight.split(dim)
        b_q, b_k, b_v = self.in_proj_bias.split(dim)
        q = F.linear(query[:, 0], w_q, b_q).reshape(items, heads, head_dim) * head_dim**-0.5
        q_in_context = torch.einsum("nhe,hed->nhd", q, w_k.reshape(heads, head_dim, dim))  # Wk^T q per head
        scores = torch.einsum("nhd,nld->nhl", q_in_context, context) + (q * b_k.reshape(heads, head_dim)).sum(-1, True)
        pooled = torch.einsum("nhl,nld->nhd", scores.softmax(-1), context)  # sum_i a_i x_i per head
        out = torch.einsum("nhd,hed->nhe", pooled, w_v.reshape(heads, head_dim, dim)) + b_v.reshape(heads, head_dim)
        return self.out_proj(out.reshape(items, 1, dim))


class SpatialPooling(nn.Module):
    """A pre-norm transformer layer over [CLS + one time step's 196 tokens]; its CLS output is the vector.

    Only the CLS row is computed: the layer's other outputs are discarded and nothing after attention mixes
    tokens, so this equals running the whole layer and taking position 0."""

    def __init__(self, dim: int, num_heads: int, mlp_ratio: int):
        super().__init__()
        self.cls_token = nn.Parameter(torch.zeros(1, 1, dim))
        self.self_attn = PackedAttention(dim, num_heads)
        self.norm1, self.norm2 = _layer_norm(dim), _layer_norm(dim)
        self.linear1 = nn.Linear(dim, dim * mlp_ratio)
        self.linear2 = nn.Linear(dim * mlp_ratio, dim)

    def forward(self, tokens: torch.Tensor) -> torch.Tensor:
        """tokens [N, 196, D] -> [N, D]."""
        x = torch.cat([self.cls_token.expand(tokens.shape[0], -1, -1), tokens], dim=1)
        normed = self.norm1(x)
        cls = x[:, :1] + self.self_attn(normed[:, :1], normed)
        cls = cls + self.linear2(F.gelu(self.linear1(self.norm2(cls))))
        return cls[:, 0]


class Conv2dPatchEmbed(nn.Module):
    """The original keeps a 2-D image patch embedding next to the 3-D one; the video path never calls it, but
    its weights are in every checkpoint, so it exists to make strict loading possible."""

    def __init__(self, dim: int):
        super().__init__()
        self.proj = nn.Conv2d(3, dim, kernel_size=PATCH, stride=PATCH)


class TubeletEmbed(nn.Module):
    def __init__(self, dim: int):
        super().__init__()
        self.proj = nn.Conv3d(3, dim, kernel_size=(TUBELET_FRAMES, PATCH, PATCH), stride=(TUBELET_FRAMES, PATCH, PATCH))

    def forward(self, frames: torch.Tensor) -> torch.Tensor:
        """[N, 16, 3, 224, 224] -> [N, 1568, D], time-major (index t * 196 + y * 14 + x).

        The convolution's kernel equals its stride, so it is one matrix product over non-overlapping
        tubelets; on a CPU that runs about twice as fast as torch's Conv3d and gives the same numbers."""
        n = frames.shape[0]
        tubelets = frames.reshape(n, TIME_STEPS, TUBELET_FRAMES, 3, GRID, PATCH, GRID, PATCH)
        # -> [N, t, y, x, channel, frame, row, column]: the flattening order of the Conv3d weight.
        tubelets = tubelets.permute(0, 1, 4, 6, 3, 2, 5, 7).reshape(n, TIME_STEPS * GRID * GRID, -1)
        return F.linear(tubelets, self.proj.weight.flatten(1), self.proj.bias)


class SyncFeatureEncoder(nn.Module):
    """Synchformer's visual encoder. Attribute names are the checkpoint's (after `vfeat_extractor.`)."""

    def __init__(self, config: SynchformerConfig | None = None):
        super().__init__()
        self.config = config = config or SynchformerConfig()
        dim = config.embed_dim
        if dim % config.num_heads:
            raise ValueError(f"embed_dim {dim} is not divisible by num_heads {config.num_heads}")
        self.cls_token = nn.Parameter(torch.zeros(1, 1, dim))
        self.pos_embed = nn.Parameter(torch.zeros(1, 1 + GRID * GRID, dim))  # CLS, then the 196 positions
        self.temp_embed = nn.Parameter(torch.zeros(1, TIME_STEPS, dim))
        self.patch_embed = Conv2dPatchEmbed(dim)
        self.patch_embed_3d = TubeletEmbed(dim)
        self.blocks = nn.ModuleList(
            SpaceTimeBlock(dim, config.num_heads, config.mlp_ratio) for _ in range(config.depth)
        )
        self.norm = _layer_norm(dim)
        self.spatial_attn_agg = SpatialPooling(dim, config.num_heads, config.mlp_ratio)
        for table in (self.cls_token, self.pos_embed, self.temp_embed):
            nn.init.trunc_normal_(table, std=0.02)

    @property
    def dim(self) -> int:
        return self.config.embed_dim

    def tokens(self, patches: torch.Tensor) -> torch.Tensor:
        """Tubelet embeddings [N, 1568, D] -> [N, 1569, D] with CLS and space + time position embeddings."""
        spatial = self.pos_embed[:, 1:].repeat(1, TIME_STEPS, 1)  # shared by all 8 time steps
        temporal = self.temp_embed.repeat_interleave(GRID * GRID, dim=1)  # shared by all 196 positions
        cls = (self.cls_token + self.pos_embed[:, :1]).expand(patches.shape[0], -1, -1)
        return torch.cat([cls, patches + spatial + temporal], dim=1)

    def forward(self, segments: torch.Tensor) -> torch.Tensor:
        """[B, S, 16, 3, 224, 224] float frames in [-1, 1] -> [B, S, 8, D]. Segments are independent."""
        batch, count = segments.shape[:2]
        x = self.tokens(self.patch_embed_3d(segments.flatten(0, 1)))
        for block in self.blocks:
            x = block(x)
        x = self.norm(x[:, 1:])  # CLS dropped
        pooled = self.spatial_attn_agg(x.reshape(-1, GRID * GRID, self.dim))  # one vector per time step
        return pooled.reshape(batch, count, TIME_STEPS, self.dim)

    @torch.inference_mode()
    def features(self, frames: torch.Tensor, segments_per_call: int = 4) -> torch.Tensor:
        """Clip frames [B, T, 3, 224, 224] (uint8 0..255, or float in [-1, 1]) -> [B, S * 8, D] with
        S = (T - 16) // 8 + 1; token k comes from segment k // 8, tubelet k % 8. Segments are encoded
        `segments_per_call` at a time (the result does not depend on it), converted to float on the way."""
        if frames.dim() != 5 or tuple(frames.shape[2:]) != (3, IMAGE_SIZE, IMAGE_SIZE):
            raise ValueError(f"expected frames [B, T, 3, {IMAGE_SIZE}, {IMAGE_SIZE}], got {list(frames.shape)}")
        count = (frames.shape[1] - FRAMES_PER_SEGMENT) // SEGMENT_STRIDE + 1
        if count < 1:
            raise VideoInputError(
                f"Synchformer needs at least {FRAMES_PER_SEGMENT} frames (0.64 s at 25 fps), got {frames.shape[1]}"
            )
        param = self.cls_token
        outputs = []
        for start in range(0, count, segments_per_call):
            stop = min(start + segments_per_call, count)
            first, last = start * SEGMENT_STRIDE, (stop - 1) * SEGMENT_STRIDE + FRAMES_PER_SEGMENT
            chunk = frames[:, first:last].to(param.device)
            if chunk.dtype == torch.uint8:
                chunk = to_unit_range(chunk)
            # [B, frames, ...] -> [B, segments, 16, ...] as views of overlapping windows.
            chunk = chunk.unfold(1, FRAMES_PER_SEGMENT, SEGMENT_STRIDE).permute(0, 1, 5, 2, 3, 4)
            outputs.append(self(chunk.to(param.dtype)))
        return torch.cat(outputs, dim=1).flatten(1, 2)


def _read_state_dict(path: Path) -> dict[str, torch.Tensor]:
    if not path.is_file():
        raise CheckpointError(
            f"Synchformer weights not found at {path}; pass the path of synchformer_state_dict.pth "
            "(it is never downloaded)"
        )
    try:
        if path.suffix == ".safetensors":
            from safetensors.torch import load_file

            return load_file(str(path))
        state = torch.load(path, map_location="cpu", weights_only=True)
    except Exception as exc:  # pickle, zip and safetensors errors all mean the same to the user
        raise CheckpointError(f"cannot read Synchformer weights {path}: {exc}") from None
    if not isinstance(state, dict):
        raise CheckpointError(f"{path} holds a {type(state).__name__}, not a state dict")
    return state


def config_from_state_dict(state: dict[str, torch.Tensor], num_heads: int | None = None) -> SynchformerConfig:
    """Width and depth from the tensors' shapes. The head count is not in the shapes: the released model uses
    64-wide heads, so that is assumed unless `num_heads` is given."""
    dim = int(state["cls_token"].shape[-1])
    depth = len({key.split(".")[1] for key in state if key.startswith("blocks.")})
    if num_heads is None:
        if dim % 64:
            raise CheckpointError(f"cannot tell the head count of a {dim}-wide Synchformer; pass num_heads")
        num_heads = dim // 64
    mlp_ratio = int(state["blocks.0.mlp.fc1.weight"].shape[0]) // dim if depth else 4
    return SynchformerConfig(embed_dim=dim, depth=depth, num_heads=num_heads, mlp_ratio=mlp_ratio)


def load_synchformer(
    path: str | Path, device: str | torch.device = "cpu", num_heads: int | None = None
) -> SyncFeatureEncoder:
    """Build the encoder from a Synchformer checkpoint (`synchformer_state_dict.pth`, or a .safetensors with
    the same names) and load its `vfeat_extractor.*` entries strictly; other entries (the audio half) are
    ignored, as the original loader does. Returned in eval mode, float32, frozen."""
    path = Path(path).expanduser()
    full = _read_state_dict(path)
    state = {k[len(STATE_DICT_PREFIX) :]: v for k, v in full.items() if k.startswith(STATE_DICT_PREFIX)}
    if "cls_token" not in state:
        raise CheckpointError(f"{path} has no '{STATE_DICT_PREFIX}*' entries: it is not a Synchformer checkpoint")
    config = config_from_state_dict(state, num_heads)
    with torch.device("meta"):
        encoder = SyncFeatureEncoder(config)
    expected = encoder.state_dict()
    missing = sorted(set(expected) - set(state))
    unexpected = sorted(set(state) - set(expected))
    wrong = sorted(k for k in set(expected) & set(state) if tuple(expected[k].shape) != tuple(state[k].shape))
    if missing or unexpected or wrong:
        problems = [f"{name}: {', '.join(keys[:5])}" for name, keys in
                    (("missing", missing), ("unexpected", unexpected), ("wrong shape", wrong)) if keys]
        raise CheckpointError(f"{path} does not match the Synchformer encoder ({'; '.join(problems)})")
    encoder.load_state_dict({k: v.float() for k, v in state.items()}, strict=True, assign=True)
    return encoder.to(device).eval().requires_grad_(False)
