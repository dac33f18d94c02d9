"""Progress of long contact-log runs: rows processed so far, reported to a callback.

The library never prints: a long step (staging a contact log, a KPI query)
calls ``on_progress(Progress(...))`` while it runs, and the command line draws
the bar (``ccstudy kpi``, ``ccstudy run``/``validate`` when a contact log is
staged).  Rows processed are

* **DuckDB**: the engine's own estimate of the running query
  (``query_progress()``, a percentage polled from a thread every
  *interval* seconds) times the rows of the log, known beforehand from the
  Parquet metadata (no scan);
* **Spark**: the finished share of the tasks of the running job's stages
  (``SparkContext.statusTracker()``) times the rows of the log;
* **staging**: the rows of each file (or Parquet row group) once checked.

Every phase ends with one call whose ``done`` is true and whose ``rows`` equals
the phase's ``total``; in between, ``rows`` never decreases.  The callback may
be called from a watcher thread (it must be thread-safe; Rich's progress bar is).
"""

from __future__ import annotations

import dataclasses
import threading
import time
from typing import Any, Callable

__all__ = ["Progress", "OnProgress", "Phase", "watch_query"]


@dataclasses.dataclass(frozen=True, kw_only=True)
class Progress:
    """Where a phase of a long run stands.

    Attributes
    ----------
    phase
        What runs (``staging``, ``contacts``, ``agent-month``, ...).
    rows
        Rows processed so far in this phase (never decreasing).
    total
        Rows the phase processes (the log's rows), or None when not known yet.
    seconds
        Seconds since the phase started.
    done
        True on the last call of the phase (``rows == total`` then).
    """

    phase: str
    rows: int
    total: int | None
    seconds: float
    done: bool = False

    @property
    def rate(self) -> float:
        """Rows per second so far (0 before the first measurable instant)."""
        return self.rows / self.seconds if self.seconds > 0 else 0.0

    def to_dict(self) -> dict[str, Any]:
        return {**dataclasses.asdict(self), "rate": self.rate}

    def summary(self) -> str:
        return f"{self.phase}: {self.rows:,} rows in {self.seconds:.1f} s ({self.rate:,.0f} rows/s)"


OnProgress = Callable[[Progress], None]


class Phase:
    """One phase's reports: ``update(rows)`` (kept monotonic), then ``finish()``.

    Thread-safe: the watcher thread and the caller may both report.
    """

    def __init__(self, on_progress: OnProgress | None, phase: str, total: int | None):
        self.on_progress = on_progress
        self.phase = phase
        self.total = total
        self.rows = 0
        self.t0 = time.perf_counter()
        self._lock = threading.Lock()
        self._finished = False

    def update(self, rows: int) -> None:
        if self.on_progress is None:
            return
        with self._lock:
            if self._finished:
                return
            rows = int(rows)
            if self.total is not None:
                rows = min(rows, self.total)
            if rows <= self.rows:
                return
            self.rows = rows
            p = Progress(phase=self.phase, rows=self.rows, total=self.total, seconds=time.perf_counter() - self.t0)
        self.on_progress(p)

    def finish(self, total: int | None = None) -> Progress:
        """The last report: ``rows = total`` (*total* replaces an unknown or estimated total)."""
        with self._lock:
            if total is not None:
                self.total = int(total)
            self._finished = True
            n = self.total if self.total is not None else self.rows
            self.rows = n
            p = Progress(phase=self.phase, rows=n, total=n, seconds=time.perf_counter() - self.t0, done=True)
        if self.on_progress is not None:
            self.on_progress(p)
        return p


class watch_query:
    """Context manager: report a running engine query's progress as rows of *total*.

    ``with watch_query(con, phase):`` — *con* is the Ibis connection the query
    runs on (DuckDB or PySpark, or a DuckDB connection); *phase* a :class:`Phase`.  A thread polls the
    engine every *interval* seconds while the block runs; on a normal exit the
    phase is finished (``rows = total``).  Without a callback nothing is
    started.
    """

    def __init__(self, con: Any, phase: Phase, *, interval: float = 0.2):
        self.con = con
        self.phase = phase
        self.interval = interval
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def __enter__(self) -> Phase:
        if self.phase.on_progress is None or not self.phase.total:
            return self.phase
        poll = _duckdb_poller(self.con) or _spark_poller(self.con)
        if poll is not None:
            self._thread = threading.Thread(target=self._run, args=(poll,), name="kpi-progress", daemon=True)
            self._thread.start()
        return self.phase

    def _run(self, poll: Callable[[], float | None]) -> None:
        total = self.phase.total or 0
        while not self._stop.wait(self.interval):
            try:
                share = poll()
            except Exception:  # noqa: BLE001 - progress must never break the run
                return
            if share is not None and share >= 0:
                self.phase.update(int(total * min(share, 1.0)))

    def __exit__(self, exc_type: Any, exc: Any, tb: Any) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join()
        if exc_type is None:
            self.phase.finish()


def _duckdb_poller(con: Any) -> Callable[[], float | None] | None:
    """*con*: an Ibis DuckDB connection or a DuckDB connection itself."""
    raw = con.con if getattr(con, "name", "") == "duckdb" else con
    if not hasattr(raw, "query_progress"):
        return None
    # query_progress() answers only while progress tracking is on; printing the bar stays off.
    raw.execute("SET enable_progress_bar = true")
    raw.execute("SET enable_progress_bar_print = false")

    def poll() -> float | None:
        pct = raw.query_progress()
        return None if pct is None or pct < 0 else pct / 100.0

    return poll


def _spark_poller(con: Any) -> Callable[[], float | None] | None:
    if getattr(con, "name", "") != "pyspark":
        return None
    session = getattr(con, "_session", None)
    if session is None:
        return None
    tracker = session.sparkContext.statusTracker()
    seen: dict[int, tuple[int, int]] = {}

    def poll() -> float | None:
        for sid in tracker.getActiveStageIds():
            info = tracker.getStageInfo(sid)
            if info is not None:
                seen[sid] = (info.numCompletedTasks, info.numTasks)
        tasks = sum(t for _, t in seen.values())
        # the stages still to come are not known in advance: the share is capped below 1 until the job ends
        return None if not tasks else 0.95 * sum(c for c, _ in seen.values()) / tasks

    return poll
