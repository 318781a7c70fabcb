"""The rectified-flow trainer: one entry point from one CPU to many GPUs.

- One process, or DDP through `accelerate launch` / `torchrun` (strategy "auto"); FSDP2 (`fully_shard` on every
  DiT block) for models that do not fit one device (strategy "fsdp2").
- All randomness of a step (which pairs, timesteps, noise, VAE posterior samples, guidance dropout, voice
  masking) comes from generators seeded by (seed, step, rank), so a resumed run repeats an uninterrupted one
  exactly and the data position is simply the step.
- Checkpoints every N steps and on SIGTERM, written atomically: weights, EMA, optimiser, scheduler, RNG states.
"""

from __future__ import annotations

import json
import logging
import math
import os
import shutil
import signal
import time
from contextlib import nullcontext
from pathlib import Path

import torch
from safetensors.torch import load_file, save_file
from torch import nn

from audio_omni.atomic import replacing_directory, write_text_atomic
from audio_omni.models.audio_omni_model import AudioOmniModel
from audio_omni.models.builders import build_model
from audio_omni.models.checkpoints import (
    grow_input_projection,
    load_official_checkpoint,
    load_state_dict_into,
    mllm_key_mapper,
    persistent_state_dict,
    read_state_dict,
    save_pretrained,
)
from audio_omni.models.codecs.base import VariationalCodec
from audio_omni.models.conditioners.mel import MelConditioner
from audio_omni.models.conditioners.mllm import MLLMConditioner
from audio_omni.models.config import load_config
from audio_omni.models.flow import data_prediction_weights, flow_loss, interpolate, sample_timesteps
from audio_omni.models.locate import resolve_model
from audio_omni.models.presets import preset_config
from audio_omni.training.config import TrainConfig, dump_train_config
from audio_omni.training.data import ExampleBuilder, PairDataset, TrainBatch, _mix, is_preencoded
from audio_omni.training.schedules import lr_multiplier

log = logging.getLogger(__name__)

CHECKPOINTS = "checkpoints"
LATEST = "latest"


# Model ---------------------------------------------------------------------------------------------------------
def build_training_model(config: TrainConfig) -> AudioOmniModel:
    """The model to train: from a preset/config (fresh init) or from weights (`model.init_from`: one of our
    checkpoint directories, an official checkpoint file, or a preset name whose trained weights warm-start it)."""
    spec = config.model
    torch.manual_seed(config.seed)  # identical initial weights on every process
    found = resolve_model(spec.init_from, spec.config) if spec.init_from else None
    if found is not None:
        model_config = found.config
    elif spec.config:
        model_config = load_config(spec.config)
    else:
        model_config = preset_config(spec.preset or "audio-omni")
    # Pre-encoded data carries the frozen MLLM's features, so the MLLM is not loaded; the vocoder only serves
    # the audio samples written during training (encoding a mel needs no vocoder).
    encoded = all(is_preencoded(directory) for directory in config.data.shards)
    model = build_model(
        model_config, vocab_file=spec.vocab_file, mllm_path=spec.mllm_path, load_mllm=not encoded,
        load_vocoder=config.sample_every > 0,
    )
    if found is None:
        model.dit.reset_parameters_for_training()
    elif found.format == "ours":
        # A config with more frame conditions than the weights (model.config beside init_from) grows the DiT's
        # input projection by zero columns; every other difference is an error.
        state = grow_input_projection(read_state_dict(found.weights), model)
        load_state_dict_into(model, state, source=found.where)
    else:
        load_official_checkpoint(model, found.weights)
    freeze_frozen_parts(model)
    return model


def freeze_frozen_parts(model: AudioOmniModel) -> None:
    """The codec and the MLLM backbone never train; neither does the official unused empty mel embedding."""
    model.pretransform.requires_grad_(False).eval()
    for module in model.conditioner.conditioners.values():
        if isinstance(module, MLLMConditioner) and module.model is not None:
            module.model.requires_grad_(False).eval()
        if isinstance(module, MelConditioner):
            module.empty_audio_feat.requires_grad_(False)


