"""Run a study's notebooks in order with Papermill, cache by input hash, write the manifest.

For each stage the pipeline computes a key from everything that can change its
results — the notebook, the params keys the stage reads (``STAGE_PARAMS``), the
SHA-256 of every raw input, the ccstudy source code and the keys of the stages
whose outputs it reads (``STAGE_UPSTREAM``).  Changing ``trends.intervention``
re-runs only the trends stage; changing a cleaning rule re-runs everything.  A stage whose
stamp (``data/processed/<study>/.stages/<stage>.json``) carries the same key,
and whose recorded outputs all exist with the recorded hashes, is skipped.

Interruptions are safe: every output is written atomically (temporary file +
rename) and the stamp is written last, after the notebook finished and its
outputs were hashed.  A run killed mid-stage leaves no stamp for that stage, so
the next run redoes exactly the stages that did not finish.

Executed notebooks are kept for audit under ``reports/_out/<study>/notebooks/``.
"""

from __future__ import annotations

import contextlib
import dataclasses
import hashlib
import json
import logging
import os
import platform
import subprocess
import sys
import time
from datetime import datetime, timezone
from importlib import metadata
from pathlib import Path
from typing import Any, Callable

import ccstudy
from ccstudy.io import files
from ccstudy.params import StudyParams, load_params
from ccstudy.stages import STAGE_PARAMS, STAGE_UPSTREAM, STAGES

log = logging.getLogger(__name__)

PACKAGE_DIR = Path(ccstudy.__file__).resolve().parent
PROJECT_DIR = PACKAGE_DIR.parent.parent
NOTEBOOK_DIR = PROJECT_DIR / "notebooks"
# The kernel's own start-up chatter (e.g. its transport warning) is not the study's output.
KERNEL_ARGS = ["--IPKernelApp.log_level=CRITICAL"]
# Kernels run with a fixed hash seed: some libraries (semopy's CFA) iterate over sets of names,
# and with a random seed the optimiser sees parameters in another order, which moves estimates
# in the tenth decimal and breaks byte-identical results.
KERNEL_ENV = {"PYTHONHASHSEED": "0"}


@contextlib.contextmanager
def kernel_environment():
    """Set :data:`KERNEL_ENV` for kernels started inside the block; restore afterwards."""
    old = {k: os.environ.get(k) for k in KERNEL_ENV}
    os.environ.update(KERNEL_ENV)
    try:
        yield
    finally:
        for k, v in old.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v

MANIFEST_PACKAGES = (
    "ccstudy", "numpy", "scipy", "pandas", "pyarrow", "statsmodels", "pingouin", "semopy", "matplotlib",
    "seaborn", "papermill", "nbclient", "ipykernel", "jupytext", "pypandoc-binary", "typst",
    "pyyaml", "openpyxl",
)


class StageFailed(RuntimeError):
    """A notebook raised; the message names the stage, the cell and the error."""

    def __init__(self, stage: str, message: str, notebook: Path):
        self.stage, self.notebook = stage, notebook
        super().__init__(f"stage {stage} failed: {message}\n(executed notebook kept at {notebook})")


@dataclasses.dataclass
class StageRecord:
    name: str
    status: str  # "ran" | "cached"
    seconds: float
    key: str
    notebook: str | None
    outputs: int


@dataclasses.dataclass
class RunResult:
    params: StudyParams
    stages: list[StageRecord]
    manifest_path: Path
    seconds: float


Event = Callable[[str, str, dict[str, Any]], None]


def _noop(event: str, stage: str, info: dict[str, Any]) -> None:
    return None


def source_digest() -> str:
    """SHA-256 over the ccstudy package's Python sources (path + bytes)."""
    h = hashlib.sha256()
    for p in sorted(PACKAGE_DIR.rglob("*.py")):
        h.update(p.relative_to(PACKAGE_DIR).as_posix().encode())
        h.update(p.read_bytes())
    return h.hexdigest()


