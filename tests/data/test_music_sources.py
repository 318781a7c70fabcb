"""Score-based music sources: exact stems rendered part by part (real music21 corpus, real soundfont)."""

from __future__ import annotations

import numpy as np
import pytest
import soundfile as sf

from audio_omni.data.sources import music
from audio_omni.data.sources.music import ScoreError

CHORALE = "bach/bwv66.6.mxl"  # four parts, quarter = 96 (36 quarters = 22.5 s)
SR = 16000


@pytest.fixture(autouse=True)
def fresh_cache(tmp_path, monkeypatch):
    """Render into an empty cache so a stale render can never hide a bug."""
    monkeypatch.setenv("AUDIO_OMNI_CACHE", str(tmp_path / "cache"))


def test_list_scores_are_multi_part_and_varied():
    scores = music.list_scores(limit=30)
    assert len(scores) == 30 and len(set(scores)) == 30
    assert scores == music.list_scores(limit=30)  # deterministic
    composers = {s.split("/", 1)[0] for s in scores}
    assert len(composers) >= 10  # interleaved across composers, not 30 Bach chorales
    index = {row[0]: row[2] for row in music._corpus_index()}
    assert all(index[s] >= 2 for s in scores)
    assert len(music.list_scores(min_parts=4)) < len(music.list_scores())


def test_gm_programs_and_labels():
    assert len(music.GM_PROGRAMS) == 128
    assert music.GM_PROGRAMS[40] == "Violin" and music.GM_PROGRAMS[0] == "Acoustic Grand Piano"
    assert music.instrument_label("Violin") == "Violin, fiddle"
    assert music.instrument_label("Cello 2") == "Cello"
    with pytest.raises(ScoreError):
        music.instrument_label("Kazoo")


def test_excerpt_timing_follows_the_tempo():
    assert music._load_score(CHORALE).duration == pytest.approx(22.5)


def test_stems_have_equal_length_and_sum_to_the_mixture():
    stems = music.render_parts(CHORALE, seconds=3.0, sample_rate=SR, offset_s=1.5)
    assert list(stems) == ["Soprano", "Alto", "Tenor", "Bass"]
    assert {s.shape for s in stems.values()} == {(3 * SR,)}
    assert all(s.dtype == np.float32 and np.abs(s).max() > 0.05 for s in stems.values())
    mixture = music.mix(stems)
    np.testing.assert_allclose(mixture, np.sum(list(stems.values()), axis=0), atol=1e-6)
    assert np.abs(mixture).max() <= 1.0
    # the parts really are different lines: no two stems are the same signal
    flat = np.stack(list(stems.values()))
    corr = np.corrcoef(flat)
    assert np.all(np.abs(corr[~np.eye(4, dtype=bool)]) < 0.9)
    # a second call is served from the cache, identically
    again = music.render_parts(CHORALE, seconds=3.0, sample_rate=SR, offset_s=1.5)
    assert all(np.array_equal(stems[k], again[k]) for k in stems)


def test_changing_one_program_changes_only_that_stem():
    programs = music.default_programs(CHORALE)
    assert len(set(programs.values())) == len(programs)  # distinct instruments by default
    before = music.render_parts(CHORALE, programs, seconds=2.0, sample_rate=SR)
    swapped = dict(programs, Tenor=71 if programs["Tenor"] != 71 else 73)
    after = music.render_parts(CHORALE, swapped, seconds=2.0, sample_rate=SR)
    for part in ("Soprano", "Alto", "Bass"):
        assert np.array_equal(before[part], after[part])
    assert not np.allclose(before["Tenor"], after["Tenor"], atol=1e-3)


def test_bad_requests_are_refused():
    single = next(row[0] for row in music._corpus_index() if row[2] == 1)
    with pytest.raises(ScoreError, match="at least two"):
        music.render_parts(single, seconds=2.0, sample_rate=SR)
    with pytest.raises(ScoreError, match="no part"):
        music.render_parts(CHORALE, {"Trumpet": 56}, seconds=2.0, sample_rate=SR)
    with pytest.raises(ScoreError, match="past its end"):
        music.render_parts(CHORALE, seconds=2.0, sample_rate=SR, offset_s=60.0)
    with pytest.raises(ScoreError):
        music.render_parts("no/such/score.mxl", seconds=2.0, sample_rate=SR)
    with pytest.raises(ValueError):
        music.render_parts(CHORALE, {"Tenor": 200}, seconds=2.0, sample_rate=SR)


def test_music_records_keep_exact_stems_through_files():
    records = music.music_records(n_scores=2, seconds=2.0, sample_rate=SR)
    assert len(records) == 2 and len({r.id for r in records}) == 2
    for record in records:
        assert record.domain == "music" and record.label == "Music" and record.sample_rate == SR
        assert len(record.stems) >= 2 and record.group.startswith("music21/")
        assert "TimGM6mb" in record.licence and "music21" in record.licence
        for name in record.stems:
            assert name.lower() in record.caption
            music.instrument_label(name)  # every stem is named by a GM instrument
        mixture, sr = sf.read(record.path, dtype="float32")
        stems = [sf.read(path, dtype="float32")[0] for path in record.stems.values()]
        assert sr == SR and mixture.shape == (2 * SR,)
        np.testing.assert_allclose(mixture, np.sum(stems, axis=0), atol=1e-6)
