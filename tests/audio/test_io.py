"""Tests for audio_omni.audio.io: real files written in tmp_path, round trips, and every bad input."""

from __future__ import annotations

import os
import struct
import subprocess
import sys
import warnings

import numpy as np
import pytest
import soundfile as sf
import torch

from audio_omni.audio import io as aio
from audio_omni.audio.io import (
    AudioClippingWarning,
    duration_seconds,
    load_audio,
    loudness_lufs,
    normalize_loudness,
    peak_normalize,
    prepare_audio,
    save_audio,
)
from audio_omni.errors import AudioInputError

RNG = np.random.default_rng(0)


def tone(sr: int, seconds: float, freq: float = 440.0, amp: float = 0.5, noise: float = 0.01) -> np.ndarray:
    t = np.arange(int(round(sr * seconds))) / sr
    x = amp * np.sin(2 * np.pi * freq * t) + noise * RNG.standard_normal(t.shape)
    return x.astype(np.float32)


def dominant_freq(x: np.ndarray, sr: int) -> float:
    x = np.asarray(x, dtype=np.float64).reshape(-1)
    spec = np.abs(np.fft.rfft(x * np.hanning(len(x))))
    return float(np.fft.rfftfreq(len(x), 1 / sr)[np.argmax(spec)])


def write_m4a(path, x: np.ndarray, sr: int) -> None:
    import av  # a core dependency
    if "aac" not in av.codecs_available:
        pytest.skip("FFmpeg in PyAV has no AAC encoder")
    with av.open(str(path), "w", format="mp4") as c:
        s = c.add_stream("aac", rate=sr)
        s.layout = "mono"
        frame = av.AudioFrame.from_ndarray(x[None, :].astype(np.float32), format="fltp", layout="mono")
        frame.sample_rate = sr
        frame.pts = 0
        for pkt in s.encode(frame):
            c.mux(pkt)
        for pkt in s.encode(None):
            c.mux(pkt)


# ------------------------------------------------------------------------------------------------ loading


def test_int16_wav_scaled_to_unit_range(tmp_path):
    x = tone(16000, 0.5)
    pcm = np.round(x * 32767).astype(np.int16)
    p = tmp_path / "a.wav"
    sf.write(p, pcm, 16000, subtype="PCM_16")
    wav, sr = load_audio(p)
    assert sr == 16000 and wav.dtype == torch.float32 and wav.shape == (1, 8000)
    np.testing.assert_allclose(wav[0].numpy(), pcm / 32768.0, atol=1e-6)
    assert float(wav.abs().max()) <= 1.0


def test_float_wav_flac_roundtrip(tmp_path):
    x = tone(22050, 0.3)
    save_audio(tmp_path / "f.wav", x, 22050, subtype="FLOAT")
    wav, sr = load_audio(tmp_path / "f.wav")
    assert sr == 22050
    np.testing.assert_array_equal(wav[0].numpy(), x)

    save_audio(tmp_path / "f.flac", torch.from_numpy(x), 22050)
    wav, sr = load_audio(str(tmp_path / "f.flac"))
    assert wav.shape == (1, len(x))
    np.testing.assert_allclose(wav[0].numpy(), x, atol=1.0 / 32768 + 1e-6)


def test_ogg_roundtrip_keeps_tone(tmp_path):
    x = tone(44100, 0.5, freq=1000)
    save_audio(tmp_path / "v.ogg", x, 44100)
    wav, sr = load_audio(tmp_path / "v.ogg")
    assert sr == 44100 and abs(wav.shape[1] - len(x)) < 64
    assert abs(dominant_freq(wav[0].numpy(), sr) - 1000) < 5


def test_stereo_file_and_channel_conversion(tmp_path):
    left, right = tone(16000, 0.25, 300), tone(16000, 0.25, 500)
    p = tmp_path / "st.wav"
    save_audio(p, np.stack([left, right]), 16000, subtype="FLOAT")
    wav, _ = load_audio(p)
    assert wav.shape == (2, 4000)
    mono, _ = load_audio(p, channels=1)
    np.testing.assert_allclose(mono[0].numpy(), (left + right) / 2, atol=1e-6)
    again, _ = load_audio(p, channels=2)
    assert torch.equal(again, wav)

    save_audio(tmp_path / "m.wav", left, 16000, subtype="FLOAT")
    dup, _ = load_audio(tmp_path / "m.wav", channels=2)
    assert dup.shape == (2, 4000) and torch.equal(dup[0], dup[1])


