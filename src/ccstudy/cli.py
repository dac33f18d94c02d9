"""Command line: ``ccstudy run | render | study | synth | validate | init | kpi | bench``.

Progress is shown here (Rich), never in the library.  Input problems exit with
code 2 and a report naming file, row and column; a traceback is shown only with
``--debug``.
"""

from __future__ import annotations

import logging
import subprocess
import sys
from pathlib import Path

import typer
from rich.console import Console
from rich.table import Table

app = typer.Typer(add_completion=False, no_args_is_help=True, pretty_exceptions_show_locals=False,
                  help="Reproducible call-centre workforce studies: validate, analyse, report.")
console = Console(stderr=False)
err = Console(stderr=True)

EXIT_INPUT = 2
EXIT_FAILED = 1


def _handle(exc: BaseException, debug: bool) -> int:
    """Turn known errors into a clear message and an exit code."""
    from ccstudy.params import ParamsError
    from ccstudy.pipeline import StageFailed

    if debug:
        raise exc
    try:
        from ccstudy.io.intake import InputValidationError
    except ImportError:  # pragma: no cover
        InputValidationError = ()  # type: ignore
    if isinstance(exc, ParamsError):
        err.print("[bold red]Invalid study parameters[/]", highlight=False)
        err.print(str(exc), highlight=False, markup=False, soft_wrap=True)
        return EXIT_INPUT
    if InputValidationError and isinstance(exc, InputValidationError):
        err.print("[bold red]The inputs break the study's rules; nothing was analysed.[/]", highlight=False)
        err.print(str(exc), highlight=False, markup=False, soft_wrap=True)
        return EXIT_INPUT
    from ccstudy.render import RenderError

    from ccstudy.fonts import FontMissing
    from ccstudy.i18n import LanguageError

    if isinstance(exc, (StageFailed, RenderError, FontMissing, LanguageError)):
        err.print(str(exc), style="bold red", highlight=False, markup=False, soft_wrap=True)
        return EXIT_FAILED
    if isinstance(exc, (FileNotFoundError, ValueError)):
        err.print(f"Error: {exc}", style="bold red", highlight=False, markup=False, soft_wrap=True)
        return EXIT_FAILED
    raise exc


def _short(path: Path) -> str:
    """A path relative to the working directory when it lies below it."""
    try:
        return str(Path(path).resolve().relative_to(Path.cwd().resolve()))
    except ValueError:
        return str(path)


class _Running:
    """Live line of the stages running now, side by side, each with its elapsed time."""

    def __init__(self) -> None:
        self.started: dict[str, float] = {}

    def __rich__(self):
        import time

        from rich.spinner import Spinner
        from rich.table import Table as Grid

        grid = Grid.grid(padding=(0, 1))
        now = time.perf_counter()
        cells = [Spinner("dots", f"{stage} {now - t0:4.1f} s", style="bold") for stage, t0 in self.started.items()]
        for _ in cells:
            grid.add_column()
        grid.add_row(*cells)
        return grid


