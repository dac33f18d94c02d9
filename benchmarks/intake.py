"""Benchmark: intake of 100,000 agents x 2 waves x 33 items.

Generates a study with a fixed seed into a temporary folder -- items (33),
roster (100,000 agents), wide responses (200,000 rows x 36 columns, with a
little mess: out-of-range answers, blanks, straight-liners, duplicated rows)
and agent KPIs (2 months per agent) -- then measures, each in a fresh process
so that peak memory belongs to the measured step alone:

* ``run_intake`` (read, validate, clean) and ``write_intake``;
* plain ``pandas.read_csv`` of the same CSV files (the baseline: parsing only).

Reported: seconds (best of the repeats), CPU seconds of the process (all its
threads; on a shared machine wall time also measures the load), rows per second
over all input rows, peak resident memory of the child process (``VmHWM`` on
Linux, else ``resource.getrusage``), the memory of the interpreter with the
imports alone, and the ratios intake / read_csv (wall and CPU time) measured in
the same run.

Run::

    .venv/bin/python benchmarks/intake.py            # 100,000 agents, 3 repeats
    .venv/bin/python benchmarks/intake.py --quick    # 20,000 agents, 1 repeat
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import textwrap
import time
from pathlib import Path

import numpy as np
import pandas as pd

SEED = 20160301
N_ITEMS = 33


def generate(folder: Path, n_agents: int, seed: int = SEED) -> dict[str, int]:
    """Write the benchmark study (CSV, UTF-8) and its params.yaml; return rows per file."""
    rng = np.random.default_rng(seed)
    folder.mkdir(parents=True, exist_ok=True)
    items = [f"Q{i:02d}" for i in range(1, N_ITEMS + 1)]
    comps = [f"c{i // 3 + 1:02d}" for i in range(N_ITEMS)]
    pd.DataFrame({
        "item": items, "competency": comps, "competency_label": comps,
        "dimension": [f"d{(i // 3) % 3 + 1}" for i in range(N_ITEMS)],
        "dimension_label": [f"d{(i // 3) % 3 + 1}" for i in range(N_ITEMS)],
        "reverse": [1 if i % 3 == 2 else 0 for i in range(N_ITEMS)], "text": [f"Item {i}" for i in items],
    }).to_csv(folder / "items.csv", index=False)

    agents = np.array([f"A{i:06d}" for i in range(1, n_agents + 1)])
    hire = pd.Timestamp("2010-01-01") + pd.to_timedelta(rng.integers(0, 2500, n_agents), unit="D")
    exit_ = pd.Series(pd.NaT, index=range(n_agents), dtype="datetime64[ns]")
    leavers = rng.random(n_agents) < 0.05
    exit_[leavers] = pd.Timestamp("2017-03-01") + pd.to_timedelta(rng.integers(0, 300, leavers.sum()), unit="D")
    pd.DataFrame({
        "agent_id": agents, "team": np.char.add("T", (np.arange(n_agents) % 200).astype(str)),
        "hire_date": hire.strftime("%Y-%m-%d"), "exit_date": exit_.dt.strftime("%Y-%m-%d").fillna(""),
        "group": np.where(rng.random(n_agents) < 0.5, "trained", "control"),
    }).to_csv(folder / "roster.csv", index=False)

    n = 2 * n_agents
    latent = rng.normal(0, 1, (n, 1))
    scores = np.clip(np.rint(3.4 + 0.8 * latent + rng.normal(0, 0.8, (n, N_ITEMS))), 1, 5).astype(np.int64)
    cells = scores.astype(str).astype(object)
    mess = rng.random((n, N_ITEMS))
    cells[mess < 0.002] = ""                                    # blanks
    cells[(mess >= 0.002) & (mess < 0.0025)] = "9"              # out of range
    sl = rng.random(n) < 0.003
    cells[sl] = "3"                                             # straight-liners
    resp = pd.DataFrame(cells, columns=items)
    resp.insert(0, "agent_id", np.repeat(agents, 2))
    resp.insert(1, "wave", np.tile(["pre", "post"], n_agents))
    days = rng.integers(0, 10, n)
    sub = np.where(resp["wave"] == "pre", np.datetime64("2017-02-06"), np.datetime64("2017-06-05")) + days
    resp.insert(2, "submitted", pd.to_datetime(sub).strftime("%Y-%m-%d"))
    dups = resp.sample(n=max(1, n // 2000), random_state=seed)
    resp = pd.concat([resp, dups], ignore_index=True)
    resp.to_csv(folder / "responses.csv", index=False)

    months = ["2017-01", "2017-02"]
    k = pd.DataFrame({"agent_id": np.repeat(agents, len(months)), "month": np.tile(months, n_agents)})
    m = len(k)
    k["contacts"] = rng.integers(10, 600, m)
    for c in ("fcr", "csat", "answer_rate"):
        k[c] = np.round(rng.uniform(0.6, 0.99, m), 4)
    k["aht_sec"] = np.round(rng.uniform(250, 600, m), 1)
    k["qa_score"] = np.round(rng.uniform(60, 100, m), 1)
    k.to_csv(folder / "agent_kpis.csv", index=False)

    (folder / "params.yaml").write_text(textwrap.dedent(f"""\
        study: bench
        seed: {seed}
        scale: {{min: 1, max: 5, labels: {{}}}}
        inputs:
          dir: .
          items: {{file: items.csv}}
          responses: {{file: responses.csv, layout: wide}}
          roster: {{file: roster.csv}}
          agent_kpis: {{file: agent_kpis.csv, rate_scale: fraction}}
        waves: {{pre: pre, post: post}}
        outputs: {{processed: out/processed, reports: out/reports}}
        cleaning: {{out_of_range: missing, straightlining: flag, min_answered_share: 0.8,
                   drop_left_before_post: true, min_contacts_per_month: 30}}
        """), encoding="utf-8")
    return {"items": N_ITEMS, "roster": n_agents, "responses": len(resp), "agent_kpis": m}


# Child processes: one measured step each, reporting seconds and peak RSS as JSON.
_CHILD = r"""
import json, resource, sys, time
from pathlib import Path
folder, step = Path(sys.argv[1]), sys.argv[2]
import pandas as pd
from ccstudy.params import load_params
from ccstudy.io.intake import run_intake, write_intake
if step == "read_csv":
    t0, c0 = time.perf_counter(), time.process_time()
    for name in ("items", "roster", "responses", "agent_kpis"):
        pd.read_csv(folder / f"{name}.csv")
    t1, c1 = time.perf_counter(), time.process_time()
    extra = {}
