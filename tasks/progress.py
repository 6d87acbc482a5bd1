"""A training task's epochs mirrored into a Prefect progress artifact: the Prefect UI shows it
on the task run, and the command line's progress view reads it back (``seqcast.app.runs``)."""

from __future__ import annotations

import math
import time
from uuid import UUID

from prefect.artifacts import create_progress_artifact, update_progress_artifact


def epoch_summary(epochs: int, best_epoch: int, best_val_loss: float) -> str:
    return f"{epochs} epochs, best val loss {best_val_loss:.4g} at epoch {best_epoch}"


class EpochProgress:
    """``on_epoch`` callback for :func:`seqcast.models.fitting.fit_variant`; at most one API
    call per ``interval`` seconds (and one at the end, :meth:`finish`)."""

    def __init__(self, max_epochs: int, interval: float = 0.5) -> None:
        self.max_epochs = max_epochs
        self.interval = interval
        self.best = (0, math.inf)  # (epoch, val loss)
        self._last = 0.0
        artifact_id = create_progress_artifact(progress=0.0, description="starting")
        if not isinstance(artifact_id, UUID):  # sync callers get the value, not a coroutine
            raise TypeError("EpochProgress must be created from synchronous code")
        self.id = artifact_id

    def __call__(self, epoch: int, loss: float, val_loss: float | None) -> None:
        if val_loss is not None and val_loss < self.best[1]:
            self.best = (epoch, val_loss)
        now = time.monotonic()
        if now - self._last < self.interval:
            return
        self._last = now
        if val_loss is None:  # a fixed-epoch refit
            description = f"epoch {epoch}/{self.max_epochs}, loss {loss:.4g}"
        else:
            description = (
                f"epoch {epoch}/{self.max_epochs}, val loss {val_loss:.4g} "
                f"(best {self.best[1]:.4g} at {self.best[0]})"
            )
        update_progress_artifact(
            self.id, progress=100.0 * epoch / self.max_epochs, description=description
        )

    def finish(self, history: dict[str, list[float]]) -> None:
        """The final line, from the kept fit's own curve (a retried fit restarts it)."""
        if "val_loss" not in history:
            losses = history["loss"]
            summary = f"{len(losses)} epochs (fixed), final loss {losses[-1]:.4g}"
        else:
            val = history["val_loss"]
            best = min(range(len(val)), key=val.__getitem__)
            summary = epoch_summary(len(val), best + 1, val[best])
        update_progress_artifact(self.id, progress=100.0, description=summary)