def calibrate_prompt_features(model: AudioOmniModel, dataset: PairDataset, builder: ExampleBuilder,
                              count: int = 256) -> None:
    """Measure the prompt-feature statistics of a standardizing MLLM conditioner that has none yet (a fresh
    model) on `count` training pairs spread evenly over the data; the same pairs on every process, so the
    replicas agree. Pre-encoded pairs give their stored features; raw pairs run the frozen MLLM."""
    from audio_omni.models.conditioners.mllm import MLLMFeatures, MLLMPrompt

    mllm_id = model.conditioner.role_ids().get("mllm")
    conditioner = model.conditioner.conditioners[mllm_id] if mllm_id else None
    if conditioner is None or conditioner.calibrated:
        return
    picks = torch.linspace(0, len(dataset) - 1, min(count, len(dataset))).round().long().unique().tolist()
    rows, prompts = [], []
    for i in picks:
        entry = dataset.entries[i]
        item = builder.batch([entry]).items[0].get(mllm_id)
        if isinstance(item, MLLMFeatures):
            rows.append(item.features[item.mask.bool()])
        elif item is not None:
            prompts.append(item.text if isinstance(item, MLLMPrompt) else str(item))
    device = next(conditioner.proj_features.parameters()).device
    for start in range(0, len(prompts), 16):
        features, mask = conditioner.fitted_features(prompts[start : start + 16], device)
        rows.extend(f[m] for f, m in zip(features, mask.bool(), strict=True))
    conditioner.calibrate(rows)
    log.info("prompt features standardized with statistics of %d training prompts", len(rows))


class FlowObjective(nn.Module):
    """Batch -> rectified-flow loss. This module is what DDP wraps."""

    def __init__(self, model: AudioOmniModel, config: TrainConfig):
        super().__init__()
        self.model = model
        self.config = config

    def targets(self, batch: TrainBatch, gen: torch.Generator) -> tuple[torch.Tensor, torch.Tensor]:
        """The batch's target latents [B, D, L] and their valid frames [B, L] (the rest is padding)."""
        model, cfg = self.model, self.config
        device = next(model.model.parameters()).device
        codec = model.pretransform
        with torch.no_grad():
            if batch.latent_mean is not None:  # pre-encoded: the same posterior draw as encoding online
                latents = batch.latent_mean.to(device).float()
                if cfg.sample_posterior and batch.latent_std is not None:
                    noise = torch.randn(latents.shape, generator=gen).to(device)
                    latents = noise * batch.latent_std.to(device) + latents
            elif isinstance(codec, VariationalCodec) and not cfg.sample_posterior:
                latents = codec.posterior(batch.audio.to(device))[0].float()
            else:
                latents = codec.encode(batch.audio.to(device), generator=gen).float()
        frames = latents.shape[-1]
        valid = torch.tensor([math.ceil(n / codec.downsampling_ratio) for n in batch.lengths])
        return latents, (torch.arange(frames)[None, :] < valid[:, None]).to(device)

    def forward(self, batch: TrainBatch, seed: int) -> torch.Tensor:
        model, cfg = self.model, self.config
        device = next(model.model.parameters()).device
        gen = torch.Generator().manual_seed(seed)
        latents, frame_mask = self.targets(batch, gen)
        frames = latents.shape[-1]
        cond = model.condition(batch.items, mask_voice=cfg.mask_voice, generator=gen, frames=frames)
        if cond.cross is not None and cfg.cfg_dropout > 0:
            # Train the unconditional branch the sampler uses for guidance: an all-zero context, same mask.
            keep = (torch.rand(len(batch.items), generator=gen) >= cfg.cfg_dropout).to(device)
            cond.cross = cond.cross * keep[:, None, None].to(cond.cross.dtype)
        t = draw_timesteps(cfg, batch.from_source, gen).to(device)
        noise = torch.randn(latents.shape, generator=gen).to(device)
        start = model.flow_start(cond, noise, batch.from_source)  # noise, or the source plus noise (edits)
        x_t = interpolate(latents, start, t)
        velocity = model.training_velocity(x_t, t, cond)
        weights = data_prediction_weights(t) if model.dit.config.prediction == "data" else None
        absolute = batch.from_source.to(device) if cfg.edit_loss == "l1" else None
        return flow_loss(velocity.float(), latents, start, frame_mask, weights, absolute)


