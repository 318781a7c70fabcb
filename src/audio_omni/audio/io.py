"""Audio I/O: load, validate, convert, save and level-match audio.

Every problem with an input file or array surfaces as :class:`audio_omni.errors.AudioInputError`
with a message that names the file (or array), never as a raw library traceback and never as a hang:

* files are checked (exists, regular file, readable, non-empty) before any decoder sees them;
* the duration is read from the header and checked against ``max_seconds`` before decoding;
* decoding is capped at ``max_seconds`` as well, for containers whose header does not tell the length.

Conventions: audio is float32, channels first (``[channels, samples]``), in ``[-1, 1]``.
Files are read with soundfile (libsndfile: WAV, FLAC, OGG/Vorbis/Opus, MP3, AIFF, ...) and, for
containers libsndfile cannot open (mp4/m4a/aac/webm/mkv, ...), with PyAV (FFmpeg).
"""

from __future__ import annotations

import io
import math
import os
import stat
import sys
import warnings
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import soundfile as sf

from audio_omni.atomic import write_bytes_atomic
from audio_omni.errors import AudioInputError, OutputError

if TYPE_CHECKING:  # torch is imported only when a tensor is made: a file check costs no torch import
    import torch

__all__ = [
    "MIN_SAMPLE_RATE",
    "MAX_SAMPLE_RATE",
    "SILENCE_PEAK",
    "AudioClippingWarning",
    "AudioInfo",
    "audio_info",
    "check_audio_file",
    "duration_seconds",
    "load_audio",
    "prepare_audio",
    "save_audio",
    "peak_normalize",
    "loudness_lufs",
    "normalize_loudness",
    "to_mono",
    "to_stereo",
    "convert_channels",
    "resample",
]

MIN_SAMPLE_RATE = 1_000
MAX_SAMPLE_RATE = 384_000
#: Peak amplitude at or below which audio counts as silent (-80 dBFS, below 16-bit dither noise).
SILENCE_PEAK = 1e-4
#: Most channels an in-memory array may have when its layout is guessed (``[C, T]`` vs ``[T, C]``).
MAX_GUESS_CHANNELS = 32
#: Extensions save_audio understands, with their libsndfile format and default subtype.
_SAVE_FORMATS = {
    ".wav": ("WAV", "PCM_16"),
    ".flac": ("FLAC", "PCM_16"),
    ".ogg": ("OGG", "VORBIS"),
    ".oga": ("OGG", "VORBIS"),
}
_DEFAULT_SUBTYPES = {"WAV": "PCM_16", "FLAC": "PCM_16", "OGG": "VORBIS"}
_VORBIS_MAX_RATE = 200_000
_OPUS_RATES = frozenset({8000, 12000, 16000, 24000, 48000})
_BLOCK_SECONDS = 0.4  # BS.1770 gating block, pyloudnorm's default


def _is_tensor(value: Any) -> bool:
    # A tensor can only exist once torch is imported, so this never imports it.
    torch = sys.modules.get("torch")
    return torch is not None and isinstance(value, torch.Tensor)


class AudioClippingWarning(UserWarning):
    """Samples outside [-1, 1] were clipped."""


@dataclass(frozen=True)
class AudioInfo:
    """What a file's header says. ``frames`` is None when the container does not tell."""

    path: Path
    sample_rate: int
    channels: int
    frames: int | None
    duration: float | None
    backend: str  # "soundfile" or "pyav"
    format: str


# --------------------------------------------------------------------------------------------------
# Path checks and header probing
# --------------------------------------------------------------------------------------------------


def _check_path(path: Any) -> Path:
    """Return a Path to an existing, non-empty, readable regular file, or raise AudioInputError."""
    if isinstance(path, bytes):
        path = os.fsdecode(path)
    if not isinstance(path, (str, os.PathLike)):
        raise AudioInputError(f"expected a path to an audio file, got {type(path).__name__}")
    p = Path(path).expanduser()
    if str(path) == "":
        raise AudioInputError("empty path given for an audio file")
    try:
        st = p.stat()
    except FileNotFoundError:
        raise AudioInputError(f"audio file not found: '{p}'") from None
    except PermissionError:
        raise AudioInputError(f"cannot access audio file '{p}': permission denied") from None
    except OSError as exc:
        raise AudioInputError(f"cannot access audio file '{p}': {exc.strerror or exc}") from None
    if stat.S_ISDIR(st.st_mode):
        raise AudioInputError(f"'{p}' is a directory, not an audio file")
    if not stat.S_ISREG(st.st_mode):
        # FIFOs, sockets and devices could block forever or never end.
        raise AudioInputError(f"'{p}' is not a regular file (pipe, socket or device); give an audio file")
    if st.st_size == 0:
        raise AudioInputError(f"audio file '{p}' is empty (0 bytes)")
    try:
        with open(p, "rb") as fh:
            fh.read(1)
    except PermissionError:
        raise AudioInputError(f"cannot read audio file '{p}': permission denied") from None
    except OSError as exc:
        raise AudioInputError(f"cannot read audio file '{p}': {exc.strerror or exc}") from None
    return p


