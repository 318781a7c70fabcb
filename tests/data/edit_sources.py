"""A small source catalogue of real recordings (Debian game sound packages) for the pair-engine tests."""

from __future__ import annotations

from pathlib import Path

from audio_omni.assets import debian_package
from audio_omni.audio.io import audio_info
from audio_omni.data.catalog import ClipRecord, write_catalog
from audio_omni.data.sources.taxonomy import caption_for, label_for

#: (package, path inside it) of clips with clear labels; the long ones serve as background beds.
CLIPS = [
    ("minetest-data", "usr/share/games/minetest/games/minetest_game/mods/default/sounds/default_wood_footstep.1.ogg"),
    ("minetest-data", "usr/share/games/minetest/games/minetest_game/mods/default/sounds/default_gravel_footstep.2.ogg"),
    ("minetest-data", "usr/share/games/minetest/games/minetest_game/mods/fire/sounds/fire_small.ogg"),
    ("minetest-data", "usr/share/games/minetest/games/minetest_game/mods/doors/sounds/doors_door_open.ogg"),
    ("minetest-data", "usr/share/games/minetest/games/minetest_game/mods/doors/sounds/doors_door_close.ogg"),
    ("minetest-data", "usr/share/games/minetest/games/minetest_game/mods/env_sounds/sounds/env_sounds_water.3.ogg"),
    ("minetest-data", "usr/share/games/minetest/games/minetest_game/mods/env_sounds/sounds/env_sounds_water.4.ogg"),
    ("minetest-data", "usr/share/games/minetest/games/minetest_game/mods/tnt/sounds/tnt_explode.ogg"),
    ("minetest-data", "usr/share/games/minetest/games/minetest_game/mods/default/sounds/default_break_glass.1.ogg"),
    ("minetest-data", "usr/share/games/minetest/games/minetest_game/mods/carts/sounds/carts_cart_moving.2.ogg"),
    ("wesnoth-1.16-data", "usr/share/games/wesnoth/1.16/data/core/sounds/ambient/birds2.ogg"),
    ("wesnoth-1.16-data", "usr/share/games/wesnoth/1.16/data/core/sounds/ambient/birds3.ogg"),
    ("wesnoth-1.16-data", "usr/share/games/wesnoth/1.16/data/core/sounds/ambient/night.ogg"),
    ("wesnoth-1.16-data", "usr/share/games/wesnoth/1.16/data/core/sounds/ambient/ship.ogg"),
    ("wesnoth-1.16-data", "usr/share/games/wesnoth/1.16/data/core/sounds/horse-canter.wav"),
    ("wesnoth-1.16-data", "usr/share/games/wesnoth/1.16/data/core/sounds/wolf-growl-2.ogg"),
    ("wesnoth-1.16-data", "usr/share/games/wesnoth/1.16/data/core/sounds/hiss.wav"),
    ("wesnoth-1.16-data", "usr/share/games/wesnoth/1.16/sounds/bell.wav"),
    ("wesnoth-1.16-data", "usr/share/games/wesnoth/1.16/data/core/sounds/gunshot.wav"),
    ("wesnoth-1.16-data", "usr/share/games/wesnoth/1.16/data/core/sounds/dwarf-laugh.wav"),
    ("wesnoth-1.16-data", "usr/share/games/wesnoth/1.16/data/core/sounds/hatchet.wav"),
    ("wesnoth-1.16-data", "usr/share/games/wesnoth/1.16/data/core/sounds/ambient/wardrums.ogg"),
]


def real_records() -> list[ClipRecord]:
    records = []
    for package, rel in CLIPS:
        path = debian_package(package) / rel
        stem = path.name.rsplit(".", 1)[0]
        label = label_for(stem)
        assert label is not None, stem
        info = audio_info(path)
        records.append(ClipRecord(
            id=f"{package}/{stem}", path=str(path), domain="sound", label=label, caption=caption_for(label),
            duration=float(info.duration), sample_rate=info.sample_rate, channels=info.channels, source=package,
            licence="GPL-2+ (Debian package)", attribution=f"Debian package {package}",
        ))  # fmt: skip
    return records


def write_real_catalog(directory: Path, extra: list[ClipRecord] = ()) -> Path:
    """``directory/catalog.jsonl`` with the real clips above (plus ``extra`` records)."""
    return write_catalog(Path(directory) / "catalog.jsonl", [*real_records(), *extra])
