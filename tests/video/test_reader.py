"""Video reading with PyAV against the Synchformer fixture's recorded frames, and every kind of bad video."""

from __future__ import annotations

import hashlib
import json

import av
import numpy as np
import pytest
import soundfile as sf
import torch
from safetensors.torch import load_file
from video_clips import write_video, write_video_without_frames

from audio_omni.audio.io import load_audio
from audio_omni.errors import VideoInputError
from audio_omni.video.conditions import MMAUDIO_SYNC_FRAMES, SYNC_FRAMES, mllm_frames
from audio_omni.video.reader import FrameRecipe, probe_video, read_frames
from audio_omni.video.resize import short_side_resize, to_unit_range


@pytest.fixture(scope="module")
def cases(synchformer_tiny):
    return load_file(str(synchformer_tiny / "cases.safetensors"))


@pytest.fixture(scope="module")
def fixture_frames(synchformer_tiny):
    recipes = [SYNC_FRAMES, MMAUDIO_SYNC_FRAMES]
    return read_frames(synchformer_tiny / "video.mp4", recipes)


def _diff(ours: torch.Tensor, ref: torch.Tensor) -> tuple[int, float]:
    d = (ours.int() - ref.int()).abs()
    return int(d.max()), float((d > 0).float().mean())


def test_decoder_gives_the_recorded_rgb(synchformer_tiny):
    meta = json.loads((synchformer_tiny / "video.json").read_text())["source_frames"]
    with av.open(str(synchformer_tiny / "video.mp4")) as container:
        hashes = [hashlib.sha256(f.to_ndarray(format="rgb24").tobytes()).hexdigest() for f in container.decode(video=0)]
    assert hashes == [f["rgb24_sha256"] for f in meta]


def test_probe_reads_the_header(synchformer_tiny):
    info = probe_video(synchformer_tiny / "video.mp4")
    assert (info.width, info.height, info.frames, info.average_rate, info.codec) == (320, 240, 96, 30, "h264")
    assert info.duration == pytest.approx(3.2) and info.has_audio


def test_audio_omni_frames_match_the_reference(fixture_frames, cases):
    _, (official, _) = fixture_frames
    assert torch.equal(official.source_index, cases["audioomni.sel_src_index"])  # 0, 2, ..., 94
    assert torch.equal(official.rows, cases["audioomni.pad_index"])  # 250 slots, the last frame repeated
    max_diff, share = _diff(official.frames, cases["audioomni.frames_u8"])
    assert max_diff <= 1 and share <= 0.01  # README 7b; measured here: bit-identical
    assert official.frames_decoded == 96


def test_mmaudio_frames_match_the_reference(fixture_frames, cases):
    _, (_, mmaudio) = fixture_frames
    # The accumulated-time rule: 12 slots differ from the exact-rational rule on this video.
    assert torch.equal(mmaudio.source_index[mmaudio.rows], cases["mmaudio.sel_src_index"])
    max_diff, share = _diff(mmaudio.slot_frames(), cases["mmaudio.frames_u8"])
    assert max_diff <= 2 and share <= 0.005  # README 7b; measured here: bit-identical
    assert torch.equal(to_unit_range(mmaudio.slot_frames()[0])[:, 100, 100:108], cases["mmaudio.input_check"])


def test_bicubic_resize_of_the_recorded_frame(cases):
    resized = short_side_resize(cases["mmaudio.sample_decoded_rgb"][0], 224)  # 320x240 -> 298x224
    assert torch.equal(resized, cases["mmaudio.sample_resized"][0])


def test_a_slow_video_repeats_frames_by_time_and_pads_by_index(tmp_path):
    path = write_video(tmp_path / "ten_fps.mp4", frames=20, fps=10)  # 2 s
    _, (by_time, by_index) = read_frames(path, [FrameRecipe(25, 2, "timestamp", "squash"), SYNC_FRAMES])
    # 25 slots per second filled from 10 frames per second: every frame shows, in up to 3 slots.
    assert by_time.rows.shape == (50,) and by_time.source_index.tolist() == list(range(20))
    counts = torch.bincount(by_time.rows)[:-1]  # the last frame also pads the window
    assert counts.min() >= 1 and counts.max() <= 3
    # The official index rule reads 20 consecutive frames, then repeats the last one up to 250.
    assert by_index.source_index.tolist() == list(range(20))
    assert by_index.rows.tolist() == list(range(20)) + [19] * 230