def _short(exc: BaseException) -> str:
    """A one-line reason from a library exception (libsndfile / FFmpeg text without their codes)."""
    detail = getattr(exc, "error_string", None) or getattr(exc, "strerror", None)
    msg = (detail if isinstance(detail, str) and detail.strip() else str(exc)).strip()
    msg = msg or type(exc).__name__
    return msg if len(msg) <= 200 else msg[:197] + "..."


def _probe_soundfile(p: Path) -> AudioInfo:
    info = sf.info(str(p))
    frames = int(info.frames)
    sr = int(info.samplerate)
    return AudioInfo(
        path=p,
        sample_rate=sr,
        channels=int(info.channels),
        frames=frames,
        duration=frames / sr if sr > 0 else None,
        backend="soundfile",
        format=f"{info.format}/{info.subtype}",
    )


# Declared data sizes that mean "unknown" (a writer that could not seek back: a pipe, a live recording).
_UNKNOWN_RIFF_SIZES = frozenset({0, 0xFFFFFFFF})
_RIFF_SIZE_PLACEHOLDER = 0x7FFFF000  # and sizes this large, which streaming writers put there instead


def _chunks(fh, byteorder: str):
    """(id, size) of each chunk of a RIFF or IFF file after its 12-byte header, with the file positioned at
    the chunk's body; the next step seeks past the body (and its pad byte), whatever the caller read of it."""
    position = 12
    while True:
        fh.seek(position)
        header = fh.read(8)
        if len(header) < 8:
            return
        size = int.from_bytes(header[4:], byteorder)
        yield header[:4], size
        position += 8 + size + (size & 1)


def _riff_declared_frames(fh) -> int | None:
    """Frames the ``data`` chunk of a RIFF/WAVE file declares (None: the header does not say)."""
    block = None
    for chunk, size in _chunks(fh, "little"):
        if chunk == b"fmt ":
            body = fh.read(16)
            block = int.from_bytes(body[12:14], "little") if len(body) == 16 else None  # bytes per frame
        elif chunk == b"data":
            if not block or size in _UNKNOWN_RIFF_SIZES or size >= _RIFF_SIZE_PLACEHOLDER:
                return None
            return size // block
    return None


def _aiff_declared_frames(fh) -> int | None:
    """``numSampleFrames`` of an AIFF/AIFC ``COMM`` chunk (None: no such chunk)."""
    for chunk, _size in _chunks(fh, "big"):
        if chunk == b"COMM":
            body = fh.read(6)
            return int.from_bytes(body[2:6], "big") if len(body) == 6 else None
    return None


def _declared_frames(p: Path) -> int | None:
    """Frames an uncompressed WAV or AIFF header declares; None for other formats or when it does not say."""
    with open(p, "rb") as fh:
        head = fh.read(12)
        if head[:4] == b"RIFF" and head[8:12] == b"WAVE":
            return _riff_declared_frames(fh)
        if head[:4] == b"FORM" and head[8:12] in (b"AIFF", b"AIFC"):
            return _aiff_declared_frames(fh)
    return None


def _refuse_truncated(p: Path, info: AudioInfo, held: int) -> None:
    """A file that holds fewer frames than its header declares was cut short (an interrupted copy or
    download): refuse it rather than silently use part of it."""
    declared = _declared_frames(p) if info.backend == "soundfile" else None
    if declared is None or held >= declared:
        return
    raise AudioInputError(
        f"'{p}' is truncated: its header declares {declared / info.sample_rate:.2f} s ({declared} samples) but "
        f"the file holds only {held / info.sample_rate:.2f} s; copy or download it again"
    )


def _refuse_short_decode(info: AudioInfo, decoded: int, name: str) -> None:
    """Compressed files (MP3, ...) cut short still open, and their header states the full length: compare.
    The tolerance covers encoder delay and padding, which make the decoded length differ slightly."""
    if info.backend != "soundfile" or not info.frames:
        return
    tolerance = max(0.02 * info.frames, 0.05 * info.sample_rate)
    if info.frames - decoded > tolerance:
        raise AudioInputError(
            f"{name} is truncated: its header declares {info.frames / info.sample_rate:.2f} s but only "
            f"{decoded / info.sample_rate:.2f} s decode; copy or download it again"
        )


def _av_open(p: Path):
    import av  # imported lazily: only needed for containers libsndfile cannot read

    return av.open(str(p), mode="r", metadata_errors="ignore")


def _av_audio_stream(container, p: Path):
    streams = list(container.streams.audio)
    if not streams:
        kinds = sorted({s.type for s in container.streams}) or ["none"]
        raise AudioInputError(
            f"'{p}' has no audio track (container {container.format.name!r}, streams: {', '.join(kinds)})"
        )
    return streams[0]


