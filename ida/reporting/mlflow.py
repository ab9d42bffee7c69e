"""Optional export of every cycle's metrics to MLflow (`tracking.mlflow: true`, the `mlflow` extra): one MLflow
run per IDA run, the cycle index as the step (the baseline at step 0), each cycle's dataset and checkpoint hashes
as tags. Idempotent: the cycles already exported are remembered in the run's event log, so resuming exports only
the new ones."""

from __future__ import annotations

import importlib.util
import os
import time
from ida.run import RunRecord

EVENT = "mlflow_export"


def mlflow_missing() -> str | None:
    """Why MLflow cannot be used, or None."""
    if importlib.util.find_spec("mlflow") is None:
        return "tracking.mlflow: mlflow is not installed (pip install -e '.[mlflow]')"
    return None


def tracking_uri(run: RunRecord) -> str:
    uri = run.config.tracking.mlflow_uri or f"file:{(run.dir / 'mlruns').resolve()}"
    if uri.startswith("file:"):
        # MLflow 3 refuses its file store unless asked; a local folder beside the store is what we want here.
        os.environ.setdefault("MLFLOW_ALLOW_FILE_STORE", "true")
    return uri


def export_mlflow(run: RunRecord) -> tuple[str, list[int]]:
    """Log the promoted cycles (and the baseline) not exported yet; returns (MLflow run id, cycles logged now)."""
    from mlflow.entities import Metric, RunTag
    from mlflow.tracking import MlflowClient

    client = MlflowClient(tracking_uri(run))
    done = [e["payload"] for e in run.records.events() if e["kind"] == EVENT]
    exported = {c for p in done for c in p["cycles"]}
    if done:
        mlflow_run = done[-1]["mlflow_run_id"]
    else:
        name = run.config.tracking.mlflow_experiment
        experiment = client.get_experiment_by_name(name)
        experiment_id = experiment.experiment_id if experiment else client.create_experiment(name)
        mlflow_run = client.create_run(experiment_id, run_name=run.id,
                                       tags={"ida.run_id": run.id, "ida.task": run.config.task.name}).info.run_id
    phases = {(c, phase): result for c, done in run.phase_results().items() for phase, result in done.items()}
    ready = [c for c, phase in phases if phase in ("promote", "baseline") and c not in exported]
    metrics = run.records.metrics()
    now = int(time.time() * 1000)
    for cycle in sorted(ready):
        values = [Metric(f"{name}/{key}", value, now, cycle)
                  for name, keyed in metrics.get(cycle, {}).items() for key, value in keyed.items()]
        tags = [RunTag(f"cycle_{cycle}.{phase}.{field}", str(getattr(result, field)))
                for (c, phase), result in phases.items() if c == cycle
                for field in ("dataset_sha256", "checkpoint_sha256") if getattr(result, field, None) is not None]
        for start in range(0, len(values), 900):  # MLflow takes at most 1000 metrics per batch
            client.log_batch(mlflow_run, metrics=values[start:start + 900], tags=tags if start == 0 else [])
    if ready:
        run.records.event("system", EVENT, {"mlflow_run_id": mlflow_run, "cycles": sorted(ready)})
    if run.records.run_row()["status"] == "finished":
        client.set_terminated(mlflow_run, "FINISHED")
    return mlflow_run, sorted(ready)