class _RowsProgress:
    """Live rows-processed bars for long contact-log work, fed by ``ccstudy.kpi.progress.Progress`` events.

    One bar per phase on stderr, shown while the phase runs and erased when it
    ends (nothing is drawn when stderr is not a terminal); each finished phase
    leaves one line: rows, seconds, rows/s (printed by *on_done*, default a
    line on stdout).  Events may come from a watcher thread.
    """

    def __init__(self, label: str, on_done=None) -> None:
        import threading

        self.label = label
        self.finished: dict[str, object] = {}
        self.on_done = on_done if on_done is not None else self._line
        self._bar = None
        self._task = None
        self._lock = threading.Lock()

    def _line(self, p) -> None:
        console.print(f"  [green]✓[/] {self.label} {p.phase:<12} {p.rows:>12,} rows  {p.seconds:6.1f} s  "
                      f"{p.rate:>12,.0f} rows/s", highlight=False, soft_wrap=True)

    def __call__(self, p) -> None:
        from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn

        with self._lock:
            if p.done:
                if self._bar is not None:
                    self._bar.stop()
                    self._bar = None
                self.finished[p.phase] = p
                self.on_done(p)
                return
            if not err.is_terminal:
                return  # quiet in logs and pipes: the final line says it all
            if self._bar is None:
                self._bar = Progress(TextColumn("{task.description}"), BarColumn(), TextColumn("{task.fields[rows]}"),
                                     TextColumn("{task.fields[rate]}"), TimeElapsedColumn(), console=err,
                                     transient=True)
                self._task = self._bar.add_task(f"{self.label} {p.phase}", total=p.total, rows="", rate="")
                self._bar.start()
            total = f" of {p.total:,}" if p.total else ""
            self._bar.update(self._task, completed=p.rows, total=p.total, rows=f"{p.rows:,}{total} rows",
                             rate=f"{p.rate:,.0f} rows/s")

    def close(self) -> None:
        with self._lock:
            if self._bar is not None:
                self._bar.stop()
                self._bar = None


def _run(params: Path, force: bool, jobs: int | None = None) -> None:
    import time

    from rich.live import Live

    from ccstudy import pipeline

    running = _Running()
    live = Live(running, console=console, refresh_per_second=8, transient=True)

    def on_event(event: str, stage: str, info: dict) -> None:
        if event == "validate":
            console.print("[dim]validating inputs…[/]")
        elif event == "start":
            running.started[stage] = time.perf_counter()
            live.start()
        elif event in ("done", "failed"):
            running.started.pop(stage, None)
            if event == "done":
                live.console.print(f"  [green]✓[/] {stage:<16} {info['seconds']:6.1f} s  ({info['outputs']} outputs)")
            if not running.started:
                live.stop()
        elif event == "cached":
            console.print(f"  [cyan]=[/] {stage:<16}   cached (inputs unchanged)")

    from ccstudy.io.contacts import progress_to

    rows = _RowsProgress("contacts")
    try:
        with progress_to(rows):  # a contact log staged while the inputs are validated
            result = pipeline.run(params, force=force, on_event=on_event, jobs=jobs)
    finally:
        rows.close()
        live.stop()
    console.print(f"[bold]Results bundle:[/] {_short(result.params.processed_dir)}", soft_wrap=True)
    console.print(f"[bold]Manifest:[/] {_short(result.manifest_path)}  ({result.seconds:.1f} s)", soft_wrap=True)


_JOBS_HELP = "Stages run at once (default: the CPU cores available)."


def _render(params: Path, formats: list[str], languages: list[str] | None = None, force: bool = False) -> None:
    from ccstudy import render

    def on_event(report: str, fmt: str, seconds: float, path: Path) -> None:
        if seconds == 0:
            console.print(f"  [cyan]=[/] {report + '.' + fmt:<22}  cached  {_short(path)}", soft_wrap=True)
        else:
            console.print(f"  [green]✓[/] {report + '.' + fmt:<22} {seconds:5.1f} s  {_short(path)}", soft_wrap=True)

    console.print(f"[dim]rendering reports with {render.engine()}…[/]")
    outs = render.render_study(params, formats=formats, on_event=on_event, languages=languages or None, force=force)
    console.print(f"[bold]Reports:[/] {_short(outs[0].parent) if outs else '-'}", soft_wrap=True)


@app.command()
def run(params: Path = typer.Argument(..., help="Study params file, e.g. params/default.yaml"),
        force: bool = typer.Option(False, "--force", help="Re-run every stage even if cached."),
        jobs: int = typer.Option(None, "--jobs", "-j", min=1, help=_JOBS_HELP),
        debug: bool = typer.Option(False, "--debug", help="Show tracebacks.")) -> None:
    """Validate inputs and run the analysis notebooks (cached stages are skipped)."""
    try:
        _run(params, force, jobs)
    except Exception as exc:  # noqa: BLE001 - mapped to exit codes
        raise typer.Exit(_handle(exc, debug))


