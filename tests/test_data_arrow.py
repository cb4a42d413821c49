"""The pyarrow reader (netdsl/data/arrow.py): typed columns, missing cells, and
errors that name the file, the line and the column — also when pyarrow's own
message names neither, and when the file is read in streamed pieces."""

from __future__ import annotations

import pytest

pa = pytest.importorskip("pyarrow")
import pyarrow.parquet as pq  # noqa: E402

from netdsl.data.arrow import FLOAT, INT, LABEL, STRING, iter_batches, read_header, read_table  # noqa: E402
from netdsl.data.tables import DataError  # noqa: E402


def write(tmp_path, data: bytes, name: str = "data.csv") -> str:
    path = tmp_path / name
    path.write_bytes(data)
    return str(path)


def error_of(path: str, kinds: dict) -> str:
    with pytest.raises(DataError) as info:
        read_table(path, kinds)
    return str(info.value)


def test_typed_columns_and_missing_cells(tmp_path):
    path = write(tmp_path, b"x,island,year,species\n1.5, Biscoe ,2007,Adelie\nNA,,NA,Gentoo\n,NA,2009,\n")
    t = read_table(path, {"x": FLOAT, "island": STRING, "year": INT, "species": LABEL})
    assert t.columns == ["x", "island", "year", "species"] and t.num_rows == 3
    numbers = t.numbers(["x"])
    assert numbers.dtype == "float32" and numbers[0, 0] == 1.5
    assert numbers[1:, 0].tolist() != numbers[1:, 0].tolist()  # NaN, twice
    assert t.strings("island").tolist() == ["Biscoe", "", ""]  # trimmed; missing is ""
    assert t.ints("year").tolist() == [2007, -1, 2009]
    assert [t.missing_count(c) for c in ("x", "island", "year", "species")] == [2, 2, 1, 1]


def test_first_missing_cell_is_located_by_line(tmp_path):
    path = write(tmp_path, b'x,note\n1,"two\nlines"\n\nNA,b\n')
    t = read_table(path, {"x": FLOAT})
    assert str(t.first_missing("x")) == f"{path}:5: column 'x' is missing on this row ('NA')"
    assert str(t.take([1]).first_missing("x")).startswith(f"{path}:5:")


@pytest.mark.parametrize(
    "data, kinds, message",
    [
        (b'a,b\n"x\ny",2\n"z",oops\n', {"b": FLOAT}, ":4: column 'b' is not a number: 'oops'"),
        (b"a,b\n1,2\n\n3\n", {"a": FLOAT}, ":4: this row has 1 cell, the header 2 columns: no 'b'"),
        (b"a,b\n1,2\n3,4,5\n", {"a": FLOAT}, ":3: this row has 3 cells, the header 2 columns"),
        (b"a,a\n1,2\n", {"a": FLOAT}, ":1: column 'a' is named twice in the header (columns 1 and 2)"),
        (b"a,b\n1,x\n2,y\xff\n", {"a": FLOAT, "b": STRING}, ":3: not UTF-8 text: byte 0xff at line 3"),
        (b"a,b\n1,2\n\ninf,3\n", {"a": FLOAT}, ":4: column 'a' is 'inf', not a finite number"),
        (b"a,b\n1,2\n3.5,3\n", {"a": INT}, ":3: column 'a' is not an integer: '3.5'"),
        (b"", {"a": FLOAT}, ": the file is empty"),
        (b"a,b\n", {"a": FLOAT}, ":1: there is a header but no data rows"),
    ],
)
def test_bad_files_are_located(tmp_path, data, kinds, message):
    path = write(tmp_path, data)
    assert error_of(path, kinds) == path + message


def test_bom_crlf_and_spaces_in_the_header(tmp_path):
    path = write(tmp_path, b"\xef\xbb\xbf a ,b\r\n1,x\r\n")
    assert read_header(path).columns == ["a", "b"]
    assert read_table(path, {"a": FLOAT}).numbers(["a"]).tolist() == [[1.0]]


def test_streamed_pieces_cover_the_file_and_locate_errors(tmp_path):
    rows = b"".join(b"%d,c%d\n" % (i, i % 3) for i in range(2000))
    path = write(tmp_path, b"x,c\n" + rows + b"oops,c1\n")
    pieces = []
    with pytest.raises(DataError) as info:
        for piece in iter_batches(path, {"x": FLOAT, "c": STRING}, block_bytes=4096):
            pieces.append(piece)
    assert len(pieces) > 2 and str(info.value) == f"{path}:2002: column 'x' is not a number: 'oops'"
    assert sum(p.num_rows for p in pieces) <= 2000
    assert [p.offset for p in pieces[:2]] == [0, pieces[0].num_rows]
    assert pieces[1].numbers(["x"])[0, 0] == pieces[0].num_rows


