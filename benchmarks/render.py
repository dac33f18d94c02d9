"""Benchmark: rendering the reports — per document, every team brief in both languages, cached study.

On a copy of the default study with ``reports.team_briefs: all`` (40 teams), one run prints:

1. per document (executive, technical, one team brief; HTML + PDF, built-in path, rendered in
   this process) against a bare ``pandoc`` conversion of the same markdown to HTML, and the ratio;
2. every report of the study with every team brief, in English and Chinese, HTML and PDF
   (160+ files, rendered in a pool of processes, one per core) — target ≤ 60 s on 2 cores for the
   team briefs;
3. ``ccstudy study`` on the unchanged study (every stage and every report cached) as a user runs
   it, in a fresh process — target ≤ 3 s — against the full render of step 2.

    .venv/bin/python benchmarks/render.py [--quick]

``--quick`` gives briefs to two teams only.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))

from ccstudy import pipeline, render  # noqa: E402
from ccstudy.params import copy_study, load_params  # noqa: E402


def study_copy(dest: Path, briefs: str) -> Path:
    params = copy_study(ROOT / "params" / "default.yaml", dest)
    text = params.read_text(encoding="utf-8")
    params.write_text(text.replace("team_briefs: [VIP]", f"team_briefs: {briefs}"), encoding="utf-8")
    return params


def bare_pandoc(md: str, workdir: Path) -> float:
    import pypandoc

    t0 = time.perf_counter()
    pypandoc.convert_text(md, "html5", format="markdown", extra_args=["--standalone", "--embed-resources",
                                                                      f"--resource-path={workdir}",
                                                                      "--metadata=title:x"])
    return time.perf_counter() - t0


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true", help="briefs for two teams only")
    args = ap.parse_args()
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    with tempfile.TemporaryDirectory(prefix="ccstudy-bench-render-") as tmp:
        params_path = study_copy(Path(tmp), "[VIP, T07]" if args.quick else "all")
        t0 = time.perf_counter()
        pipeline.run(params_path)
        print(f"analysis (not measured against a target): {time.perf_counter() - t0:.1f} s")
        params = load_params(params_path)

        # 1. per document, in this process, against bare pandoc on the same markdown
        print("\n1. one document, HTML + PDF (built-in path) vs bare pandoc markdown -> HTML")
        print(f"   {'document':<18} {'built-in':>9} {'pandoc':>8} {'ratio':>7}")
        render.render_report("executive", params, stem="warm-up")  # imports, fonts, typst compiler
        for name, stem, parameters in (("executive", "executive", None), ("technical", "technical", None),
                                       ("team-brief", "team-brief-VIP", {"team": "VIP"})):
            t0 = time.perf_counter()
            render.render_report(name, params, parameters=parameters, stem=stem)
            built_in = time.perf_counter() - t0
            md = (params.report_dir / f"{stem}.md").read_text(encoding="utf-8")
            with tempfile.TemporaryDirectory() as work:
                # the figures the markdown links to are not kept: pandoc gets the text alone
                md_text = "\n".join(line for line in md.splitlines() if not line.startswith("!["))
                bare = min(bare_pandoc(md_text, Path(work)) for _ in range(3))
            print(f"   {stem:<18} {built_in:8.2f}s {bare:7.2f}s {built_in / bare:6.1f}x")

        # 2. every report, every team brief, both languages, both formats
        teams = render.brief_teams(params)
        t0 = time.perf_counter()
        outs = render.render_study(params_path, reports=["team-brief"], languages=["en", "zh"], force=True)
        briefs = time.perf_counter() - t0
        t0 = time.perf_counter()
        outs_all = render.render_study(params_path, languages=["en", "zh"], force=True)
        full = time.perf_counter() - t0
        print(f"\n2. team briefs: {len(teams)} teams x 2 languages x 2 formats = {len(outs)} files on {cores} cores: "
              f"{briefs:.1f} s ({briefs / max(1, len(outs) // 2):.2f} s per brief; target <= 60 s: "
              f"{'met' if briefs <= 60 else 'NOT met'})")
        print(f"   every report of the study, both languages: {len(outs_all)} files in {full:.1f} s")

        # 3. cached `ccstudy study` as a user runs it (fresh process: imports included)
        exe = Path(sys.executable).with_name("ccstudy")
        cmd = [str(exe), "study", str(params_path)] if exe.is_file() else \
            [sys.executable, "-m", "ccstudy.cli", "study", str(params_path)]
        subprocess.run(cmd, capture_output=True, check=True)  # the study's own languages, cached from here on
        best = None
        for _ in range(3):
            t0 = time.perf_counter()
            r = subprocess.run(cmd, capture_output=True, text=True)
            secs = time.perf_counter() - t0
            best = secs if best is None else min(best, secs)
            if r.returncode != 0:
                print(r.stdout, r.stderr)
                return 1
        rendered = [line for line in r.stdout.splitlines() if "✓" in line]
        print(f"\n3. cached `ccstudy study` (unchanged study): {best:.2f} s (target <= 3 s: "
              f"{'met' if best <= 3 else 'NOT met'}); {len(rendered)} stages or reports re-run; "
              f"{full / best:.0f}x faster than rendering everything")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
