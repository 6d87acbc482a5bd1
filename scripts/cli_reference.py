"""Write docs/cli.md, the CLI reference, from the parser itself: every command's --help.

`make docs` runs it before building the site; tests/project/test_docs.py fails when the committed
page differs from what the parser says (an option added without rerunning this).
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PAGE = ROOT / "docs" / "cli.md"


def render() -> str:
    from seqcast.app.cli import _build_parser

    os.environ["COLUMNS"] = "100"  # argparse wraps at the terminal width: fix it
    parser = _build_parser(plain=True)
    sub = next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction))
    lines = [
        "# CLI reference",
        "",
        "Generated from the parser by `scripts/cli_reference.py` (`make docs`); the same text",
        "as `seqcast COMMAND --help`.",
        "",
        "```text",
        parser.format_help().rstrip(),
        "```",
    ]
    for name, command in sub.choices.items():
        lines += ["", f"## seqcast {name}", "", "```text", command.format_help().rstrip(), "```"]
    return "\n".join(lines) + "\n"


def main(argv: list[str]) -> int:
    text = render()
    if argv == ["--check"]:
        current = PAGE.read_text(encoding="utf-8") if PAGE.exists() else ""
        if current != text:
            print(f"{PAGE} is out of date: run make docs", file=sys.stderr)
            return 1
        return 0
    PAGE.write_text(text, encoding="utf-8")
    print(f"wrote {PAGE}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
