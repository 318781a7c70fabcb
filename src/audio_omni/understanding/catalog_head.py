"""The catalogue head: the data engine's class vocabulary, heard on the frozen tagger's embeddings.

The tagger names AudioSet classes, but often not the ones the engine's catalogue gives the same audio: a game
score is "Soundtrack music" to the catalogue and only "Music" to the tagger, a rendered cello under a piano goes
unnamed, a city ambience is "Outside, urban or manmade" only to the catalogue. The head is one linear layer from
each 0.96 s window's tagger embedding (1024-d, standardised) to K catalogue classes, trained on the engine's
train-split pairs (``scripts/train_listener_head.py``) with clip labels only: a clip's probability is the
linear-softmax pool of its windows' (sum p^2 / sum p), which lets the per-window outputs say *when*.

It ships inside the package (``catalog_head.safetensors``, a few hundred kB) and is optional: without the file
the Listener hears with the tagger alone.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import numpy as np

#: The shipped head, trained by ``scripts/train_listener_head.py``.
HEAD_FILE = Path(__file__).with_name("catalog_head.safetensors")


def linear_softmax(probabilities: np.ndarray, axis: int = 0) -> np.ndarray:
    """Pool window probabilities into a clip probability: sum p^2 / sum p (windows that hear the class
    weigh the most; unlike max, every window gets a gradient when training)."""
    total = probabilities.sum(axis=axis)
    return np.where(total > 0, (probabilities**2).sum(axis=axis) / np.maximum(total, 1e-12), 0.0)


@dataclass(frozen=True)
class CatalogHead:
    labels: tuple[str, ...]
    mean: np.ndarray  # [D] feature standardisation
    scale: np.ndarray  # [D]
    weight: np.ndarray  # [K, D]
    bias: np.ndarray  # [K]
    info: dict  # how it was trained (data, classes left out, validation numbers)

    def window_probabilities(self, embeddings: np.ndarray) -> np.ndarray:
        """Per-window class probabilities [W, K] from tagger embeddings [W, D]."""
        x = (np.asarray(embeddings, dtype=np.float32) - self.mean) / self.scale
        return 1.0 / (1.0 + np.exp(-(x @ self.weight.T + self.bias)))

    def save(self, path: str | Path) -> Path:
        from safetensors.numpy import save_file

        from audio_omni.atomic import atomic_path

        path = Path(path)
        tensors = {
            "mean": self.mean.astype(np.float32),
            "scale": self.scale.astype(np.float32),
            "weight": self.weight.astype(np.float16),
            "bias": self.bias.astype(np.float32),
        }
        metadata = {"labels": json.dumps(list(self.labels)), "info": json.dumps(self.info)}
        with atomic_path(path) as tmp:
            save_file(tensors, str(tmp), metadata=metadata)
        return path

    @classmethod
    def load(cls, path: str | Path = HEAD_FILE) -> CatalogHead:
        from safetensors import safe_open

        with safe_open(str(path), framework="numpy") as f:
            meta = f.metadata()
            tensors = {k: f.get_tensor(k).astype(np.float32) for k in ("mean", "scale", "weight", "bias")}
        labels = tuple(json.loads(meta["labels"]))
        if tensors["weight"].shape != (len(labels), len(tensors["mean"])):
            raise ValueError(f"{path}: weight {tensors['weight'].shape} does not match {len(labels)} labels")
        return cls(labels, tensors["mean"], tensors["scale"], tensors["weight"], tensors["bias"],
                   json.loads(meta.get("info", "{}")))

    @classmethod
    def installed(cls) -> CatalogHead | None:
        """The shipped head, or None when the package has none."""
        return cls.load(HEAD_FILE) if HEAD_FILE.exists() else None


def merge_tagger(
    tagger_probabilities: np.ndarray, tagger_labels: list[str], head_probabilities: np.ndarray,
    head_labels: tuple[str, ...], untrusted: frozenset[str] = frozenset(),
) -> tuple[np.ndarray, list[str]]:
    """One [W, 521 + new] matrix: a class both name keeps the larger probability, except the tagger classes in
    ``untrusted`` (ones the events never report from the tagger), which take the head's alone; head classes
    the tagger lacks are appended."""
    merged = tagger_probabilities.copy()
    labels = list(tagger_labels)
    index = {name: i for i, name in enumerate(labels)}
    extra = []
    for k, name in enumerate(head_labels):
        column = head_probabilities[:, k]
        if name not in index:
            extra.append(column)
            labels.append(name)
        elif name in untrusted:
            merged[:, index[name]] = column
        else:
            merged[:, index[name]] = np.maximum(merged[:, index[name]], column)
    if extra:
        merged = np.concatenate([merged, np.stack(extra, axis=1)], axis=1)
    return merged, labels
