"""`python -m audio_omni.cli ...`, also under `torchrun -m` and `accelerate launch -m`."""

from audio_omni.cli import main

main()