def _av_info(container, stream, p: Path) -> AudioInfo:
    ctx = stream.codec_context
    sr = int(stream.rate or ctx.sample_rate or 0)
    channels = int(ctx.channels or (stream.layout.nchannels if stream.layout else 0) or 0)
    duration: float | None = None
    frames: int | None = None
    if stream.duration is not None and stream.time_base is not None and stream.duration > 0:
        duration = float(stream.duration * stream.time_base)
    elif container.duration is not None and container.duration > 0:
        duration = container.duration / 1_000_000  # AV_TIME_BASE
    if duration is not None and sr > 0:
        frames = int(round(duration * sr))
    return AudioInfo(
        path=p,
        sample_rate=sr,
        channels=channels,
        frames=frames,
        duration=duration,
        backend="pyav",
        format=f"{container.format.name}/{ctx.name}",
    )


def _probe(p: Path) -> AudioInfo:
    """Read the header with soundfile, else with PyAV. Raises AudioInputError for unreadable files and for
    WAV/AIFF files cut short (libsndfile reports the frames a file holds, not those its header declares)."""
    try:
        info = _probe_soundfile(p)
    except Exception as exc:  # libsndfile raises several types; fall back to FFmpeg
        sf_error = exc
    else:
        _refuse_truncated(p, info, info.frames or 0)
        return info
    try:
        with _av_open(p) as container:
            stream = _av_audio_stream(container, p)
            return _av_info(container, stream, p)
    except AudioInputError:
        raise
    except Exception as exc:  # every FFmpeg error becomes one clear message
        raise AudioInputError(
            f"cannot read '{p}': not a supported audio file, or it is corrupt or truncated "
            f"(soundfile: {_short(sf_error)}; ffmpeg: {_short(exc)})"
        ) from None


def _check_sample_rate(sr: int, what: str) -> None:
    if not (MIN_SAMPLE_RATE <= sr <= MAX_SAMPLE_RATE):
        raise AudioInputError(
            f"{what} has sample rate {sr} Hz, outside the supported {MIN_SAMPLE_RATE}..{MAX_SAMPLE_RATE} Hz"
        )


def _check_target_rate(sample_rate: Any, what: str) -> int | None:
    if sample_rate is None:
        return None
    if isinstance(sample_rate, bool) or not isinstance(sample_rate, (int, np.integer, float)):
        raise AudioInputError(f"{what}: sample rate must be an integer, got {sample_rate!r}")
    if float(sample_rate) != int(sample_rate):
        raise AudioInputError(f"{what}: sample rate must be a whole number of Hz, got {sample_rate!r}")
    sr = int(sample_rate)
    if not (MIN_SAMPLE_RATE <= sr <= MAX_SAMPLE_RATE):
        raise AudioInputError(
            f"{what}: requested sample rate {sr} Hz is outside {MIN_SAMPLE_RATE}..{MAX_SAMPLE_RATE} Hz"
        )
    return sr


def _check_channels_arg(channels: Any, what: str) -> int | None:
    if channels is None:
        return None
    if isinstance(channels, bool) or not isinstance(channels, (int, np.integer)) or channels < 1:
        raise AudioInputError(f"{what}: channels must be a positive integer, got {channels!r}")
    return int(channels)


def _check_duration(
    duration: float | None, max_seconds: float | None, what: str, min_seconds: float | None = None
) -> None:
    if duration is None:
        return
    if max_seconds is not None and duration > max_seconds:
        raise AudioInputError(f"{what} is {duration:.1f} s long, longer than the {max_seconds:g} s limit; trim it")
    if min_seconds is not None and duration < min_seconds:
        raise AudioInputError(
            f"{what} is {duration:.3g} s long, shorter than the {min_seconds:g} s minimum"
        )


def _check_limits(min_seconds: float | None, max_seconds: float | None, what: str) -> None:
    if max_seconds is not None and not max_seconds > 0:
        raise AudioInputError(f"{what}: max_seconds must be positive or None, got {max_seconds!r}")
    if min_seconds is not None and not (min_seconds >= 0 and (max_seconds is None or min_seconds <= max_seconds)):
        raise AudioInputError(f"{what}: min_seconds must be between 0 and max_seconds, got {min_seconds!r}")


def audio_info(path: str | os.PathLike) -> AudioInfo:
    """Header information of an audio file (nothing is decoded)."""
    p = _check_path(path)
    info = _probe(p)
    if info.sample_rate <= 0 or info.channels <= 0:
        raise AudioInputError(
            f"'{p}' has an invalid header ({info.channels} channels at {info.sample_rate} Hz)"
        )
    return info


def check_audio_file(
    path: str | os.PathLike, min_seconds: float | None = None, max_seconds: float | None = None
) -> AudioInfo:
    """Everything about a file that its header can tell, checked without decoding: it exists, is readable and
    whole (not cut short), has channels, a supported rate, samples, and a duration within the limits.
    Callers run this before loading a model, so a bad file costs milliseconds."""
    _check_limits(min_seconds, max_seconds, "check_audio_file")
    p = _check_path(path)
    name = f"audio file '{p}'"
    info = _probe(p)
    if info.channels <= 0:
        raise AudioInputError(f"{name} has no audio channels in its header")
    _check_sample_rate(info.sample_rate, name)
    if info.frames == 0:
        raise AudioInputError(f"{name} contains no audio (0 samples)")
    _check_duration(info.duration, max_seconds, name, min_seconds)
    return info


