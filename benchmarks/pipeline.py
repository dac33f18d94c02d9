"""Benchmark: the default study's wall time per stage, and Papermill's overhead.

Runs the whole pipeline through Papermill (one kernel per stage notebook) and,
in the same process and on a copy of the same inputs, calls the same
``ccstudy.stages`` functions directly.  Prints per-stage wall times and the
ratio notebook / direct, so the price of the notebook layer (kernel start,
parameter injection, output capture) is measured rather than guessed.

    .venv/bin/python benchmarks/pipeline.py [--quick] [--repeat N]
"""

from __future__ import annotations

import argparse
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


def run_papermill(params_path: Path) -> dict[str, float]:
    res = pipeline.run(params_path, force=True)
    return {s.name: s.seconds for s in res.stages}


def run_direct(params_path: Path) -> dict[str, float]:
    import matplotlib.pyplot as plt

    params = load_params(params_path)
    out = {}
    for name in stages.STAGES:
        t0 = time.perf_counter()
        b = Bundle(params, stage=name)
        stages.FUNCTIONS[name](b)
        b.close()
        out[name] = time.perf_counter() - t0
        plt.close("all")
    return out


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--repeat", type=int, default=2, help="repeats; the best time per stage is kept")
    ap.add_argument("--quick", action="store_true", help="one repeat")
    args = ap.parse_args()
    repeat = 1 if args.quick else max(1, args.repeat)
    with tempfile.TemporaryDirectory(prefix="ccstudy-bench-") as tmp:
        nb_params = study_copy(Path(tmp) / "papermill")
        dir_params = study_copy(Path(tmp) / "direct")
        # Warm-up: imports and caches for the direct path, so it is not charged for them.
        run_direct(dir_params)
        best_nb: dict[str, float] = {}
        best_dir: dict[str, float] = {}
        for _ in range(repeat):
            for k, v in run_papermill(nb_params).items():
                best_nb[k] = min(v, best_nb.get(k, float("inf")))
            for k, v in run_direct(dir_params).items():
                best_dir[k] = min(v, best_dir.get(k, float("inf")))
    print(f"Default study, best of {repeat} (seconds)")
    print(f"{'stage':<16}{'papermill':>11}{'direct':>10}{'ratio':>8}{'overhead':>10}")
    for name in stages.STAGES:
        a, d = best_nb[name], best_dir[name]
        print(f"{name:<16}{a:11.2f}{d:10.2f}{a / d:8.1f}x{a - d:9.2f}s")
    ta, td = sum(best_nb.values()), sum(best_dir.values())
    print(f"{'total':<16}{ta:11.2f}{td:10.2f}{ta / td:8.1f}x{ta - td:9.2f}s")
    print(f"Papermill overhead: {ta - td:.2f} s over {len(stages.STAGES)} stages "
          f"({(ta - td) / len(stages.STAGES):.2f} s per stage: kernel start, imports, output capture).")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
