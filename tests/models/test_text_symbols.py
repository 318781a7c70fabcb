"""Transcript -> symbols: the official rules (fixture) and our built-in vocabulary's coverage."""

from __future__ import annotations

import json

import pytest

from audio_omni.errors import AssetError
from audio_omni.models.conditioners.text_symbols import SymbolVocabulary, text_to_symbols


def test_symbols_match_the_official_lists(official_tiny):
    case = json.loads((official_tiny / "cases.json").read_text(encoding="utf-8"))["cases"]["speech_prompt"]
    for text, expected in zip(case["texts"], case["pinyin_char_lists"], strict=True):
        assert text_to_symbols(text or "") == expected


def test_official_vocab_reads_crlf_file(official_tiny):
    vocab = SymbolVocabulary.from_file(official_tiny / "vocab.txt")
    assert len(vocab) == 2545 and vocab.symbols[0] == " "
    assert vocab.encode(["\u2603"]) == [0]  # unknown -> 0


@pytest.mark.parametrize(
    "text",
    ["Hello world.", "你好，今天天气很好。", "Grüß Gott, ça va? ¿Qué tal?", "こんにちは", "重庆 2026"],
)
def test_builtin_vocabulary_covers_our_languages(text):
    vocab = SymbolVocabulary.builtin("symbols-v1")
    symbols = text_to_symbols(text)
    unknown = [s for s, i in zip(symbols, vocab.encode(symbols), strict=True) if i == 0 and s != " "]
    assert not unknown


def test_missing_vocabulary_is_a_clear_error(tmp_path):
    with pytest.raises(AssetError, match="vocabulary not found"):
        SymbolVocabulary.from_file(tmp_path / "vocab.txt")
    with pytest.raises(AssetError):
        SymbolVocabulary.builtin("symbols-v0")
