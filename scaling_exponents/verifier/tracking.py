"""``--log tensorboard|wandb|mlflow``: per-run curves and the final measured-vs-predicted table in a tracker.

What: a :class:`Tracker` gets every run's result as the driver stores it (:func:`.sweep.run_tasks`'s
``on_result``) and logs its curves -- the training loss per step and, for coordinate checks, each layer's
``act_delta`` per step (mean over seeds) -- under the run's config; at the end the command logs its summary
table (``verify``: predicted exponent, measured slope, 95% CI and verdict per row; ``transfer``: the drift of
the optimal LR and LR* per size).  Why: users of sweeps read them in the tracker they already use.

Nothing is sent anywhere unless the user configured it: TensorBoard writes event files under
``OUT/tensorboard/``; W&B runs in ``mode="offline"`` under ``OUT/`` unless ``WANDB_MODE`` is set; MLflow uses a
file store ``OUT/mlruns`` unless ``MLFLOW_TRACKING_URI`` is set.  Imports are lazy (none of the three is
needed without ``--log``).  Runs already logged (their keys in ``OUT/<backend>_logged.txt``) are not logged
again when a sweep resumes; runs taken from the store that were never logged are logged at the end.
"""

from __future__ import annotations

import json
import math
import os
from pathlib import Path

from ..errors import UserError
from ..evidence.store import config_key

BACKENDS = ("tensorboard", "wandb", "mlflow")
PROJECT = "scaling_exponents"


def add_arguments(p) -> None:
    """``--log`` (tensorboard, wandb or mlflow): where per-run curves and the final table are logged."""
    p.add_argument("--log", choices=BACKENDS,
                   help="log per-run curves and the final table: tensorboard (OUT/tensorboard), wandb (offline "
                        "unless WANDB_MODE is set) or mlflow (file store OUT/mlruns unless MLFLOW_TRACKING_URI is "
                        "set); needs the [tracking] extra")


def run_name(config: dict) -> str:
    """Readable, unique name of one run: ``transfer-mup-w64-lr0.001-<key>``."""
    parts = [str(config.get("kind", "run")), str(config.get("param", ""))]
    for k, short in (("width", "w"), ("depth", "d"), ("lr", "lr")):
        if k in config and config[k] is not None:
            parts.append(f"{short}{config[k]:g}" if isinstance(config[k], float) else f"{short}{config[k]}")
    return "-".join(p for p in parts if p) + "-" + config_key(config)[:8]


def curves(result: dict) -> dict[str, list[float]]:
    """The per-step curves of one result: ``loss`` and, for coordinate checks, ``LAYER/act_delta``."""
    out = {}
    if isinstance(result.get("curve"), list):  # transfer.train_run: mean loss over seeds, subsampled
        out["loss"] = [float(v) for v in result["curve"]]
    elif isinstance(result.get("loss"), list) and result["loss"] and isinstance(result["loss"][0], list):
        per_seed = result["loss"]  # coord_run: [[loss per step] per seed]
        out["loss"] = [sum(s[t] for s in per_seed) / len(per_seed) for t in range(min(map(len, per_seed)))]
    steps: dict = {}
    for key, vals in (result.get("metrics") or {}).items():
        parts = key.split("|")
        if len(parts) == 3 and parts[1] == "act_delta" and parts[2].startswith("t") and isinstance(vals, list) and vals:
            steps.setdefault(f"{parts[0]}/act_delta", {})[int(parts[2][1:])] = sum(vals) / len(vals)
    for name, by_t in steps.items():
        out[name] = [by_t[t] for t in sorted(by_t)]
    return {k: [v if math.isfinite(v) else float("nan") for v in vs] for k, vs in out.items()}


def _flat(config: dict) -> dict:
    return {k: (json.dumps(v) if isinstance(v, (list, dict)) else v) for k, v in config.items()}


