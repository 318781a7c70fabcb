"""Where the engine's clips come from: real recordings from Debian/PyPI packages, catalogued under one taxonomy.

``taxonomy`` (labels), ``archives`` (OpenSFX .cat and Qt .rcc readers), ``real_audio`` (what each package holds),
``catalog_build`` (fetch, extract, check, tag and catalogue: ``audio-omni data sources``).
"""
