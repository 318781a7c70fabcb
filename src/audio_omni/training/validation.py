"""Held-out validation during training: the same pairs, noise and timesteps every time, with the EMA weights.

A small model on a few hundred source recordings can learn its training pairs by heart: the default model's
campaign brought the training loss from 0.20 to 0.13 while its success on unseen recordings stayed flat, and on
held-out pairs its Remove predictions were further from the target than the unedited source. The training loss
cannot show that; these numbers can. Each validation logs (tensorboard ``valid/*``, and one JSON line in
``<out_dir>/valid.jsonl``):

* ``loss``: the training objective on the held-out pairs, comparable with ``train/loss``;
* ``edit_t1`` per task: the data-prediction error of edits at t = 1, from the flow's start, with the pair's
  own instruction. Sampling follows the first step's prediction, so this is where an edit is decided.
  ``copy`` beside it is the error of returning the source unchanged: an edit that does not beat copying on
  held-out pairs has not learnt the operation.

The noise and timesteps are drawn per batch, and each process takes every ``world``-th pair: figures compare
between the validations of one run, and between checkpoints scored with the same batch size and process count
(``scripts/validate_checkpoints.py``).
"""

from __future__ import annotations

import json
import logging
from pathlib import Path

import torch

from audio_omni.tasks import TRAINABLE_TASKS
from audio_omni.training.config import ValidSpec
from audio_omni.training.data import ExampleBuilder, PairDataset, _mix

log = logging.getLogger(__name__)

#: Rows of the summed-error tensor: one per trainable task.
_ROWS = {task: i for i, task in enumerate(TRAINABLE_TASKS)}


def _masked_mean(err: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
    """err [B, D, L], mask [B, L] -> [B] mean over the valid frames of each item."""
    weights = mask[:, None, :].to(err.dtype).expand_as(err)
    return (err * weights).sum(dim=(1, 2)) / weights.sum(dim=(1, 2)).clamp(min=1)


class Validator:
    """Scores the model on fixed held-out pairs; each process takes every ``world``-th of them."""

    def __init__(self, spec: ValidSpec, builder: ExampleBuilder, batch_size: int, seed: int, rank: int, world: int):
        self.spec, self.builder, self.batch_size, self.seed = spec, builder, batch_size, seed
        self.rank, self.world = rank, world
        self.dataset = PairDataset(spec.shards, spec.split)
        count = min(spec.items, len(self.dataset))
        picks = torch.linspace(0, len(self.dataset) - 1, count).round().long().unique().tolist()
        self.mine = picks[rank::world]

    @torch.no_grad()
    def sums(self, objective) -> torch.Tensor:
        """[tasks + 1, 4]: per task the summed t = 1 edit error, copy error and edit count; the last row holds
        the summed objective and its item count (columns 0 and 2)."""
        model = objective.model
        out = torch.zeros(len(TRAINABLE_TASKS) + 1, 4)
        for first in range(0, len(self.mine), self.batch_size):
            picks = self.mine[first : first + self.batch_size]
            key = _mix(self.seed, picks[0], 3)
            batch = self.builder.batch([self.dataset.entries[i] for i in picks], torch.Generator().manual_seed(key))
            out[-1, 0] += float(objective(batch, key)) * len(picks)
            out[-1, 2] += len(picks)
            if not bool(batch.from_source.any()):
                continue
            gen = torch.Generator().manual_seed(key + 1)
            latents, mask = objective.targets(batch, gen)
            cond = model.condition(batch.items, mask_voice=False, generator=gen, frames=latents.shape[-1])
            noise = torch.randn(latents.shape, generator=gen).to(latents.device)
            start = model.flow_start(cond, noise, batch.from_source)
            ones = torch.ones(len(picks), device=latents.device)
            predicted = start - model.training_velocity(start, ones, cond).float()
            own = _masked_mean((predicted - latents).pow(2), mask)
            copy = _masked_mean((model.frame_source(cond).float() - latents).pow(2), mask)
            for i, task in enumerate(batch.tasks):
                if bool(batch.from_source[i]) and task in _ROWS:
                    row = _ROWS[task]
                    out[row, 0] += own[i].item()
                    out[row, 1] += copy[i].item()
                    out[row, 2] += 1
        return out


def summarize(step: int, sums: torch.Tensor) -> dict:
    """The record of one validation from the processes' summed errors."""
    record: dict = {"step": step}
    if sums[-1, 2] > 0:
        record["loss"] = round(float(sums[-1, 0] / sums[-1, 2]), 5)
    edits = {t: sums[r] for t, r in _ROWS.items() if sums[r, 2] > 0}
    record["edit_t1"] = {t: round(float(v[0] / v[2]), 5) for t, v in edits.items()}
    record["copy"] = {t: round(float(v[1] / v[2]), 5) for t, v in edits.items()}
    count = sum(float(v[2]) for v in edits.values())
    if count:
        record["edit_t1_mean"] = round(sum(float(v[0]) for v in edits.values()) / count, 5)
        record["copy_mean"] = round(sum(float(v[1]) for v in edits.values()) / count, 5)
    return record


def write_record(out_dir: Path, record: dict, writer=None) -> None:
    """Append the record to valid.jsonl (one line, flushed) and to tensorboard."""
    with open(Path(out_dir) / "valid.jsonl", "a", encoding="utf-8") as f:
        f.write(json.dumps(record) + "\n")
    if writer is not None:
        step = record["step"]
        if "loss" in record:
            writer.add_scalar("valid/loss", record["loss"], step)
        if "edit_t1_mean" in record:
            writer.add_scalar("valid/edit_t1", record["edit_t1_mean"], step)
        for task, value in record["edit_t1"].items():
            writer.add_scalar(f"valid/edit_t1/{task}", value, step)
    log.info("validation at step %d: loss %s, edit error at t = 1 %s (copying the source: %s)", record["step"],
             record.get("loss"), record.get("edit_t1_mean"), record.get("copy_mean"))