def test_variable_frame_rate_is_read_by_time(tmp_path):
    times = [0.0, 0.021, 0.301, 0.311, 0.331, 0.901, 1.501]  # none on a multiple of 1/25 but the first
    path = write_video(tmp_path / "vfr.mkv", frames=len(times), times=times)
    _, (by_time,) = read_frames(path, [FrameRecipe(25, 2, "timestamp", "squash", pad=False)])
    # Each slot j shows the first frame at or after j / 25 s; frames at 0.021 and 0.311 s fill no slot.
    expected = [int(np.searchsorted(times, j / 25)) for j in range(38)]  # the last frame reaches slot 37
    assert by_time.source_index[by_time.rows].tolist() == expected
    assert by_time.source_index.tolist() == [0, 2, 4, 5, 6]


def test_one_frame_is_a_still_image(tmp_path):
    path = write_video(tmp_path / "one.mp4", frames=1)
    _, (sync, mllm) = read_frames(path, [SYNC_FRAMES, mllm_frames()])
    assert sync.frames.shape == (1, 3, 224, 224) and sync.rows.tolist() == [0] * 250
    assert mllm.slot_frames().shape == (50, 3, 224, 224)


def test_long_video_stops_decoding_after_the_window(tmp_path):
    path = write_video(tmp_path / "ten_minutes.mp4", frames=25 * 600, fps=25, size=(32, 32))
    info, (sync, mllm) = read_frames(path, [SYNC_FRAMES, mllm_frames()])
    assert info.duration == pytest.approx(600)
    assert sync.source_index.tolist() == list(range(250))  # the first 10 s
    assert mllm.source_index.tolist() == list(range(0, 250, 5))
    assert sync.frames_decoded == 251  # one frame past the window, not 15,000


def test_4k_frames_are_resized_on_the_fly(tmp_path):
    path = write_video(tmp_path / "uhd.mp4", frames=2, size=(3840, 2160), codec="libx264")
    info, (sync,) = read_frames(path, [SYNC_FRAMES])
    assert (info.width, info.height) == (3840, 2160)
    assert sync.frames.shape == (2, 3, 224, 224)


def _bytes(path, data: bytes):
    path.write_bytes(data)
    return path


def _wav(path):
    sf.write(path, np.zeros(1600), 16000)
    return path


@pytest.mark.parametrize(
    ("make", "message"),
    [
        (lambda d, src: d / "absent.mp4", "not found"),
        (lambda d, src: _bytes(d / "empty.mp4", b""), "empty"),
        (lambda d, src: d, "not a regular file"),
        (lambda d, src: _bytes(d / "noise.mp4", np.random.default_rng(0).bytes(4096)),
         "not a video file FFmpeg can read"),
        (lambda d, src: _bytes(d / "cut.mp4", src.read_bytes()[:40000]), "not a video file FFmpeg can read"),
        (lambda d, src: _wav(d / "tone.wav"), "no video stream"),
        (lambda d, src: write_video_without_frames(d / "no_frames.mkv", src), "contains no video frames"),
    ],
    ids=["missing", "empty", "directory", "random-bytes", "truncated", "audio-only", "zero-frames"],
)
def test_bad_videos_give_one_clear_error(tmp_path, synchformer_tiny, make, message):
    path = make(tmp_path, synchformer_tiny / "video.mp4")
    with pytest.raises(VideoInputError, match=message):
        read_frames(path, [SYNC_FRAMES])


def test_a_video_starting_after_the_window_has_no_frames(tmp_path):
    path = write_video(tmp_path / "late.mkv", frames=2, times=[3.0, 3.1])
    with pytest.raises(VideoInputError, match="no frames in its first 2 s"):
        read_frames(path, [FrameRecipe(25, 2, "timestamp", "squash")])


def test_the_audio_track_is_read_for_editing_a_videos_own_sound(synchformer_tiny):
    wave, rate = load_audio(synchformer_tiny / "video.mp4", channels=1)  # what edit() does with a video file
    assert rate == 16000 and abs(wave.shape[1] - 3.2 * 16000) <= 1024  # AAC: up to one frame of priming
    spectrum = torch.fft.rfft(wave[0, 4000:36000]).abs()
    assert int(spectrum.argmax()) * 16000 / 32000 == pytest.approx(440, abs=1)  # the fixture's 440 Hz tone
