"""Video in, sound out, end to end: the official-format tiny model and the debug preset with random-init tiny
Synchformers in the original key names, through the Python API and the command line."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest
import soundfile as sf
import torch
from video_clips import audio_codecs, video_packets, write_video

from audio_omni import AudioOmni
from audio_omni.audio.io import load_audio
from audio_omni.errors import AudioOmniError, RequestError
from audio_omni.models.builders import build_model
from audio_omni.models.checkpoints import save_pretrained
from audio_omni.models.config import parse_config
from audio_omni.models.presets import preset_config
from audio_omni.models.video.synchformer import STATE_DICT_PREFIX, SyncFeatureEncoder, SynchformerConfig
from audio_omni.video.mux import mux_audio

ENV = {**os.environ, "HF_HUB_OFFLINE": "1"}


def save_random_synchformer(path, config: SynchformerConfig, seed: int = 0):
    """A random-init encoder written the way synchformer_state_dict.pth is: a flat dict, original names."""
    with torch.random.fork_rng():
        torch.manual_seed(seed)
        encoder = SyncFeatureEncoder(config)
    state = {STATE_DICT_PREFIX + k: v for k, v in encoder.state_dict().items()}
    state["afeat_extractor.unused"] = torch.zeros(1)  # the audio half, which the loader skips
    torch.save(state, path)
    return path


@pytest.fixture(scope="module")
def official(official_tiny):
    return AudioOmni.from_pretrained(
        official_tiny / "model.ckpt", "cpu", vocab_file=official_tiny / "vocab.txt",
        mllm_path=official_tiny / "qwen-tiny",
    )


@pytest.fixture(scope="module")
def wide_synchformer(tmp_path_factory):
    # 768 wide, as the official sync conditioner needs; no blocks, to keep 30 segments cheap on a CPU.
    return save_random_synchformer(tmp_path_factory.mktemp("sf") / "synchformer_state_dict.pth",
                                   SynchformerConfig(768, depth=0, num_heads=12))


def test_official_tiny_model_from_a_video_file(official, wide_synchformer, synchformer_tiny, tmp_path):
    video = synchformer_tiny / "video.mp4"  # 3.2 s: longer than this tiny model's 5.8 ms window
    first = official.generate("V2A", "", video=video, synchformer=wide_synchformer, steps=2, seed=5)
    assert first.audio.shape == (2, 256) and first.sample_rate == 44100  # the window (32 latent frames of 8)
    again = official.generate("V2A", "", video=video, synchformer=wide_synchformer, steps=2, seed=5)
    assert torch.equal(first.audio, again.audio)
    other_seed = official.generate("V2A", "", video=video, synchformer=wide_synchformer, steps=2, seed=6)
    assert not torch.equal(first.audio, other_seed.audio)
    still = write_video(tmp_path / "still.mp4", frames=1, size=(64, 64))  # one frame: a still image
    other_video = official.generate("V2A", "", video=still, synchformer=wide_synchformer, steps=2, seed=5)
    assert not torch.equal(first.audio, other_video.audio)  # the frames reach the model
    out = mux_audio(video, first.audio, first.sample_rate, tmp_path / "with_sound.mp4")
    assert video_packets(out) == video_packets(video)
    wave, rate = load_audio(out)
    assert rate == 44100 and abs(wave.shape[1] - 256) <= 1024  # 5.8 ms, within one AAC frame


def test_api_errors(official, wide_synchformer, synchformer_tiny):
    video = synchformer_tiny / "video.mp4"
    with pytest.raises(AudioOmniError, match="needs the Synchformer weights"):
        official.generate("V2A", "", video=video)
    with pytest.raises(RequestError, match="not by T2A"):
        official.generate("T2A", "rain", video=video)
    with pytest.raises(AudioOmniError, match="expects 768"):
        official.generate("V2A", "", video=video, synchformer=synchformer_tiny / "model.safetensors")


@pytest.fixture(scope="module")
def debug_model_dir(tmp_path_factory):
    """The debug preset with a 64-wide sync input, saved as a checkpoint directory the CLI can load."""
    data = preset_config("debug").to_dict()
    for spec in data["model"]["conditioning"]["configs"]:
        if spec["id"] == "sync_feature":
            spec["config"]["sync_feature_dim"] = 64
    directory = tmp_path_factory.mktemp("debug-video")
    torch.manual_seed(0)
    save_pretrained(build_model(parse_config(data)), directory / "model")
    save_random_synchformer(directory / "synchformer.pth", SynchformerConfig(64, depth=1, num_heads=1))
    return directory


def cli(*args: str, cwd=None) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "audio_omni.cli", *args], capture_output=True, text=True,
                          timeout=600, env=ENV, cwd=cwd)


@pytest.mark.filterwarnings("ignore::audio_omni.audio.io.AudioClippingWarning")  # AAC overshoot of random audio
def test_cli_writes_the_video_with_its_new_sound(debug_model_dir, tmp_path):
    clip = write_video(tmp_path / "clip.mp4", frames=15, fps=25, tone_seconds=0.6)  # 0.6 s with its own tone
    common = ["--model", str(debug_model_dir / "model"), "--video", str(clip),
              "--synchformer", str(debug_model_dir / "synchformer.pth"), "--steps", "2", "--seed", "3"]
    out = cli("generate", "V2M", "upbeat", *common, "-o", str(tmp_path / "scored.mp4"))
    assert out.returncode == 0, out.stderr
    assert "seed 3" in out.stdout
    assert video_packets(tmp_path / "scored.mp4") == video_packets(clip)
    assert audio_codecs(tmp_path / "scored.mp4") == ["aac"]
    wave, rate = load_audio(tmp_path / "scored.mp4")
    assert rate == 16000 and abs(wave.shape[1] - 9600) <= 1024  # 0.6 s, up to one AAC frame of padding
    out = cli("generate", "V2M", "upbeat", *common, "-o", str(tmp_path / "scored.wav"))
    assert out.returncode == 0, out.stderr
    audio, rate = sf.read(tmp_path / "scored.wav")
    assert rate == 16000 and audio.shape == (9600, 2)  # exactly the video's length


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        (["--synchformer", "{dir}/synchformer.pth", "--video", "{dir}/nothing.mp4"], "video file not found"),
        (["--video", "{clip}"], "needs the Synchformer weights"),
    ],
    ids=["missing-video", "no-synchformer"],
)
def test_cli_errors_are_one_line(debug_model_dir, tmp_path, extra, message):
    clip = write_video(tmp_path / "clip.mp4", frames=5)
    args = [a.format(dir=debug_model_dir, clip=clip) for a in extra]
    out = cli("generate", "V2A", "--model", str(debug_model_dir / "model"), *args, "-o", str(tmp_path / "o.mp4"))
    assert out.returncode == 2, (out.stdout, out.stderr)
    errors = [line for line in out.stderr.splitlines() if line.startswith("error:")]
    assert len(errors) == 1 and message in errors[0] and "Traceback" not in out.stderr


def test_small_preset_says_it_has_no_video_encoder(tmp_path):
    clip = write_video(tmp_path / "clip.mp4", frames=5)
    out = cli("generate", "V2A", "--model", "audio-omni-small", "--random-init", "--video", str(clip),
              "--synchformer", str(tmp_path / "unused.pth"), "-o", str(tmp_path / "o.wav"))
    assert out.returncode == 2
    errors = [line for line in out.stderr.splitlines() if line.startswith("error:")]
    assert len(errors) == 1 and "has no video encoder" in errors[0], out.stderr
