"""How a run's settings read in its report: what the learning curves measure, and every
setting with the value used and where it came from (wording for people, kept out of the
config)."""

from __future__ import annotations

from pydantic import BaseModel

from seqcast.config import TrainConfig
from seqcast.spec.choices import resolved_references


def loss_label(config: TrainConfig) -> str:
    """What the learning curves measure, e.g. 'MAE of the log1p-standardised target'."""
    t = config.resolved_training
    loss = str(t.loss).upper()  # resolved: never None
    if t.target_transform == "log1p":
        return f"{loss} of the standardised log(1 + {config.spec.target})"
    if t.target_transform == "difference":
        return f"{loss} of the standardised change in {config.spec.target} from the origin"
    if t.target_transform == "normalize":
        return (
            f"{loss} of the standardised change in {config.spec.target} from the origin, "
            "in units of the window's spread"
        )
    if config.resolved_scale_target:
        return f"{loss} of the {config.scaler}-scaled {config.spec.target}"
    unit = config.spec.column(config.spec.target).unit
    return f"{loss} of {config.spec.target} " + (f"in {unit}" if unit else "(original units)")


def settings_used(config: TrainConfig) -> list[tuple[str, str, str]]:
    """(setting, value used, where it came from) for every setting that has a default: what
    the report shows instead of the unset (null) fields.

    A value is "set for this run" only when it differs from the one the run would have used
    without it: the command line and the Prefect form pass every field, defaults included, so
    whether a field was passed (pydantic's ``model_fields_set``) does not say whether a person
    chose it."""
    spec, d = config.spec, config.spec.training
    spec_default = f"dataset default ({spec.name})"
    t, sel = config.resolved_training, config.resolved_selection
    # setting: (value used, the dataset's value)
    resolved: dict[str, tuple[object, object]] = {
        "timesteps": (config.resolved_timesteps, spec.timesteps),
        "horizon": (config.resolved_horizon, spec.horizon),
        "steps": (config.steps or spec.steps, spec.steps),
        "scale_target": (config.resolved_scale_target, spec.scale_target),
        "max_fill_steps": (config.resolved_max_fill_steps, spec.max_fill_steps),
        "on_long_gap": (config.resolved_on_long_gap, spec.on_long_gap),
        **{
            name: (getattr(t, name), getattr(d, name))
            for name in (
                "max_epochs",
                "patience",
                "batch_size",
                "loss",
                "target_transform",
            )
        },
        "learning_rate": (config.resolved_variant.learning_rate, d.learning_rate),
        "lr_decay": (t.lr_decay, d.lr_decay),
        "ema_momentum": (t.ema_momentum, d.ema_momentum),
        "warm_refit": (t.warm_refit, d.warm_refit),
        **{
            name: (getattr(sel, name), getattr(d, name))
            for name in ("folds", "seeds", "shortlist", "ensemble_size")
        },
        "references": (
            ", ".join(config.resolved_references),
            ", ".join(resolved_references(d.references)),
        ),
    }
    rows = [
        (name, str(used), spec_default if used == fallback else "set for this run")
        for name, (used, fallback) in resolved.items()
    ]
    plain: list[tuple[BaseModel, str]] = [
        (config.variant, n) for n in ("units", "layers", "dropout", "dense_units")
    ]
    plain += [(config.training, "seed"), (config, "scaler")]
    for model, name in plain:
        used = getattr(model, name)
        default = type(model).model_fields[name].default
        rows.append((name, str(used), "default" if used == default else "set for this run"))
    if config.timesteps_sweep:
        rows.append(
            ("timesteps_sweep", ", ".join(map(str, config.timesteps_sweep)), "set for this run")
        )
    return rows
