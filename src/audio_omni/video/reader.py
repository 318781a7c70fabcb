"""Reading video files with PyAV (FFmpeg): probe the header, then pick and resize frames in one decoding pass.

What frames a model sees is a `FrameRecipe`: a rate, a window length, a selection rule, a resize rule and
whether short videos are padded. Several recipes are served by one pass over the file (the sync encoder's
25 fps frames and the MLLM's 5 fps frames), and decoding stops as soon as every recipe has its window, so a
ten-minute or 4K video costs only its first seconds. Every problem surfaces as `VideoInputError` naming the file.

Selection rules (both reproduce a reference pipeline exactly; see the Synchformer fixture's README):

* ``"index"`` (Audio-Omni's `_read_video`): step = ceil(average fps / rate) source frames, frames
  0, step, 2*step, ... below min(rate * seconds * step, frame count). No timestamps: a 30 fps source read at
  25 fps advances at 15 fps, and a variable frame rate is treated as its average.
* ``"timestamp"`` (MMAudio's `load_video`): a slot time starts at 0 and grows by 1/rate through repeated
  double-precision addition; each decoded frame fills every slot whose time it has reached. A frame can fill
  several slots (sources slower than the rate, a first frame after 0) or none. Frames after `seconds` are ignored.

Padding (``pad=True``) repeats the last frame up to rate * seconds slots, which is how Audio-Omni always gets
exactly 250 sync frames (240 tokens) and 50 MLLM frames for its 10 s window.
"""

from __future__ import annotations

import math
import os
import stat
from collections.abc import Sequence
from dataclasses import dataclass, field
from fractions import Fraction
from pathlib import Path
from typing import Literal

import torch

from audio_omni.errors import VideoInputError
from audio_omni.video.resize import short_side_crop_resize, squash_resize

#: Frames larger than this many pixels (8K UHD) are refused before decoding: one RGB copy is ~100 MB.
MAX_PIXELS = 7680 * 4320


@dataclass(frozen=True)
class FrameRecipe:
    """Which frames of a video a model sees, and how each is turned into a square uint8 image."""

    rate: float  # frames per second
    seconds: float  # window read from the start of the video
    selection: Literal["index", "timestamp"]
    resize: Literal["squash", "crop"]  # see audio_omni.video.resize
    size: int = 224
    pad: bool = True  # repeat the last frame up to rate * seconds slots
    # MMAudio also decodes 8 fps CLIP frames and keeps only the duration both streams cover; None: no such limit.
    companion_rate: float | None = None

    @property
    def slots(self) -> int:
        return int(self.rate * self.seconds)


@dataclass(frozen=True)
class VideoInfo:
    """What a file's header says about its first video stream (None: not stated)."""

    path: Path
    container: str
    codec: str
    width: int
    height: int
    average_rate: Fraction | None
    frames: int | None
    duration: float | None
    has_audio: bool


@dataclass
class SampledFrames:
    """The frames one recipe picked: distinct images once each, and which image fills each slot."""

    recipe: FrameRecipe
    frames: torch.Tensor  # uint8 [N, 3, size, size], distinct decoded frames in order
    source_index: torch.Tensor  # int64 [N], the decoded frame index of each
    rows: torch.Tensor  # int64 [slots], the row of `frames` shown in each slot (repeats and padding included)
    frames_decoded: int  # how many frames the pass decoded before every recipe had its window

    def slot_frames(self) -> torch.Tensor:
        """uint8 [slots, 3, size, size]."""
        return self.frames[self.rows]


@dataclass
class _Picker:
    """Online frame selection for one recipe: fed every decoded frame time, says how many slots it fills."""

    recipe: FrameRecipe
    average_rate: Fraction | None
    images: list[torch.Tensor] = field(default_factory=list)
    sources: list[int] = field(default_factory=list)
    rows: list[int] = field(default_factory=list)
    slot_time: float = 0.0
    companion_time: float = 0.0
    companion_slots: int = 0
    done: bool = False

    def __post_init__(self):
        if self.recipe.selection == "index":
            if not self.average_rate:
                raise ValueError("the index rule needs the stream's average frame rate")
            self.step = math.ceil(self.average_rate / Fraction(self.recipe.rate))
            self.end_index = self.recipe.slots * self.step

    def slots_for(self, index: int, time: float) -> int:
        recipe = self.recipe
        if recipe.selection == "index":
            if index >= self.end_index:
                self.done = True
                return 0
            return 1 if index % self.step == 0 else 0
        if time < 0:
            return 0
        if time > recipe.seconds:
            self.done = True
            return 0
        count = 0
        while time >= self.slot_time:
            count += 1
            self.slot_time += 1.0 / recipe.rate
        if recipe.companion_rate:
            while time >= self.companion_time:
                self.companion_slots += 1
                self.companion_time += 1.0 / recipe.companion_rate
        return count

    def take(self, index: int, image: torch.Tensor, count: int) -> None:
        self.rows.extend([len(self.images)] * count)
        self.images.append(image)
        self.sources.append(index)

    def result(self, frames_decoded: int) -> SampledFrames:
        recipe, rows = self.recipe, self.rows
        if recipe.selection == "timestamp":
            # MMAudio's duration: what the requested window, the sync slots and the companion slots all cover.
            seconds = min(recipe.seconds, len(rows) / recipe.rate)
            if recipe.companion_rate:
                seconds = min(seconds, self.companion_slots / recipe.companion_rate)
            rows = rows[: int(recipe.rate * seconds)]
        rows = rows[: recipe.slots]
        if recipe.pad and rows:
            rows = rows + [rows[-1]] * (recipe.slots - len(rows))
        used = sorted(set(rows))
        renumber = {old: new for new, old in enumerate(used)}
        return SampledFrames(
            recipe=recipe,
            frames=torch.stack([self.images[i] for i in used]),
            source_index=torch.tensor([self.sources[i] for i in used], dtype=torch.long),
            rows=torch.tensor([renumber[r] for r in rows], dtype=torch.long),
            frames_decoded=frames_decoded,
        )


