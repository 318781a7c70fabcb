"""Train the understanding path's catalogue head: the data engine's class vocabulary on the tagger's embeddings.

The frozen tagger names AudioSet classes, but not always the ones the engine's catalogue uses for the same audio
(a wesnoth score is "Soundtrack music" to the catalogue and only "Music" to the tagger; a rendered cello stem in
a mix goes unnamed). This script learns that vocabulary from the engine's own **train-split** pairs, whose
labels are exact (``labels.present_before`` for the source, ``present_after`` for the target):

    features  tagger embeddings of every 0.96 s window (0.16 s hop, the Listener's) of the source and target
              of up to ``--pairs`` pairs, cached as one .npz per build chunk
    fit       a linear head [1024 -> K] per window (Adam on minibatches of 64 clips), pooled over a clip's
              windows by linear softmax (sum p^2 / sum p: weakly-labelled sound event detection's pooling, so
              that the per-window outputs localise the class); classes with fewer than ``--min-groups``
              distinct source groups among the positives are left out. Validation: the clips of pairs that use
              a source group of a hashed tenth (every held-out group is unseen in training; the pair's other
              group may not be). The shipped head is then refitted on every clip. Writes a safetensors file.

The engine's test split (``data build --splits test``) never enters; it is what `bench_understanding_answers.py
--questions-from` measures on. Example:

    python scripts/train_listener_head.py features ~/.cache/audio-omni/campaign/pairs/chunk-0* --pairs 2450 --out a
    python scripts/train_listener_head.py features ~/.cache/audio-omni/campaign/pairs/chunk-0* --pairs 4900 \
        --skip 350 --out b
    python scripts/train_listener_head.py fit a b --out src/audio_omni/understanding/catalog_head.safetensors

(the shipped head: those two runs over the seven 2,000-pair chunks of the campaign's build, defaults otherwise)
"""

from __future__ import annotations

import argparse
import json
import random
import sys
from collections import defaultdict
from pathlib import Path

import numpy as np


def _pairs(chunk: Path):
    with open(chunk / "manifest.jsonl", encoding="utf-8") as f:
        for line in f:
            record = json.loads(line)
            if record.get("split") == "train":
                yield record


