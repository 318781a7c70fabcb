"""Frozen judges that check data and outputs: an AudioSet tagger (YAMNet)."""

from audio_omni.judges.yamnet import YamnetTagger

__all__ = ["YamnetTagger"]
