"""The Diffusion Transformer that predicts the rectified-flow velocity of audio latents.

Conditioning enters two ways (DESIGN.md section 2):
- high-level tokens (MLLM + speech text) through cross-attention in every block, with a key-padding mask;
- low-level tokens (video sync + source mel) projected, shifted by the timestep embedding and prepended to the
  latent tokens; their outputs are dropped.
There is no adaLN: the timestep reaches the network only through the prepended tokens.

Module and parameter names follow the official checkpoint so its state dict loads without renaming.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import torch
import torch.nn.functional as F
from torch import nn
from torch.utils.checkpoint import checkpoint

from audio_omni.models.config import DiTConfig

# Data-predicting models turn their output into a velocity by dividing by t: never by less than this.
DATA_MIN_T = 0.02


class FourierTimestep(nn.Module):
    """Random Fourier features of the scalar timestep: [B, 1] -> [B, 2 * half]."""

    def __init__(self, out_features: int = 256):
        super().__init__()
        self.weight = nn.Parameter(torch.randn(out_features // 2, 1))

    def forward(self, t: torch.Tensor) -> torch.Tensor:
        angles = 2 * math.pi * t @ self.weight.T
        return torch.cat([angles.cos(), angles.sin()], dim=-1)


class GammaLayerNorm(nn.Module):
    """LayerNorm with a learnable scale and a fixed zero shift (kept as a buffer, as in the official file)."""

    def __init__(self, dim: int):
        super().__init__()
        self.gamma = nn.Parameter(torch.ones(dim))
        self.register_buffer("beta", torch.zeros(dim))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return F.layer_norm(x, x.shape[-1:], weight=self.gamma, bias=self.beta)


class PartialRotaryEmbedding(nn.Module):
    """Rotary position angles for the first `dim` channels of every head."""

    def __init__(self, dim: int, base: float = 10000.0):
        super().__init__()
        self.dim = dim
        self.register_buffer("inv_freq", 1.0 / (base ** (torch.arange(0, dim, 2).float() / dim)))

    def angles(self, seq_len: int, device: torch.device) -> tuple[torch.Tensor, torch.Tensor]:
        """(cos, sin), each [N, dim], computed once per forward and shared by every block."""
        positions = torch.arange(seq_len, device=device, dtype=torch.float32)
        freqs = torch.einsum("i,j->ij", positions, self.inv_freq.float())
        freqs = torch.cat([freqs, freqs], dim=-1)
        return freqs.cos(), freqs.sin()


def apply_partial_rotary(x: torch.Tensor, angles: tuple[torch.Tensor, torch.Tensor]) -> torch.Tensor:
    """Rotate the first `dim` channels of x [B, H, N, D] (in float32), pass the rest through."""
    cos, sin = angles
    rot = cos.shape[-1]
    head, tail = x[..., :rot].float(), x[..., rot:]
    first, second = head.chunk(2, dim=-1)
    rotated = torch.cat([-second, first], dim=-1)
    head = head * cos + rotated * sin
    return torch.cat([head.to(x.dtype), tail], dim=-1)


def _key_padding_mask(mask: torch.Tensor | None) -> torch.Tensor | None:
    """[B, K] (bool or 0/1 float) -> SDPA mask [B, 1, 1, K]. A row with no valid key attends to all keys,
    which is what the official masked softmax computes (every logit equal -> uniform weights)."""
    if mask is None:
        return None
    mask = mask.bool()
    empty = ~mask.any(dim=-1, keepdim=True)
    return (mask | empty)[:, None, None, :]


def _split_heads(x: torch.Tensor, heads: int) -> torch.Tensor:
    b, n, _ = x.shape
    return x.view(b, n, heads, -1).transpose(1, 2)


def _merge_heads(x: torch.Tensor) -> torch.Tensor:
    b, h, n, d = x.shape
    return x.transpose(1, 2).reshape(b, n, h * d)


class SelfAttention(nn.Module):
    def __init__(self, dim: int, heads: int):
        super().__init__()
        self.heads = heads
        self.to_qkv = nn.Linear(dim, dim * 3, bias=False)
        self.to_out = nn.Linear(dim, dim, bias=False)

    def forward(self, x: torch.Tensor, angles: torch.Tensor | None) -> torch.Tensor:
        q, k, v = (_split_heads(part, self.heads) for part in self.to_qkv(x).chunk(3, dim=-1))
        if angles is not None:
            q, k = apply_partial_rotary(q, angles), apply_partial_rotary(k, angles)
        return self.to_out(_merge_heads(F.scaled_dot_product_attention(q, k, v)))


class CrossAttention(nn.Module):
    def __init__(self, dim: int, heads: int):
        super().__init__()
        self.heads = heads
        self.to_q = nn.Linear(dim, dim, bias=False)
        self.to_kv = nn.Linear(dim, dim * 2, bias=False)
        self.to_out = nn.Linear(dim, dim, bias=False)

    def keys_values(self, context: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        k, v = self.to_kv(context).chunk(2, dim=-1)
        return _split_heads(k, self.heads), _split_heads(v, self.heads)

    def forward(self, x: torch.Tensor, kv: tuple[torch.Tensor, torch.Tensor], mask: torch.Tensor | None):
        q = _split_heads(self.to_q(x), self.heads)
        out = F.scaled_dot_product_attention(q, kv[0], kv[1], attn_mask=mask)
        return self.to_out(_merge_heads(out))


class SwiGLU(nn.Module):
    def __init__(self, dim: int, hidden: int):
        super().__init__()
        self.proj = nn.Linear(dim, hidden * 2)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        value, gate = self.proj(x).chunk(2, dim=-1)
        return value * F.silu(gate)


class FeedForward(nn.Module):
    def __init__(self, dim: int, mult: int = 4):
        super().__init__()
        # Index 1 is a placeholder so the output layer keeps the official name `ff.2`.
        self.ff = nn.Sequential(SwiGLU(dim, dim * mult), nn.Identity(), nn.Linear(dim * mult, dim))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.ff(x)


class DiTBlock(nn.Module):
    """Pre-LN block: self-attention (partial RoPE), cross-attention, SwiGLU feed-forward."""

    def __init__(self, dim: int, heads: int, ff_mult: int = 4):
        super().__init__()
        self.pre_norm = GammaLayerNorm(dim)
        self.self_attn = SelfAttention(dim, heads)
        self.cross_attend_norm = GammaLayerNorm(dim)
        self.cross_attn = CrossAttention(dim, heads)
        self.ff_norm = GammaLayerNorm(dim)
        self.ff = FeedForward(dim, ff_mult)

    def forward(self, x, angles, kv, kv_mask, context_tokens=None):
        x = x + self.self_attn(self.pre_norm(x), angles)
        if kv is None and context_tokens is not None:
            # Keys/values computed inside the block's own forward: needed when the block is FSDP-sharded.
            kv = self.cross_attn.keys_values(context_tokens)
        if kv is not None:
            x = x + self.cross_attn(self.cross_attend_norm(x), kv, kv_mask)
        return x + self.ff(self.ff_norm(x))

    def zero_init_branches(self) -> None:
        # Each block starts as the identity: training begins from a well-behaved residual stream.
        for layer in (self.self_attn.to_out, self.cross_attn.to_out, self.ff.ff[2]):
            nn.init.zeros_(layer.weight)
            if layer.bias is not None:
                nn.init.zeros_(layer.bias)


@dataclass
class PreparedContext:
    """The cross-attention context. For sampling, every block's keys/values are computed once per run (the
    context is fixed across steps); for training, only the projected tokens are kept and each block derives
    its keys/values in its own forward."""

    kv: list[tuple[torch.Tensor, torch.Tensor]] | None
    mask: torch.Tensor | None
    tokens: torch.Tensor | None = None


class LatentTransformer(nn.Module):
    """The block stack with its input/output projections and rotary angles."""

    def __init__(
        self, in_dim: int, dim: int, depth: int, heads: int, ff_mult: int, rotary_dim: int, out_dim: int | None = None
    ):
        super().__init__()
        self.project_in = nn.Linear(in_dim, dim, bias=False)
        self.project_out = nn.Linear(dim, out_dim or in_dim, bias=False)
        self.rotary_pos_emb = PartialRotaryEmbedding(rotary_dim)
        self.layers = nn.ModuleList([DiTBlock(dim, heads, ff_mult) for _ in range(depth)])
        self.gradient_checkpointing = False

    def forward(
        self,
        x: torch.Tensor,
        prepend: torch.Tensor,
        context: PreparedContext | None,
        token_bias: torch.Tensor | None = None,
    ):
        """x [B, N, in_dim] -> [B, P + N, out_dim] (P prepended tokens); token_bias [B, dim] is added to every
        latent token (the timestep, for models that want it beyond the prepended token)."""
        x = self.project_in(x)
        if token_bias is not None:
            x = x + token_bias[:, None, :]
        x = torch.cat([prepend, x], dim=1)
        angles = self.rotary_pos_emb.angles(x.shape[1], x.device)
        mask = context.mask if context is not None else None
        tokens = context.tokens if context is not None else None
        for i, layer in enumerate(self.layers):
            kv = context.kv[i] if context is not None and context.kv is not None else None
            if self.gradient_checkpointing and self.training:
                x = checkpoint(layer, x, angles, kv, mask, tokens, use_reentrant=False)
            else:
                x = layer(x, angles, kv, mask, tokens)
        return self.project_out(x)


def _mlp(in_dim: int, dim: int, bias: bool) -> nn.Sequential:
    return nn.Sequential(nn.Linear(in_dim, dim, bias=bias), nn.SiLU(), nn.Linear(dim, dim, bias=bias))


class DiffusionTransformer(nn.Module):
    def __init__(self, config: DiTConfig):
        super().__init__()
        self.config = config
        dim = config.embed_dim
        head_dim = dim // config.num_heads
        rotary_dim = config.rotary_dim if config.rotary_dim is not None else max(head_dim // 2, 32)
        self.timestep_features = FourierTimestep(256)
        self.to_timestep_embed = _mlp(256, dim, bias=True)
        self.to_cond_embed = _mlp(config.cond_token_dim, dim, bias=False)
        self.to_global_embed = _mlp(config.global_cond_dim, dim, bias=False)
        patch = config.patch_size
        self.transformer = LatentTransformer(
            (config.io_channels + config.frame_cond_dim) * patch, dim, config.depth, config.num_heads,
            config.ff_mult, rotary_dim, out_dim=config.io_channels * patch,
        )
        self.preprocess_conv = nn.Conv1d(config.io_channels, config.io_channels, 1, bias=False)
        self.postprocess_conv = nn.Conv1d(config.io_channels, config.io_channels, 1, bias=False)

    def reset_parameters_for_training(self) -> None:
        """Initialisation for training from scratch: zero branch outputs and zero residual 1x1 convs. A model
        that predicts data on top of its source also starts with a zero output: the identity edit."""
        for block in self.transformer.layers:
            block.zero_init_branches()
        nn.init.zeros_(self.preprocess_conv.weight)
        nn.init.zeros_(self.postprocess_conv.weight)
        if self.config.data_residual:
            nn.init.zeros_(self.transformer.project_out.weight)

    # Latent frames <-> tokens (patch_size frames per token; the official model has one) ----------------------
    def _to_tokens(self, x: torch.Tensor) -> torch.Tensor:
        """[B, C, L] -> [B, ceil(L / p), C * p], zero-padding the last token."""
        p = self.config.patch_size
        b, c, frames = x.shape
        if frames % p:
            x = F.pad(x, (0, p - frames % p))
        return x.view(b, c, -1, p).permute(0, 2, 1, 3).reshape(b, -1, c * p)

    def _from_tokens(self, tokens: torch.Tensor, frames: int) -> torch.Tensor:
        """[B, N, C * p] -> [B, C, frames]."""
        p = self.config.patch_size
        b, n, _ = tokens.shape
        return tokens.view(b, n, -1, p).permute(0, 2, 1, 3).reshape(b, -1, n * p)[:, :, :frames]

    def prepare_context(self, cond: torch.Tensor | None, mask: torch.Tensor | None) -> PreparedContext | None:
        """Project the cross-attention tokens [B, K, cond_dim] and compute every block's keys/values."""
        if cond is None:
            return None
        tokens = self.to_cond_embed(cond)
        kv = [layer.cross_attn.keys_values(tokens) for layer in self.transformer.layers]
        return PreparedContext(kv, _key_padding_mask(mask))

    def forward(
        self,
        x: torch.Tensor,
        t: torch.Tensor,
        context: PreparedContext | None,
        global_cond: torch.Tensor | None,
        cross: torch.Tensor | None = None,
        cross_mask: torch.Tensor | None = None,
        frame: torch.Tensor | None = None,
    ) -> torch.Tensor:
        """x [B, C, L], t [B] in [0, 1], global_cond [B, G, global_cond_dim], frame [B, frame_cond_dim, L]
        -> velocity [B, C, L].

        The context comes either prepared (sampling) or raw as `cross` [B, K, cond_dim] + `cross_mask`, projected
        here inside forward (training: this keeps every use of a parameter inside its module's forward, which
        FSDP2 sharding requires).
        """
        cfg = self.config
        if cross is not None:
            context = PreparedContext(None, _key_padding_mask(cross_mask), self.to_cond_embed(cross))
        t_embed = self.to_timestep_embed(self.timestep_features(t[:, None].to(x.dtype)))
        if global_cond is not None:
            prepend = self.to_global_embed(global_cond) + t_embed[:, None, :]
        else:
            prepend = t_embed[:, None, :]
        frames = x.shape[-1]
        h = self.preprocess_conv(x) + x
        if cfg.frame_cond_dim:
            if frame is None or frame.shape[1] != cfg.frame_cond_dim or frame.shape[-1] != frames:
                got = None if frame is None else tuple(frame.shape)
                raise ValueError(f"this DiT needs frame conditions [B, {cfg.frame_cond_dim}, {frames}], got {got}")
            h = torch.cat([h, frame.to(h.dtype)], dim=1)
        token_bias = t_embed if cfg.timestep_to_tokens else None
        if cfg.patch_size == 1 and not cfg.frame_cond_dim:  # the official path, unchanged
            out = self.transformer(h.transpose(1, 2), prepend, context, token_bias)
            out = out[:, prepend.shape[1] :].transpose(1, 2)
        else:
            out = self.transformer(self._to_tokens(h), prepend, context, token_bias)
            out = self._from_tokens(out[:, prepend.shape[1] :], frames)
        out = self.postprocess_conv(out) + out
        if cfg.prediction == "velocity":
            return out
        # Data prediction, returned as the velocity that moves x_t onto it: v = (x_t - x0) / t. t never reaches 0
        # on the sampling grid; the clamp keeps training finite at the logit-normal's extreme draws.
        if cfg.data_residual:
            latent = cfg.io_channels
            out = out + frame[:, :latent] * frame[:, latent : latent + 1]
        return (x - out) / t.clamp(min=DATA_MIN_T).to(x.dtype).view(-1, 1, 1)


