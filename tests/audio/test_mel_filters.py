"""Our numpy HTK mel filters equal the reference implementation (transformers' ``mel_filter_bank``) that the
tagger and the occurrence search used before, for both triangle shapes."""

from __future__ import annotations

import numpy as np
import pytest
from transformers.audio_utils import mel_filter_bank

from audio_omni.audio.mel import htk_triangles


@pytest.mark.parametrize("in_mel_space", [True, False])
@pytest.mark.parametrize(("f_min", "f_max", "n_mels"), [(125.0, 7500.0, 64), (0.0, 8000.0, 40)])
def test_htk_triangles_equal_the_reference(in_mel_space, f_min, f_max, n_mels):
    reference = mel_filter_bank(
        num_frequency_bins=257, num_mel_filters=n_mels, min_frequency=f_min, max_frequency=f_max,
        sampling_rate=16000, norm=None, mel_scale="htk", triangularize_in_mel_space=in_mel_space,
    )
    ours = htk_triangles(257, n_mels, 16000, f_min, f_max, in_mel_space=in_mel_space)
    assert ours.shape == (257, n_mels)
    np.testing.assert_allclose(ours, reference, rtol=0, atol=1e-12)
    assert (ours.max(axis=0) > 0.5).all()  # every filter covers some bins
