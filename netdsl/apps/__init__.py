"""What users run on top of a compiled model: training, comparing, plotting."""