@app.command()
def render(params: Path = typer.Argument(..., help="Study params file"),
           to: list[str] = typer.Option(["html", "pdf"], "--to", help="Output formats (html, pdf)."),
           lang: list[str] = typer.Option([], "--lang", help="Report language(s): en, zh (default: the study's "
                                          "reports.language). Repeat for several."),
           force: bool = typer.Option(False, "--force", help="Re-render even reports whose inputs are unchanged."),
           debug: bool = typer.Option(False, "--debug")) -> None:
    """Render the Quarto reports from the results bundle (reports whose inputs are unchanged are kept)."""
    try:
        _render(params, to, lang, force)
    except Exception as exc:  # noqa: BLE001
        raise typer.Exit(_handle(exc, debug))


@app.command()
def study(params: Path = typer.Argument(Path("params/default.yaml"), help="Study params file"),
          force: bool = typer.Option(False, "--force"),
          jobs: int = typer.Option(None, "--jobs", "-j", min=1, help=_JOBS_HELP),
          debug: bool = typer.Option(False, "--debug")) -> None:
    """Run the whole study: validate, analyse, render."""
    try:
        _run(params, force, jobs)
        _render(params, ["html", "pdf"], force=force)
    except Exception as exc:  # noqa: BLE001
        raise typer.Exit(_handle(exc, debug))


@app.command()
def validate(params: Path = typer.Argument(..., help="Study params file"),
             debug: bool = typer.Option(False, "--debug")) -> None:
    """Check the params and the inputs in one pass; write validation_report.md; say what the study will answer.

    Exit code 2 when any problem is found (all of them are listed: params keys with their line and a
    suggestion, input cells with file, row and column).
    """
    from ccstudy.io import files
    from ccstudy.io.contacts import progress_to
    from ccstudy.io.validate import check_files

    rows = _RowsProgress("contacts")  # a contact log is staged while the inputs are checked and planned
    try:
        with progress_to(rows):
            p, report, checked = check_files(params)
        out = files.write_text(p.report_dir / "validation_report.md", report.to_markdown()) if p is not None \
            else None
    except Exception as exc:  # noqa: BLE001
        raise typer.Exit(_handle(exc, debug))
    finally:
        rows.close()
    if report.ok and p is not None and checked is not None:
        console.print(f"[green]All inputs pass validation.[/] Report: {_short(out)}", soft_wrap=True)
        try:
            with progress_to(rows):
                plan = _plan_summary(p, checked)
            console.print(plan, highlight=False, markup=False, soft_wrap=True)
        except Exception as exc:  # noqa: BLE001
            raise typer.Exit(_handle(exc, debug))
        finally:
            rows.close()
        return
    err.print(report.to_text(), highlight=False, markup=False, soft_wrap=True)
    if out is not None:
        err.print(f"Report written to {_short(out)}", highlight=False, markup=False, soft_wrap=True)
    raise typer.Exit(EXIT_INPUT)


def _plan_summary(params, checked) -> str:
    """What the study will and will not answer: the plan made from the cleaned tables (nothing is written)."""
    from ccstudy.io.intake import clean_checked
    from ccstudy.stages import study_plan

    result = clean_checked(checked, params)
    return study_plan(params, result.tables).summary()