else:
    p = load_params(folder / "params.yaml")
    t0, c0 = time.perf_counter(), time.process_time()
    res = run_intake(p, write_validation_report=False)
    t1, c1 = time.perf_counter(), time.process_time()
    write_intake(res, p)
    extra = {"write_seconds": time.perf_counter() - t1, "rules": res.summary["cleaning"]["rules"],
             "kept": {k: len(v) for k, v in res.tables.items()}}
print(json.dumps({"seconds": t1 - t0, "cpu_seconds": c1 - c0, "peak_rss_mb": peak_rss_mb(), **extra}))
"""

# Peak resident memory of the current process.  On Linux VmHWM (reset by exec) is used:
# ru_maxrss survives fork + exec and would report the parent's peak.
_PEAK = r"""
import resource, sys
def peak_rss_mb():
    try:
        with open("/proc/self/status") as fh:
            for line in fh:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) / 1024
    except OSError:
        pass
    kb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return kb / (1024 * 1024) if sys.platform == "darwin" else kb / 1024
"""


def measure(folder: Path, step: str) -> dict:
    out = subprocess.run([sys.executable, "-c", _PEAK + _CHILD, str(folder), step], check=True, capture_output=True,
                         text=True)
    return json.loads(out.stdout.strip().splitlines()[-1])


def _baseline_rss() -> float:
    code = _PEAK + "import pandas, pyarrow, ccstudy.io.intake\nprint(peak_rss_mb())\n"
    return float(subprocess.run([sys.executable, "-c", code], check=True, capture_output=True,
                                text=True).stdout.strip())


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true", help="20,000 agents, 1 repeat")
    ap.add_argument("--agents", type=int, default=None)
    ap.add_argument("--repeats", type=int, default=None)
    args = ap.parse_args(argv)
    n_agents = args.agents or (20_000 if args.quick else 100_000)
    repeats = args.repeats or (1 if args.quick else 3)
    with tempfile.TemporaryDirectory(prefix="ccstudy-bench-") as tmp:
        folder = Path(tmp) / "study"
        t0 = time.perf_counter()
        rows = generate(folder, n_agents)
        gen = time.perf_counter() - t0
        total_rows = sum(rows.values())
        mb = sum(f.stat().st_size for f in folder.glob("*.csv")) / 2**20
        print(f"generated {n_agents:,} agents x 2 waves x {N_ITEMS} items in {gen:.1f} s "
              f"({total_rows:,} rows, {mb:.1f} MB of CSV; seed {SEED})")
        print("rows per file: " + ", ".join(f"{k} {v:,}" for k, v in rows.items()))
        base_rss = _baseline_rss()
        intake = [measure(folder, "intake") for _ in range(repeats)]
        plain = [measure(folder, "read_csv") for _ in range(repeats)]
    best_i = min(intake, key=lambda r: r["seconds"])
    best_p = min(plain, key=lambda r: r["seconds"])
    ratio = best_i["seconds"] / best_p["seconds"]
    cpu_i = min(r["cpu_seconds"] for r in intake)
    cpu_p = min(r["cpu_seconds"] for r in plain)
    print()
    print(f"{'step':<34} {'seconds':>8} {'CPU s':>7} {'rows/s':>12} {'peak RSS MB':>12}")
    print("-" * 77)
    print(f"{'run_intake (read+validate+clean)':<34} {best_i['seconds']:>8.2f} {cpu_i:>7.2f} "
          f"{total_rows / best_i['seconds']:>12,.0f} {max(r['peak_rss_mb'] for r in intake):>12.0f}")
    print(f"{'write_intake':<34} {best_i['write_seconds']:>8.2f}")
    print(f"{'pandas.read_csv (baseline)':<34} {best_p['seconds']:>8.2f} {cpu_p:>7.2f} "
          f"{total_rows / best_p['seconds']:>12,.0f} {max(r['peak_rss_mb'] for r in plain):>12.0f}")
    print(f"{'(interpreter + imports)':<34} {'':>8} {'':>7} {'':>12} {base_rss:>12.0f}")
    print()
    print(f"intake / read_csv time ratio: {ratio:.2f}x   (best of {repeats})")
    print(f"intake / read_csv CPU-time ratio: {cpu_i / cpu_p:.2f}x   (CPU time of every thread; the Arrow CSV "
          "reader uses several)")
    print(f"cleaning log: {best_i['rules']}")
    print(f"rows kept: {best_i['kept']}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