class GuidedDiT(nn.Module):
    """Classifier-free guidance around the DiT, on the high-level (cross-attention) conditions only.

    The unconditional branch sees an all-zero cross-attention context with the same mask; the prepended
    low-level tokens (and per-frame conditions) are identical in both branches. Both branches run as one batched
    forward.
    """

    def __init__(self, config: DiTConfig):
        super().__init__()
        self.model = DiffusionTransformer(config)

    def prepare_context(
        self, cond: torch.Tensor | None, mask: torch.Tensor | None, guided: bool
    ) -> PreparedContext | None:
        """Keys/values for [cond] or, when guided, for [cond; zeros] in one batch."""
        if cond is not None and guided:
            cond = torch.cat([cond, torch.zeros_like(cond)], dim=0)
            mask = None if mask is None else torch.cat([mask, mask], dim=0)
        return self.model.prepare_context(cond, mask)

    def forward(
        self,
        x: torch.Tensor,
        t: torch.Tensor,
        context: PreparedContext | None,
        global_cond: torch.Tensor | None,
        cfg_scale: float = 1.0,
        rescale_phi: float = 0.0,
        frame: torch.Tensor | None = None,
    ) -> torch.Tensor:
        """Velocity; with cfg_scale != 1 the context must come from prepare_context(..., guided=True)."""
        if cfg_scale == 1.0 or context is None:
            return self.model(x, t, context, global_cond, frame=frame)
        batch_global = None if global_cond is None else torch.cat([global_cond, global_cond], dim=0)
        batch_frame = None if frame is None else torch.cat([frame, frame], dim=0)
        out = self.model(
            torch.cat([x, x], dim=0), torch.cat([t, t], dim=0), context, batch_global, frame=batch_frame
        )
        cond_v, uncond_v = out.chunk(2, dim=0)
        guided = uncond_v + (cond_v - uncond_v) * cfg_scale
        if rescale_phi:
            # CFG rescale: pull the guided output's per-frame channel std back toward the conditional one.
            ratio = cond_v.std(dim=1, keepdim=True) / guided.std(dim=1, keepdim=True)
            guided = rescale_phi * (guided * ratio) + (1 - rescale_phi) * guided
        return guided
