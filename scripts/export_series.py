"""Write a real series that a package bundles as a CSV file, for the examples under
``examples/`` (nothing is downloaded: the data ships inside the package).

``python scripts/export_series.py co2 co2.csv``: the weekly Mauna Loa CO2 record (ppm,
1958-03-29 .. 2001-12-29, Saturdays) bundled with statsmodels, with its 59 missing weeks left
out of the file as rows, as a raw export would have them.
"""

from __future__ import annotations

import argparse
from pathlib import Path

SERIES = ("co2",)


def co2_frame():
    import statsmodels.api as sm

    data = sm.datasets.co2.load_pandas().data  # weekly (W-SAT) index, column "co2"
    frame = data.dropna().rename_axis("date").reset_index()
    frame["date"] = frame["date"].dt.strftime("%Y-%m-%d")
    return frame[["date", "co2"]]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("series", choices=SERIES)
    parser.add_argument("out", type=Path)
    args = parser.parse_args(argv)
    frame = co2_frame()
    args.out.parent.mkdir(parents=True, exist_ok=True)
    frame.to_csv(args.out, index=False)
    print(f"{args.out}: {len(frame)} rows, {frame['date'].iloc[0]} .. {frame['date'].iloc[-1]}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
