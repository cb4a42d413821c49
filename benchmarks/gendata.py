"""A deterministic generator of large tabular CSV files for the data benchmarks.

    write_csv(path, rows=300_000, seed=0)      # 30 numeric + 3 string columns + a label

The file has `n0 ... n29` (numbers with four decimals; about 1 in 500 cells of
`n0` is missing, written `NA`), `c0 c1 c2` (string categories from
vocabularies of 4, 12 and 40 values) and `label` (three classes that depend
on a few numbers and `c0`, so a model has something to learn). It is written
in chunks, so a file ten times larger never needs ten times the memory, and
the same seed always gives the same bytes.

    python benchmarks/gendata.py 300000 -o data.csv
"""

from __future__ import annotations

import argparse

NUMERIC = [f"n{i}" for i in range(30)]
CATEGORICAL = {"c0": 4, "c1": 12, "c2": 40}
LABEL = "label"
CLASSES = ("high", "low", "mid")
CHUNK_ROWS = 100_000


def columns() -> list[str]:
    return NUMERIC + list(CATEGORICAL) + [LABEL]


def _chunk(rng, n: int):
    import numpy as np
    import pyarrow as pa

    x = rng.standard_normal((n, len(NUMERIC))).round(4)
    cats = {c: rng.integers(0, k, size=n) for c, k in CATEGORICAL.items()}
    score = x[:, 0] + 0.8 * x[:, 1] - 0.6 * x[:, 2] + 0.5 * (cats["c0"] - 1.5)
    label = np.where(score > 0.7, 2, np.where(score < -0.7, 1, 0))  # index into CLASSES
    arrays = {}
    for j, name in enumerate(NUMERIC):
        values = pa.array(x[:, j])
        if name == "n0":
            values = pa.array(x[:, j], mask=rng.random(n) < 0.002)
        arrays[name] = values
    for c, k in CATEGORICAL.items():
        names = pa.array([f"{c}_v{i}" for i in range(k)])
        arrays[c] = names.take(pa.array(cats[c]))
    arrays[LABEL] = pa.array(CLASSES).take(pa.array(label))
    return pa.table(arrays)


def write_csv(path: str, rows: int = 300_000, seed: int = 0) -> int:
    """Write the file; returns its size in bytes."""
    import os

    import numpy as np
    import pyarrow.csv as pcsv

    rng = np.random.default_rng(seed)
    options = pcsv.WriteOptions(include_header=False, quoting_style="none")
    with open(path, "w", encoding="utf-8") as fh:
        fh.write(",".join(columns()) + "\n")
    written = 0
    writer = None
    try:
        while written < rows:
            n = min(CHUNK_ROWS, rows - written)
            table = _with_na(_chunk(rng, n))
            if writer is None:
                sink = open(path, "ab")  # noqa: SIM115  (closed with the writer below)
                writer = pcsv.CSVWriter(sink, table.schema, write_options=options)
            writer.write_table(table)
            written += n
    finally:
        if writer is not None:
            writer.close()
            sink.close()
    return os.path.getsize(path)


def _with_na(table):
    """Missing numbers written as `NA`, as R and many exports write them."""
    import pyarrow as pa
    import pyarrow.compute as pc

    column = table.column("n0")
    text = pc.if_else(pc.is_null(column), pa.scalar("NA"), pc.cast(column, pa.string()))
    return table.set_column(table.schema.get_field_index("n0"), "n0", text)


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("rows", type=int)
    ap.add_argument("-o", "--output", required=True)
    ap.add_argument("--seed", type=int, default=0)
    args = ap.parse_args(argv)
    size = write_csv(args.output, args.rows, args.seed)
    print(f"wrote {args.output}: {args.rows:,} rows, {size / 2**20:.1f} MiB")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
