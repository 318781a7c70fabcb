"""The official triplet: one mixture of a foreground sound (``fg``) and the rest gives Add, Remove and Extract.

Add goes from the rest to the mixture (the residual is the added sound), Remove from the mixture to the rest and
Extract from the mixture to the foreground alone; each needs a rest to exist.
"""

from __future__ import annotations

from audio_omni.data.recipes.base import Draw, EditLayout, Pair, draw_scene, finish_edit
from audio_omni.data.tracks import PairError, labels_of


def add(draw: Draw) -> Pair:
    return _triplet(draw, ["rest"], ["rest", "fg"], ["fg"], "something to add to")


def remove(draw: Draw) -> Pair:
    return _triplet(draw, ["rest", "fg"], ["rest"], ["fg"], "something left over")


def extract(draw: Draw) -> Pair:
    return _triplet(draw, ["rest", "fg"], ["fg"], ["rest"], "something to extract from")


def _triplet(draw: Draw, source: list[str], target: list[str], residual: list[str], needs: str) -> Pair:
    """The pair whose source, target and residual are these sums of the stems ``fg`` and ``rest``."""
    scene = draw_scene(draw)
    if scene.rest is None:
        raise PairError(f"{draw.task} needs {needs}")
    heard = {"rest": labels_of(scene.rest), "fg": labels_of(scene.fg)}
    layout = EditLayout(scene.stems(), source, target, residual, before=[x for s in source for x in heard[s]],
                        after=[x for s in target for x in heard[s]])  # fmt: skip
    return finish_edit(draw, scene, layout, {"x": scene.fg.description}, draw.task)