def duration_seconds(path: str | os.PathLike) -> float:
    """Duration in seconds, read from the file's header without decoding the audio."""
    info = audio_info(path)
    if info.duration is None:
        raise AudioInputError(f"'{info.path}' does not state its duration in its header")
    return float(info.duration)


# --------------------------------------------------------------------------------------------------
# Decoding
# --------------------------------------------------------------------------------------------------


def _decode_soundfile(p: Path, max_frames: int | None) -> tuple[np.ndarray, int]:
    """Decode with libsndfile to float32 [C, T]; integer PCM is scaled to [-1, 1) by libsndfile."""
    with sf.SoundFile(str(p)) as f:
        sr = int(f.samplerate)
        frames = -1 if max_frames is None else max_frames + 1
        data = f.read(frames=frames, dtype="float32", always_2d=True)
    return np.ascontiguousarray(data.T), sr


def _decode_pyav(p: Path, max_seconds: float | None) -> tuple[np.ndarray, int]:
    """Decode the first audio track with FFmpeg to float32 [C, T], stopping past max_seconds."""
    import av

    with _av_open(p) as container:
        stream = _av_audio_stream(container, p)
        info = _av_info(container, stream, p)
        sr = info.sample_rate
        if sr <= 0:
            raise AudioInputError(f"'{p}' does not state a sample rate")
        resampler = None
        chunks: list[np.ndarray] = []
        total = 0
        limit = None if max_seconds is None else int(math.ceil(max_seconds * sr)) + 1

        def take(frame) -> None:
            nonlocal total
            arr = frame.to_ndarray()  # fltp -> [C, n]
            if arr.ndim == 1:
                arr = arr[None, :]
            chunks.append(np.asarray(arr, dtype=np.float32))
            total += arr.shape[1]

        for frame in container.decode(stream):
            if resampler is None:
                # Convert every sample format (s16, s32p, dbl, ...) to planar float at the stream rate.
                resampler = av.AudioResampler(format="fltp", layout=frame.layout, rate=sr)
            for out in resampler.resample(frame):
                take(out)
            if limit is not None and total > limit:
                raise AudioInputError(f"'{p}' is longer than the {max_seconds:g} s limit; trim it")
        if resampler is not None:
            for out in resampler.resample(None):
                take(out)
    if not chunks:
        return np.zeros((max(info.channels, 1), 0), dtype=np.float32), sr
    channels = {c.shape[0] for c in chunks}
    if len(channels) != 1:
        raise AudioInputError(
            f"'{p}' changes its channel count mid-stream ({sorted(channels)}); re-encode it"
        )
    data = np.concatenate(chunks, axis=1)
    # AAC and other codecs pad the last frame; the container states the true length.
    if info.frames is not None and 0 < info.frames < data.shape[1]:
        data = data[:, : info.frames]
    return np.ascontiguousarray(data), sr


def load_audio(
    path: str | os.PathLike,
    sample_rate: int | None = None,
    channels: int | None = None,
    max_seconds: float | None = 600.0,
    allow_silent: bool = True,
    min_seconds: float | None = None,
) -> tuple[torch.Tensor, int]:
    """Load an audio file as float32 ``[channels, samples]`` in ``[-1, 1]`` and its sample rate.

    ``sample_rate``: resample (soxr, high quality) to this rate; None keeps the file's rate.
    ``channels``: 1 averages to mono, 2 duplicates mono / keeps stereo / downmixes surround; None keeps
    the file's channels. ``max_seconds``: refuse longer files (checked from the header before decoding);
    None means no limit. ``min_seconds``: refuse shorter files. ``allow_silent=False`` refuses files whose
    peak is below -80 dBFS. A file that decodes to less than its header declares is refused as truncated.
    """
    target_sr = _check_target_rate(sample_rate, "load_audio")
    target_ch = _check_channels_arg(channels, "load_audio")
    _check_limits(min_seconds, max_seconds, "load_audio")
    info = check_audio_file(path, min_seconds, max_seconds)
    p = info.path
    name = f"audio file '{p}'"
    if target_ch is not None and target_ch > 2 and target_ch != info.channels:
        raise AudioInputError(
            f"{name} has {info.channels} channels; cannot convert to {target_ch} (only to 1 or 2)"
        )

    max_frames = None if max_seconds is None else int(math.floor(max_seconds * info.sample_rate))
    data: np.ndarray | None = None
    sr = info.sample_rate
    try:
        if info.backend == "soundfile":
            try:
                data, sr = _decode_soundfile(p, max_frames)
            except AudioInputError:
                raise
            except MemoryError:
                raise
            except Exception as exc:  # header read but data did not: let FFmpeg try
                try:
                    data, sr = _decode_pyav(p, max_seconds)
                except AudioInputError:
                    raise
                except Exception:
                    raise AudioInputError(
                        f"cannot decode {name}: it is corrupt or truncated ({_short(exc)})"
                    ) from None
        else:
            data, sr = _decode_pyav(p, max_seconds)
    except AudioInputError:
        raise
    except MemoryError:
        raise AudioInputError(f"{name} is too large to load into memory") from None
    except Exception as exc:
        raise AudioInputError(f"cannot decode {name}: it is corrupt or truncated ({_short(exc)})") from None

    if max_frames is not None and data.shape[1] > max_frames:
        _check_duration(data.shape[1] / sr, max_seconds, name)
    _refuse_short_decode(info, data.shape[1], name)
    _check_duration(data.shape[1] / sr, None, name, min_seconds)
    out = _finish(data, sr, target_sr, target_ch, allow_silent, name, clip_warn=True)
    return out, (target_sr or sr)


