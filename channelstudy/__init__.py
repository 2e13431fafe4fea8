"""channelstudy: a research toolkit for the Italian enterprise ICT channel.

Turns survey exports, analyst directories, vendor rosters and shared-pipeline records into
clean, linked, validated tables, and ships a seeded simulator of the population with planted
truth (``channelstudy.simulate``) so every analysis runs, and is checked, on a fresh machine.
"""

__version__ = "0.1.0"
