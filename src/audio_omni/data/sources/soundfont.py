"""General MIDI: program names, their AudioSet classes, and a soundfont that installs offline.

Soundfonts, in the order :func:`soundfont_path` tries them:

* ``$AUDIO_OMNI_SOUNDFONT``: any .sf2/.sf3 file the user points at;
* ``"timgm6mb"``: ``TimGM6mb.sf2`` (6 MB, GPL-2, by Tim Brechbill) inside the PyPI package ``pretty-midi``;
* ``"fluid"``: ``FluidR3_GM.sf2`` (141 MB, MIT, by Frank Wen) from the Debian package ``fluid-soundfont-gm``;
* ``"musescore"``: ``MuseScore_General.sf3`` (lossy, MIT) from Debian ``musescore-general-soundfont-small``.
"""

from __future__ import annotations

import os
from pathlib import Path

from audio_omni.assets import debian_package, installed_file
from audio_omni.errors import AssetError

GM_PROGRAMS: dict[int, str] = dict(
    enumerate(
        [
            # pianos
            "Acoustic Grand Piano",
            "Bright Acoustic Piano",
            "Electric Grand Piano",
            "Honky-tonk Piano",
            "Electric Piano 1",
            "Electric Piano 2",
            "Harpsichord",
            "Clavinet",
            # chromatic percussion
            "Celesta",
            "Glockenspiel",
            "Music Box",
            "Vibraphone",
            "Marimba",
            "Xylophone",
            "Tubular Bells",
            "Dulcimer",
            # organs
            "Drawbar Organ",
            "Percussive Organ",
            "Rock Organ",
            "Church Organ",
            "Reed Organ",
            "Accordion",
            "Harmonica",
            "Tango Accordion",
            # guitars
            "Acoustic Guitar (nylon)",
            "Acoustic Guitar (steel)",
            "Electric Guitar (jazz)",
            "Electric Guitar (clean)",
            "Electric Guitar (muted)",
            "Overdriven Guitar",
            "Distortion Guitar",
            "Guitar Harmonics",
            # basses
            "Acoustic Bass",
            "Electric Bass (finger)",
            "Electric Bass (pick)",
            "Fretless Bass",
            "Slap Bass 1",
            "Slap Bass 2",
            "Synth Bass 1",
            "Synth Bass 2",
            # strings
            "Violin",
            "Viola",
            "Cello",
            "Contrabass",
            "Tremolo Strings",
            "Pizzicato Strings",
            "Orchestral Harp",
            "Timpani",
            # ensembles
            "String Ensemble 1",
            "String Ensemble 2",
            "Synth Strings 1",
            "Synth Strings 2",
            "Choir Aahs",
            "Voice Oohs",
            "Synth Voice",
            "Orchestra Hit",
            # brass
            "Trumpet",
            "Trombone",
            "Tuba",
            "Muted Trumpet",
            "French Horn",
            "Brass Section",
            "Synth Brass 1",
            "Synth Brass 2",
            # reeds
            "Soprano Sax",
            "Alto Sax",
            "Tenor Sax",
            "Baritone Sax",
            "Oboe",
            "English Horn",
            "Bassoon",
            "Clarinet",
            # pipes
            "Piccolo",
            "Flute",
            "Recorder",
            "Pan Flute",
            "Blown Bottle",
            "Shakuhachi",
            "Whistle",
            "Ocarina",
            # synth leads
            "Lead 1 (square)",
            "Lead 2 (sawtooth)",
            "Lead 3 (calliope)",
            "Lead 4 (chiff)",
            "Lead 5 (charang)",
            "Lead 6 (voice)",
            "Lead 7 (fifths)",
            "Lead 8 (bass + lead)",
            # synth pads
            "Pad 1 (new age)",
            "Pad 2 (warm)",
            "Pad 3 (polysynth)",
            "Pad 4 (choir)",
            "Pad 5 (bowed)",
            "Pad 6 (metallic)",
            "Pad 7 (halo)",
            "Pad 8 (sweep)",
            # synth effects
            "FX 1 (rain)",
            "FX 2 (soundtrack)",
            "FX 3 (crystal)",
            "FX 4 (atmosphere)",
            "FX 5 (brightness)",
            "FX 6 (goblins)",
            "FX 7 (echoes)",
            "FX 8 (sci-fi)",
            # ethnic
            "Sitar",
            "Banjo",
            "Shamisen",
            "Koto",
            "Kalimba",
            "Bagpipe",
            "Fiddle",
            "Shanai",
            # percussive
            "Tinkle Bell",
            "Agogo",
            "Steel Drums",
            "Woodblock",
            "Taiko Drum",
            "Melodic Tom",
            "Synth Drum",
            "Reverse Cymbal",
            # sound effects
            "Guitar Fret Noise",
            "Breath Noise",
            "Seashore",
            "Bird Tweet",
            "Telephone Ring",
            "Helicopter",
            "Applause",
            "Gunshot",
        ]
    )
)

