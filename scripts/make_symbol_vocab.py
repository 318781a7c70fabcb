"""Generate our speech-text symbol vocabulary (src/audio_omni/presets/symbols-v1.txt).

Our presets cannot ship the official vocab.txt (it belongs to the official repository), so they use this one:
the space first (index 0, also where unknown symbols go), printable ASCII, Latin-1 letters for European
languages, CJK and full-width punctuation, kana, and every tone-numbered pinyin syllable pypinyin knows (plus
the neutral-tone forms). The file is committed so the ids never change with a pypinyin release.
"""

from __future__ import annotations

import re
from pathlib import Path

from pypinyin.contrib.tone_convert import to_tone3
from pypinyin.pinyin_dict import pinyin_dict

OUT = Path(__file__).resolve().parents[1] / "src" / "audio_omni" / "presets" / "symbols-v1.txt"


def main() -> None:
    symbols = [" "]
    symbols += [chr(c) for c in range(33, 127)]
    symbols += [chr(c) for c in range(0xC0, 0x100) if chr(c) not in "\u00d7\u00f7"]
    symbols += list("\u0152\u0153\u1e9e\u00a1\u00bf\u00ab\u00bb")  # OE ligatures, capital sharp s, ¡ ¿ « »
    symbols += list(
        "\uff0c\u3002\uff01\uff1f\u3001\uff1b\uff1a\u201c\u201d\u2018\u2019\uff08\uff09"
        "\u300a\u300b\u2026\u2014\u2013\u00b7\u300c\u300d\u300e\u300f\u301c\uff5e"
    )
    symbols += [chr(c) for c in range(0x3041, 0x3097)] + [chr(c) for c in range(0x30A1, 0x30FB)] + ["\u30fc"]
    syllables = set()
    for readings in pinyin_dict.values():
        for reading in readings.split(","):
            tone3 = to_tone3(reading, neutral_tone_with_five=False)
            syllables.add(tone3)
            syllables.add(re.sub(r"\d", "", tone3))
    seen = set(symbols)
    symbols += sorted(s for s in syllables if s and s not in seen)
    OUT.write_text("\n".join(symbols) + "\n", encoding="utf-8")
    print(f"{len(symbols)} symbols -> {OUT}")


if __name__ == "__main__":
    main()
