"""The OpenSFX .cat and Qt .rcc readers, on the real archives from the Debian packages."""

from __future__ import annotations

import re

import pytest

from audio_omni.assets import debian_package
from audio_omni.data.sources.archives import ArchiveError, parse_opensfx_description, read_cat, read_rcc
from audio_omni.data.sources.real_audio import licence_name

pytestmark = pytest.mark.slow


def _package(name: str):
    return debian_package(name)  # fetched by scripts/install.sh; missing data is an error naming it


def test_opensfx_catalogue_entries_are_wav_with_descriptions():
    cat = _package("openttd-opensfx") / "usr/share/games/openttd/baseset/opensfx/opensfx.cat"
    entries = read_cat(cat)
    assert len(entries) == 73
    assert all(e.data[:4] == b"RIFF" and e.data[8:12] == b"WAVE" for e in entries)
    by_title = {parse_opensfx_description(e.name)["title"]: e for e in entries}
    cow = parse_opensfx_description(by_title["Cow"].name)
    assert cow["licence"] == "Creative Commons Zero 1.0"
    assert "Jarred Gib" in cow["credits"] and "Wuzzy" in cow["credits"]
    licences = {licence_name(parse_opensfx_description(e.name)["licence"]) for e in entries}
    assert licences == {"CC-BY-3.0", "CC0-1.0", "CC-BY-SA-3.0"}


def test_rcc_bundle_lists_and_inflates_the_farm_animals():
    rcc = _package("gcompris-qt-data") / "usr/share/gcompris-qt/rcc/explore_farm_animals.rcc"
    sounds = {e.path.rsplit("/", 1)[-1]: e.data for e in read_rcc(rcc, re.compile(r"\.ogg$"))}
    assert {"dog.ogg", "cow.ogg", "horse.ogg", "sheep.ogg", "cat.ogg"} <= set(sounds)
    assert all(data[:4] == b"OggS" for data in sounds.values())
    every = list(read_rcc(rcc))  # images and QML too, some zlib-compressed
    assert len(every) > len(sounds)
    assert any(e.path.endswith(".qml") and b"import" in e.data for e in every)


def test_malformed_archives_raise_archive_error(tmp_path):
    bad = tmp_path / "bad.cat"
    bad.write_bytes(b"\x10\x00\x00\x80" + b"\xff" * 12)
    with pytest.raises(ArchiveError):
        read_cat(bad)
    not_rcc = tmp_path / "bad.rcc"
    not_rcc.write_bytes(b"RIFF" + b"\0" * 40)
    with pytest.raises(ArchiveError, match="qres"):
        list(read_rcc(not_rcc))
    truncated = tmp_path / "cut.rcc"
    real = _package("gcompris-qt-data") / "usr/share/gcompris-qt/rcc/explore_farm_animals.rcc"
    truncated.write_bytes(real.read_bytes()[:4000])
    with pytest.raises(ArchiveError):
        list(read_rcc(truncated))


def test_opensfx_description_parser_handles_public_domain_note():
    meta = parse_opensfx_description(
        '"Mining machinery". Original "Elevator" by "Aldor". Edited by Janis Lukss. '
        "License: Creative Commons Attribution 3.0 Unported. Original is Public Domain."
    )
    assert meta["title"] == "Mining machinery"
    assert meta["licence"] == "Creative Commons Attribution 3.0 Unported"
    assert meta["credits"].endswith("Original is Public Domain.")