def _check_file(path: str | os.PathLike) -> Path:
    p = Path(path).expanduser()
    try:
        st = p.stat()
    except FileNotFoundError:
        raise VideoInputError(f"video file not found: '{p}'") from None
    except OSError as exc:
        raise VideoInputError(f"cannot access video file '{p}': {exc.strerror or exc}") from None
    if not stat.S_ISREG(st.st_mode):
        raise VideoInputError(f"'{p}' is not a regular file; give a video file")
    if st.st_size == 0:
        raise VideoInputError(f"video file '{p}' is empty (0 bytes)")
    return p


def _open(p: Path):
    import av

    try:
        return av.open(str(p), mode="r", metadata_errors="ignore")
    except av.FFmpegError as exc:
        raise VideoInputError(f"cannot read '{p}': not a video file FFmpeg can read, or corrupt ({exc})") from None


def _video_stream(container, p: Path):
    if not container.streams.video:
        kinds = sorted({s.type for s in container.streams}) or ["none"]
        raise VideoInputError(f"'{p}' has no video stream (streams: {', '.join(kinds)})")
    return container.streams.video[0]


def _info(container, stream, p: Path) -> VideoInfo:
    ctx = stream.codec_context
    rate = stream.average_rate or stream.guessed_rate
    duration = None
    if stream.duration and stream.time_base:
        duration = float(stream.duration * stream.time_base)
    elif container.duration and container.duration > 0:
        duration = container.duration / 1_000_000  # AV_TIME_BASE
    return VideoInfo(
        path=p,
        container=container.format.name,
        codec=ctx.name,
        width=int(ctx.width or 0),
        height=int(ctx.height or 0),
        average_rate=Fraction(rate) if rate else None,
        frames=int(stream.frames) or None,
        duration=duration,
        has_audio=bool(container.streams.audio),
    )


def probe_video(path: str | os.PathLike) -> VideoInfo:
    """The header facts of a video file's first video stream (nothing is decoded)."""
    p = _check_file(path)
    with _open(p) as container:
        return _info(container, _video_stream(container, p), p)


def read_frames(path: str | os.PathLike, recipes: Sequence[FrameRecipe]) -> tuple[VideoInfo, list[SampledFrames]]:
    """Decode `path` once and return its header facts and, per recipe, the frames it picks.

    Raises VideoInputError for a missing or corrupt file, no video stream, zero frames, frames larger than 8K,
    or too few frames for a recipe that does not pad."""
    import av

    p = _check_file(path)
    with _open(p) as container:
        stream = _video_stream(container, p)
        info = _info(container, stream, p)
        if info.width * info.height > MAX_PIXELS:
            raise VideoInputError(f"'{p}' is {info.width}x{info.height}; frames larger than 8K are not supported")
        if any(r.selection == "index" for r in recipes) and not info.average_rate:
            raise VideoInputError(f"'{p}' does not state its frame rate; it cannot be read frame by frame")
        stream.thread_type = "AUTO"
        pickers = [_Picker(r, info.average_rate) for r in recipes]
        tb = stream.time_base
        decoded = 0
        try:
            for index, frame in enumerate(container.decode(stream)):
                decoded += 1
                if frame.pts is not None:  # double-precision time from the integer pts, as the reference has it
                    time = frame.pts * tb.numerator / tb.denominator
                elif info.average_rate:
                    time = float(index / info.average_rate)
                else:
                    raise VideoInputError(f"'{p}' has frames without timestamps and states no frame rate")
                wanted = [(picker, picker.slots_for(index, time)) for picker in pickers]
                if any(count for _, count in wanted):
                    rgb = torch.from_numpy(frame.to_ndarray(format="rgb24"))
                    for picker, count in wanted:
                        if count:
                            resize = squash_resize if picker.recipe.resize == "squash" else short_side_crop_resize
                            picker.take(index, resize(rgb, picker.recipe.size), count)
                if all(picker.done for picker in pickers):
                    break
        except av.FFmpegError as exc:
            raise VideoInputError(f"cannot decode '{p}': it is corrupt or truncated ({exc})") from None
    if decoded == 0:
        raise VideoInputError(f"'{p}' contains no video frames")
    for picker in pickers:
        if not picker.rows:
            raise VideoInputError(f"'{p}' has no frames in its first {picker.recipe.seconds:g} s")
    return info, [picker.result(decoded) for picker in pickers]
