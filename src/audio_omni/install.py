"""Fill the caches at install time, so nothing is fetched or converted later (run by ``scripts/install.sh``).

``python -m audio_omni.install fetch-test-audio | fetch-data-packages | prepare-models``:

* ``fetch-test-audio``: the Debian packages the test suite reads (real recorded speech);
* ``fetch-data-packages``: those and every Debian package the data engine reads
  (:func:`audio_omni.data.sources.debian_packages`), unpacked into the cache by ``apt-get download``;
* ``prepare-models``: the one-time conversions of frozen models (Gemma GGUF -> safetensors, Whisper-base assembly).

This module sits above the layers it fills the caches for; :mod:`audio_omni.assets` below them only knows how
to find an installed file and build a cache entry.
"""

from __future__ import annotations

import argparse
import sys

from audio_omni.assets import debian_package
from audio_omni.errors import AssetError

#: Real recordings the tests read: Asterisk prompts (also data-engine material) and LibriVox clips.
TEST_AUDIO_PACKAGES = ("asterisk-core-sounds-en-wav", "pocketsphinx-testdata")
COMMANDS = ("fetch-test-audio", "fetch-data-packages", "prepare-models")


def data_packages() -> tuple[str, ...]:
    """The test packages, then the data engine's (each once)."""
    from audio_omni.data.sources import debian_packages

    return tuple(dict.fromkeys((*TEST_AUDIO_PACKAGES, *debian_packages())))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m audio_omni.install", description=__doc__.split("\n")[0])
    parser.add_argument("command", choices=COMMANDS)
    args = parser.parse_args(argv)
    try:
        if args.command == "prepare-models":
            from audio_omni.judges.whisper import whisper_base_ct2
            from audio_omni.models.mllm.gemma import converted_cache

            for prepare in (converted_cache, whisper_base_ct2):
                print(prepare(), flush=True)
        else:
            for name in TEST_AUDIO_PACKAGES if args.command == "fetch-test-audio" else data_packages():
                print(debian_package(name, fetch=True), flush=True)  # the one place that fetches
    except AssetError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
