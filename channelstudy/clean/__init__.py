"""Cleaners for messy Italian company, survey and analyst data.

One small module per concept, each with the same tiny API where it makes sense (scalar
``compact`` / ``validate`` / ``is_valid`` raising the typed errors of :mod:`.exceptions`, and
vectorised Series functions that return a clean value plus a ``*_flag`` reason code):

* :mod:`.exceptions` -- ``ValidationError`` and its subclasses, each with a flag ``code``
* :mod:`.vat` -- partita IVA, codice fiscale, foreign VAT numbers (``classify_series``)
* :mod:`.names` -- company names, legal forms, matching keys (``clean_names``)
* :mod:`.geo` -- comuni, provinces, regions, macro-areas, NUTS2 (``clean_geo``)
* :mod:`.ateco` -- ATECO codes of any format and edition → ATECO 2025 (``clean_ateco``)
* :mod:`.numbers` -- numbers, money, shares and dates (``parse_numbers``, ``parse_dates``)
* :mod:`.answers` -- Likert, yes/no, multi-select answers and revenue mixes

Import the module you need (``from channelstudy.clean import vat``); this package imports
nothing heavy itself.
"""
