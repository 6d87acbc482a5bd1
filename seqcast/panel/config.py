"""One typed config per panel run (the Prefect UI's form for the panel flows), resolved once:
the spec it names with the run's overrides applied, the source file, the output layout."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from seqcast.errors import ConfigError
from seqcast.io.paths import Layout, checked_out
from seqcast.panel.spec import (
    PanelReference,
    PanelSpec,
    PanelVariant,
    is_panel_file,
    load_panel_spec,
)
from seqcast.spec.dataset import NAME_PATTERN, SPECS_DIR_ENV

BUILTIN_DIR = Path(__file__).resolve().parent / "builtin"


def panel_builtin_names() -> list[str]:
    return sorted(p.stem for p in BUILTIN_DIR.glob("*.toml"))


def panel_spec_path(dataset: str) -> Path | None:
    """The panel spec file ``dataset`` names (a built-in panel name, or a ``.toml`` file that
    names ``series``); None when it names a single-series dataset."""
    import re

    if re.match(NAME_PATTERN, dataset) and not dataset.endswith(".toml"):
        p = BUILTIN_DIR / f"{dataset}.toml"
        return p if p.is_file() else None
    if not dataset.endswith(".toml"):
        return None
    root = os.environ.get(SPECS_DIR_ENV)
    p = (Path(root) / dataset).resolve() if root else Path(dataset).resolve()
    return p if p.is_file() and is_panel_file(p) else None


class PanelRunConfig(BaseModel):
    """A panel train or forecast run; every setting left empty takes the spec's."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    dataset: str = Field(title="Dataset", description="A built-in panel name or a spec file.")
    source: str | None = Field(
        default=None, title="Source", description="The long-format file (default: the spec's)."
    )
    out: str = Field(default="outputs", title="Output folder")
    seed: int = Field(default=42, ge=0, title="Seed", description="Drives every fit.")
    variants: list[PanelVariant] | None = Field(default=None, title="Deep variants")
    seeds: int | None = Field(default=None, ge=1, le=10, title="Seeds per variant")
    max_epochs: int | None = Field(default=None, ge=1, le=1000, title="Most epochs")
    windows_per_series: int | None = Field(
        default=None, ge=1, title="Newest windows per series and fit"
    )
    series_identity: bool | None = Field(default=None, title="Series-identity input")
    references: list[PanelReference] | None = Field(default=None, title="References")
    chunk_size: int | None = Field(default=None, ge=1, title="Series per reference task")
    folds: int | None = Field(default=None, ge=1, le=10, title="Backtest folds")
    dask_address: str | None = Field(
        default=None,
        title="Dask scheduler",
        description="An existing Dask cluster's address (tcp://host:8786): every task runs "
        "there. Empty: local worker processes.",
    )
    workers: int = Field(default=2, ge=1, le=64, title="Local worker processes")
    task_runner: Literal["process", "thread", "dask"] = Field(
        default="process",
        title="Run tasks in",
        description="process: local worker processes; thread: threads of the flow's process "
        "(the deep fits one after another, so seeds reproduce); dask: the Dask cluster at "
        "the address, or a temporary local one without it.",
    )

    def spec_file(self) -> Path:
        p = panel_spec_path(self.dataset)
        if p is None:
            raise ConfigError(
                f"{self.dataset!r} is not a panel dataset: give a built-in panel name "
                f"({', '.join(panel_builtin_names())}) or a spec file that names `series`"
            )
        return p

    def spec(self) -> PanelSpec:
        """The spec with this run's overrides."""
        base = load_panel_spec(self.spec_file())
        training = {
            k: (tuple(v) if isinstance(v, list) else v)
            for k, v in {
                "variants": self.variants,
                "seeds": self.seeds,
                "max_epochs": self.max_epochs,
                "windows_per_series": self.windows_per_series,
                "series_identity": self.series_identity,
                "references": self.references,
                "chunk_size": self.chunk_size,
            }.items()
            if v is not None
        }
        update: dict = {"training": base.training.model_copy(update=training)}
        if self.folds is not None:
            update["folds"] = self.folds
        return PanelSpec.model_validate(
            {
                **base.model_dump(),
                **{
                    k: (v.model_dump() if hasattr(v, "model_dump") else v)
                    for k, v in update.items()
                },
            }
        )

    def source_path(self) -> Path:
        """The file to read: ``source``, else the spec's sample file (beside the spec)."""
        if self.source:
            p = Path(self.source)
        else:
            spec = load_panel_spec(self.spec_file())
            if not spec.sample_file:
                raise ConfigError(f"{self.dataset}: the spec names no sample file; give --source")
            p = (self.spec_file().parent / spec.sample_file).resolve()
        if not p.is_file():
            hint = (
                " (write the tourism files first: python scripts/tourism_data.py)"
                if "tourism" in p.name
                else ""
            )
            raise ConfigError(f"source {p} does not exist{hint}")
        return p

    def layout(self) -> Layout:
        return Layout.of(checked_out(self.out), load_panel_spec(self.spec_file()).name)
