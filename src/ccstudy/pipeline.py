"""Run a study's notebooks with Papermill as a DAG, cache by input hash, write the manifest.

Stages run as soon as the stages they read (``STAGE_UPSTREAM``) have finished,
up to ``jobs`` at once, each notebook in its own kernel: stages 10-50 read only
what 00_intake wrote, so they run side by side.

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
# No IPython history: it is no part of the audit record (the executed notebook is), and every kernel
# would otherwise open (and lock) a history database in the user's profile.
KERNEL_ARGS = ["--IPKernelApp.log_level=CRITICAL", "--HistoryManager.enabled=False"]
# Kernels run with a fixed hash seed: some libraries (semopy's CFA) iterate over sets of names,
# and with a random seed the optimiser sees parameters in another order, which moves estimates
# in the tenth decimal and breaks byte-identical results.
# BLAS runs one thread per kernel: a multi-threaded BLAS may split a product differently from run to
# run on a busy machine (the CFA's estimates then move in the 13th digit, so the bytes differ), and the
# stages already run side by side, one per core, so extra BLAS threads would only compete with them.
# With several jobs, ready stages start longest first (a shorter run on two cores: the last stage to
# start is a short one).  Measured on the default study, stage seconds in their kernels:
# reliability 2.7, training 2.5, coaching 2.3, trends 1.5, validity 1.2.  With one job the stages
# run in their numbered order.
START_ORDER = ("00_intake", "10_reliability", "30_training", "50_coaching", "40_kpi_trends", "20_validity")

KERNEL_ENV = {"PYTHONHASHSEED": "0", "OPENBLAS_NUM_THREADS": "1", "OMP_NUM_THREADS": "1",
              "MKL_NUM_THREADS": "1"}


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
    data = files.read_stamp(_stamp_path(params, stage), key)
    return data is not None and files.files_unchanged(params.processed_dir, data.get("outputs", {}))


def _papermill():
    """``import papermill``, without the second it would spend in an import nothing here uses.

    Papermill imports nbformat, nbformat imports jsonschema, and jsonschema imports the optional
    ``rfc3987_syntax`` (if installed) to check IRI formats, which builds a parser at import: about
    1 s on the critical path of every run, for a check no notebook schema asks for.  It is held back
    while papermill loads, then left importable for any other code.
    """
    if "papermill" in sys.modules:
        return sys.modules["papermill"]
    hold = "jsonschema" not in sys.modules and "rfc3987_syntax" not in sys.modules
    if hold:
        sys.modules["rfc3987_syntax"] = None  # type: ignore[assignment]  # import fails: format not registered
    try:
        import papermill
    finally:
        if hold and sys.modules.get("rfc3987_syntax", 0) is None:
            del sys.modules["rfc3987_syntax"]
    return papermill


def _execute(stage: str, params: StudyParams, out_nb: Path, kernel_manager_class: type | None = None) -> None:
    """Run one stage notebook with Papermill into *out_nb* (via a temporary file).

    The kernel's working directory is passed to the kernel manager (nbclient's
    ``resources.metadata.path``), not with Papermill's ``cwd``, which changes the
    whole process's directory and would race between stages running at once.
    """
    pm = _papermill()
    from papermill.exceptions import PapermillExecutionError

    out_nb.parent.mkdir(parents=True, exist_ok=True)
    tmp = out_nb.with_name(f".{out_nb.name}.tmp.ipynb")
    tmp.touch()  # present while the stage runs (Papermill writes it at the end), as a running mark
    extra = {"kernel_manager_class": kernel_manager_class} if kernel_manager_class is not None else {}
    try:
        pm.execute_notebook(
            str(NOTEBOOK_DIR / f"{stage}.ipynb"), str(tmp),
            parameters={"params_path": str(params.path)},
            kernel_name="python3", progress_bar=False, log_output=False,
            # One write at the end (or with the error, on failure): saving after every cell's start
            # and end wrote and schema-validated the notebook, figures and all, ~16 times a stage;
            # the file is a temporary one until the stage has finished anyway.
            request_save_on_cell_execute=False,
            resources={"metadata": {"path": str(params.root)}},
            extra_arguments=KERNEL_ARGS, **extra,
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


def default_jobs() -> int:
    """Stages run at once by default: the CPU cores this process may use."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # pragma: no cover - not Linux
        return max(1, os.cpu_count() or 1)