def input_hashes(params: StudyParams) -> dict[str, dict[str, Any]]:
    out = {}
    for name, path in sorted(params.input_files().items()):
        entry: dict[str, Any] = {"path": _rel(path, params.root)}
        if path.is_file():
            entry["sha256"] = files.sha256_file(path)
            entry["bytes"] = path.stat().st_size
        elif path.is_dir():  # a folder input (a contact log of Parquet files): its files' names and bytes
            entry["sha256"] = files.sha256_folder(path)
        else:
            entry["sha256"] = None
        out[name] = entry
    return out


def _rel(path: Path, root: Path) -> str:
    try:
        return path.resolve().relative_to(root.resolve()).as_posix()
    except ValueError:
        return str(path)


def stage_params(stage: str, params: StudyParams) -> dict[str, Any]:
    """The params values a stage depends on (see :data:`ccstudy.stages.STAGE_PARAMS`)."""
    return {key: params.get(key) for key in STAGE_PARAMS[stage]}


def stage_key(stage: str, params: StudyParams, inputs: dict, code: str, upstream: dict[str, str]) -> str:
    """Cache key of a stage: notebook, its params, raw input hashes, source, upstream keys."""
    nb = NOTEBOOK_DIR / f"{stage}.ipynb"
    blob = json.dumps({
        "stage": stage, "notebook": files.sha256_file(nb), "params": stage_params(stage, params),
        "inputs": {k: v.get("sha256") for k, v in inputs.items()}, "code": code, "upstream": upstream,
    }, sort_keys=True, default=str)
    return hashlib.sha256(blob.encode()).hexdigest()


def _stamp_path(params: StudyParams, stage: str) -> Path:
    return params.processed_dir / ".stages" / f"{stage}.json"


def _cached(params: StudyParams, stage: str, key: str) -> bool:
    stamp = _stamp_path(params, stage)
    if not stamp.is_file():
        return False
    try:
        data = files.read_json(stamp)
    except (OSError, ValueError):
        return False
    if data.get("key") != key:
        return False
    for rel, digest in data.get("outputs", {}).items():
        p = params.processed_dir / rel
        if not p.is_file() or files.sha256_file(p) != digest:
            return False
    return True


def _execute(stage: str, params: StudyParams, out_nb: Path) -> None:
    import papermill as pm
    from papermill.exceptions import PapermillExecutionError

    out_nb.parent.mkdir(parents=True, exist_ok=True)
    tmp = out_nb.with_name(f".{out_nb.name}.tmp.ipynb")
    try:
        with kernel_environment():
            pm.execute_notebook(
                str(NOTEBOOK_DIR / f"{stage}.ipynb"), str(tmp),
                parameters={"params_path": str(params.path)},
                kernel_name="python3", progress_bar=False, log_output=False, cwd=str(params.root),
                extra_arguments=KERNEL_ARGS,
            )
    except PapermillExecutionError as exc:
        if tmp.exists():
            os.replace(tmp, out_nb)
        raise StageFailed(stage, f"{exc.ename}: {exc.evalue}", out_nb) from None
    os.replace(tmp, out_nb)


def _remove_stale_temporaries(params: StudyParams) -> None:
    """Delete temporary files left by a run that was killed mid-write."""
    for folder in (params.processed_dir, params.report_dir):
        if folder.is_dir():
            for tmp in folder.rglob(".*.tmp*"):
                if tmp.is_file():
                    log.info("removing %s left by an interrupted run", tmp)
                    tmp.unlink()


def git_commit(root: Path) -> dict[str, Any]:
    def git(*args: str) -> str | None:
        try:
            r = subprocess.run(["git", *args], cwd=root, capture_output=True, text=True, timeout=10)
        except (OSError, subprocess.SubprocessError):
            return None
        return r.stdout.strip() if r.returncode == 0 else None

    commit = git("rev-parse", "HEAD")
    status = git("status", "--porcelain", "--untracked-files=no")
    return {"commit": commit, "dirty": bool(status) if status is not None else None}


