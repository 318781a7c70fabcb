"""The official triplet: one mixture of a foreground sound and the rest gives Add, Remove and Extract.

Add goes from the rest to the mixture (the residual is the added sound), Remove from the mixture to the rest and
Extract from the mixture to the foreground alone; each needs a rest to exist.
"""

from __future__ import annotations

from audio_omni.data.recipes.base import Draw, EditLayout, Pair, draw_scene, finish_edit
from audio_omni.data.tracks import PairError, labels_of


def add(draw: Draw) -> Pair:
    scene = draw_scene(draw)
    if scene.rest is None:
        raise PairError("Add needs something to add to")
    rest, fg = labels_of(scene.rest), labels_of(scene.fg)
    layout = EditLayout(scene.stems(), source=["rest"], target=["rest", "fg"], residual=["fg"],
                        before=rest, after=rest + fg)  # fmt: skip
    return finish_edit(draw, scene, layout, {"x": scene.fg.description}, "Add")


def remove(draw: Draw) -> Pair:
    scene = draw_scene(draw)
    if scene.rest is None:
        raise PairError("Remove needs something left over")
    rest, fg = labels_of(scene.rest), labels_of(scene.fg)
    layout = EditLayout(scene.stems(), source=["rest", "fg"], target=["rest"], residual=["fg"],
                        before=rest + fg, after=rest)  # fmt: skip
    return finish_edit(draw, scene, layout, {"x": scene.fg.description}, "Remove")


def extract(draw: Draw) -> Pair:
    scene = draw_scene(draw)
    if scene.rest is None:
        raise PairError("Extract needs something to extract from")
    rest, fg = labels_of(scene.rest), labels_of(scene.fg)
    layout = EditLayout(scene.stems(), source=["rest", "fg"], target=["fg"], residual=["rest"],
                        before=rest + fg, after=fg)  # fmt: skip
    return finish_edit(draw, scene, layout, {"x": scene.fg.description}, "Extract")