@app.command()
def init(study: str = typer.Argument(..., help="Study id: letters, digits, '_', '-', '.' (a folder name)"),
         from_dir: Path = typer.Option(None, "--from", help="Folder holding the exports "
                                       "(default: data/raw/<study>)"),
         force: bool = typer.Option(False, "--force", help="Overwrite an existing params file."),
         debug: bool = typer.Option(False, "--debug", help="Show tracebacks.")) -> None:
    """Scaffold params/<study>.yaml and data/raw/<study>/ from the exports you have, guessing the mapping."""
    from ccstudy.io import scaffold
    from ccstudy.params import STUDY_RE

    if not STUDY_RE.match(study):
        err.print(f"Error: the study id {study!r} is used as a folder name: letters, digits, '_', '-', '.' only",
                  style="bold red", highlight=False, markup=False)
        raise typer.Exit(EXIT_INPUT)
    root = Path.cwd()
    src = from_dir if from_dir is not None else root / "data" / "raw" / study
    if not src.is_dir():
        err.print(f"Error: no folder {_short(src)} (put the exports there, or name their folder with --from)",
                  style="bold red", highlight=False, markup=False, soft_wrap=True)
        raise typer.Exit(EXIT_INPUT)
    try:
        sc = scaffold.guess_study(src, study)
        params_path, raw, copied = scaffold.write_study(sc, src, root, force=force)
    except FileExistsError as exc:
        err.print(f"Error: {exc}", style="bold red", highlight=False, markup=False, soft_wrap=True)
        raise typer.Exit(EXIT_INPUT)
    except Exception as exc:  # noqa: BLE001
        raise typer.Exit(_handle(exc, debug))
    console.print(f"[bold]Guessed[/] (check each):", highlight=False)
    for note in sc.notes:
        console.print(f"  - {note}", highlight=False, markup=False, soft_wrap=True)
    if sc.unresolved:
        console.print("[bold yellow]Could not guess[/] (fix in the params file):", highlight=False)
        for u in sc.unresolved:
            console.print(f"  - {u}", highlight=False, markup=False, soft_wrap=True)
    if copied:
        console.print(f"Copied {len(copied)} file(s), unchanged, to {_short(raw)}", highlight=False, soft_wrap=True)
    console.print(f"[green]Wrote[/] {_short(params_path)}", highlight=False, soft_wrap=True)
    console.print(f"Next: ccstudy validate {_short(params_path)}", highlight=False, markup=False, soft_wrap=True)


@app.command()
def synth(out: Path = typer.Option(Path("data/raw/default"), "--out",
                                   help="Folder for the CSV files and the contacts/ log"),
          seed: int = typer.Option(20160301, "--seed"),
          contacts: int = typer.Option(0, "--contacts", min=0,
                                       help="Write a contact log of N contacts (Parquet, one file per month) "
                                            "to --out instead of the study's CSV files."),
          days: int = typer.Option(90, "--days", min=1, help="With --contacts: days the log covers."),
          agents: int = typer.Option(800, "--agents", min=1, help="With --contacts: number of agents.")) -> None:
    """Generate the default study's raw data (seeded, byte-identical for a seed), or a contact log."""
    if contacts:
        _synth_contacts(out, contacts, seed=seed, days=days, agents=agents)
        return
    from ccstudy import synth as synth_mod

    res = synth_mod.write(out, seed=seed)
    table = Table("file", "rows")
    for name, path in res.files.items():
        table.add_row(str(path), f"{res.rows[name]:,}")
    console.print(table)


def _synth_contacts(out: Path, n: int, *, seed: int, days: int, agents: int) -> None:
    import time

    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    from ccstudy.synth_contacts import write_contacts

    t0 = time.perf_counter()
    with Progress(TextColumn("contacts"), BarColumn(), MofNCompleteColumn(), TextColumn("{task.fields[rate]}"),
                  TimeElapsedColumn(), console=console, transient=True) as bar:
        task = bar.add_task("synth", total=n, rate="")

        def on_chunk(done: int, total: int) -> None:
            rate = done / max(time.perf_counter() - t0, 1e-9)
            bar.update(task, completed=done, rate=f"{rate:,.0f} rows/s")

        res = write_contacts(out, n, seed=seed, days=days, agents=agents, on_chunk=on_chunk)
    secs = time.perf_counter() - t0
    console.print(f"{res.rows:,} contacts in {len(res.files)} file(s) under {_short(out)} "
                  f"({secs:.1f} s, {res.rows / max(secs, 1e-9):,.0f} rows/s)", soft_wrap=True)


