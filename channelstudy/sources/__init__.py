"""Sources: the ``sources.yml`` contract and the readers of raw files.

``specs`` holds the contract as data, ``checks`` one check per key, ``headers`` header matching,
``manifest`` loads and checks a manifest, ``presets`` describes known publisher formats,
``readers`` reads every format as canonical text (``quarantine`` sets malformed rows aside,
``sniff`` names the setting a file needs), ``eurostat`` reads bulk TSV files and ``fetch``
downloads public reference data.
"""
