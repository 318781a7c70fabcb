"""Region: an edit limited to a time span. Part of the foreground, inside ``[start, end]``, is removed; everything
outside the span is the same in source and target (``source = target + residual``, the residual being the removed
part)."""

from __future__ import annotations

import numpy as np

from audio_omni.data.mixer import region_window
from audio_omni.data.recipes.base import Draw, EditLayout, Pair, draw_scene, finish_edit
from audio_omni.data.tracks import PairError, labels_of


def region(draw: Draw) -> Pair:
    scene = draw_scene(draw)
    fg, rng, sr = scene.fg, draw.rng, draw.syn.s.sample_rate
    a, b = fg.span
    if b - a < 0.6:
        raise PairError("foreground too short for a region edit")
    width = float(rng.uniform(0.4, 0.8)) * (b - a)
    r0 = round(float(rng.uniform(a, b - width)), 1)
    r1 = round(min(b, r0 + width), 1)
    if r1 - r0 < 0.3:
        raise PairError("region too short")
    window = region_window(draw.syn.length, int(round(r0 * sr)), int(round(r1 * sr)), int(0.02 * sr))
    stems = {"kept": (fg.wave * (1 - window)).astype(np.float32), "removed": (fg.wave * window).astype(np.float32)}
    if scene.rest is not None:
        stems["rest"] = scene.rest.wave
    draw.meta["region"] = [r0, r1]
    draw.meta["region_operation"] = "Remove"
    heard = labels_of(scene.rest) + labels_of(fg)
    rest = scene.rest_stems
    layout = EditLayout(stems, source=rest + ["kept", "removed"], target=rest + ["kept"], residual=["removed"],
                        before=heard, after=heard, foreground="removed")  # fmt: skip
    return finish_edit(draw, scene, layout, {"x": fg.description, "start": r0, "end": r1}, "Region")
