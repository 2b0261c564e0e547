#!/usr/bin/env python3
"""Copy mca.md, count.md and estimate.md into README.md between its `<!-- BEGIN x.md -->` and
`<!-- END x.md -->` marks, so that the README's tables are the scripts' output verbatim."""
import re
from pathlib import Path

HERE = Path(__file__).resolve().parent
readme = (HERE / "README.md").read_text()
for name in ("mca.md", "count.md", "estimate.md"):
    body = (HERE / name).read_text().rstrip("\n")
    readme, n = re.subn(rf"(<!-- BEGIN {re.escape(name)} -->\n)(?:.*?\n)?(<!-- END {re.escape(name)} -->)",
                        lambda m: m.group(1) + body + "\n" + m.group(2), readme, flags=re.S)
    assert n == 1, f"README.md: no BEGIN/END marks for {name}"
(HERE / "README.md").write_text(readme)