def _check_dag() -> None:
    """Every stage's upstream stages come before it in :data:`STAGES` (a topological order)."""
    seen: set[str] = set()
    for stage in STAGES:
        missing = [u for u in STAGE_UPSTREAM[stage] if u not in seen]
        if missing:
            raise RuntimeError(f"stage {stage} depends on {missing}, which do not come before it in STAGES")
        seen.add(stage)
    if sorted(START_ORDER) != sorted(STAGES):
        raise RuntimeError(f"START_ORDER {START_ORDER} must list every stage of STAGES once")


def _finish_stage(stage: str, key: str, params: StudyParams) -> int:
    """Hash a finished stage's outputs and write its stamp (last: the stamp marks it complete)."""
    listing = params.processed_dir / ".stages" / f"{stage}.outputs.json"
    outputs = files.read_json(listing)["outputs"] if listing.is_file() else []
    hashes = {rel: files.sha256_file(params.processed_dir / rel) for rel in outputs}
    files.write_json(_stamp_path(params, stage), {"stage": stage, "key": key, "outputs": hashes})
    return len(outputs)


def run(params_path: str | Path, *, force: bool = False, only: list[str] | None = None,
        on_event: Event = _noop, jobs: int | None = None, prewarm: bool | None = None) -> RunResult:
    """Validate the inputs, then run every stage (or those in *only*) as a DAG.

    A stage starts as soon as the stages it reads (:data:`STAGE_UPSTREAM`) have
    finished; up to *jobs* stages run at once (default :func:`default_jobs`), each
    in its own kernel.  Stages write disjoint files, each atomically, and a
    stage's stamp is written only after it finished, so results are the same
    bytes whatever the number of jobs, and a killed run redoes exactly the
    stages that had not finished.  *on_event* is called from the calling thread
    only: ``validate``, then per stage ``start`` / ``done`` / ``cached`` / ``failed``
    (``start``, ``done`` and ``failed`` carry ``running``: the stages running now).

    With *prewarm* (default: where :func:`ccstudy.kernels.available`) each
    stage's kernel is forked from a template process that imported the
    libraries once (see :mod:`ccstudy.kernels`): still a new kernel process and
    an executed notebook per stage, without paying the imports six times.

    Raises
    ------
    ccstudy.params.ParamsError
        The params file is invalid.
    ccstudy.io.intake.InputValidationError
        An input breaks a rule (the report names file, row and column); no
        analysis runs.
    StageFailed
        A notebook raised (the first failed stage in :data:`STAGES` order;
        stages already running are let finish, no new stage starts).
    """
    t_run = time.perf_counter()
    started = datetime.now(timezone.utc).isoformat(timespec="seconds")
    jobs = default_jobs() if jobs is None else int(jobs)
    if jobs < 1:
        raise ValueError(f"jobs must be at least 1, got {jobs}")
    _check_dag()
    params = load_params(params_path)
    from ccstudy import kernels

    prewarm = kernels.available() if prewarm is None else bool(prewarm)
    with contextlib.ExitStack() as stack:
        stack.enter_context(kernel_environment())
        # Started before validation, so its imports overlap the checks; stopped when the run ends
        # (which also ends any kernel still running after an interruption).
        template = stack.enter_context(kernels.Template()) if prewarm else None
        return _run_stages(params, force=force, only=only, on_event=on_event, jobs=jobs,
                           manager=template.manager_class() if template else None, t_run=t_run, started=started)


