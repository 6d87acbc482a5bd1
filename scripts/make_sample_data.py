"""Write the bundled synthetic samples to data/raw/ (deterministic: same bytes every run)."""

from __future__ import annotations

from pathlib import Path

import sample_data as sample

ROOT = Path(__file__).resolve().parents[1]


def main() -> None:
    raw = ROOT / "data" / "raw"
    raw.mkdir(parents=True, exist_ok=True)
    sample.weekly_temperature().to_csv(raw / "weekly_temperature_sample.csv", index=False)
    sample.bike_hourly().to_csv(raw / "bike_hourly_sample.csv", index=False)
    print(f"wrote samples to {raw}")


if __name__ == "__main__":
    main()
