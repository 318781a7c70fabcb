"""Transcript -> symbol sequence for the speech-text encoder.

Latin text stays as characters; Chinese is segmented with jieba and written as tone-numbered pinyin syllables,
each preceded by a space, so the vocabulary stays at 2545 symbols. The rules reproduce the symbol lists of the
official model (checked against the fixture's `pinyin_char_lists`).
"""

from __future__ import annotations

import logging
from functools import lru_cache
from pathlib import Path

from audio_omni.errors import AssetError

# Curly quotes and semicolons are folded into the plain symbols the vocabulary knows.
_FOLD = str.maketrans({";": ",", "\u201c": '"', "\u201d": '"', "\u2018": "'", "\u2019": "'"})
# A latin run that follows other text gets a separating space unless the previous symbol already separates.
_SEPARATORS = " :'\""
# Config value naming a vocabulary shipped with this package (e.g. "builtin:symbols-v1").
BUILTIN_PREFIX = "builtin:"


def _is_cjk(char: str) -> bool:
    return "\u3100" <= char <= "\u9fff"


@lru_cache(maxsize=1)
def _segmenter():
    import jieba

    jieba.setLogLevel(logging.CRITICAL)
    jieba.initialize()
    return jieba


def _pinyin(text: str) -> list[str]:
    from pypinyin import Style, lazy_pinyin

    return lazy_pinyin(text, style=Style.TONE3, tone_sandhi=True)


def text_to_symbols(text: str) -> list[str]:
    """One transcript -> its list of vocabulary symbols (characters and pinyin syllables)."""
    symbols: list[str] = []
    for word in _segmenter().cut(text.translate(_FOLD)):
        n_bytes = len(word.encode("utf-8"))
        if n_bytes == len(word):  # ASCII only: letters, digits, punctuation
            if symbols and n_bytes > 1 and symbols[-1] not in _SEPARATORS:
                symbols.append(" ")
            symbols.extend(word)
        elif n_bytes == 3 * len(word):  # all three-byte characters: read the word as a whole (polyphones)
            syllables = _pinyin(word)
            for char, syllable in zip(word, syllables, strict=False):
                if _is_cjk(char):
                    symbols.append(" ")
                symbols.append(syllable)
        else:  # mixed scripts: character by character
            for char in word:
                if ord(char) < 256:
                    symbols.append(char)
                elif _is_cjk(char):
                    symbols.append(" ")
                    symbols.extend(_pinyin(char))
                else:
                    symbols.append(char)
    return symbols


class SymbolVocabulary:
    """Symbol -> index by line number of the vocabulary file; unknown symbols map to 0 (the space)."""

    def __init__(self, symbols: list[str]):
        self.symbols = symbols
        self.index = {s: i for i, s in enumerate(symbols)}

    @classmethod
    def from_file(cls, path: str | Path) -> SymbolVocabulary:
        path = Path(path)
        if not path.is_file():
            raise AssetError(
                f"speech-text vocabulary not found: {path}. The official vocab.txt is part of the official "
                "code repository; pass its path (e.g. --vocab or the config's vocab_file)."
            )
        # Text mode normalises the file's CRLF endings; a line holding a single space is the symbol ' '.
        lines = path.read_text(encoding="utf-8").splitlines()
        return cls(lines)

    @classmethod
    def builtin(cls, name: str) -> SymbolVocabulary:
        """Our own vocabulary files (scripts/make_symbol_vocab.py), used by our presets."""
        from importlib.resources import files

        resource = files("audio_omni.presets") / f"{name}.txt"
        if not resource.is_file():
            raise AssetError(f"no built-in symbol vocabulary named {name!r}")
        return cls(resource.read_text(encoding="utf-8").splitlines())

    def __len__(self) -> int:
        return len(self.symbols)

    def encode(self, symbols: list[str]) -> list[int]:
        return [self.index.get(s, 0) for s in symbols]
