"""Reference Keras models of the keras.io structured-data examples (issue 13), one module per example.

Each module writes the example's model-building code as the script does
(Keras 3; minimal ports noted in its docstring and `SOURCE.notes`) on inline
vocabularies and synthetic rows, and exports `REFERENCES`: what a netdsl
spec of that example is compared against (layer kinds, parameter counts,
predictions after copying weights). Nothing here downloads anything.
"""

from __future__ import annotations

import importlib

MODULES = (
    "wide_deep_cross",
    "tabtransformer",
    "grn_vsn",
    "grn_vsn_tuning",
    "from_scratch",
    "feature_space",
    "feature_space_advanced",
    "imbalanced",
    "collaborative_filtering",
    "movielens_bst",
    "tfdf_encoder",
)


def references():
    """Every Reference of every module, in MODULES order."""
    return [ref for name in MODULES for ref in importlib.import_module(f"{__name__}.{name}").REFERENCES]
