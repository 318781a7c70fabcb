"""One mapping from a request to the conditioners' inputs: the facade and training build the same inputs.

For every task, a pair in the data engine's shard format is read by training (ExampleBuilder) and the same
request is made through the facade (AudioOmni.generation_request / edit_request, as generate() and edit() do);
both go through models.requests.condition_inputs and must give equal conditioner inputs and equal conditioning
tensors, for the paper layout (debug preset) and the small preset's frame layout.
"""

from __future__ import annotations

import io
import json
import tarfile
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf
import torch
from pair_shards import real_clips, tiny_edit_model_config

from audio_omni import AudioOmni
from audio_omni.models.builders import build_model
from audio_omni.models.config import parse_config
from audio_omni.models.presets import preset_config
from audio_omni.models.requests import condition_inputs, source_rate, starts_from_source
from audio_omni.training.data import ExampleBuilder, index_shards

SECONDS = 0.3  # target and source; with the 0.2 s voice they fill the tiny model's 0.51 s window
# (task, instruction / caption, extra meta, members besides target)
CASES = [
    ("T2A", "Generate the sound of rain on a tin roof.", {"caption": "rain on a tin roof"}, ()),
    ("T2M", "Compose un morceau : a calm piano piece.", {"caption": "a calm piano piece"}, ()),
    ("TTS", "Read this aloud: hello there.", {"transcript": "Hello there.", "voice_transcript": "One two."},
     ("voice",)),
    ("TTS", "Say: good night.", {"transcript": "Good night."}, ()),
    ("Add", "Add the sound of 'dog barking' to the input audio.", {}, ("source",)),
    ("Remove", "Take out the 'dog barking'.", {}, ("source",)),
    ("Extract", "Extract the sound of 'voice' from the input audio.", {}, ("source",)),
    ("Style Transfer", "Change the sound of 'flute' to 'violin'.", {}, ("source",)),
    ("Replace", "Replace the 'dog' with a 'cat'.", {}, ("source",)),
    ("Level", "Make the 'rain' quieter.", {}, ("source",)),
    ("Region", "Remove the 'bell' between 0.1 s and 0.3 s.", {}, ("source",)),
    ("SpeechEdit", "Change the word 'red' to 'blue'.", {}, ("source",)),
]


def _flac(wave: np.ndarray, rate: int) -> bytes:
    buf = io.BytesIO()
    sf.write(buf, wave.astype(np.float32), rate, format="FLAC", subtype="PCM_24")
    return buf.getvalue()


def _add(tar: tarfile.TarFile, name: str, data: bytes) -> None:
    info = tarfile.TarInfo(name)
    info.size = len(data)
    tar.addfile(info, io.BytesIO(data))


@pytest.fixture(scope="module")
def shards(tmp_path_factory) -> tuple[Path, dict[str, Path]]:
    """One pair per case, and the same audio as files the facade reads."""
    root = tmp_path_factory.mktemp("contract")
    rate = 22050
    clips = real_clips(rate, 3, SECONDS)
    clips[2] = clips[2][: rate // 5]  # a voice reference short enough to sit in front of the target in the window
    (root / "train").mkdir()
    files = {}
    for name, wave in zip(("target", "source", "voice"), clips, strict=True):
        files[name] = root / f"{name}.wav"
        sf.write(files[name], wave, rate, subtype="PCM_24")
    with tarfile.open(root / "train" / "train-000000.tar", "w") as tar:
        for i, (task, instruction, extra, members) in enumerate(CASES):
            key = f"pair{i:04d}"
            meta = {"id": key, "task": task, "instruction": instruction, "language": "en", "sample_rate": rate,
                    **extra}
            for name in ("target", *members):
                _add(tar, f"{key}.{name}.flac", _flac(sf.read(files[name], dtype="float32")[0], rate))
            _add(tar, f"{key}.json", json.dumps(meta).encode())
    return root, files


def _frame_model():
    return build_model(parse_config(tiny_edit_model_config()), load_vocoder=False)


def _paper_model():
    return build_model(preset_config("debug"))


def _facade_request(omni: AudioOmni, task: str, instruction: str, extra: dict, files: dict):
    if task in ("T2A", "T2M"):
        return omni.generation_request(task, instruction)
    if task == "TTS":
        voice = files["voice"] if "voice_transcript" in extra else None
        return omni.generation_request(task, extra["transcript"], voice=voice, voice_text=extra.get("voice_transcript"))
    return omni.edit_request(files["source"], instruction)


def _equal(a, b) -> bool:
    if isinstance(a, torch.Tensor) or isinstance(b, torch.Tensor):
        return isinstance(a, torch.Tensor) and isinstance(b, torch.Tensor) and torch.equal(a, b)
    if hasattr(a, "__dataclass_fields__"):
        return type(a) is type(b) and all(_equal(getattr(a, f), getattr(b, f)) for f in a.__dataclass_fields__)
    return a == b


@pytest.mark.parametrize("make_model", [_frame_model, _paper_model], ids=["frame-layout", "paper-layout"])
def test_facade_and_training_build_the_same_inputs_for_every_task(shards, make_model):
    root, files = shards
    torch.manual_seed(0)
    model = make_model().eval()
    omni = AudioOmni(model, device="cpu")
    builder = ExampleBuilder(model)
    entries = index_shards(root, "train")
    assert len(entries) == len(CASES)
    rate = source_rate(model)
    for entry, (task, instruction, extra, _) in zip(entries, CASES, strict=True):
        train_item, _, _, _, train_from_source = builder.build(entry)
        request = _facade_request(omni, task, instruction, extra, files)
        facade_item = condition_inputs(model, request, omni.templates)
        assert facade_item.keys() == train_item.keys()
        for cond_id in facade_item:
            assert _equal(facade_item[cond_id], train_item[cond_id]), (task, cond_id)
        assert starts_from_source(model, request) == train_from_source, task
        frames = model.latent_length
        with torch.no_grad():
            a = model.condition([facade_item], frames=frames)
            b = model.condition([train_item], frames=frames)
        for field in ("cross", "cross_mask", "prepend", "frame"):
            assert _equal(getattr(a, field), getattr(b, field)), (task, field)
    assert rate == model.config.sample_rate or rate == 44100
