"""Report: figures for papers and the helpers the notebooks share (never copied into a notebook)."""