def test_six_channel_downmix(tmp_path):
    n = 8000
    data = np.zeros((6, n), dtype=np.float32)
    data[2] = tone(16000, 0.5, 440, amp=0.9, noise=0)  # centre
    data[3] = 0.9  # LFE: dropped by the downmix
    data[4] = tone(16000, 0.5, 880, amp=0.5, noise=0)  # left surround
    p = tmp_path / "surround.wav"
    sf.write(p, data.T, 16000, subtype="FLOAT")
    st, _ = load_audio(p, channels=2)
    assert st.shape == (2, n) and float(st.abs().max()) <= 1.0
    assert abs(dominant_freq(st[1].numpy(), 16000) - 440) < 3  # centre reaches the right side
    assert abs(float(st[0].mean())) < 0.01 and abs(float(st[1].mean())) < 0.01  # no LFE DC
    left_energy = float((st[0] ** 2).sum())
    right_energy = float((st[1] ** 2).sum())
    assert left_energy > right_energy  # the left surround went only left
    with pytest.raises(AudioInputError, match="6 channels; cannot convert to 4"):
        load_audio(p, channels=4)
    mono, _ = load_audio(p, channels=1)
    assert mono.shape == (1, n)
    np.testing.assert_allclose(mono[0].numpy(), st.numpy().mean(0), atol=1e-6)


def test_resample_48k_to_44k1_length_and_frequency(tmp_path):
    p = tmp_path / "hi.wav"
    sf.write(p, tone(48000, 1.0, 1000), 48000, subtype="FLOAT")
    wav, sr = load_audio(p, sample_rate=44100)
    assert sr == 44100 and abs(wav.shape[1] - 44100) <= 1
    assert abs(dominant_freq(wav[0].numpy(), sr) - 1000) < 2


def test_8k_file_upsampled(tmp_path):
    p = tmp_path / "tel.wav"
    sf.write(p, tone(8000, 0.5, 300), 8000, subtype="PCM_16")
    wav, sr = load_audio(p, sample_rate=16000, channels=1)
    assert sr == 16000 and wav.shape == (1, 8000)
    assert abs(dominant_freq(wav[0].numpy(), sr) - 300) < 3


def test_m4a_via_pyav(tmp_path):
    p = tmp_path / "clip.m4a"
    write_m4a(p, tone(16000, 1.0, 440), 16000)
    assert duration_seconds(p) == pytest.approx(1.0, abs=0.05)
    wav, sr = load_audio(p, channels=2)
    assert sr == 16000 and wav.shape[0] == 2 and abs(wav.shape[1] - 16000) <= 1024
    assert abs(dominant_freq(wav[0].numpy(), sr) - 440) < 3
    with pytest.raises(AudioInputError, match="longer than the 0.5 s limit"):
        load_audio(p, max_seconds=0.5)


def test_duration_seconds(tmp_path):
    p = tmp_path / "d.flac"
    sf.write(p, tone(16000, 1.25), 16000)
    assert duration_seconds(p) == pytest.approx(1.25)


# ------------------------------------------------------------------------------------------------ bad files


def test_missing_directory_empty(tmp_path):
    with pytest.raises(AudioInputError, match="not found.*nope.wav"):
        load_audio(tmp_path / "nope.wav")
    with pytest.raises(AudioInputError, match="is a directory"):
        load_audio(tmp_path)
    (tmp_path / "empty.wav").write_bytes(b"")
    with pytest.raises(AudioInputError, match="empty.wav.*empty"):
        load_audio(tmp_path / "empty.wav")
    with pytest.raises(AudioInputError, match="not found"):
        duration_seconds(tmp_path / "nope.flac")


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="needs FIFOs")
def test_fifo_refused_without_blocking(tmp_path):
    fifo = tmp_path / "pipe.wav"
    os.mkfifo(fifo)
    with pytest.raises(AudioInputError, match="not a regular file"):
        load_audio(fifo)


def test_container_without_audio_track(tmp_path):
    import av  # a core dependency
    if "mpeg4" not in av.codecs_available:
        pytest.skip("no mpeg4 encoder")
    p = tmp_path / "silent_film.mp4"
    with av.open(str(p), "w") as c:
        s = c.add_stream("mpeg4", rate=10)
        s.width, s.height, s.pix_fmt = 32, 32, "yuv420p"
        for _ in range(3):
            frame = av.VideoFrame.from_ndarray(np.zeros((32, 32, 3), np.uint8), format="rgb24")
            for pkt in s.encode(frame):
                c.mux(pkt)
        for pkt in s.encode(None):
            c.mux(pkt)
    with pytest.raises(AudioInputError, match="silent_film.mp4.*no audio track"):
        load_audio(p)


