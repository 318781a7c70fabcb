"""Training runs changed from inside for a test, alone or under torchrun (tests only):

    python instrumented_run.py CONFIG kill STEP       # SIGKILL right after step STEP's update, before any checkpoint
    python instrumented_run.py CONFIG term STEP       # SIGTERM during step STEP: the trainer checkpoints and exits
    python instrumented_run.py CONFIG unaveraged 0    # FSDP2 without averaging the replicated parameters' gradients

Signals come from inside the process at a chosen step, so no test waits or races on timing. The unaveraged run
is the deliberately broken variant that proves a comparison's bound can catch a missing gradient average.
"""

from __future__ import annotations

import os
import signal
import sys

from audio_omni.training.config import load_train_config
from audio_omni.training.trainer import Trainer


def main() -> None:
    config, how, step = sys.argv[1], sys.argv[2], int(sys.argv[3])
    trainer = Trainer(load_train_config(config))
    if how == "unaveraged":
        assert callable(trainer._sync_replicated), "the trainer no longer averages replicated gradients there"
        trainer._sync_replicated = lambda: None
    else:
        sig = {"kill": signal.SIGKILL, "term": signal.SIGTERM}[how]

        def stop_at(optimizer, args, kwargs):
            if trainer.step + 1 == step:  # the hook runs inside the update of step `trainer.step + 1`
                os.kill(os.getpid(), sig)

        trainer.optimizer.register_step_post_hook(stop_at)
    trainer.train()


if __name__ == "__main__":
    main()