def _run_stages(params: StudyParams, *, force: bool, only: list[str] | None, on_event: Event, jobs: int,
                manager: type | None, t_run: float, started: str) -> RunResult:
    from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait

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
    keys: dict[str, str] = {}
    for stage in STAGES:
        keys[stage] = stage_key(stage, params, inputs, code, {u: keys[u] for u in STAGE_UPSTREAM[stage]})
    nb_dir = params.report_dir / "notebooks"
    records: dict[str, StageRecord] = {}
    todo: list[str] = []
    for stage in STAGES:
        if only and stage not in only:
            continue
        if not force and _cached(params, stage, keys[stage]):
            records[stage] = StageRecord(stage, "cached", 0.0, keys[stage], None, 0)
            on_event("cached", stage, {})
        else:
            todo.append(stage)
    # A stage waits only for upstream stages that run now; cached or unselected ones are done.
    pending = {s: {u for u in STAGE_UPSTREAM[s] if u in todo} for s in todo}
    running: dict[Future, tuple[str, float]] = {}
    failures: dict[str, StageFailed] = {}
    order = STAGES if jobs == 1 else START_ORDER
    pool = ThreadPoolExecutor(max_workers=jobs, thread_name_prefix="stage")
    try:
        while pending or running:
            ready = [s for s in order if s in pending and not pending[s]] if not failures else []
            for stage in ready[:max(0, jobs - len(running))]:
                del pending[stage]
                on_event("start", stage, {"running": [s for s, _ in running.values()] + [stage]})
                stamp = _stamp_path(params, stage)
                if stamp.exists():
                    stamp.unlink()
                # A stage with no upstream (the intake) starts at once, while the template is still
                # importing what the later stages need: the template forks its kernel at the next
                # module boundary (kernels.serve), and the kernel imports the rest it needs itself.
                fut = pool.submit(_execute, stage, params, nb_dir / f"{stage}.ipynb", manager)
                running[fut] = (stage, time.perf_counter())
            if not running:
                break  # a failure left stages that can no longer start
            done, _ = wait(list(running), return_when=FIRST_COMPLETED)
            for fut in sorted(done, key=lambda f: STAGES.index(running[f][0])):
                stage, t0 = running.pop(fut)
                try:
                    fut.result()
                except StageFailed as exc:
                    failures[stage] = exc
                    on_event("failed", stage, {"running": [s for s, _ in running.values()]})
                    continue
                seconds = time.perf_counter() - t0
                n_out = _finish_stage(stage, keys[stage], params)
                out_nb = nb_dir / f"{stage}.ipynb"
                records[stage] = StageRecord(stage, "ran", seconds, keys[stage], _rel(out_nb, params.root), n_out)
                for deps in pending.values():
                    deps.discard(stage)
                on_event("done", stage, {"seconds": seconds, "outputs": n_out,
                                         "running": [s for s, _ in running.values()]})
    except BaseException:
        # Interrupted (Ctrl-C) or an unexpected error: start nothing more and do not wait here for
        # the stages still running; their kernels end with the kernel template (or run to the end).
        pool.shutdown(wait=False, cancel_futures=True)
        raise
    pool.shutdown()
    if failures:
        raise failures[min(failures, key=STAGES.index)]
    ordered = [records[s] for s in STAGES if s in records]
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
        "kernels": "forked per stage from a pre-imported template" if manager else "started per stage",
        "git": git_commit(params.root),
        "run": {"started": started, "seconds": round(total, 3), "jobs": jobs,
                "stages": [dataclasses.asdict(r) | {"seconds": round(r.seconds, 3)} for r in ordered]},
    }
    path = params.report_dir / "manifest.json"
    old = files.read_json(path) if path.is_file() else {}
    if "render" in old:
        manifest["render"] = old["render"]
    files.write_json(path, manifest)
    return RunResult(params=params, stages=ordered, manifest_path=path, seconds=total)