#: The AudioSet class for the programs that have one (others fall back to their family's class or "Music").
_AUDIOSET_BY_PROGRAM = {
    **{p: "Piano" for p in (0, 1, 3)},
    2: "Electric piano",
    4: "Electric piano",
    5: "Electric piano",
    6: "Harpsichord",
    7: "Keyboard (musical)",
    8: "Glockenspiel",
    9: "Glockenspiel",
    10: "Music box",
    11: "Vibraphone",
    12: "Marimba, xylophone",
    13: "Marimba, xylophone",
    14: "Tubular bells",
    15: "Zither",
    **{p: "Organ" for p in (16, 17, 18, 20)},
    19: "Organ",
    21: "Accordion",
    22: "Harmonica",
    23: "Accordion",
    24: "Acoustic guitar",
    25: "Acoustic guitar",
    **{p: "Electric guitar" for p in range(26, 32)},
    **{p: "Bass guitar" for p in range(32, 40)},
    32: "Double bass",
    40: "Violin, fiddle",
    41: "Bowed string instrument",
    42: "Cello",
    43: "Double bass",
    44: "String section",
    45: "Pizzicato",
    46: "Harp",
    47: "Timpani",
    48: "String section",
    49: "String section",
    50: "Synthesizer",
    51: "Synthesizer",
    52: "Choir",
    53: "Choir",
    54: "Synthesizer",
    55: "Orchestra",
    56: "Trumpet",
    57: "Trombone",
    58: "Brass instrument",
    59: "Trumpet",
    60: "French horn",
    61: "Brass instrument",
    62: "Synthesizer",
    63: "Synthesizer",
    **{p: "Saxophone" for p in range(64, 68)},
    68: "Wind instrument, woodwind instrument",
    69: "Wind instrument, woodwind instrument",
    70: "Wind instrument, woodwind instrument",
    71: "Clarinet",
    72: "Flute",
    73: "Flute",
    74: "Flute",
    75: "Flute",
    76: "Wind instrument, woodwind instrument",
    77: "Flute",
    78: "Whistle",
    79: "Flute",
    **{p: "Synthesizer" for p in range(80, 104)},
    104: "Sitar",
    105: "Banjo",
    106: "Plucked string instrument",
    107: "Plucked string instrument",
    108: "Mallet percussion",
    109: "Bagpipes",
    110: "Violin, fiddle",
    111: "Wind instrument, woodwind instrument",
    112: "Bell",
    113: "Percussion",
    114: "Steelpan",
    115: "Wood block",
    116: "Drum",
    117: "Drum",
    118: "Drum",
    119: "Cymbal",
}

SOUNDFONT_LICENCES = {
    "timgm6mb": "GPL-2.0 (TimGM6mb.sf2 by Tim Brechbill, shipped in pretty-midi)",
    "fluid": "MIT (FluidR3_GM.sf2 by Frank Wen, Debian fluid-soundfont-gm)",
    "musescore": "MIT (MuseScore_General by S. Christian Collins, Debian musescore-general-soundfont-small)",
}


def program_name(program: int) -> str:
    if program not in GM_PROGRAMS:
        raise ValueError(f"General MIDI programs are 0..127, got {program!r}")
    return GM_PROGRAMS[program]


def audioset_label(program: int) -> str:
    """The AudioSet class name that best describes what a General MIDI program sounds like."""
    program_name(program)
    return _AUDIOSET_BY_PROGRAM.get(program, "Music")


def soundfont_path(name: str | None = None) -> tuple[Path, str]:
    """(path, short name) of the soundfont to render with: ``name``, else $AUDIO_OMNI_SOUNDFONT, else TimGM6mb."""
    name = name or os.environ.get("AUDIO_OMNI_SOUNDFONT") or "timgm6mb"
    if name == "timgm6mb":
        return installed_file("pretty-midi", r"TimGM6mb\.sf2$", "pip install pretty-midi"), name
    if name == "fluid":
        found = sorted(debian_package("fluid-soundfont-gm").rglob("FluidR3_GM.sf2"))
    elif name == "musescore":
        found = sorted(debian_package("musescore-general-soundfont-small").rglob("*.sf[23]"))
    else:
        path = Path(name).expanduser()
        if not path.is_file():
            raise AssetError(f"soundfont {name!r} is neither a file nor one of timgm6mb, fluid, musescore")
        return path, path.stem
    if not found:
        raise AssetError(f"the {name} soundfont package holds no soundfont file")
    return found[0], name
