"""The thinker's video inputs built without torchvision: the same numbers as transformers' Qwen2-VL video
processor code (its resize rule and patch layout, run from the installed transformers source), settings read
the way transformers reads them, and a real tiny thinker that sees the frames."""

from __future__ import annotations

import ast
import inspect
import json
import math
import textwrap

import pytest
import torch
import transformers

from audio_omni.models.mllm.qwen_omni import QwenOmniBackbone
from audio_omni.models.mllm.qwen_video import (
    VIDEO_PLACEHOLDER,
    VideoProcessorSettings,
    expand_video_prompts,
    smart_resize,
    video_patches,
)
from audio_omni.task_prompts import PromptTemplates


def _transformers_functions():
    """smart_resize and Qwen2VLVideoProcessor.patchify from the installed transformers file. The module imports
    torchvision at the top, so the two torch-only functions are compiled from its source instead."""
    path = inspect.getsourcefile(transformers).replace("__init__.py", "models/qwen2_vl/video_processing_qwen2_vl.py")
    with open(path, encoding="utf-8") as f:
        tree = ast.parse(f.read())
    found = {}
    for node in ast.walk(tree):
        if isinstance(node, ast.FunctionDef) and node.name in ("smart_resize", "patchify"):
            node.decorator_list, node.returns = [], None
            for arg in node.args.args + node.args.kwonlyargs:
                arg.annotation = None
            found[node.name] = textwrap.dedent(ast.unparse(node))
    namespace = {"math": math, "torch": torch}
    for source in found.values():
        exec(source, namespace)  # noqa: S102 - transformers' own code, compiled from the installed file
    return namespace["smart_resize"], namespace["patchify"]


REFERENCE_SMART_RESIZE, REFERENCE_PATCHIFY = _transformers_functions()


@pytest.mark.parametrize("size", [(224, 224), (240, 320), (1080, 1920), (50, 3000)])
@pytest.mark.parametrize("pixels", [(3136, 12845056), (100352, 602112)])
def test_resize_rule_is_transformers(size, pixels):
    assert smart_resize(*size, 28, *pixels) == REFERENCE_SMART_RESIZE(*size, 28, *pixels)


@pytest.mark.parametrize("frames", [50, 7])
def test_patch_layout_is_transformers(frames):
    clip = torch.randint(0, 256, (frames, 3, 224, 224), dtype=torch.uint8)
    ours = video_patches(clip)
    settings = VideoProcessorSettings()
    mean = torch.tensor(settings.image_mean) * 255
    std = torch.tensor(settings.image_std) * 255
    normalised = (clip.float() - mean[:, None, None]) / std[:, None, None]
    reference, grid_t, grid_h, grid_w = REFERENCE_PATCHIFY(None, normalised[None], 14, 2, 2)
    assert ours.grid_thw == (grid_t, grid_h, grid_w) == ((frames + 1) // 2, 16, 16)
    assert torch.equal(ours.pixel_values, reference[0])
    assert ours.n_tokens == grid_t * 64 and ours.second_per_grid == 1.0


def test_settings_follow_transformers_file_priority(tmp_path, official_tiny):
    # The fixture's processor_config.json nests a video_processor with transformers' class defaults.
    nested = VideoProcessorSettings.from_directory(official_tiny / "qwen-tiny")
    assert (nested.min_pixels, nested.max_pixels) == (100352, 602112)
    # A release-style directory has only preprocessor_config.json with min/max pixels.
    (tmp_path / "preprocessor_config.json").write_text(json.dumps({"min_pixels": 3136, "max_pixels": 12845056}))
    assert VideoProcessorSettings.from_directory(tmp_path) == VideoProcessorSettings()
    clip = torch.zeros(2, 3, 224, 224, dtype=torch.uint8)
    assert video_patches(clip, nested).grid_thw == (1, 24, 24)  # 224 is below 100352 pixels: upscaled to 336
    assert video_patches(clip).grid_thw == (1, 16, 16)


@pytest.fixture(scope="module")
def thinker():
    return QwenOmniBackbone.tiny_random()


def test_the_thinker_sees_the_frames(thinker):
    prompt = PromptTemplates().generation("V2A", "", with_video=True)
    assert prompt.count(VIDEO_PLACEHOLDER) == 1 and prompt.index("<|vision_bos|>") > prompt.index("user\n")
    generator = torch.Generator().manual_seed(0)
    clip = torch.randint(0, 256, (50, 3, 224, 224), dtype=torch.uint8, generator=generator)
    other = torch.randint(0, 256, (50, 3, 224, 224), dtype=torch.uint8, generator=generator)
    text_only = thinker.hidden_states([prompt])
    seen = thinker.hidden_states([prompt, prompt], videos=[clip, other])
    assert seen.features.shape[1] == text_only.features.shape[1] + 1600 - 1  # 25 x 16 x 16 / 4 video tokens
    assert seen.mask.all()
    assert not torch.allclose(seen.features[0], seen.features[1])  # different frames, different features
    again = thinker.hidden_states([prompt], videos=[clip])
    assert torch.equal(again.features[0], seen.features[0])


def test_mixed_batch_and_placeholder_errors(thinker):
    plain = PromptTemplates().generation("V2M", "calm")
    with_video = PromptTemplates().generation("V2M", "calm", with_video=True)
    clip = torch.zeros(4, 3, 224, 224, dtype=torch.uint8)
    hidden = thinker.hidden_states([plain, with_video], videos=[None, clip])
    assert hidden.mask[0].sum() < hidden.mask[1].sum()  # left padding: the video row is longer
    with pytest.raises(ValueError, match="exactly one <\\|VIDEO\\|>"):
        expand_video_prompts([plain], [clip])