def draw_timesteps(cfg: TrainConfig, from_source: torch.Tensor, generator: torch.Generator) -> torch.Tensor:
    """Training timesteps [B]; items whose flow starts at their source (`from_source`) draw theirs with the mean
    `cfg.source_timestep_mean` (see TrainConfig)."""
    t = sample_timesteps(len(from_source), cfg.timesteps, generator)
    if cfg.source_timestep_mean and bool(from_source.any()):
        late = sample_timesteps(len(from_source), cfg.timesteps, generator, mean=cfg.source_timestep_mean)
        t = torch.where(from_source.cpu(), late, t)
    return t


def trainable_parameters(module: nn.Module) -> list[nn.Parameter]:
    return [p for p in module.parameters() if p.requires_grad]


# Checkpoints ---------------------------------------------------------------------------------------------------
def _full_tensor(t: torch.Tensor) -> torch.Tensor:
    return t.full_tensor() if hasattr(t, "full_tensor") else t


def full_model_state(model: AudioOmniModel) -> dict[str, torch.Tensor]:
    """Official-name state dict with sharded (FSDP2) tensors gathered; call on every process."""
    return {k: _full_tensor(v).detach().cpu().contiguous() for k, v in persistent_state_dict(model).items()}


def ema_state(model: AudioOmniModel, ema) -> dict[str, torch.Tensor]:
    """The model's state dict with the EMA shadows in place of the trainable parameters."""
    names = [n for n, p in model.named_parameters() if p.requires_grad]
    state = full_model_state(model)
    _, to_canonical = mllm_key_mapper(model)
    for name, shadow in zip(names, ema.shadow_params, strict=True):
        state[to_canonical(name)] = _full_tensor(shadow).detach().cpu().contiguous()
    return state