def features(args) -> int:
    import tarfile

    from tqdm import tqdm

    from audio_omni.atomic import open_atomic
    from audio_omni.audio.io import load_audio
    from audio_omni.judges.yamnet import YamnetTagger
    from audio_omni.understanding.hearing import RATE, TAGGER_HOP_FRAMES

    tagger = YamnetTagger.from_installed(threads=args.threads)
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    rng = random.Random(args.seed)
    per_chunk = max(1, args.pairs // len(args.chunks))
    for chunk in map(Path, args.chunks):
        target = out / f"{chunk.name}.npz"
        if target.exists():
            continue
        records = list(_pairs(chunk))
        rng.shuffle(records)
        records = records[args.skip : args.skip + per_chunk]  # same seed, later slice: more pairs, none twice
        by_shard = defaultdict(list)
        for r in records:
            by_shard[r["shard"]].append(r)
        embeddings, tags, clip_of, labels, groups = [], [], [], [], []
        tmp = out / "tmp-audio"
        tmp.mkdir(exist_ok=True)
        bar = tqdm(total=len(records), desc=chunk.name, file=sys.stderr)
        for shard, rows in by_shard.items():
            with tarfile.open(chunk / shard) as tar:
                for r in rows:
                    for role, present in (("source", "present_before"), ("target", "present_after")):
                        try:
                            member = tar.getmember(f"{r['id']}.{role}.flac")
                        except KeyError:  # generation tasks have no source
                            continue
                        path = tmp / member.name
                        path.write_bytes(tar.extractfile(member).read())
                        wave, _ = load_audio(path, sample_rate=RATE, channels=1)
                        path.unlink()
                        probs, emb, keep = tagger.patch_analysis(wave[0].numpy(), RATE, hop_frames=TAGGER_HOP_FRAMES)
                        if not keep.any():
                            continue
                        embeddings.append(emb[keep].astype(np.float16))
                        tags.append(probs[keep].astype(np.float16))
                        clip_of.append(np.full(int(keep.sum()), len(labels), dtype=np.int32))
                        labels.append(json.dumps(r["labels"][present]))
                        groups.append(json.dumps(r["source_groups"]))
                    bar.update()
        bar.close()
        with open_atomic(target) as f:
            np.savez(
                f,
                embeddings=np.concatenate(embeddings),
                tagger=np.concatenate(tags),
                clip=np.concatenate(clip_of),
                labels=np.array(labels),
                groups=np.array(groups),
            )
        print(f"{target}: {len(labels)} clips", file=sys.stderr)
    return 0


def _load(folder: Path):
    embeddings, tags, clips, labels, groups, offset = [], [], [], [], [], 0
    for f in sorted(folder.glob("chunk-*.npz")):
        data = np.load(f)
        embeddings.append(data["embeddings"].astype(np.float32))
        tags.append(data["tagger"].astype(np.float32))
        clips.append(data["clip"] + offset)
        labels += [json.loads(x) for x in data["labels"]]
        groups += [json.loads(x) for x in data["groups"]]
        offset += len(data["labels"])
    return np.concatenate(embeddings), np.concatenate(tags), np.concatenate(clips), labels, groups


def _clip_bounds(clip_index: np.ndarray) -> np.ndarray:
    """Clip ``c``'s windows are rows ``bounds[c]:bounds[c + 1]`` (``clip_index`` is sorted: each clip's windows
    were written as one run)."""
    return np.searchsorted(clip_index, np.arange(clip_index.max() + 2))


def _per_clip(rows: np.ndarray, bounds: np.ndarray, clips, reduce) -> np.ndarray:
    """``reduce`` (over axis 0) of each of ``clips``' window rows: [clips, K]."""
    return np.stack([reduce(rows[bounds[c] : bounds[c + 1]]) for c in clips])


def _train(x, clip_index, targets, clips, steps: int, seed: int, weight_decay: float, batch_clips: int = 64):
    """Linear head on windows, linear-softmax pooled per clip, BCE against the clip labels; Adam on minibatches
    of whole clips."""
    import torch

    torch.manual_seed(seed)
    rng = np.random.default_rng(seed)
    bounds = _clip_bounds(clip_index)
    x_all = torch.as_tensor(x)
    y_all = torch.as_tensor(targets)
    head = torch.nn.Linear(x.shape[1], targets.shape[1])
    # every class starts at its base rate, so rare classes are not pushed to zero in the first steps
    rate = y_all[clips].mean(0).clamp(1e-3, 1 - 1e-3)
    torch.nn.init.zeros_(head.weight)
    head.bias.data = torch.log(rate / (1 - rate))
    opt = torch.optim.AdamW(head.parameters(), lr=1e-3, weight_decay=weight_decay)
    schedule = torch.optim.lr_scheduler.CosineAnnealingLR(opt, steps)
    for _ in range(steps):
        batch = rng.choice(clips, size=min(batch_clips, len(clips)), replace=False)
        rows = np.concatenate([np.arange(bounds[c], bounds[c + 1]) for c in batch])
        owner = torch.as_tensor(np.repeat(np.arange(len(batch)), bounds[batch + 1] - bounds[batch]))
        p = torch.sigmoid(head(x_all[rows]))
        num = torch.zeros(len(batch), p.shape[1]).index_add_(0, owner, p * p)
        den = torch.zeros(len(batch), p.shape[1]).index_add_(0, owner, p)
        pooled = (num / den.clamp_min(1e-6)).clamp(1e-6, 1 - 1e-6)
        loss = torch.nn.functional.binary_cross_entropy(pooled, y_all[batch])
        opt.zero_grad()
        loss.backward()
        opt.step()
        schedule.step()
    return head


def _clip_scores(head, x, bounds, clips) -> tuple[np.ndarray, np.ndarray]:
    """(pooled probability, peak window probability), each [clips, K]."""
    import torch

    from audio_omni.understanding.catalog_head import linear_softmax

    with torch.no_grad():
        p = torch.sigmoid(head(torch.as_tensor(x))).numpy()
    return _per_clip(p, bounds, clips, linear_softmax), _per_clip(p, bounds, clips, lambda r: r.max(0))


def _report(name: str, scores: np.ndarray, targets: np.ndarray, threshold: float) -> dict:
    said = scores >= threshold
    tp = (said & (targets > 0)).sum()
    precision = tp / max(said.sum(), 1)
    recall = tp / max((targets > 0).sum(), 1)
    # balanced yes/no accuracy over every (clip, class) cell
    pos, neg = targets > 0, targets == 0
    balanced = 0.5 * ((said & pos).sum() / max(pos.sum(), 1) + (~said & neg).sum() / max(neg.sum(), 1))
    out = {"precision": round(float(precision), 3), "recall": round(float(recall), 3),
           "balanced_accuracy": round(float(balanced), 3)}
    print(f"  {name:>8} @ {threshold:.2f}: " + ", ".join(f"{k} {v}" for k, v in out.items()), file=sys.stderr)
    return out


def fit(args) -> int:
    from audio_omni.data.splits import group_hash
    from audio_omni.judges.yamnet import YamnetTagger
    from audio_omni.understanding.catalog_head import CatalogHead

    parts = [_load(Path(folder)) for folder in args.features_dir]
    x = np.concatenate([p[0] for p in parts])
    tag_probabilities = np.concatenate([p[1] for p in parts])
    offsets = np.cumsum([0] + [len(p[3]) for p in parts[:-1]])
    clip_index = np.concatenate([p[2] + o for p, o in zip(parts, offsets, strict=True)])
    labels = [name for p in parts for name in p[3]]
    groups = [g for p in parts for g in p[4]]
    positives = defaultdict(set)
    for names, gs in zip(labels, groups, strict=True):
        for name in names:
            positives[name].update(gs)
    vocabulary = sorted(n for n, gs in positives.items() if len(gs) >= args.min_groups)
    left_out = sorted(set(positives) - set(vocabulary))
    targets = np.array([[float(n in names) for n in vocabulary] for names in labels], dtype=np.float32)
    # one scale for every dimension: most of the tagger's (ReLU, 8-bit) embedding dimensions are zero in almost
    # every window, and per-dimension standardisation turned their rare activations into 80-sigma outliers that
    # fired every class on unseen recordings (validation precision 0.07)
    mean, scale = np.zeros(x.shape[1], np.float32), np.full(x.shape[1], x.std(), np.float32)
    x = (x - mean) / scale
    # validation: clips that use a source group of the held-out tenth (hashed, not the engine's test split)
    valid = np.array([any(group_hash(g + "#head") < 0.1 for g in gs) for gs in groups])
    train_clips, valid_clips = np.flatnonzero(~valid), np.flatnonzero(valid)
    print(f"{len(labels)} clips ({len(valid_clips)} valid), {len(x)} windows, {len(vocabulary)} classes "
          f"(left out, under {args.min_groups} groups: {left_out})", file=sys.stderr)
    head = _train(x, clip_index, targets, train_clips, args.steps, args.seed, args.weight_decay)
    bounds = _clip_bounds(clip_index)
    pooled, peak = _clip_scores(head, x, bounds, valid_clips)
    from audio_omni.understanding.events import ON_THRESHOLD

    validation = {
        "pooled": _report("pooled", pooled, targets[valid_clips], ON_THRESHOLD),
        "peak": _report("peak", peak, targets[valid_clips], ON_THRESHOLD),
    }
    # the tagger alone on the same cells, where it has the class (its window peak, as the Listener reads it)
    tagger_labels = YamnetTagger.from_installed().labels
    known = [k for k, n in enumerate(vocabulary) if n in tagger_labels]
    columns = [tagger_labels.index(vocabulary[k]) for k in known]
    tagger_peak = _per_clip(tag_probabilities, bounds, valid_clips, lambda r: r.max(0))[:, columns]
    validation["tagger_peak_same_classes"] = _report("tagger", tagger_peak, targets[valid_clips][:, known],
                                                     ON_THRESHOLD)
    validation["head_peak_same_classes"] = _report("head", peak[:, known], targets[valid_clips][:, known],
                                                   ON_THRESHOLD)
    if not args.no_final:  # the shipped head learns from every clip, validation ones included
        head = _train(x, clip_index, targets, np.arange(len(labels)), args.steps, args.seed, args.weight_decay)
    info = {
        "trained_on": f"{len(labels)} clips (source and target of data-engine train-split pairs), {len(x)} windows",
        "classes_left_out": left_out,
        "steps": args.steps,
        "weight_decay": args.weight_decay,
        "validation": validation,
    }
    CatalogHead(tuple(vocabulary), mean, scale, head.weight.detach().numpy(), head.bias.detach().numpy(),
                info).save(args.out)
    print(f"wrote {args.out}", file=sys.stderr)
    return 0


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    sub = parser.add_subparsers(dest="command", required=True)
    f = sub.add_parser("features")
    f.add_argument("chunks", nargs="+", help="pair build folders (manifest.jsonl + shards)")
    f.add_argument("--out", required=True)
    f.add_argument("--pairs", type=int, default=3000, help="pairs in all, spread over the chunks")
    f.add_argument("--skip", type=int, default=0, help="pairs per chunk taken by an earlier run (same seed)")
    f.add_argument("--threads", type=int, default=1)
    f.add_argument("--seed", type=int, default=0)
    t = sub.add_parser("fit")
    t.add_argument("features_dir", nargs="+")
    t.add_argument("--out", required=True)
    t.add_argument("--min-groups", type=int, default=3)
    t.add_argument("--steps", type=int, default=1500, help="Adam steps of 64 clips")
    t.add_argument("--seed", type=int, default=0)
    t.add_argument("--weight-decay", type=float, default=1e-2)
    t.add_argument("--no-final", action="store_true", help="ship the head trained without the validation clips")
    args = parser.parse_args(argv)
    return features(args) if args.command == "features" else fit(args)


if __name__ == "__main__":
    raise SystemExit(main())