# --------------------------------------------------------------------------------------------------
# In-memory arrays
# --------------------------------------------------------------------------------------------------


def _refuse_ambiguous_integers(arr: np.ndarray, what: str) -> None:
    """Integer PCM is scaled by its dtype's full scale (int16 by 2**15, int32 by 2**31). A 32- or 64-bit array
    whose values all fit in 16 bits is almost always 16-bit audio that was widened on the way (``np.array`` of
    Python ints, ``torch.tensor(list)``); scaling it by 2**31 or 2**63 would make it silence. Refuse it and
    say how to state what it is, rather than guess."""
    if arr.dtype.itemsize < 4 or arr.size == 0:
        return
    low, high = int(arr.min()), int(arr.max())
    fits = high < 2**16 if arr.dtype.kind == "u" else low >= -(2**15) and high < 2**15
    if fits:
        raise AudioInputError(
            f"{what} is {arr.dtype} but every value fits in 16 bits (range {low}..{high}): its scale is "
            f"ambiguous; pass 16-bit samples as int16 (e.g. .astype(np.int16)) or floats in [-1, 1]"
        )


def _to_float_numpy(audio: Any, what: str) -> np.ndarray:
    """Copy any array-like to a float32 numpy array, scaling integer PCM to [-1, 1]."""
    if _is_tensor(audio):
        import torch

        t = audio.detach()
        if t.is_complex():
            raise AudioInputError(f"{what} is complex-valued; give real samples")
        if t.dtype == torch.bool:
            raise AudioInputError(f"{what} is a boolean tensor, not audio samples")
        if t.is_floating_point() and t.dtype != torch.float64:
            t = t.to(torch.float32)
        arr = t.cpu().numpy().copy()
    else:
        try:
            arr = np.array(audio, copy=True)
        except Exception as exc:
            raise AudioInputError(f"{what} cannot be read as an array: {_short(exc)}") from None
    kind = arr.dtype.kind
    if kind == "f":
        return arr.astype(np.float32, copy=False)
    if kind in "iu":
        _refuse_ambiguous_integers(arr, what)
    if kind == "i":
        bits = arr.dtype.itemsize * 8
        return (arr.astype(np.float64) / float(2 ** (bits - 1))).astype(np.float32)
    if kind == "u":
        bits = arr.dtype.itemsize * 8
        mid = float(2 ** (bits - 1))
        return ((arr.astype(np.float64) - mid) / mid).astype(np.float32)
    if kind == "c":
        raise AudioInputError(f"{what} is complex-valued; give real samples")
    if kind == "b":
        raise AudioInputError(f"{what} is a boolean array, not audio samples")
    raise AudioInputError(f"{what} has dtype {arr.dtype}, not numeric audio samples")


def _as_channels_first(arr: np.ndarray, what: str, channels_first: bool | None = None) -> np.ndarray:
    """[T] -> [1, T]; [C, T] kept; [T, C] transposed when obviously channels-last."""
    if arr.ndim == 0:
        raise AudioInputError(f"{what} is a scalar, not audio")
    if arr.ndim == 1:
        return arr[None, :]
    if arr.ndim > 2:
        raise AudioInputError(
            f"{what} has shape {tuple(arr.shape)}; expected [samples] or [channels, samples] "
            f"(remove the batch dimension first)"
        )
    rows, cols = arr.shape
    if channels_first is True:
        return arr
    if channels_first is False:
        return np.ascontiguousarray(arr.T)
    if rows <= MAX_GUESS_CHANNELS and rows <= cols:
        return arr
    if cols <= MAX_GUESS_CHANNELS and cols < rows:
        return np.ascontiguousarray(arr.T)
    raise AudioInputError(
        f"{what} has shape {tuple(arr.shape)}: cannot tell channels from samples "
        f"(expected [channels, samples] with at most {MAX_GUESS_CHANNELS} channels)"
    )


def _check_finite(data: np.ndarray, what: str) -> None:
    if not np.isfinite(data).all():
        n_nan = int(np.isnan(data).sum())
        n_inf = int(np.isinf(data).sum())
        raise AudioInputError(f"{what} contains invalid samples ({n_nan} NaN, {n_inf} Inf)")


