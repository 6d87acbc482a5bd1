"""How a run's settings read in its report: what the learning curves measure, and every
setting with the value used and where it came from (wording for people, kept out of the
config)."""

from __future__ import annotations

from pydantic import BaseModel

from seqcast.config import TrainConfig


def loss_label(config: TrainConfig) -> str:
    """What the learning curves measure, e.g. 'MAE of the log1p-standardised target'."""
    t = config.resolved_training
    loss = str(t.loss).upper()  # resolved: never None
    if t.target_transform == "log1p":
        return f"{loss} of the standardised log(1 + {config.spec.target})"
    if t.target_transform == "difference":
        return f"{loss} of the standardised change in {config.spec.target} from the origin"
    if config.resolved_scale_target:
        return f"{loss} of the {config.scaler}-scaled {config.spec.target}"
    return f"{loss} of {config.spec.target} (original units)"


def settings_used(config: TrainConfig) -> list[tuple[str, str, str]]:
    """(setting, value used, where it came from) for every setting that has a dataset
    default: what the report shows instead of the unset (null) fields."""
    spec_default = f"dataset default ({config.spec.name})"

    def came_from(given: bool, otherwise: str) -> str:
        return "set for this run" if given else otherwise

    resolved = {
        "timesteps": (config.timesteps, config.resolved_timesteps),
        "horizon": (config.horizon, config.resolved_horizon),
        "steps": (config.steps, config.steps or config.spec.steps),
        "scale_target": (config.scale_target, config.resolved_scale_target),
        "max_fill_steps": (config.gaps.max_fill_steps, config.resolved_max_fill_steps),
        "on_long_gap": (config.gaps.on_long_gap, config.resolved_on_long_gap),
        "max_epochs": (config.training.max_epochs, config.resolved_training.max_epochs),
        "patience": (config.training.patience, config.resolved_training.patience),
        "batch_size": (config.training.batch_size, config.resolved_training.batch_size),
        "loss": (config.training.loss, config.resolved_training.loss),
        "target_transform": (
            config.training.target_transform,
            config.resolved_training.target_transform,
        ),
        "learning_rate": (config.variant.learning_rate, config.resolved_variant.learning_rate),
        "lr_decay": (config.training.lr_decay, config.resolved_training.lr_decay),
        "ema_momentum": (config.training.ema_momentum, config.resolved_training.ema_momentum),
        **{
            name: (getattr(config.selection, name), getattr(config.resolved_selection, name))
            for name in ("folds", "seeds", "shortlist", "ensemble_size")
        },
    }
    rows = [
        (name, str(used), came_from(given is not None, spec_default))
        for name, (given, used) in resolved.items()
    ]
    plain: list[tuple[BaseModel, str]] = [
        (config.variant, n) for n in ("units", "layers", "dropout", "dense_units")
    ]
    plain += [(config.training, "seed"), (config, "scaler")]
    rows += [
        (name, str(getattr(model, name)), came_from(name in model.model_fields_set, "default"))
        for model, name in plain
    ]
    if config.timesteps_sweep:
        rows.append(
            ("timesteps_sweep", ", ".join(map(str, config.timesteps_sweep)), "set for this run")
        )
    return rows
