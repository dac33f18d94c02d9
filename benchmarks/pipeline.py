"""Benchmark: the default study's wall time, cold and warm, one and two jobs, and Papermill's overhead.

From one run of this script, each on a fresh copy of the default study:

* **cold**: ``ccstudy run`` in a new process (interpreter start, imports,
  validation, every stage, no render), default ``--jobs``;
* **--jobs 1** and **--jobs 2**: ``pipeline.run(force=True)`` wall time, the
  stages one after another and two at a time (kernels pre-warmed, the default);
* **Papermill vs direct**: the six stage notebooks through Papermill (sum of the
  stage times of the ``--jobs 1`` runs) against the same ``ccstudy.stages``
  functions called directly in this process (after a warm-up, so the direct
  path pays no imports; with the kernels' BLAS threads and no memo carried
  over from the warm-up); also the whole ``--jobs 1`` run (validation and
  kernel template included) against the direct calls;
* with ``--fresh``, also a ``--jobs 1`` run with kernels started from scratch
  per stage (no template), to show what the pre-warming saves.

Repeated measurements are interleaved (a burst of load on a shared machine hits
all of them) and the median is printed.

    .venv/bin/python benchmarks/pipeline.py [--quick] [--repeat N] [--fresh]
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))

from ccstudy import pipeline, stages  # noqa: E402
from ccstudy.io.bundle import Bundle  # noqa: E402
from ccstudy.params import copy_study, load_params  # noqa: E402


def study_copy(dest: Path) -> Path:
    return copy_study(ROOT / "params" / "default.yaml", dest)


def run_cold(params_path: Path) -> float:
    """``ccstudy run`` in a new interpreter on a study with nothing cached."""
    t0 = time.perf_counter()
    subprocess.run([sys.executable, "-m", "ccstudy.cli", "run", str(params_path)], check=True,
                   stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    return time.perf_counter() - t0


def run_pipeline(params_path: Path, jobs: int, prewarm: bool | None = None) -> tuple[float, dict[str, float]]:
    t0 = time.perf_counter()
    res = pipeline.run(params_path, force=True, jobs=jobs, prewarm=prewarm)
    return time.perf_counter() - t0, {s.name: s.seconds for s in res.stages}


def run_direct(params_path: Path) -> dict[str, float]:
    """The stage functions called in this process, with the BLAS threads a stage kernel has."""
    from threadpoolctl import threadpool_limits

    threads = int(pipeline.KERNEL_ENV.get("OPENBLAS_NUM_THREADS", "0")) or None
    with threadpool_limits(limits=threads, user_api="blas"):
        return _run_direct(params_path)


def _run_direct(params_path: Path) -> dict[str, float]:
    import matplotlib.pyplot as plt

    import importlib

    polychoric = importlib.import_module("ccstudy.stats.polychoric")  # the module (the package exports the function)
    params = load_params(params_path)
    out = {}
    for name in stages.STAGES:
        # A stage kernel starts with no memo of polychoric pairs; neither does a direct call.
        polychoric._PAIR_MEMO.clear()
        t0 = time.perf_counter()
        b = Bundle(params, stage=name)
        stages.FUNCTIONS[name](b)
        b.close()
        out[name] = time.perf_counter() - t0
        plt.close("all")
    return out


def med(xs: list[float]) -> float:
    return statistics.median(xs)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--repeat", type=int, default=3, help="repeats of each measurement; medians are printed")
    ap.add_argument("--quick", action="store_true", help="one repeat")
    ap.add_argument("--fresh", action="store_true", help="also time --jobs 1 with kernels started from scratch")
    args = ap.parse_args()
    repeat = 1 if args.quick else max(1, args.repeat)
    cold: list[float] = []
    wall: dict[str, list[float]] = {"jobs1": [], "jobs2": [], "fresh": []}
    nb_stage: dict[str, list[float]] = {s: [] for s in stages.STAGES}
    fresh_stage: dict[str, list[float]] = {s: [] for s in stages.STAGES}
    dir_stage: dict[str, list[float]] = {s: [] for s in stages.STAGES}
    with tempfile.TemporaryDirectory(prefix="ccstudy-bench-") as tmp:
        tmp = Path(tmp)
        # Cold first: nothing of the study is in the page cache or imported yet.
        for i in range(repeat):
            cold.append(run_cold(study_copy(tmp / f"cold{i}")))
        nb_params = study_copy(tmp / "papermill")
        dir_params = study_copy(tmp / "direct")
        run_direct(dir_params)  # warm-up: imports and caches, so the direct path is not charged for them
        for _ in range(repeat):
            seconds, per_stage = run_pipeline(nb_params, jobs=1)
            wall["jobs1"].append(seconds)
            for k, v in per_stage.items():
                nb_stage[k].append(v)
            wall["jobs2"].append(run_pipeline(nb_params, jobs=2)[0])
            if args.fresh:
                seconds, per_stage = run_pipeline(nb_params, jobs=1, prewarm=False)
                wall["fresh"].append(seconds)
                for k, v in per_stage.items():
                    fresh_stage[k].append(v)
            for k, v in run_direct(dir_params).items():
                dir_stage[k].append(v)
    print(f"Default study, median of {repeat} (seconds; {pipeline.default_jobs()} cores available)")
    print()
    print(f"cold `ccstudy run` (new process, all stages, no render): {med(cold):6.2f} s   runs: "
          + ", ".join(f"{x:.2f}" for x in cold))
    print(f"DAG wall time --jobs 1: {med(wall['jobs1']):6.2f} s")
    print(f"DAG wall time --jobs 2: {med(wall['jobs2']):6.2f} s   "
          f"(--jobs 2 / --jobs 1: {med(wall['jobs2']) / med(wall['jobs1']):.2f}x)")
    print()
    hdr = f"{'stage':<16}{'papermill':>11}{'direct':>10}{'ratio':>8}{'overhead':>10}"
    if args.fresh:
        hdr += f"{'fresh kernel':>14}"
    print(hdr)
    for name in stages.STAGES:
        a, d = med(nb_stage[name]), med(dir_stage[name])
        line = f"{name:<16}{a:11.2f}{d:10.2f}{a / d:8.1f}x{a - d:9.2f}s"
        if args.fresh:
            line += f"{med(fresh_stage[name]):14.2f}"
        print(line)
    ta = sum(med(v) for v in nb_stage.values())
    td = sum(med(v) for v in dir_stage.values())
    line = f"{'total':<16}{ta:11.2f}{td:10.2f}{ta / td:8.1f}x{ta - td:9.2f}s"
    if args.fresh:
        line += f"{sum(med(v) for v in fresh_stage.values()):14.2f}"
    print(line)
    print()
    print(f"Papermill vs direct (sum of stage times): {ta / td:.2f}x "
          f"({(ta - td) / len(stages.STAGES):.2f} s per stage: kernel start, imports, output capture)")
    print(f"Whole --jobs 1 run (validation, kernel template, manifest) vs direct: {med(wall['jobs1']) / td:.2f}x")
    if args.fresh:
        tf = sum(med(v) for v in fresh_stage.values())
        print(f"Kernels started from scratch per stage: {tf / td:.2f}x direct; whole run {med(wall['fresh']):.2f} s")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