class Trainer:
    def __init__(self, config: TrainConfig):
        from accelerate import Accelerator
        from accelerate.utils import DistributedDataParallelKwargs

        self.config = config
        self.out = Path(config.out_dir)
        ddp = DistributedDataParallelKwargs(find_unused_parameters=True)
        self.accelerator = Accelerator(
            mixed_precision=config.mixed_precision, kwargs_handlers=[ddp], step_scheduler_with_optimizer=False
        )
        self.rank = self.accelerator.process_index
        self.world = self.accelerator.num_processes
        launched = int(os.environ.get("WORLD_SIZE", "1"))
        if launched > 1 and self.world == 1:
            from audio_omni.errors import ConfigError

            raise ConfigError(
                f"launched as {launched} processes but accelerate sees one: on CPU set ACCELERATE_USE_CPU=1, or each "
                "process would train its own independent copy"
            )
        self.main = self.accelerator.is_main_process
        self.model = build_training_model(config).to(self.accelerator.device)
        self.model.dit.transformer.gradient_checkpointing = config.gradient_checkpointing
        self.dataset = PairDataset(config.data.shards, config.data.split, config.data.task_weights)
        self.builder = ExampleBuilder(self.model, prefix_probability=config.prefix_probability)
        calibrate_prompt_features(self.model, self.dataset, self.builder)
        self.objective = FlowObjective(self.model, config)
        if config.strategy == "fsdp2":
            self._shard_fsdp2()
        params = trainable_parameters(self.model)
        o = config.optim
        # One fused kernel instead of a Python loop over tensors (a tenth of a small model's CPU step otherwise);
        # FSDP2's sharded tensors keep the default implementation.
        fused = True if config.strategy != "fsdp2" else None
        self.optimizer = torch.optim.AdamW(params, lr=o.lr, betas=o.betas, weight_decay=o.weight_decay, fused=fused)
        self.scheduler = torch.optim.lr_scheduler.LambdaLR(
            self.optimizer, lambda step: lr_multiplier(step, o, config.max_steps)
        )
        from diffusers.training_utils import EMAModel

        # foreach (one kernel per update) needs one tensor type: under FSDP2 the DiT's parameters are DTensors and
        # the replicated conditioner projections plain tensors, so that mix is updated tensor by tensor.
        from torch.distributed.tensor import DTensor

        sharded = any(isinstance(p, DTensor) for p in params)
        self.ema = EMAModel(params, decay=config.ema_decay, foreach=not sharded)
        self.wrapped = self.objective if config.strategy == "fsdp2" else self.accelerator.prepare(self.objective)
        self.validator = None
        if config.valid is not None:
            if config.strategy == "fsdp2":  # sharded forwards must run in step on every rank; the split is uneven
                log.warning("validation is not run under strategy fsdp2")
            else:
                from audio_omni.training.validation import Validator

                self.validator = Validator(config.valid, self.builder, config.batch_size, config.seed, self.rank,
                                           self.world)
        self.step = 0
        self._stop = False
        self.writer = None

    # Distributed ---------------------------------------------------------------------------------------------
    def _shard_fsdp2(self) -> None:
        from torch.distributed.fsdp import fully_shard

        dit = self.model.dit
        for block in dit.transformer.layers:
            fully_shard(block)
        fully_shard(dit)
        # Everything else that trains (the conditioners' projections) stays replicated; see _sync_replicated.
        dit_params = {id(p) for p in dit.parameters()}
        self.replicated = [p for p in trainable_parameters(self.model) if id(p) not in dit_params]

    def _sync_replicated(self) -> None:
        if self.config.strategy != "fsdp2" or self.world == 1:
            return
        import torch.distributed as dist

        for p in self.replicated:
            if p.grad is None:
                p.grad = torch.zeros_like(p)
            dist.all_reduce(p.grad)
            p.grad /= self.world

    # Checkpoints ---------------------------------------------------------------------------------------------
    @property
    def checkpoint_root(self) -> Path:
        return self.out / CHECKPOINTS

    def save_checkpoint(self) -> Path | None:
        model_state = full_model_state(self.model)
        ema = ema_state(self.model, self.ema)
        optimizer = self._optimizer_state()
        target = self.checkpoint_root / f"step-{self.step:08d}"
        if self.main:
            with replacing_directory(target) as tmp:
                save_file(model_state, str(tmp / "model.safetensors"))
                save_file(ema, str(tmp / "ema.safetensors"))
                torch.save(optimizer, tmp / "optimizer.pt")
                extra = {"scheduler": self.scheduler.state_dict(), "ema": _ema_meta(self.ema)}
                torch.save({**extra, "torch_rng": torch.get_rng_state()}, tmp / "trainer.pt")
                run_config = json.loads(dump_train_config(self.config))
                state = {"step": self.step, "world_size": self.world, "config": run_config}
                (tmp / "state.json").write_text(json.dumps(state, indent=2), encoding="utf-8")
                (tmp / "config.json").write_text(json.dumps(self.model.config.to_dict(), indent=2), encoding="utf-8")
            write_text_atomic(self.checkpoint_root / LATEST, target.name)
            self._prune()
        self.accelerator.wait_for_everyone()
        return target

    def _optimizer_state(self) -> dict:
        if self.config.strategy == "fsdp2":
            from torch.distributed.checkpoint.state_dict import StateDictOptions, get_optimizer_state_dict

            options = StateDictOptions(full_state_dict=True, cpu_offload=True)
            return get_optimizer_state_dict(self.model, self.optimizer, options=options)
        return self.optimizer.state_dict()

    def _load_optimizer_state(self, state: dict) -> None:
        """The counterpart of :meth:`_optimizer_state`: FSDP2 saves the full (gathered) state, so every process
        takes its own shards of it back."""
        if self.config.strategy != "fsdp2":
            self.optimizer.load_state_dict(state)
            return
        from torch.distributed.checkpoint.state_dict import StateDictOptions, set_optimizer_state_dict

        set_optimizer_state_dict(self.model, self.optimizer, state, options=StateDictOptions(full_state_dict=True))

    def _load_weights(self, state: dict[str, torch.Tensor], source: str) -> None:
        """A checkpoint's full weights; with FSDP2 each process keeps its shards of the DiT."""
        if self.config.strategy != "fsdp2":
            load_state_dict_into(self.model, state, source=source)
            return
        from torch.distributed.checkpoint.state_dict import StateDictOptions, set_model_state_dict

        from audio_omni.errors import CheckpointError

        to_installed, _ = mllm_key_mapper(self.model)
        state = {to_installed(k): v for k, v in state.items()}
        own = self.model.state_dict()
        unexpected = sorted(set(state) - set(own))
        missing = [n for n, p in self.model.named_parameters() if p.requires_grad and n not in state]
        if unexpected or missing:
            raise CheckpointError(f"{source} does not match the model: missing {missing[:5]}, unexpected "
                                  f"{unexpected[:5]}")
        set_model_state_dict(self.model, state, options=StateDictOptions(full_state_dict=True, strict=False))

    def _prune(self) -> None:
        kept = sorted(self.checkpoint_root.glob("step-*"))
        for old in kept[: -self.config.keep_checkpoints]:
            shutil.rmtree(old, ignore_errors=True)

    def resume(self, checkpoint: str | Path | bool) -> None:
        if checkpoint is True:
            pointer = self.checkpoint_root / LATEST
            if not pointer.is_file():
                log.warning("no checkpoint under %s: starting from step 0", self.checkpoint_root)
                return
            checkpoint = self.checkpoint_root / pointer.read_text(encoding="utf-8").strip()
        path = Path(checkpoint)
        from audio_omni.errors import CheckpointError

        if not (path / "state.json").is_file():
            raise CheckpointError(f"{path} is not a training checkpoint (no state.json)")
        state = json.loads((path / "state.json").read_text(encoding="utf-8"))
        if int(state.get("world_size", 1)) != self.world:
            raise CheckpointError(
                f"{path} was written by {state.get('world_size', 1)} process(es) and this run has {self.world}: "
                f"each process draws its own data, so the run would not continue the same; resume with "
                f"{state.get('world_size', 1)}, or start a new run from these weights with model.init_from"
            )
        self._load_weights(load_file(str(path / "model.safetensors")), str(path))
        ema_weights = load_file(str(path / "ema.safetensors"))
        trainer_state = torch.load(path / "trainer.pt", weights_only=False)
        names = [n for n, p in self.model.named_parameters() if p.requires_grad]
        _, to_canonical = mllm_key_mapper(self.model)
        with torch.no_grad():
            for name, shadow in zip(names, self.ema.shadow_params, strict=True):
                shadow.copy_(_laid_out_like(shadow, ema_weights[to_canonical(name)]))
        self.ema.optimization_step = trainer_state["ema"]["optimization_step"]
        self.ema.decay = trainer_state["ema"]["decay"]
        self._load_optimizer_state(torch.load(path / "optimizer.pt", weights_only=False))
        self.scheduler.load_state_dict(trainer_state["scheduler"])
        torch.set_rng_state(trainer_state["torch_rng"])
        self.step = int(state["step"])
        if self.main:
            log.info("resumed from %s at step %d", path, self.step)

    def export(self, directory: str | Path, use_ema: bool = True) -> Path:
        """Release format (config.json + model.safetensors), EMA weights by default."""
        state = ema_state(self.model, self.ema) if use_ema else full_model_state(self.model)
        directory = Path(directory)
        if self.main:
            save_pretrained(self.model, directory, state=state)
        self.accelerator.wait_for_everyone()
        return directory

    # Loop ----------------------------------------------------------------------------------------------------
    def _batch(self, micro: int) -> TrainBatch:
        index = self.step * self.config.grad_accum + micro
        picks = self.dataset.draw(self.config.batch_size, self.config.seed, index, self.rank)
        generator = torch.Generator().manual_seed(_mix(self.config.seed, index, self.rank, 2))
        return self.builder.batch([self.dataset.entries[i] for i in picks], generator)

    def _clip_gradients(self, params: list[nn.Parameter], max_norm: float) -> float:
        if self.config.strategy != "fsdp2":
            return float(torch.nn.utils.clip_grad_norm_(params, max_norm))
        # Sharded (DTensor) and replicated gradients cannot share one foreach kernel: norm each, then combine.
        squares = torch.zeros(())
        for p in params:
            if p.grad is not None:
                norm = torch.linalg.vector_norm(p.grad.float())
                squares += _full_tensor(norm).cpu() ** 2
        total = float(squares.sqrt())
        scale = min(1.0, max_norm / (total + 1e-6))
        for p in params:
            if p.grad is not None:
                p.grad.mul_(scale)
        return total

    def _on_sigterm(self, *_):
        self._stop = True

    def _agree_on_stop(self) -> None:
        """A signal reaches the processes of a run at slightly different steps: they stop together (after the
        step where any of them saw it), or one would wait forever in the next all-reduce."""
        if self.world == 1:
            return
        import torch.distributed as dist

        flag = torch.tensor([int(self._stop)])
        dist.all_reduce(flag, op=dist.ReduceOp.MAX)
        self._stop = bool(flag.item())

    def train(self) -> Path:
        cfg = self.config
        self.out.mkdir(parents=True, exist_ok=True)
        previous = signal.signal(signal.SIGTERM, self._on_sigterm)
        if self.main and cfg.tensorboard:
            from torch.utils.tensorboard import SummaryWriter

            self.writer = SummaryWriter(str(self.out / "tensorboard"))
        from tqdm.auto import tqdm

        bar = tqdm(total=cfg.max_steps, initial=self.step, desc="training", disable=not self.main, unit="step")
        if self.validator is not None and self.step == 0:
            self.validate()  # the starting point (a warm start's weights, or the initialisation)
        params = trainable_parameters(self.model)
        started = time.perf_counter()
        try:
            while self.step < cfg.max_steps and not self._stop:
                loss_value = 0.0
                for micro in range(cfg.grad_accum):
                    last = micro == cfg.grad_accum - 1
                    sync = nullcontext() if last or cfg.strategy == "fsdp2" else self.accelerator.no_sync(self.wrapped)
                    with sync:
                        seed = _mix(cfg.seed, self.step * cfg.grad_accum + micro, self.rank, 1)
                        loss = self.wrapped(self._batch(micro), seed) / cfg.grad_accum
                        self.accelerator.backward(loss)
                    loss_value += float(loss.detach())
                self._sync_replicated()
                grad_norm = None
                if cfg.optim.grad_clip:
                    grad_norm = self._clip_gradients(params, cfg.optim.grad_clip)
                self.optimizer.step()
                self.scheduler.step()
                self.optimizer.zero_grad(set_to_none=True)
                self.ema.step(params)
                self.step += 1
                bar.update(1)
                bar.set_postfix(loss=f"{loss_value:.4f}")
                self._log(loss_value, grad_norm, started)
                if self.validator is not None and self.step % cfg.valid.every == 0:
                    self.validate()
                if cfg.sample_every and self.step % cfg.sample_every == 0:
                    self._write_sample()
                self._agree_on_stop()
                if self.step % cfg.checkpoint_every == 0 or self.step == cfg.max_steps or self._stop:
                    self.save_checkpoint()
        finally:
            bar.close()
            signal.signal(signal.SIGTERM, previous)
            if self.writer is not None:
                self.writer.close()
        self.check_replicas()
        if self._stop:
            if self.main:
                log.warning("stopped by SIGTERM at step %d; continue with --resume", self.step)
            return self.checkpoint_root
        return self.export(self.out / "export")

    def check_replicas(self) -> None:
        """With several data-parallel processes, every replica must hold the same weights: compare digests
        (written to replicas.json) and fail loudly if they diverged."""
        if self.world == 1 or self.config.strategy == "fsdp2":
            return
        import hashlib

        import torch.distributed as dist

        digest = hashlib.sha256()
        for name, tensor in sorted(self.accelerator.unwrap_model(self.wrapped).model.state_dict().items()):
            digest.update(name.encode())
            digest.update(tensor.detach().cpu().contiguous().view(torch.uint8).numpy().tobytes())
        digests: list = [None] * self.world
        dist.all_gather_object(digests, digest.hexdigest())
        if self.main:
            write_text_atomic(self.out / "replicas.json", json.dumps({"step": self.step, "digests": digests}))
        if len(set(digests)) != 1:
            raise RuntimeError(f"data-parallel replicas diverged at step {self.step}: {digests}")

    def validate(self) -> dict:
        """Score the EMA weights on the held-out pairs (training.validation); every process takes part."""
        from audio_omni.training.validation import summarize, write_record

        if self.validator is None:
            from audio_omni.errors import ConfigError

            raise ConfigError("nothing to validate on: give the training config a valid: section (held-out shards)")
        params = trainable_parameters(self.model)
        self.ema.store(params)
        self.ema.copy_to(params)
        try:
            sums = self.validator.sums(self.objective)
        finally:
            self.ema.restore(params)
        if self.world > 1:
            import torch.distributed as dist

            dist.all_reduce(sums)
        record = summarize(self.step, sums)
        if self.main:
            write_record(self.out, record, self.writer)
        return record

    def _log(self, loss: float, grad_norm: float | None, started: float) -> None:
        if self.writer is None or self.step % self.config.log_every:
            return
        self.writer.add_scalar("train/loss", loss, self.step)
        self.writer.add_scalar("train/lr", self.scheduler.get_last_lr()[0], self.step)
        if grad_norm is not None:
            self.writer.add_scalar("train/grad_norm", grad_norm, self.step)
        self.writer.add_scalar("train/steps_per_s", self.step / max(1e-9, time.perf_counter() - started), self.step)

    @torch.no_grad()
    def _write_sample(self) -> None:
        """Sample the first training pair with the EMA weights; log audio and spectrograms next to the target."""
        if not self.main or self.writer is None or self.config.strategy == "fsdp2":
            return
        from audio_omni.training.observe import spectrogram_figure

        params = trainable_parameters(self.model)
        self.ema.store(params)
        self.ema.copy_to(params)
        try:
            batch = self.builder.batch([self.dataset.entries[0]])
            model = self.model
            cond = model.condition(batch.items, frames=model.latent_length)
            gen = torch.Generator().manual_seed(self.config.seed)
            noise = torch.randn((1, model.pretransform.latent_dim, model.latent_length), generator=gen)
            latents = model.sample_latents(
                cond, noise.to(self.accelerator.device), self.config.sample_steps, 3.0, from_source=batch.from_source
            )
            audio = model.pretransform.decode(latents)[0].float().cpu()
        finally:
            self.ema.restore(params)
        rate = model.pretransform.sample_rate
        target = batch.audio[0] if batch.audio is not None else model.pretransform.decode(batch.latent_mean[:1])[0]
        target = target.float().cpu()
        self.writer.add_audio("sample/output", audio.mean(0, keepdim=True).clamp(-1, 1), self.step, rate)
        self.writer.add_audio("sample/target", target.mean(0, keepdim=True).clamp(-1, 1), self.step, rate)
        self.writer.add_figure("sample/spectrograms", spectrogram_figure(audio, target, rate), self.step)


def _laid_out_like(target: torch.Tensor, full: torch.Tensor) -> torch.Tensor:
    """``full`` on ``target``'s device and dtype; sharded like ``target`` when that is an FSDP2 DTensor."""
    from torch.distributed.tensor import DTensor, distribute_tensor

    if isinstance(target, DTensor):
        return distribute_tensor(full.to(target.dtype), target.device_mesh, target.placements)
    return full.to(device=target.device, dtype=target.dtype)


def _ema_meta(ema) -> dict:
    return {"optimization_step": int(ema.optimization_step), "decay": float(ema.decay)}


def run_training(config: TrainConfig, resume: str | bool | None = None) -> Path:
    trainer = Trainer(config)
    if resume:
        trainer.resume(resume)
    return trainer.train()


__all__ = ["FlowObjective", "Trainer", "build_training_model", "run_training"]
