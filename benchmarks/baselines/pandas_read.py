"""Baseline of `netdsl check --data`: pandas reads the same file."""

import sys

import pandas as pd

frame = pd.read_csv(sys.argv[1])
print(len(frame), len(frame.columns))
