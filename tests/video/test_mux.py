"""Writing a new soundtrack into a video: the picture is copied untouched, the file appears atomically."""

from __future__ import annotations

import numpy as np
import pytest
from video_clips import audio_codecs, video_packets, write_video

from audio_omni.audio.io import load_audio
from audio_omni.errors import VideoInputError
from audio_omni.video.mux import mux_audio

SR = 44100


def _tone(seconds: float, channels: int = 2, peak: float = 0.3) -> np.ndarray:
    t = np.arange(int(seconds * SR)) / SR
    return np.stack([peak * np.sin(2 * np.pi * f * t) for f in (220, 330)[:channels]]).astype(np.float32)


@pytest.mark.parametrize("suffix", [".mp4", ".mov", ".mkv"])
def test_video_stream_is_copied_and_the_sound_replaced(tmp_path, synchformer_tiny, suffix):
    source = synchformer_tiny / "video.mp4"  # H.264 with its own AAC tone
    out = mux_audio(source, _tone(2.5), SR, tmp_path / f"out{suffix}")
    ours, original = video_packets(out), video_packets(source)
    assert [p for p, _ in ours] == [p for p, _ in original]  # every video packet byte for byte
    assert [t for _, t in ours] == pytest.approx([t for _, t in original], abs=1e-3)  # Matroska keeps ms
    assert audio_codecs(out) == ["aac"]  # the old track is gone
    wave, rate = load_audio(out)
    assert rate == SR and wave.shape[0] == 2
    assert abs(wave.shape[1] / SR - 2.5) <= 1024 / SR  # mp4/mov: exact; mkv: up to one AAC frame more
    assert not list(tmp_path.glob(".*"))  # no temporary file left


def test_mono_loud_audio_is_scaled_not_clipped(tmp_path):
    source = write_video(tmp_path / "clip.mp4", frames=10, fps=25)
    out = mux_audio(source, _tone(0.4, channels=1, peak=3.0), SR, tmp_path / "loud.mp4")
    wave, _ = load_audio(out)
    assert wave.shape[0] == 1 and 0.9 < float(wave.abs().max()) < 1.0


def test_failures_leave_no_file_and_keep_an_existing_one(tmp_path, synchformer_tiny):
    source = synchformer_tiny / "video.mp4"
    existing = tmp_path / "out.mp4"
    existing.write_bytes(b"previous result")
    with pytest.raises(VideoInputError, match="NaN"):
        mux_audio(source, np.full((2, 100), np.nan, np.float32), SR, existing)
    with pytest.raises(VideoInputError, match="use one of"):
        mux_audio(source, _tone(0.1), SR, tmp_path / "out.avi")
    with pytest.raises(VideoInputError, match="1 or 2 channels"):
        mux_audio(source, np.zeros((6, 100), np.float32), SR, existing)
    with pytest.raises(VideoInputError, match="not a video file"):
        mux_audio(existing, _tone(0.1), SR, tmp_path / "other.mp4")  # the source is not a video
    assert existing.read_bytes() == b"previous result"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out.mp4"]


def test_refuses_to_overwrite_its_source(tmp_path):
    source = write_video(tmp_path / "clip.mp4", frames=5)
    with pytest.raises(VideoInputError, match="overwrite the input"):
        mux_audio(source, _tone(0.1), SR, source)
