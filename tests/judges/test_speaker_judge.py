"""GE2E speaker encoder (resemblyzer weights in our own module) on two real voices."""

from __future__ import annotations

import numpy as np

from audio_omni.audio.io import load_audio


def test_same_voice_is_closer_than_another_voice():
    from audio_omni.assets import debian_package
    from audio_omni.judges.speaker import SpeakerEncoder

    librivox = debian_package("pocketsphinx-testdata") / "usr/share/pocketsphinx/test/data/librivox"
    reader = sorted(librivox.glob("*.wav"))
    prompts = debian_package("asterisk-core-sounds-en-wav")
    operator = [next(prompts.rglob(f"{n}.wav")) for n in ("agent-pass", "vm-intro", "conf-onlyperson")]
    encoder = SpeakerEncoder.from_installed()
    a = np.stack([encoder.embed(*load_audio(p)) for p in reader[:3]])
    b = np.stack([encoder.embed(*load_audio(p)) for p in operator])
    assert np.allclose(np.linalg.norm(a, axis=1), 1.0, atol=1e-5)
    within = min((a @ a.T)[np.triu_indices(3, 1)].min(), (b @ b.T)[np.triu_indices(3, 1)].min())
    across = (a @ b.T).max()
    assert within > 0.8 and across < 0.7 and within - across > 0.15, (within, across)
