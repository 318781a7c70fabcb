#!/usr/bin/env bash
# The default model's training campaign on one machine, each part a loop in the background at low priority
# (docs/training.md, "The default model's campaign"). Every part resumes where it stopped, so after a reboot
# the same commands carry on; with the cache gone, training warm-starts from the shipped weights.
#
#   bash scripts/campaign/campaign.sh data      # catalogue, the valid split, then the training chunks in turn
#   bash scripts/campaign/campaign.sh encode    # pre-encode every finished chunk (waits for the next one)
#   bash scripts/campaign/campaign.sh train     # train on every encoded chunk; restarts on the larger set
#   bash scripts/campaign/campaign.sh monitor   # `unix-time  step  cpu-ticks` lines into monitor.tsv
#   touch "$CAMPAIGN/STOP"                      # every loop ends at its next check (training checkpoints first)
#
# Environment: CAMPAIGN (folder, default ~/.cache/audio-omni/campaign), RUN (run name, default small),
# CONFIG (training config, default configs/campaign-small.yaml), CHUNKS (training chunks, default 20),
# PAIRS (pair indices per chunk, default 2000), VARY (re-voicing probability, default 0.5), SEED0 (seed of
# chunk 0, default 100: chunk K uses SEED0+K), NPROC (training processes, default 2), MODEL_CONFIG (a model
# config JSON that replaces the preset's, e.g. configs/audio-omni-small-tags.json; the shipped weights still
# warm-start it, and pre-encoding stores what it needs).
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/../.." && pwd)"
CAMPAIGN="${CAMPAIGN:-$HOME/.cache/audio-omni/campaign}"
RUN="${RUN:-small}"
CONFIG="${CONFIG:-$ROOT/configs/campaign-small.yaml}"
CHUNKS="${CHUNKS:-20}"
PAIRS="${PAIRS:-2000}"
VARY="${VARY:-0.5}"
SEED0="${SEED0:-100}"
NPROC="${NPROC:-2}"
MODEL=()
[[ -n "${MODEL_CONFIG:-}" ]] && MODEL=(--set "model.config=$(realpath "$MODEL_CONFIG")")
export HF_HUB_OFFLINE=1
mkdir -p "$CAMPAIGN/pairs" "$CAMPAIGN/enc" "$CAMPAIGN/runs" "$CAMPAIGN/logs"
cd "$CAMPAIGN"
low() { nice -n 10 "$@"; }  # the campaign's CPU is the machine's "nice" time, which the monitor counts
stopped() { [[ -e "$CAMPAIGN/STOP" ]]; }
log() { echo "$(date -u +%FT%TZ) $*" >> "$CAMPAIGN/logs/campaign.log"; }

# Finished, pre-encoded chunks in order, as a YAML list for --set.
encoded_list() {
  local dirs=() d
  for d in enc/chunk-*; do [[ -d "$d" ]] && dirs+=("$CAMPAIGN/$d"); done
  local IFS=,; echo "[${dirs[*]}]"
}

data() {
  # The catalogue of real recordings (resumable: each source keeps a journal).
  low audio-omni data sources --workers 2 >> logs/sources.log 2>&1
  # Held-out pairs, from recordings that training never sees: 1,000 (one pair index in 20 is a valid one).
  if [[ ! -e pairs/valid/DONE ]]; then
    low audio-omni data build --out pairs/valid --pairs 20000 --seed 1 --split valid --workers 2 --no-progress \
      >> logs/build-valid.log 2>&1 && touch pairs/valid/DONE
  fi
  for ((k = 0; k < CHUNKS; k++)); do
    stopped && return 0
    [[ -e "pairs/chunk-$k/DONE" ]] && continue
    log "build chunk $k"
    low audio-omni data build --out "pairs/chunk-$k" --pairs "$PAIRS" --seed $((SEED0 + k)) --split train \
      --workers 2 --vary "$VARY" --no-progress >> "logs/build-$k.log" 2>&1
    touch "pairs/chunk-$k/DONE"
  done
}

encode_one() {  # encode_one NAME SPLIT: pairs/NAME -> enc/NAME (atomically, through a temporary folder)
  local name="$1" split="$2"
  [[ -d "enc/$name" ]] && return 0
  log "pre-encode $name"
  rm -rf "enc/.$name.tmp"
  low audio-omni preencode "$CONFIG" "${MODEL[@]}" --set "data.shards=[$CAMPAIGN/pairs/$name]" --out "enc/.$name.tmp" \
    --split "$split" --half >> "logs/encode-$name.log" 2>&1
  mv "enc/.$name.tmp" "enc/$name"
}

encode() {
  while ! stopped; do
    if [[ -e pairs/valid/DONE && ! -d enc/valid-set ]]; then
      encode_one valid valid && mv enc/valid enc/valid-set  # not a training chunk: kept apart from enc/chunk-*
    fi
    local did=0 k
    for ((k = 0; k < CHUNKS; k++)); do
      if [[ -e "pairs/chunk-$k/DONE" && ! -d "enc/chunk-$k" ]]; then encode_one "chunk-$k" train; did=1; break; fi
    done
    [[ $did == 1 ]] || sleep 60
  done
}

train() {
  local pid="" shards="" current
  while ! stopped; do
    current="$(encoded_list)"
    if [[ "$current" != "[]" && "$current" != "$shards" && -d enc/valid-set ]]; then
      if [[ -n "$pid" ]]; then log "new chunk: restarting training"; kill -TERM "$pid"; wait "$pid" || true; fi
      shards="$current"
      local resume=()
      [[ -f "runs/$RUN/checkpoints/latest" ]] && resume=(--resume latest)
      log "train $RUN on $shards ${resume[*]:-}"
      # nice itself (not the low function, whose subshell would get the signal) so that kill reaches torchrun,
      # which passes SIGTERM on to its workers: they checkpoint and stop.
      OMP_NUM_THREADS=1 ACCELERATE_USE_CPU=1 nice -n 10 torchrun --nproc_per_node "$NPROC" -m audio_omni.cli train \
        "$CONFIG" "${MODEL[@]}" --set "out_dir=$CAMPAIGN/runs/$RUN" --set "data.shards=$shards" \
        --set "valid.shards=[$CAMPAIGN/enc/valid-set]" "${resume[@]}" >> "logs/train-$RUN.log" 2>&1 &
      pid=$!
    fi
    if [[ -n "$pid" ]] && ! kill -0 "$pid" 2>/dev/null; then
      wait "$pid" || log "training exited with $?"; pid=""; shards=""; sleep 60
    fi
    sleep 30
  done
  if [[ -n "$pid" ]]; then kill -TERM "$pid"; wait "$pid" || true; fi
  log "training stopped"
}

monitor() {
  local before now step
  before=$(awk '/^cpu /{print $3}' /proc/stat)
  while ! stopped; do
    sleep 60
    now=$(awk '/^cpu /{print $3}' /proc/stat)
    step=$(sed -n 's/^step-0*\([0-9]\)/\1/p' "runs/$RUN/checkpoints/latest" 2>/dev/null || true)
    printf '%s\t%s\t%s\n' "$(date +%s)" "${step:-0}" $((now - before)) >> "runs/$RUN.monitor.tsv"
    before=$now
  done
}

case "${1:-}" in
  data | encode | train | monitor) "$1" ;;
  *) echo "usage: campaign.sh data|encode|train|monitor" >&2; exit 2 ;;
esac