class Tracker:
    """Base: ``log_run(config, result)`` per finished run, ``log_table(name, columns, rows)`` at the end."""

    backend = "none"

    def __init__(self, out: Path):
        self.out = Path(out)
        self._seen_file = self.out / f"{self.backend}_logged.txt"
        self._seen = set(self._seen_file.read_text().split()) if self._seen_file.exists() else set()

    def log_run(self, config: dict, result: dict) -> None:
        """Log one finished run's curves once (runs already logged, e.g. before a resume, are skipped and the set of
        logged keys is kept on disk)."""
        key = config_key(config)
        if key in self._seen or not isinstance(result, dict):
            return
        self._log_run(run_name(config), config, curves(result), result.get("seconds"))
        self._seen.add(key)
        with open(self._seen_file, "a") as f:
            f.write(key + "\n")

    def log_store(self, store) -> None:
        """Log every stored run not logged yet (a resumed sweep, or ``--log`` added on a rerun)."""
        for row in store.rows():
            self.log_run(row["config"], row["result"])

    def _log_run(self, name, config, curves, seconds):
        raise NotImplementedError

    def log_table(self, name: str, columns: list[str], rows: list[list]) -> None:
        """Log the final verdict table (``columns``, ``rows``) under ``name``."""
        raise NotImplementedError

    def close(self) -> None:
        """Flush and close the back end (nothing to do for the base)."""
        pass


class TensorBoardTracker(Tracker):
    """One event-file directory per run (``OUT/tensorboard/<run>``; scalars per step, the config as text) and
    ``OUT/tensorboard/<table>`` with the table as Markdown text and one scalar per numeric cell."""

    backend = "tensorboard"

    def __init__(self, out):
        super().__init__(out)
        try:
            from torch.utils.tensorboard import SummaryWriter
        except ImportError:
            raise UserError("--log tensorboard needs tensorboard: pip install -e '.[tracking]'") from None
        self._writer = SummaryWriter
        self.root = self.out / "tensorboard"

    def _log_run(self, name, config, curves, seconds):
        w = self._writer(str(self.root / name))
        w.add_text("config", "```\n" + json.dumps(config, indent=1, sort_keys=True) + "\n```")
        for tag, vals in curves.items():
            for t, v in enumerate(vals):
                w.add_scalar(tag, v, t)
        if seconds is not None:
            w.add_scalar("seconds", float(seconds), 0)
        w.close()

    def log_table(self, name, columns, rows):
        """Write the table as Markdown text and each numeric cell as a scalar under ``name``."""
        w = self._writer(str(self.root / name))
        md = ["| " + " | ".join(columns) + " |", "|" + "---|" * len(columns)]
        md += ["| " + " | ".join(str(c) for c in r) + " |" for r in rows]
        w.add_text(name, "\n".join(md))
        for r in rows:
            label = _label(r)
            for c, col in zip(r, columns):
                if isinstance(c, (int, float)) and not isinstance(c, bool) and math.isfinite(c):
                    w.add_scalar(f"{label}/{col}", float(c), 0)
        w.close()


class WandbTracker(Tracker):
    """One W&B run per sweep run (grouped by the output directory's name) and one run holding the table."""

    backend = "wandb"

    def __init__(self, out):
        super().__init__(out)
        try:
            import wandb
        except ImportError:
            raise UserError("--log wandb needs wandb: pip install -e '.[tracking]'") from None
        self._wandb = wandb
        self.mode = os.environ.get("WANDB_MODE", "offline")
        self.group = self.out.resolve().name

    def _init(self, name, config):
        return self._wandb.init(project=os.environ.get("WANDB_PROJECT", PROJECT), mode=self.mode, dir=str(self.out),
                                name=name, group=self.group, config=config, reinit="create_new")

    def _log_run(self, name, config, curves, seconds):
        run = self._init(name, config)
        n = max((len(v) for v in curves.values()), default=0)
        for t in range(n):
            run.log({k: v[t] for k, v in curves.items() if t < len(v)}, step=t)
        if seconds is not None:
            run.summary["seconds"] = float(seconds)
        run.finish()

    def log_table(self, name, columns, rows):
        """Log the table as a ``wandb.Table`` in a run of its own."""
        run = self._init(name, {"table": name})
        run.log({name: self._wandb.Table(columns=columns, data=[list(r) for r in rows])})
        run.finish()


