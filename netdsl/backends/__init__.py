"""Backends read the checked graph. Only backends.keras imports TensorFlow."""