# Downmix matrices (rows: L, R) for common WAV/FFmpeg channel orders; LFE is dropped (-3 dB ~ 0.7071).
_C = math.sqrt(0.5)
_STEREO_DOWNMIX = {
    3: [[1, 0, _C], [0, 1, _C]],  # L R C
    4: [[1, 0, _C, 0], [0, 1, 0, _C]],  # L R Ls Rs (quad)
    5: [[1, 0, _C, _C, 0], [0, 1, _C, 0, _C]],  # L R C Ls Rs (5.0)
    6: [[1, 0, _C, 0, _C, 0], [0, 1, _C, 0, 0, _C]],  # L R C LFE Ls Rs (5.1)
    8: [[1, 0, _C, 0, _C, 0, _C, 0], [0, 1, _C, 0, 0, _C, 0, _C]],  # L R C LFE Lb Rb Ls Rs (7.1)
}


def to_stereo(data: np.ndarray) -> np.ndarray:
    """[C, T] -> [2, T]: duplicate mono, keep stereo, downmix surround (ITU-style, LFE dropped)."""
    c = data.shape[0]
    if c == 1:
        return np.repeat(data, 2, axis=0)
    if c == 2:
        return data.copy()
    matrix = _STEREO_DOWNMIX.get(c)
    if matrix is None:  # unknown layout: equal mix of everything in both sides
        mono = data.mean(axis=0, keepdims=True)
        return np.repeat(mono, 2, axis=0)
    m = np.asarray(matrix, dtype=np.float32)
    m /= m.sum(axis=1, keepdims=True)  # keep a full-scale signal in range
    return (m @ data).astype(np.float32)


def to_mono(data: np.ndarray) -> np.ndarray:
    """[C, T] -> [1, T]: average of the (stereo-downmixed) channels."""
    c = data.shape[0]
    if c == 1:
        return data.copy()
    if c in _STEREO_DOWNMIX:
        data = to_stereo(data)
    return data.mean(axis=0, keepdims=True).astype(np.float32)


def convert_channels(data: np.ndarray, channels: int | None, what: str = "audio") -> np.ndarray:
    """Convert [C, T] to ``channels`` channels (None or equal: unchanged copy)."""
    if channels is None or channels == data.shape[0]:
        return data.copy()
    if channels == 1:
        return to_mono(data)
    if channels == 2:
        return to_stereo(data)
    raise AudioInputError(
        f"{what} has {data.shape[0]} channels; cannot convert to {channels} (only to 1 or 2)"
    )


def resample(data: np.ndarray, sr_in: int, sr_out: int) -> np.ndarray:
    """Resample float32 [C, T] with soxr (high quality). Output length is round(T * sr_out / sr_in)."""
    if sr_in == sr_out or data.shape[1] == 0:
        return data.copy()
    import soxr

    out = soxr.resample(np.ascontiguousarray(data.T), sr_in, sr_out, quality="HQ")
    if out.ndim == 1:
        out = out[:, None]
    return np.ascontiguousarray(out.T, dtype=np.float32)


def _clip(data: np.ndarray, what: str, warn: bool, stacklevel: int = 3) -> np.ndarray:
    over = np.abs(data) > 1.0
    n = int(over.sum())
    if n:
        if warn:
            warnings.warn(
                f"{what}: clipped {n} sample(s) outside [-1, 1] (peak {float(np.abs(data).max()):.3f})",
                AudioClippingWarning,
                stacklevel=stacklevel,
            )
        np.clip(data, -1.0, 1.0, out=data)
    return data


def _finish(
    data: np.ndarray,
    sr: int,
    target_sr: int | None,
    target_ch: int | None,
    allow_silent: bool,
    what: str,
    clip_warn: bool,
) -> torch.Tensor:
    """Shared validation + conversion for decoded files and in-memory arrays ([C, T] float32)."""
    if data.ndim != 2 or data.shape[0] == 0:
        raise AudioInputError(f"{what} has no audio channels")
    if data.shape[1] == 0:
        raise AudioInputError(f"{what} contains no audio (0 samples)")
    _check_finite(data, what)
    if not allow_silent:
        peak = float(np.abs(data).max())
        if peak <= SILENCE_PEAK:
            level = "-inf" if peak == 0 else f"{20 * math.log10(peak):.1f}"
            raise AudioInputError(f"{what} is silent (peak {level} dBFS)")
    # stacklevel: _clip <- _finish <- load_audio/prepare_audio <- the caller
    data = _clip(data.astype(np.float32, copy=False), what, clip_warn, stacklevel=4)
    data = convert_channels(data, target_ch, what)
    if target_sr is not None and target_sr != sr:
        data = resample(data, sr, target_sr)
        np.clip(data, -1.0, 1.0, out=data)  # resampling can overshoot a full-scale input slightly
    import torch

    return torch.from_numpy(np.ascontiguousarray(data, dtype=np.float32))


