"""Benchmark: agent-month KPIs from a contact log of 1M and 10M contacts (100M with --large).

Generates seeded contact logs (``ccstudy.synth_contacts``, Parquet, one file per
month) in a temporary folder, then computes the agent-month KPIs of
docs/kpi-definitions.md (default options) from the Parquet files on disk, each
method in a fresh process so that peak memory belongs to it alone:

* ``ibis-duckdb``: the project's Ibis expressions on embedded DuckDB (what
  ``ccstudy kpi`` runs: ``ccstudy.kpi.compute``);
* ``sql-duckdb``: the same KPIs as ONE hand-written DuckDB SQL query (a
  ``lead()`` window for the repeat contact, one ``GROUP BY``);
* ``pandas``: ``pandas.read_parquet`` of the columns the KPIs need, then
  vectorised per-contact flags, a sort + ``groupby().shift(-1)`` for the next
  contact and ``groupby().sum()`` (the pandas reference of the tests,
  ``tests/kpi/reference.py``);
* ``ibis-spark`` (1M only, information): the same expressions on Spark in local
  mode; session start-up reported apart.

What is timed, the same for every method: from the first read of the Parquet
files to the agent-month table as a pandas DataFrame in memory (reading,
expression building and SQL compilation, the query, the conversion to pandas).
Not timed, for every method alike: starting the interpreter, the imports
(pandas, pyarrow, and duckdb / ibis / ccstudy, whichever the method uses, all
imported before the clock starts) and opening the DuckDB connection (or the
Spark session).  Each method runs in a fresh process, so nothing is cached
between runs except the operating system's file cache (every method reads the
same files, so each gets it alike).

Printed per size: seconds (best of the repeats, the methods' runs interleaved),
CPU seconds of the child process over the same span, contacts per second, peak
resident memory of the child process, and the ratios ibis/sql (target <= 1.3)
and pandas/ibis (target >= 5), all from this run; then, as information, where
the Ibis path's time goes (view, expression, compile, query, to pandas).  The three local methods are
checked to give identical tables.  With ``--large`` (100M) only the Ibis and
SQL methods run, with DuckDB capped at 3 GB and spilling to disk (target:
peak <= 4 GB).

Run::

    .venv/bin/python benchmarks/kpi_scale.py            # 1M and 10M (+ Spark 1M when installed)
    .venv/bin/python benchmarks/kpi_scale.py --quick    # 100k, 1 repeat
    .venv/bin/python benchmarks/kpi_scale.py --large    # adds 100M (about 3 GB of Parquet, long)
    .venv/bin/python benchmarks/kpi_scale.py --sizes 100000000   # the large run alone
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SEED = 20240101

# The agent-month KPIs, default KpiParams (short abandon < 5 s, SL <= 20 s excluding short abandons,
# repeat within 7 days = 604800 s by the same customer, abandoned repeats count, CSAT top box >= 4).
# Whole seconds (fractions truncated, as the definitions say): epoch_us() // 1e6 is exact integer arithmetic.
HAND_SQL = """
WITH c AS (
  SELECT *,
    epoch_us(offered_at) // 1000000 AS off_s,
    CASE WHEN abandoned THEN epoch_us(ended_at) // 1000000 - epoch_us(offered_at) // 1000000
         ELSE epoch_us(answered_at) // 1000000 - epoch_us(offered_at) // 1000000 END AS wait_s,
    lead(epoch_us(offered_at) // 1000000) OVER (PARTITION BY customer_id
                                                ORDER BY epoch_us(offered_at) // 1000000, contact_id) AS next_s
  FROM read_parquet({files})
)
SELECT agent_id, strftime(offered_at, '%Y-%m') AS month,
  count(*) AS offered,
  count(*) FILTER (WHERE NOT abandoned) AS answered,
  count(*) FILTER (WHERE abandoned) AS abandoned,
  count(*) FILTER (WHERE abandoned AND wait_s < 5) AS short_abandons,
  count(*) FILTER (WHERE NOT abandoned AND wait_s <= 20) AS answered_within_sl,
  count(*) FILTER (WHERE NOT (abandoned AND wait_s < 5)) AS sl_denominator,
  coalesce(sum(CASE WHEN NOT abandoned THEN coalesce(talk_sec, 0) + coalesce(hold_sec, 0) + coalesce(acw_sec, 0)
           END), 0) AS handle_sec_total,
  count(*) FILTER (WHERE NOT abandoned AND customer_id IS NOT NULL) AS fcr_eligible,
  count(*) FILTER (WHERE NOT abandoned AND customer_id IS NOT NULL
                   AND NOT coalesce(next_s - off_s <= 604800, false)) AS fcr_resolved,
  count(*) FILTER (WHERE NOT abandoned AND transferred) AS transferred,
  count(csat) AS csat_n,
  count(*) FILTER (WHERE csat >= 4) AS csat_top,
  coalesce(sum(csat), 0) AS csat_total
FROM c WHERE agent_id IS NOT NULL
GROUP BY ALL ORDER BY agent_id, month
"""

CHILD = r"""
import json, os, sys, time, resource
method, folder, out = sys.argv[1], sys.argv[2], sys.argv[3]
mem_limit = sys.argv[4] if len(sys.argv) > 4 else ""
sys.path.insert(0, os.path.join({root!r}, "tests", "kpi"))
from pathlib import Path
import pandas as pd          # imported by every method before the clock starts (see the docstring)
import pyarrow, pyarrow.parquet
files = sorted(str(p) for p in Path(folder).glob("*.parquet"))
extra = {{}}
if method == "ibis-duckdb":
    import ibis, duckdb
    from ccstudy.kpi import compute
    from ccstudy.kpi.backends import connect
    from ccstudy.io.contacts import read_contacts
    con = connect("duckdb", memory_limit=mem_limit or None, temp_directory=(folder + "/.spill") if mem_limit else None)
    t0, c0 = time.perf_counter(), time.process_time()
    df = compute(con, read_contacts(con, folder), ["agent"])["agent"]
elif method == "ibis-phases":
    # information: where the Ibis path's time goes, phase by phase, in a fresh process
    import ibis, duckdb
    from ccstudy.kpi import _tidy
    from ccstudy.kpi.backends import connect
    from ccstudy.io.contacts import read_contacts
    from ccstudy.kpi.definitions import LEVELS, aggregate_rows, contact_rows
    con = connect("duckdb")
    t0, c0 = time.perf_counter(), time.process_time()
    marks = [t0]
    t = read_contacts(con, folder); marks.append(time.perf_counter())
    expr = aggregate_rows(contact_rows(t), "agent"); marks.append(time.perf_counter())
    sql = ibis.to_sql(expr, dialect="duckdb"); marks.append(time.perf_counter())
    at = con.to_pyarrow(expr); marks.append(time.perf_counter())
    df = _tidy(at.to_pandas(), LEVELS["agent"]); marks.append(time.perf_counter())
    extra["phases"] = dict(zip(["view", "expression", "compile", "query+fetch", "to pandas"],
                               [b - a for a, b in zip(marks, marks[1:])]))
elif method == "sql-duckdb":
    import duckdb
    con = duckdb.connect()
    con.execute("SET TimeZone = 'UTC'")
    con.execute("SET enable_progress_bar = false")
    if mem_limit:
        con.execute(f"SET memory_limit = '{{mem_limit}}'"); con.execute(f"SET temp_directory = '{{folder}}/.spill'")
    sql = {sql!r}.replace("{{files}}", repr(files))
    t0, c0 = time.perf_counter(), time.process_time()
    df = con.execute(sql).df()
elif method == "pandas":
    import reference
    t0, c0 = time.perf_counter(), time.process_time()
    log = pd.read_parquet(folder, columns=reference.NEEDED_COLUMNS)
    df = reference.kpis(log, "agent")
elif method == "ibis-spark":
    ts = time.perf_counter()
    from ccstudy.kpi.backends import connect, spark_session
    from ccstudy.kpi import compute
    from ccstudy.io.contacts import read_contacts
    s = spark_session("local[*]")
    con = connect("spark", session=s)
    con.execute(read_contacts(con, folder).count())
    extra["startup_s"] = time.perf_counter() - ts
    t0, c0 = time.perf_counter(), time.process_time()
    df = compute(con, read_contacts(con, folder), ["agent"])["agent"]
secs = time.perf_counter() - t0
cpu = time.process_time() - c0
cols = ["agent_id", "month", "offered", "answered", "abandoned", "short_abandons", "answered_within_sl",
        "sl_denominator", "handle_sec_total", "fcr_eligible", "fcr_resolved", "transferred", "csat_n", "csat_top",
        "csat_total"]
df = df[cols].sort_values(["agent_id", "month"]).reset_index(drop=True)
for c in cols[2:]:
    df[c] = df[c].astype("float64")
df["agent_id"] = df["agent_id"].astype(str)
df["month"] = df["month"].astype(str)
df.to_parquet(out, index=False)
peak = 0
try:
    for line in open("/proc/self/status"):
        if line.startswith("VmHWM:"):
            peak = int(line.split()[1]) * 1024
except OSError:
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
print("RESULT " + json.dumps({{"seconds": secs, "cpu_seconds": cpu, "peak_bytes": peak, **extra}}))
"""


def _run(method: str, folder: Path, out: Path, mem_limit: str = "") -> dict:
    code = CHILD.format(root=str(ROOT), sql=HAND_SQL)
    r = subprocess.run([sys.executable, "-c", code, method, str(folder), str(out), mem_limit],
                       capture_output=True, text=True)
    if r.returncode != 0:
        raise RuntimeError(f"{method} failed:\n{r.stderr[-3000:]}")
    line = [ln for ln in r.stdout.splitlines() if ln.startswith("RESULT ")][-1]
    return json.loads(line[len("RESULT "):])


def _best(methods: list[str], folder: Path, work: Path, repeats: int, mem_limit: str = "") -> dict[str, dict]:
    """Best of *repeats* runs per method, the methods interleaved (A B C A B C ...) so that a change in
    the machine's load during the run does not favour one method."""
    runs: dict[str, list[dict]] = {m: [] for m in methods}
    for i in range(repeats):
        for m in methods:
            if m == "ibis-spark" and i:
                continue  # information only: one run
            runs[m].append(_run(m, folder, work / f"{m}.parquet", mem_limit))
    out = {}
    for m, rs in runs.items():
        best = min(rs, key=lambda r: r["seconds"])
        out[m] = {**best, "peak_bytes": max(r["peak_bytes"] for r in rs), "all_seconds": [r["seconds"] for r in rs]}
    return out


def _same(work: Path, a: str, b: str) -> bool:
    import pandas as pd

    x = pd.read_parquet(work / f"{a}.parquet")
    y = pd.read_parquet(work / f"{b}.parquet")
    return x.equals(y)


def _spark_available() -> bool:
    import shutil

    try:
        import pyspark  # noqa: F401
    except ImportError:
        return False
    return shutil.which("java") is not None


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--quick", action="store_true", help="100k contacts, 1 repeat")
    ap.add_argument("--large", action="store_true", help="also 100M contacts (Ibis and SQL only, out of core)")
    ap.add_argument("--sizes", type=str, default=None,
                    help="comma-separated sizes instead of the defaults (e.g. 100000000 for the large run alone)")
    ap.add_argument("--no-spark", action="store_true", help="skip the Spark local-mode run")
    ap.add_argument("--repeats", type=int, default=None, help="repeats per method (default 3 at 1M, 1 above)")
    ap.add_argument("--work", type=Path, default=None, help="folder for the generated logs (default: a temp folder)")
    args = ap.parse_args()
    sys.path.insert(0, str(ROOT / "src"))
    from ccstudy.synth_contacts import write_contacts

    sizes = [100_000] if args.quick else [1_000_000, 10_000_000]
    if args.large:
        sizes.append(100_000_000)
    if args.sizes:
        sizes = [int(x) for x in args.sizes.split(",")]
    spark = (not args.no_spark) and _spark_available()
    base = args.work or Path(tempfile.mkdtemp(prefix="ccstudy-kpi-bench-"))
    print(f"kpi_scale: agent-month KPIs from Parquet on disk; python {sys.version.split()[0]}")
    header = (f"{'contacts':>12} {'method':<12} {'seconds':>9} {'cpu s':>7} {'contacts/s':>13} {'peak MB':>9}"
              f"  all runs (s)")
    for n in sizes:
        folder = base / f"log{n}"
        t0 = time.perf_counter()
        res = write_contacts(folder, n, seed=SEED, days=90 if n < 50_000_000 else 365, agents=800 if n < 50_000_000
                             else 4000)
        gen = time.perf_counter() - t0
        size_mb = sum(f.stat().st_size for f in res.files) / 1e6
        print(f"\n{n:,} contacts: generated in {gen:.1f} s ({size_mb:,.0f} MB Parquet, {len(res.files)} files)")
        reps = args.repeats or (1 if args.quick or n > 1_000_000 else 3)
        large = n >= 50_000_000
        mem = "3GB" if large else ""
        methods = ["sql-duckdb", "ibis-duckdb"] + ([] if large else ["pandas"])
        if spark and n == 1_000_000:
            methods.append("ibis-spark")
        results = base / f"results{n}"
        results.mkdir(exist_ok=True)
        print(f"best of {reps} run(s) per method, interleaved; seconds = wall clock of the timed part "
              "(what is timed: this script's docstring)")
        print(header)
        out = _best(methods, folder, results, reps, mem)
        for m in methods:
            r = out[m]
            note = f"  (+{r['startup_s']:.1f} s session start-up and first read)" if "startup_s" in r else ""
            runs = " ".join(f"{x:.2f}" for x in r["all_seconds"])
            print(f"{n:>12,} {m:<12} {r['seconds']:9.2f} {r['cpu_seconds']:7.2f} {n / r['seconds']:13,.0f} "
                  f"{r['peak_bytes'] / 2**20:9,.0f}  {runs}{note}")
        if not large:
            ph = _run("ibis-phases", folder, results / "ibis-phases.parquet")["phases"]
            print("  ibis-duckdb phases (information, one fresh process): "
                  + ", ".join(f"{k} {v:.3f} s" for k, v in ph.items()))
        ib, sq = out["ibis-duckdb"]["seconds"], out["sql-duckdb"]["seconds"]
        print(f"  ratio ibis-duckdb / hand-written SQL: {ib / sq:.2f}x (target <= 1.3)")
        if "pandas" in out:
            print(f"  ratio pandas / ibis-duckdb:           {out['pandas']['seconds'] / ib:.1f}x (target >= 5)")
            print(f"  (CPU seconds, information: ibis/sql {out['ibis-duckdb']['cpu_seconds'] / out['sql-duckdb']['cpu_seconds']:.2f}x, "
                  f"pandas/ibis {out['pandas']['cpu_seconds'] / out['ibis-duckdb']['cpu_seconds']:.1f}x; "
                  f"the engines use {os.cpu_count()} cores, pandas one)")
        same = all(_same(results, "ibis-duckdb", m) for m in out if m != "ibis-duckdb")
        print(f"  identical agent-month tables across methods: {'yes' if same else 'NO'}")
        if large:
            peak = max(out[m]["peak_bytes"] for m in out) / 2**30
            print(f"  peak memory {peak:.2f} GB (target <= 4 GB, out of core)")
        if "ibis-spark" in out:
            print(f"  Spark local mode (information): {out['ibis-spark']['seconds']:.1f} s for {n:,} contacts")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
