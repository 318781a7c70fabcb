"""Pair synthesis: from catalogued clips, rendered score stems and synthetic speech to exact edit pairs.

One mixture gives the official triplet (mixed / target / residual) and with it Add (residual -> mixed), Remove
(mixed -> residual) and Extract (mixed -> target). Beyond those: Style Transfer (same timing and loudness envelope,
another class; music: the same score with one part on another instrument; speech: the same text in another voice),
Replace, Level, Region (an edit limited to a time span), SpeechEdit (same voice, one word changed), and plain
generation samples (T2A, T2M, TTS with a voice reference).

Every pair is a set of stems quantised to 24 bits and summed as integers (:class:`~audio_omni.data.mixer.ExactMix`),
so the stored relation between source, target and residual is exact (``layout`` in the metadata says which one):

* ``"source=target+residual"``: Remove, Extract, Region;
* ``"target=source+residual"``: Add (the residual is the added sound);
* ``"shared-residual"``: Style Transfer, Replace, Level, SpeechEdit (source and target differ in one stem; the
  residual is what they share, and ``source - residual`` is the edited stem before the edit).

All randomness comes from the ``rng`` passed in (one per pair and attempt); nothing reads a global RNG.

Where it lives: :mod:`~audio_omni.data.material` (the split material), :mod:`~audio_omni.data.tracks` (material ->
float tracks), :mod:`audio_omni.data.recipes` (one recipe per task). This module draws the domain and loudness of
an attempt and hands it to the task's recipe.
"""

from __future__ import annotations

import numpy as np

from audio_omni.data.material import SourceLibrary, SpeechSource, SplitPool
from audio_omni.data.recipes import RECIPES
from audio_omni.data.recipes.base import LAYOUTS, Draw, Pair
from audio_omni.data.tracks import PairError, Synthesizer, Track

__all__ = [
    "LAYOUTS",
    "Pair",
    "PairError",
    "SourceLibrary",
    "SpeechSource",
    "SplitPool",
    "Synthesizer",
    "TASK_DOMAINS",
    "Track",
    "synthesize_pair",
]

#: Which domains each task is drawn in, with weights.
TASK_DOMAINS: dict[str, dict[str, float]] = {
    "Add": {"sound": 0.5, "music": 0.25, "speech": 0.25},
    "Remove": {"sound": 0.5, "music": 0.25, "speech": 0.25},
    "Extract": {"sound": 0.5, "music": 0.25, "speech": 0.25},
    "Style Transfer": {"sound": 0.4, "music": 0.3, "speech": 0.3},
    "Replace": {"sound": 0.7, "speech": 0.3},
    "Level": {"sound": 0.5, "music": 0.25, "speech": 0.25},
    "Region": {"sound": 0.6, "music": 0.2, "speech": 0.2},
    "SpeechEdit": {"speech": 1.0},
    "T2A": {"sound": 1.0},
    "T2M": {"music": 1.0},
    "TTS": {"speech": 1.0},
}


def synthesize_pair(task: str, language: str, syn: Synthesizer, pool: SplitPool, rng: np.random.Generator) -> Pair:
    """Make one pair of ``task`` from the material of ``pool``. Raises PairError when this attempt cannot."""
    domains = TASK_DOMAINS[task]
    names = list(domains)
    domain = names[int(rng.choice(len(names), p=np.array(list(domains.values())) / sum(domains.values())))]
    target_lufs = float(rng.uniform(*syn.s.mix_lufs))
    meta: dict = {"domain": domain, "region": None, "target_description": None, "caption": None, "transcript": None}
    return RECIPES[task](Draw(task, language, syn, pool, rng, domain, target_lufs, meta))