def prepare_audio(
    audio: np.ndarray | torch.Tensor,
    sample_rate_in: int,
    sample_rate_out: int | None = None,
    channels: int | None = None,
    max_seconds: float | None = 600.0,
    allow_silent: bool = True,
    channels_first: bool | None = None,
    name: str = "audio array",
    min_seconds: float | None = None,
) -> tuple[torch.Tensor, int]:
    """Validate and convert an in-memory array exactly like :func:`load_audio` does a file.

    Accepts numpy arrays or torch tensors shaped ``[T]``, ``[C, T]`` or ``[T, C]`` (recognised when
    obviously channels-last, or forced with ``channels_first``). Integer PCM is scaled to [-1, 1] by its
    dtype's full scale; 32- and 64-bit integer arrays whose values all fit in 16 bits are refused as
    ambiguous (see :func:`_to_float_numpy`). Returns a new float32 ``[channels, samples]`` tensor on CPU
    and its sample rate; the input is never modified.
    """
    if isinstance(sample_rate_in, bool) or not isinstance(sample_rate_in, (int, np.integer, float)):
        raise AudioInputError(f"{name}: sample_rate_in must be an integer, got {sample_rate_in!r}")
    sr_in = int(sample_rate_in)
    _check_sample_rate(sr_in, name)
    target_sr = _check_target_rate(sample_rate_out, name)
    target_ch = _check_channels_arg(channels, name)
    _check_limits(min_seconds, max_seconds, name)
    arr = _to_float_numpy(audio, name)
    if arr.size == 0:
        raise AudioInputError(f"{name} is empty (shape {tuple(arr.shape)})")
    data = _as_channels_first(arr, name, channels_first)
    _check_duration(data.shape[1] / sr_in, max_seconds, name, min_seconds)
    out = _finish(data, sr_in, target_sr, target_ch, allow_silent, name, clip_warn=True)
    return out, (target_sr or sr_in)


# --------------------------------------------------------------------------------------------------
# Saving
# --------------------------------------------------------------------------------------------------


def _check_encoder_limits(fmt: str, subtype: str, sr: int, channels: int, p: Path) -> None:
    """Refuse what the encoders cannot do (libvorbis crashes the process above 200 kHz)."""
    if fmt == "OGG" and subtype == "VORBIS" and sr > _VORBIS_MAX_RATE:
        raise AudioInputError(
            f"save_audio: Ogg Vorbis supports at most {_VORBIS_MAX_RATE} Hz, got {sr} Hz for '{p}'; "
            f"save as .flac or .wav, or resample"
        )
    if fmt == "OGG" and subtype == "OPUS" and sr not in _OPUS_RATES:
        raise AudioInputError(
            f"save_audio: Opus supports only {sorted(_OPUS_RATES)} Hz, got {sr} Hz for '{p}'"
        )
    if fmt == "FLAC" and channels > 8:
        raise AudioInputError(f"save_audio: FLAC holds at most 8 channels, got {channels} for '{p}'")


def save_audio(
    path: str | os.PathLike,
    audio: np.ndarray | torch.Tensor,
    sample_rate: int,
    format: str | None = None,
    subtype: str | None = None,
) -> Path:
    """Write audio atomically (temp file in the same directory, then ``os.replace``).

    The format comes from ``format`` or the suffix (.wav, .flac, .ogg); default subtypes are 16-bit PCM
    for WAV/FLAC and Vorbis for OGG. NaN/Inf are refused; samples outside [-1, 1] are clipped with an
    :class:`AudioClippingWarning` giving the count. Parent directories are created. An interrupted or
    failed write leaves any existing file untouched and no temp file behind. Returns the path written.
    """
    if not isinstance(path, (str, os.PathLike)) or str(path) == "":
        raise AudioInputError(f"save_audio: expected a file path, got {path!r}")
    p = Path(path).expanduser()
    what = f"audio for '{p}'"
    if isinstance(sample_rate, bool) or not isinstance(sample_rate, (int, np.integer, float)):
        raise AudioInputError(f"save_audio: sample rate must be an integer, got {sample_rate!r}")
    sr = int(sample_rate)
    _check_sample_rate(sr, what)
    suffix = p.suffix.lower()
    if format is None:
        if suffix not in _SAVE_FORMATS:
            raise AudioInputError(
                f"save_audio: cannot tell the format of '{p}' from its suffix; use one of "
                f"{', '.join(sorted(_SAVE_FORMATS))} or pass format="
            )
        fmt, default_subtype = _SAVE_FORMATS[suffix]
    else:
        fmt = str(format).upper()
        if fmt not in _DEFAULT_SUBTYPES:
            raise AudioInputError(
                f"save_audio: format {format!r} is not supported; use one of {', '.join(_DEFAULT_SUBTYPES)}"
            )
        default_subtype = _DEFAULT_SUBTYPES[fmt]
    st = str(subtype).upper() if subtype else default_subtype
    if not sf.check_format(fmt, st):
        raise AudioInputError(f"save_audio: format {fmt} cannot hold subtype {st}")

    arr = _to_float_numpy(audio, what)
    if arr.size == 0:
        raise AudioInputError(f"{what} is empty (shape {tuple(arr.shape)})")
    data = _as_channels_first(arr, what)
    _check_finite(data, what)
    _check_encoder_limits(fmt, st, sr, data.shape[0], p)
    data = _clip(data, what, warn=True)

    if p.is_dir():
        raise OutputError(f"save_audio: '{p}' is a directory")
    # Encode in memory first: libsndfile reports a failing file write only through callbacks that print
    # tracebacks and go on, so the file itself is written with plain OS calls whose errors we catch.
    encoded = io.BytesIO()
    try:
        sf.write(encoded, np.ascontiguousarray(data.T), sr, format=fmt, subtype=st)
    except (OSError, sf.SoundFileError, RuntimeError, ValueError, TypeError) as exc:
        raise AudioInputError(f"save_audio: cannot encode audio for '{p}' as {fmt}/{st}: {_short(exc)}") from None
    try:
        write_bytes_atomic(p, encoded.getvalue())
    except OSError as exc:
        raise OutputError(f"cannot write '{p}': {exc.strerror or _short(exc)}; nothing was written") from None
    return p