def test_text_renamed_wav(tmp_path):
    p = tmp_path / "notes.wav"
    p.write_text("this is a shopping list, not audio\n" * 20)
    with pytest.raises(AudioInputError, match="notes.wav.*not a supported audio file"):
        load_audio(p)


def test_random_bytes_and_truncated_files(tmp_path):
    p = tmp_path / "noise.flac"
    p.write_bytes(RNG.integers(0, 256, 4096, dtype=np.uint8).tobytes())
    with pytest.raises(AudioInputError, match="noise.flac"):
        load_audio(p)

    good = tmp_path / "good.flac"
    sf.write(good, tone(16000, 1.0), 16000)
    raw = good.read_bytes()
    head = tmp_path / "head.flac"
    head.write_bytes(raw[:20])
    with pytest.raises(AudioInputError, match="head.flac"):
        load_audio(head)
    # Cut mid-stream: either shorter audio or a clear error, never another exception.
    half = tmp_path / "half.flac"
    half.write_bytes(raw[: len(raw) // 2])
    try:
        wav, _ = load_audio(half)
    except AudioInputError as exc:
        assert "half.flac" in str(exc)
    else:
        assert 0 < wav.shape[1] <= 16000 and torch.isfinite(wav).all()

    m4a = tmp_path / "cut.m4a"
    write_m4a(m4a, tone(16000, 1.0), 16000)
    m4a.write_bytes(m4a.read_bytes()[:200])
    with pytest.raises(AudioInputError, match="cut.m4a"):
        load_audio(m4a)


def test_zero_sample_file(tmp_path):
    p = tmp_path / "zero.wav"
    sf.write(p, np.zeros((0, 1), dtype=np.float32), 16000)
    with pytest.raises(AudioInputError, match=r"zero.wav.*0 samples"):
        load_audio(p)


def test_nan_and_inf_in_file(tmp_path):
    x = tone(16000, 0.1)
    x[10] = np.nan
    x[20] = np.inf
    p = tmp_path / "nan.wav"
    sf.write(p, x, 16000, subtype="FLOAT")
    with pytest.raises(AudioInputError, match=r"nan.wav.*1 NaN, 1 Inf"):
        load_audio(p)


def test_silence(tmp_path):
    p = tmp_path / "quiet.wav"
    sf.write(p, np.zeros(1600, dtype=np.float32), 16000)
    wav, _ = load_audio(p)  # allowed by default
    assert float(wav.abs().max()) == 0.0
    with pytest.raises(AudioInputError, match="quiet.wav.*silent"):
        load_audio(p, allow_silent=False)


@pytest.mark.parametrize("rate", [500, 400_000])
def test_sample_rate_out_of_range(tmp_path, rate):
    p = tmp_path / f"r{rate}.wav"
    sf.write(p, tone(rate, 0.01, freq=rate / 10), rate)
    with pytest.raises(AudioInputError, match=f"{rate} Hz"):
        load_audio(p)
    with pytest.raises(AudioInputError, match="requested sample rate"):
        load_audio(tmp_path / f"r{rate}.wav", sample_rate=rate)


def _sparse_wav(path, seconds: int, sr: int = 48000) -> None:
    """A valid 16-bit mono WAV whose data chunk is a sparse hole: huge on paper, nothing on disk."""
    data_bytes = seconds * sr * 2
    header = b"RIFF" + struct.pack("<I", 36 + data_bytes) + b"WAVE"
    header += b"fmt " + struct.pack("<IHHIIHH", 16, 1, 1, sr, sr * 2, 2, 16)
    header += b"data" + struct.pack("<I", data_bytes)
    with open(path, "wb") as fh:
        fh.write(header)
        fh.truncate(len(header) + data_bytes)


def test_too_long_checked_from_header_before_decoding(tmp_path, monkeypatch):
    p = tmp_path / "two_hours.wav"
    _sparse_wav(p, 2 * 3600)
    assert duration_seconds(p) == pytest.approx(7200.0)

    def boom(*args, **kwargs):
        raise AssertionError("decoder must not run for a file over max_seconds")

    monkeypatch.setattr(aio, "_decode_soundfile", boom)
    monkeypatch.setattr(aio, "_decode_pyav", boom)
    with pytest.raises(AudioInputError, match=r"two_hours.wav.*7200.0 s.*600 s limit"):
        load_audio(p)  # default max_seconds=600


def test_decode_capped_when_header_lies(tmp_path):
    p = tmp_path / "small.wav"
    sf.write(p, tone(8000, 2.0), 8000)
    wav, _ = load_audio(p, max_seconds=2.0)
    assert wav.shape[1] == 16000
    with pytest.raises(AudioInputError, match="1 s limit"):
        load_audio(p, max_seconds=1.0)


# ------------------------------------------------------------------------------------------------ arrays


def test_prepare_audio_shapes_and_no_mutation():
    x = tone(16000, 0.25)
    stereo_last = np.stack([x, -x], axis=1)  # [T, 2]
    before = stereo_last.copy()
    out, sr = prepare_audio(stereo_last, 16000)
    assert sr == 16000 and out.shape == (2, 4000)
    np.testing.assert_array_equal(stereo_last, before)

    t = torch.from_numpy(np.stack([x, x]))
    t_before = t.clone()
    out, sr = prepare_audio(t, 16000, 8000, channels=1)
    assert sr == 8000 and out.shape == (1, 2000)
    assert torch.equal(t, t_before)
    out[0, 0] = 5.0
    assert torch.equal(t, t_before)  # result does not share memory

    out, _ = prepare_audio(x, 16000)
    assert out.shape == (1, 4000)

    pcm = np.array([0, 16384, -32768, 32767], dtype=np.int16)
    out, _ = prepare_audio(pcm, 16000)
    np.testing.assert_allclose(out[0].numpy(), [0.0, 0.5, -1.0, 32767 / 32768])


def test_prepare_audio_rejects_bad_arrays():
    with pytest.raises(AudioInputError, match=r"shape \(1, 2, 100\)"):
        prepare_audio(np.zeros((1, 2, 100), np.float32), 16000)
    with pytest.raises(AudioInputError, match="empty"):
        prepare_audio(np.zeros((0,), np.float32), 16000)
    with pytest.raises(AudioInputError, match="empty"):
        prepare_audio(torch.zeros(2, 0), 16000)
    bad = np.ones(100, np.float32)
    bad[3] = np.nan
    with pytest.raises(AudioInputError, match="1 NaN"):
        prepare_audio(bad, 16000)
    with pytest.raises(AudioInputError, match="cannot tell channels"):
        prepare_audio(np.zeros((100, 200), np.float32), 16000)
    with pytest.raises(AudioInputError, match="silent"):
        prepare_audio(np.zeros(100, np.float32), 16000, allow_silent=False)
    with pytest.raises(AudioInputError, match="600 s limit"):
        prepare_audio(np.zeros(1000 * 601, np.float32) + 0.1, 1000)
    with pytest.raises(AudioInputError, match="sample rate 100 Hz"):
        prepare_audio(np.ones(100, np.float32), 100)


# ------------------------------------------------------------------------------------------------ saving


def test_save_creates_dirs_atomic_no_temp_left(tmp_path):
    x = tone(16000, 0.2)
    before = x.copy()
    target = tmp_path / "deep" / "er" / "out.wav"
    assert save_audio(target, x, 16000) == target
    np.testing.assert_array_equal(x, before)
    assert os.listdir(target.parent) == ["out.wav"]
    assert sf.info(target).frames == len(x)


def test_save_on_a_full_disk_keeps_the_old_file_and_fails_in_one_exception(tmp_path):
    target = tmp_path / "keep.wav"
    save_audio(target, tone(16000, 0.2), 16000)
    old = target.read_bytes()
    # RLIMIT_FSIZE makes every write past 16 kB fail (EFBIG) the way a full disk fails (ENOSPC), without root.
    code = f"""
import resource
resource.setrlimit(resource.RLIMIT_FSIZE, (16000, 16000))
import numpy as np
from audio_omni.audio.io import save_audio
from audio_omni.errors import OutputError
try:
    save_audio({str(target)!r}, np.full((2, 16000), 0.1, np.float32), 16000)
except OutputError as err:
    print("OutputError:", err)
"""
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert "OutputError: cannot write" in out.stdout and "File too large" in out.stdout, out
    assert "Traceback" not in out.stderr  # libsndfile's write callbacks used to print seven of them
    assert target.read_bytes() == old
    assert os.listdir(tmp_path) == ["keep.wav"]


def test_save_refuses_nan_and_clips_with_count(tmp_path):
    bad = np.ones(10, np.float32)
    bad[0] = np.nan
    with pytest.raises(AudioInputError, match="NaN"):
        save_audio(tmp_path / "nan.wav", bad, 16000)
    assert not (tmp_path / "nan.wav").exists()

    loud = np.array([0.0, 1.5, -2.0, 0.5], np.float32)
    with pytest.warns(AudioClippingWarning, match="clipped 2 sample"):
        save_audio(tmp_path / "loud.wav", loud, 16000, subtype="FLOAT")
    np.testing.assert_array_equal(loud, [0.0, 1.5, -2.0, 0.5])
    back, _ = sf.read(tmp_path / "loud.wav", dtype="float32")
    np.testing.assert_array_equal(back, [0.0, 1.0, -1.0, 0.5])

    with pytest.raises(AudioInputError, match="suffix"):
        save_audio(tmp_path / "x.xyz", loud, 16000)


def test_save_refuses_what_encoders_cannot_do(tmp_path):
    x = np.zeros(1000, np.float32)
    with pytest.raises(AudioInputError, match="Vorbis supports at most 200000 Hz"):
        save_audio(tmp_path / "hi.ogg", x, 384_000)  # libvorbis would crash the process
    with pytest.raises(AudioInputError, match="Opus supports only"):
        save_audio(tmp_path / "o.ogg", x, 44100, subtype="OPUS")
    with pytest.raises(AudioInputError, match="FLAC holds at most 8 channels"):
        save_audio(tmp_path / "many.flac", np.zeros((10, 1000), np.float32), 16000)
    with pytest.raises(AudioInputError, match="not supported"):
        save_audio(tmp_path / "a.mp3", x, 16000, format="MP3")
    with pytest.raises(AudioInputError, match="cannot hold subtype"):
        save_audio(tmp_path / "a.flac", x, 16000, subtype="VORBIS")
    assert os.listdir(tmp_path) == []
    assert save_audio(tmp_path / "noext", x + 0.1, 16000, format="flac").exists()
    assert sf.info(tmp_path / "noext").format == "FLAC"


# ------------------------------------------------------------------------------------------------ levels


def test_peak_normalize():
    x = torch.from_numpy(tone(16000, 0.1, amp=0.2))
    y = peak_normalize(x)
    assert isinstance(y, torch.Tensor) and float(y.abs().max()) == pytest.approx(0.99, abs=1e-6)
    assert float(x.abs().max()) < 0.3  # input untouched
    z = peak_normalize(np.zeros(10, np.float32))
    assert isinstance(z, np.ndarray) and not z.any()


def test_loudness_short_silent_and_normalize():
    # ITU-R BS.1770: a 997 Hz sine of peak A in one channel reads 20 log10(A) - 3.01 LUFS (the K-weighting is
    # about flat there); here A = 0.3, so -13.47 LUFS, at any of our rates.
    known = 20 * np.log10(0.3) - 3.01
    for rate in (48000, 16000):
        sine = tone(rate, 2.0, freq=997.0, amp=0.3, noise=0)
        assert loudness_lufs(sine, rate) == pytest.approx(known, abs=0.1), rate
    x = tone(16000, 2.0, freq=997.0, amp=0.3, noise=0)
    full = loudness_lufs(x, 16000)
    short = loudness_lufs(x[:1600], 16000)  # 100 ms, shorter than the 400 ms block
    assert short == pytest.approx(full, abs=0.02)
    assert loudness_lufs(np.zeros(100, np.float32), 16000) == float("-inf")
    stereo = loudness_lufs(np.stack([x, x]), 16000)
    assert stereo == pytest.approx(full + 10 * np.log10(2), abs=0.01)  # channel powers add
    assert loudness_lufs(np.zeros((6, 32000), np.float32) + x, 16000) == pytest.approx(stereo, abs=1e-6)  # 6 -> 2

    y = normalize_loudness(x, 16000, -23.0)
    assert loudness_lufs(y, 16000) == pytest.approx(-23.0, abs=0.1)
    t = normalize_loudness(torch.from_numpy(x[:800]), 16000, -20.0)
    assert isinstance(t, torch.Tensor) and t.shape == (800,)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        silent = normalize_loudness(np.zeros((2, 1600), np.float32), 16000, -23.0)
    assert not silent.any()
    capped = normalize_loudness(x, 16000, 0.0, max_peak=0.99)
    assert float(np.abs(capped).max()) == pytest.approx(0.99, abs=1e-5)