class MlflowTracker(Tracker):
    """One MLflow run per sweep run (config as params, curves as step metrics) in experiment ``scaling_exponents``
    and one run with the table as ``NAME.json`` (``mlflow.log_table``) plus one metric per numeric cell."""

    backend = "mlflow"

    def __init__(self, out):
        super().__init__(out)
        try:
            import mlflow
        except ImportError:
            raise UserError("--log mlflow needs mlflow: pip install -e '.[tracking]'") from None
        self._mlflow = mlflow
        self.uri = os.environ.get("MLFLOW_TRACKING_URI") or (self.out.resolve() / "mlruns").as_uri()
        if self.uri.startswith("file:"):
            os.environ.setdefault("MLFLOW_ALLOW_FILE_STORE", "true")  # MLflow 3: the file store is opt-in
        mlflow.set_tracking_uri(self.uri)
        mlflow.set_experiment(os.environ.get("MLFLOW_EXPERIMENT_NAME", PROJECT))

    def _log_run(self, name, config, curves, seconds):
        mlflow = self._mlflow
        with mlflow.start_run(run_name=name):
            mlflow.log_params({k: str(v)[:500] for k, v in _flat(config).items()})
            mlflow.set_tag("config_key", config_key(config))
            for tag, vals in curves.items():
                for t, v in enumerate(vals):
                    mlflow.log_metric(tag.replace("|", "/"), v, step=t)
            if seconds is not None:
                mlflow.log_metric("seconds", float(seconds))

    def log_table(self, name, columns, rows):
        """Log the table as a JSON artifact and each numeric cell as a metric, in an MLflow run of its own."""
        mlflow = self._mlflow
        with mlflow.start_run(run_name=name):
            mlflow.log_dict({"columns": columns, "rows": [list(r) for r in rows]}, f"{name}.json")
            for r in rows:
                label = _label(r)
                for c, col in zip(r, columns):
                    if isinstance(c, (int, float)) and not isinstance(c, bool) and math.isfinite(c):
                        key = "".join(ch if ch.isalnum() or ch in "_-./ " else "_" for ch in f"{label}/{col}")
                        mlflow.log_metric(key, float(c))


def from_args(args, out) -> Tracker | None:
    """The tracker ``--log`` asks for, or None."""
    name = getattr(args, "log", None)
    if not name:
        return None
    cls = {"tensorboard": TensorBoardTracker, "wandb": WandbTracker, "mlflow": MlflowTracker}.get(name)
    if cls is None:
        raise UserError(f"--log must be one of {', '.join(BACKENDS)}; got {name!r}")
    Path(out).mkdir(parents=True, exist_ok=True)
    return cls(out)


def verify_rows(summaries: dict) -> tuple[list[str], list[list]]:
    """``verify``'s measured-vs-predicted table: one row per (parametrization, layer, quantity)."""
    cols = ["param", "layer", "quantity", "predicted", "measured", "ci_lo", "ci_hi", "verdict"]
    rows = []
    for label, s in summaries.items():
        for r in s.get("rows", []):
            ci = r.get("ci") or [float("nan"), float("nan")]
            rows.append([label, str(r.get("layer")), str(r.get("quantity")), _num(r.get("predicted_value")),
                         _num(r.get("slope")), _num(ci[0]), _num(ci[1]), str(r.get("verdict"))])
    return cols, rows


def transfer_rows(summary: dict) -> tuple[list[str], list[list]]:
    """``transfer``'s table: the measured drift of log2 LR* per doubling (muP's prediction: 0) per parametrization."""
    cols = ["param", "dimension", "predicted_if_transfers", "drift", "ci_lo", "ci_hi", "lr_opt_per_size"]
    rows = []
    for label, s in summary.get("params", {}).items():
        d = s["drift"]
        opt = ", ".join(f"{w}: {o['lr_opt']:.3g}" for w, o in s["optima"].items() if o["lr_opt"])
        rows.append([label, s["dimension"], 0.0, _num(d["slope"]), _num(d["ci"][0]), _num(d["ci"][1]), opt])
    return cols, rows


def _label(row) -> str:
    """A table row's name: its text cells before the first number (``mup/width``, ``mup/head/act_delta``)."""
    out = []
    for c in row:
        if not isinstance(c, str):
            break
        out.append(c)
    return "/".join(out)


def _num(v):
    try:
        return float(v)
    except (TypeError, ValueError):
        return float("nan")