# --------------------------------------------------------------------------------------------------
# Levels
# --------------------------------------------------------------------------------------------------


def _like(original: Any, data: np.ndarray) -> Any:
    """Return ``data`` as the same kind of object (tensor/array, dtype, device) as ``original``."""
    if _is_tensor(original):
        import torch

        dtype = original.dtype if original.is_floating_point() else torch.float32
        return torch.from_numpy(data).to(device=original.device, dtype=dtype)
    return data


def _level_input(audio: Any, what: str) -> tuple[np.ndarray, np.ndarray]:
    """(float copy in the original shape, [C, T] view of it)."""
    arr = _to_float_numpy(audio, what)
    if arr.size == 0:
        raise AudioInputError(f"{what} is empty")
    ct = _as_channels_first(arr, what)
    _check_finite(ct, what)
    return arr, ct


def peak_normalize(audio: np.ndarray | torch.Tensor, peak: float = 0.99) -> np.ndarray | torch.Tensor:
    """Scale so the largest absolute sample equals ``peak``. Silence is returned unchanged (a copy)."""
    if not (isinstance(peak, (int, float)) and 0 < peak <= 1e6):
        raise AudioInputError(f"peak_normalize: peak must be positive, got {peak!r}")
    arr, _ = _level_input(audio, "peak_normalize input")
    current = float(np.abs(arr).max())
    if current > 0:
        arr = (arr * (peak / current)).astype(np.float32)
    return _like(audio, arr)


def _meter_input(ct: np.ndarray, sr: int) -> np.ndarray:
    """[C, T] -> [T, C] float64 long enough for a 400 ms gating block, at most 5 channels."""
    if ct.shape[0] > 5:  # pyloudnorm weights only 5 channels
        ct = to_stereo(ct)
    block = int(math.ceil(_BLOCK_SECONDS * sr)) + 1
    n = ct.shape[1]
    if n < block:
        # Repeat short clips to fill one block: same mean square, so the same loudness.
        ct = np.tile(ct, (1, int(math.ceil(block / n))))
    return np.ascontiguousarray(ct.T, dtype=np.float64)


def loudness_lufs(audio: np.ndarray | torch.Tensor, sample_rate: int) -> float:
    """Integrated loudness (ITU-R BS.1770, pyloudnorm) in LUFS; ``-inf`` for silence.

    Clips shorter than the 400 ms gating block are measured by repeating them to one block.
    """
    import pyloudnorm

    sr = int(sample_rate)
    _check_sample_rate(sr, "loudness_lufs input")
    _, ct = _level_input(audio, "loudness_lufs input")
    if float(np.abs(ct).max()) == 0.0:
        return float("-inf")
    meter = pyloudnorm.Meter(sr)
    with warnings.catch_warnings(), np.errstate(all="ignore"):
        warnings.simplefilter("ignore")
        try:
            value = float(meter.integrated_loudness(_meter_input(ct, sr)))
        except Exception as exc:
            raise AudioInputError(f"loudness_lufs: cannot measure loudness: {_short(exc)}") from None
    if math.isnan(value):
        return float("-inf")
    return value


def normalize_loudness(
    audio: np.ndarray | torch.Tensor,
    sample_rate: int,
    target_lufs: float = -23.0,
    max_peak: float | None = None,
) -> np.ndarray | torch.Tensor:
    """Apply the gain that brings integrated loudness to ``target_lufs``.

    Silence (or audio below the -70 LUFS absolute gate) is returned unchanged. ``max_peak``, when set,
    lowers the gain so no sample exceeds it (the result may then be quieter than the target).
    Returns a new array/tensor of the input's kind and shape.
    """
    if not isinstance(target_lufs, (int, float)) or not math.isfinite(target_lufs):
        raise AudioInputError(f"normalize_loudness: target_lufs must be a finite number, got {target_lufs!r}")
    arr, _ = _level_input(audio, "normalize_loudness input")
    current = loudness_lufs(arr, sample_rate)
    if not math.isfinite(current):
        return _like(audio, arr)
    gain = 10.0 ** ((float(target_lufs) - current) / 20.0)
    if max_peak is not None:
        peak = float(np.abs(arr).max())
        if peak * gain > max_peak:
            gain = max_peak / peak
    return _like(audio, (arr * gain).astype(np.float32))
