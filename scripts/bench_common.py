"""What the bench scripts share: where the real Seoul files are, a user's environment for a
command run in a fresh process, and how one section of docs/BENCHMARKS.md is replaced."""

from __future__ import annotations

import os
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
REAL = ROOT.parent / "shared" / "datasets"
PAGE = ROOT / "docs" / "BENCHMARKS.md"
SEOUL_FILES = {  # dataset -> its real file in REAL
    "weekly-temperature": "seoul_weekly_temperature.csv",
    "bike-hourly": "seoul_bike_hourly.csv",
}


def user_env(home: Path, api: str | None = None) -> dict[str, str]:
    """This process's environment as a new user's: no Prefect or MLflow setting of ours, a
    brand-new ``PREFECT_HOME``, and ``PREFECT_API_URL`` only when ``api`` is given."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PREFECT_", "MLFLOW_"))}
    env.update(PREFECT_HOME=str(home), PREFECT_SERVER_ANALYTICS_ENABLED="false")
    if api:
        env["PREFECT_API_URL"] = api
    return env


def _span(text: str, head: str) -> tuple[int, int] | None:
    """Where the section under the heading line ``head`` lies in ``text``: from the heading up
    to the newline before the next ``## `` heading, or to the end; None without it."""
    if head not in text:
        return None
    start = text.index(head)
    end = text.find("\n## ", start + len(head))
    return start, end if end != -1 else len(text)


def section(head: str) -> str:
    """The page's section under ``head`` ("" when the page or the section is missing)."""
    text = PAGE.read_text() if PAGE.exists() else ""
    span = _span(text, head)
    return text[span[0] : span[1]] if span else ""


def replace_section(head: str, block: str) -> None:
    """Put ``block`` (starting with the heading line ``head``, ending with a newline) in place
    of the page's section under ``head``, up to the next ``## `` heading; append it when the
    page has none."""
    text = PAGE.read_text()
    span = _span(text, head)
    if span:
        rest = text[span[1] + 1 :]  # the next section, from its heading ("" when none)
        text = text[: span[0]] + block + ("\n" + rest if rest else "")
    else:
        text = text.rstrip() + "\n\n" + block
    PAGE.write_text(text)
