"""Synthetic extracts with planted problems and their ground truth: benchmarks and the demo, never the nightly run."""