@app.command()
def kpi(log: Path = typer.Argument(..., help="Contact log: a Parquet file or a folder of Parquet files "
                                             "(canonical columns, see docs/kpi-definitions.md)"),
        out: Path = typer.Option(Path("kpi_out"), "--out", help="Folder for agent_month / team_month / "
                                                                  "centre_month .parquet"),
        backend: str = typer.Option("duckdb", "--backend", help="duckdb | spark"),
        master: str = typer.Option("local[*]", "--master", help="Spark master (with --backend spark)"),
        roster: Path = typer.Option(None, "--roster", help="roster.csv (agent_id, team) for team-month KPIs"),
        debug: bool = typer.Option(False, "--debug")) -> None:
    """Compute the contact-level KPIs (agent-, team-, centre-month) of a contact log, with progress.

    While the queries run, a bar on stderr shows the rows processed and the rate
    (not drawn when stderr is not a terminal); each table then gets one line
    (rows, seconds, contacts/s), and a last line gives the whole run.
    """
    import time

    rows_bar = None
    try:
        from ccstudy.io import files
        from ccstudy.io.contacts import count_rows, read_contacts, read_teams
        from ccstudy.kpi import compute
        from ccstudy.kpi.backends import connect

        t_start = time.perf_counter()
        con = connect(backend, spark_master=master)
        t = read_contacts(con, log)
        rows = count_rows(log)
        if rows is None:
            rows = int(con.execute(t.count()))
        console.print(f"[dim]{rows:,} contacts on {backend}[/]")
        teams = read_teams(roster) if roster else None
        levels = ["agent", "centre"] + (["team"] if teams is not None or "team" in t.columns else [])
        rows_bar = _RowsProgress("kpi", on_done=lambda p: None)
        t0 = time.perf_counter()
        tables = compute(con, t, levels, teams=teams, on_progress=rows_bar, total_rows=rows)
        secs_all = time.perf_counter() - t0
        shared = rows_bar.finished.get("contacts")
        if shared is not None:  # several tables: the per-contact rows and the repeat window, computed once
            console.print(f"  [green]✓[/] per-contact rows and repeat window  {shared.seconds:6.1f} s  "  # type: ignore[attr-defined]
                          f"{rows / max(shared.seconds, 1e-9):>12,.0f} contacts/s", soft_wrap=True)  # type: ignore[attr-defined]
        for level in levels:
            table = tables[level]
            done = rows_bar.finished.get(f"{level}-month")
            secs = done.seconds if done is not None else secs_all  # type: ignore[attr-defined]
            path = files.write_parquet(out / f"{level}_month.parquet", table)
            console.print(f"  [green]✓[/] {level}-month  {len(table):>7,} rows  {secs:6.1f} s  "
                          f"{rows / max(secs, 1e-9):>12,.0f} contacts/s  {_short(path)}", soft_wrap=True)
        total = time.perf_counter() - t_start
        console.print(f"{rows:,} contacts in {total:.1f} s ({rows / max(total, 1e-9):,.0f} contacts/s; "
                      f"queries {secs_all:.1f} s)", soft_wrap=True)
    except Exception as exc:  # noqa: BLE001
        raise typer.Exit(_handle(exc, debug))
    finally:
        if rows_bar is not None:
            rows_bar.close()


@app.command()
def bench(which: str = typer.Argument("pipeline", help="pipeline | stats | intake"),
          quick: bool = typer.Option(False, "--quick")) -> None:
    """Run a benchmark script from benchmarks/."""
    from ccstudy.pipeline import PROJECT_DIR

    script = PROJECT_DIR / "benchmarks" / f"{which}.py"
    if not script.is_file():
        err.print(f"no benchmark {which!r}: expected {script}")
        raise typer.Exit(EXIT_FAILED)
    raise typer.Exit(subprocess.call([sys.executable, str(script)] + (["--quick"] if quick else [])))


def main() -> None:
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    app()


if __name__ == "__main__":  # pragma: no cover
    main()
