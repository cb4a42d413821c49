"""Write netdsl/grammars/lalr_tables.py, the parser tables netdsl loads (`make parser-tables`).

Run it after changing netdsl/grammars/netdsl.lark (or upgrading Lark): until
then netdsl builds its parser from the grammar in every process, correct but
about 25 ms slower, and tests/test_architecture.py fails. Lark numbers the states
in the order of a set of objects, so two runs may write different (equivalent)
tables.
"""

from __future__ import annotations

import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
TABLES = ROOT / "netdsl" / "grammars" / "lalr_tables.py"


def main() -> int:
    sys.path.insert(0, str(ROOT))
    from netdsl.lang.parser import tables_module

    TABLES.write_text(tables_module(), encoding="utf-8")
    print(f"wrote {TABLES.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