def package_versions() -> dict[str, str | None]:
    out = {}
    for name in MANIFEST_PACKAGES:
        try:
            out[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            out[name] = None
    return out


def update_manifest(params: StudyParams, section: str, value: Any) -> Path:
    """Merge one section into the study's manifest.json (atomic rewrite)."""
    path = params.report_dir / "manifest.json"
    data = files.read_json(path) if path.is_file() else {}
    data[section] = value
    files.write_json(path, data)
    return path


def run(params_path: str | Path, *, force: bool = False, only: list[str] | None = None,
        on_event: Event = _noop) -> RunResult:
    """Validate the inputs, then run every stage (or those in *only*) in order.

    Raises
    ------
    ccstudy.params.ParamsError
        The params file is invalid.
    ccstudy.io.intake.InputValidationError
        An input breaks a rule (the report names file, row and column); no
        analysis runs.
    StageFailed
        A notebook raised.
    """
    t_run = time.perf_counter()
    started = datetime.now(timezone.utc).isoformat(timespec="seconds")
    params = load_params(params_path)
    from ccstudy.io.validate import validate_study
    from ccstudy.io.intake import InputValidationError

    on_event("validate", "inputs", {})
    report = validate_study(params)
    if not report.ok:
        files.write_text(params.report_dir / "validation_report.md", report.to_markdown())
        raise InputValidationError(report)
    _remove_stale_temporaries(params)
    inputs = input_hashes(params)
    code = source_digest()
    records: list[StageRecord] = []
    keys: dict[str, str] = {}
    nb_dir = params.report_dir / "notebooks"
    for stage in STAGES:
        key = stage_key(stage, params, inputs, code, {u: keys[u] for u in STAGE_UPSTREAM[stage]})
        keys[stage] = key
        if only and stage not in only:
            continue
        if not force and _cached(params, stage, key):
            records.append(StageRecord(stage, "cached", 0.0, key, None, 0))
            on_event("cached", stage, {})
            continue
        on_event("start", stage, {})
        stamp = _stamp_path(params, stage)
        if stamp.exists():
            stamp.unlink()
        t0 = time.perf_counter()
        out_nb = nb_dir / f"{stage}.ipynb"
        _execute(stage, params, out_nb)
        seconds = time.perf_counter() - t0
        listing = params.processed_dir / ".stages" / f"{stage}.outputs.json"
        outputs = files.read_json(listing)["outputs"] if listing.is_file() else []
        hashes = {rel: files.sha256_file(params.processed_dir / rel) for rel in outputs}
        files.write_json(stamp, {"stage": stage, "key": key, "outputs": hashes})
        records.append(StageRecord(stage, "ran", seconds, key, _rel(out_nb, params.root), len(outputs)))
        on_event("done", stage, {"seconds": seconds, "outputs": len(outputs)})
    total = time.perf_counter() - t_run
    manifest = {
        "study": params.study,
        "params_path": _rel(params.path, params.root),
        "params_sha256": params.digest(),
        "params": params.values,
        "inputs": inputs,
        "source_sha256": code,
        "packages": package_versions(),
        "python": sys.version.split()[0],
        "platform": platform.platform(),
        "kernel_env": KERNEL_ENV,
        "git": git_commit(params.root),
        "run": {"started": started, "seconds": round(total, 3),
                "stages": [dataclasses.asdict(r) | {"seconds": round(r.seconds, 3)} for r in records]},
    }
    path = params.report_dir / "manifest.json"
    old = files.read_json(path) if path.is_file() else {}
    if "render" in old:
        manifest["render"] = old["render"]
    files.write_json(path, manifest)
    return RunResult(params=params, stages=records, manifest_path=path, seconds=total)