def test_parquet_types_nulls_and_nan(tmp_path):
    path = str(tmp_path / "t.parquet")
    pq.write_table(pa.table({"a": [1.0, float("nan"), None], "s": ["x", None, "y"], "i": [1, 2, 3]}), path)
    t = read_table(path, {"a": FLOAT, "s": STRING, "i": INT})
    assert t.missing_count("a") == 2 and t.strings("s").tolist() == ["x", "", "y"]
    assert t.ints("i").tolist() == [1, 2, 3]
    assert (
        error_of(path, {"s": FLOAT})
        == f"{path}: column 's' holds string values in the Parquet file, not numbers"
    )


def test_hashed_split_is_a_function_of_seed_and_row():
    import numpy as np

    from netdsl.data.split import TEST, TRAIN, VALIDATION, parts

    rows = np.arange(200_000)
    a = parts(rows, 7, 0.2, 0.1)
    assert (a == parts(rows, 7, 0.2, 0.1)).all()  # the same seed, the same rows
    assert (a[5000:6000] == parts(np.arange(5000, 6000), 7, 0.2, 0.1)).all()  # piece by piece alike
    assert not (a == parts(rows, 8, 0.2, 0.1)).all()
    share = np.bincount(a, minlength=3) / len(a)
    assert abs(share[TEST] - 0.2) < 0.01 and abs(share[VALIDATION] - 0.08) < 0.01 and share[TRAIN] > 0.7


def test_vocabularies_in_keras_adapt_order_and_fill_statistics():
    import numpy as np

    from netdsl.data.stats import Counts, Moments

    c = Counts()
    c.add(pa.chunked_array([["b", "a", "c", "a", None, "c", "d"]]))
    assert c.vocabulary() == ["c", "a", "d", "b"] and c.missing == 1  # count desc, ties by value desc
    m = Moments(["x", "y"])
    m.add(np.array([[1, np.nan], [3, 4]], "float32"))
    m.add(np.array([[np.nan, 6], [5, 8]], "float32"))
    assert m.mean() == [3.0, 6.0] and m.median() == [3.0, 6.0]


def test_scan_summarizes_a_file_in_pieces(tmp_path):
    from netdsl.data.stats import scan

    rows = b"".join(b"%d,c%d\n" % (i, i % 3) if i % 97 else b"NA,\n" for i in range(3000))
    path = write(tmp_path, b"x,c\n" + rows)
    s = scan(path, {"x": FLOAT, "c": STRING})
    assert s.rows == 3000 and s.missing_count("x") == s.missing_count("c") == 31
    assert sorted(s.counts["c"].vocabulary()) == ["c0", "c1", "c2"]
    assert str(s.first_missing("x")) == f"{path}:2: column 'x' is missing on this row ('NA')"


def _summary_facts(s) -> tuple:
    return (
        s.rows,
        s.missing,
        s.first_missing_row,
        {c: (n.ordered(), n.missing) for c, n in s.counts.items()},
    )


def test_a_large_file_is_scanned_as_two_halves_with_the_same_summary(tmp_path, monkeypatch):
    """Halves (one per core) give what one pass in order gives: the rows of the
    second half counted after the first's, its first missing cells located in
    the file, its categories counted with the first's; a bad cell in either half
    is located as reading in order locates it; a quote anywhere keeps one pass."""
    from netdsl.data import arrow
    from netdsl.data.stats import scan

    kinds = {"x": FLOAT, "c": STRING, "y": LABEL}
    lines = [b"%d,c%d,%s" % (i, i % 7, b"ab"[i % 2 : i % 2 + 1]) for i in range(6000)]
    lines[10] = b"NA,,a"  # the first half's first missing cells
    lines[4500] = b",c9,"  # the second half's: the first of 'y', and a category only it has
    path = write(tmp_path, b"\n" + b"x, c ,y\n" + b"\n".join(lines) + b"\n")
    monkeypatch.setattr(arrow, "SPLIT_BYTES", 1)
    header = read_header(path)
    parts = arrow.halves(header)
    assert parts is not None and 0 < parts[1][0].size < parts[0][0].size + parts[1][0].size
    halved = scan(path, kinds)
    monkeypatch.setattr(arrow, "SPLIT_BYTES", 1 << 40)
    assert arrow.halves(header) is None
    in_order = scan(path, kinds)
    assert _summary_facts(halved) == _summary_facts(in_order)
    assert halved.first_missing_row["y"] == 4500 and "c9" in halved.counts["c"].vocabulary()
    assert str(halved.first_missing("y")).startswith(f"{path}:4503: column 'y' is empty on this row")

    lines[5000] = b"x5000,c1,a"
    bad = write(tmp_path, b"x,c,y\n" + b"\n".join(lines) + b"\n", "bad.csv")
    with pytest.raises(DataError) as in_order_error:
        scan(bad, kinds)
    monkeypatch.setattr(arrow, "SPLIT_BYTES", 1)
    with pytest.raises(DataError) as halved_error:
        scan(bad, kinds)
    assert str(halved_error.value) == str(in_order_error.value)
    assert str(halved_error.value).startswith(f"{bad}:5002:")

    quoted = write(tmp_path, b'x,c,y\n1,"c1",a\n' + b"\n".join(lines[:3000]) + b"\n", "quoted.csv")
    assert arrow.halves(read_header(quoted)) is None
