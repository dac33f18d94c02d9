"""Render the Quarto report sources (``reports/*.qmd``) to HTML and PDF.

When the ``quarto`` CLI is on PATH it is used (``quarto render`` with the
study's params file passed as the ``params_path`` parameter).  Otherwise the
built-in path does what Quarto does internally:

1. read the ``.qmd`` with jupytext's R Markdown reader (the same chunk syntax:
   ```` ```{python} ```` cells with ``#|`` option comments; jupytext's own qmd
   reader needs the Quarto CLI);
2. promote ``#| tags: [parameters]`` comments to real cell tags, so Papermill
   injects the study's parameters after that cell, and execute the notebook;
3. convert cells and outputs to Pandoc markdown honouring the Quarto cell
   options ``echo``, ``include``, ``output: asis``, ``fig-cap`` and ``label``;
4. Pandoc (from ``pypandoc-binary``) writes a self-contained HTML file
   (``--embed-resources --standalone``: figures are embedded as data URIs) and
   Typst source, which the ``typst`` package compiles to PDF.

Both paths read every number from the results bundle, so they report the same
numbers.  Outputs go to ``reports/_out/<study>/``.
"""

from __future__ import annotations

import base64
import logging
import re
import shutil
import subprocess
import tempfile
import time
from pathlib import Path
from typing import Any, Callable, Iterable

import yaml

from ccstudy.io import files
from ccstudy.io.bundle import team_slug
from ccstudy.params import StudyParams, load_params
from ccstudy.pipeline import KERNEL_ARGS, kernel_environment

log = logging.getLogger(__name__)

PACKAGE_DIR = Path(__file__).resolve().parent
PROJECT_DIR = PACKAGE_DIR.parent.parent
REPORT_DIR = PROJECT_DIR / "reports"
REPORTS = ("executive", "technical", "team-brief")

_OPT_RE = re.compile(r"^#\|\s?(.*)$")


class RenderError(RuntimeError):
    """A report could not be rendered; the message names the report and the cause."""


def engine() -> str:
    """``"quarto"`` when the Quarto CLI is on PATH, else ``"built-in (pandoc + typst)"``."""
    return "quarto" if shutil.which("quarto") else "built-in (pandoc + typst)"


# --------------------------------------------------------------------------- qmd → notebook
def split_front_matter(text: str) -> tuple[dict[str, Any], str]:
    """Return (front-matter dict, body) of a Quarto document."""
    if text.startswith("---"):
        end = text.find("\n---", 3)
        if end != -1:
            meta = yaml.safe_load(text[3:end]) or {}
            body = text[end + 4:].lstrip("\n")
            return meta, body
    return {}, text


def cell_options(source: str) -> tuple[dict[str, Any], str]:
    """Split leading ``#|`` option lines (YAML) from a code cell's source."""
    opts_lines, body_lines = [], []
    in_opts = True
    for line in source.splitlines():
        m = _OPT_RE.match(line)
        if in_opts and m:
            opts_lines.append(m.group(1))
        else:
            in_opts = False
            body_lines.append(line)
    opts = yaml.safe_load("\n".join(opts_lines)) if opts_lines else {}
    return (opts or {}), "\n".join(body_lines)


def qmd_to_notebook(text: str):
    """Parse a ``.qmd`` into (front matter, nbformat notebook) with parameters tags promoted."""
    import jupytext
    import nbformat

    meta, _ = split_front_matter(text)
    nb = jupytext.reads(text, fmt="Rmd")
    nb.cells = [c for c in nb.cells if not (c.cell_type == "raw" and c.source.startswith("---"))]
    for c in nb.cells:
        if c.cell_type != "code":
            continue
        opts, _ = cell_options(c.source)
        c.metadata["quarto"] = opts
        tags = opts.get("tags") or []
        if isinstance(tags, str):
            tags = [tags]
        if tags:
            c.metadata["tags"] = list(tags)
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    nb.metadata["language_info"] = {"name": "python"}
    nbformat.validator.normalize(nb)
    return meta, nb


# --------------------------------------------------------------------------- notebook → markdown
def _option(opts: dict, key: str, default: Any) -> Any:
    return opts.get(key, default)


def notebook_to_markdown(nb, fig_dir: Path, fig_prefix: str, defaults: dict[str, Any]) -> str:
    """Convert an executed notebook to Pandoc markdown, writing figures into *fig_dir*."""
    parts: list[str] = []
    n_fig = 0
    for cell in nb.cells:
        if cell.cell_type == "markdown":
            parts.append(cell.source)
            continue
        if cell.cell_type != "code":
            continue
        opts = {**defaults, **cell.metadata.get("quarto", {})}
        if "parameters" in cell.metadata.get("tags", []) or "injected-parameters" in cell.metadata.get("tags", []):
            continue
        if not _option(opts, "include", True):
            continue
        _, body = cell_options(cell.source)
        if _option(opts, "echo", False) and body.strip():
            parts.append(f"```python\n{body}\n```")
        asis = _option(opts, "output", True) == "asis"
        if _option(opts, "output", True) is False:
            continue
        for out in cell.get("outputs", []):
            kind = out.get("output_type")
            if kind == "stream":
                if out.get("name") == "stderr":
                    continue
                text = out.get("text", "")
                parts.append(text if asis else f"```\n{text.rstrip()}\n```")
            elif kind in ("display_data", "execute_result"):
                data = out.get("data", {})
                if "image/png" in data:
                    n_fig += 1
                    name = f"{fig_prefix}-{n_fig}.png"
                    (fig_dir / name).write_bytes(base64.b64decode(data["image/png"]))
                    cap = opts.get("fig-cap", "")
                    label = opts.get("label")
                    attr = f"{{#{label}}}" if label and str(label).startswith("fig-") else ""
                    parts.append(f"![{cap}]({fig_dir.name}/{name}){attr}")
                elif "text/markdown" in data:
                    parts.append(data["text/markdown"])
                elif "text/plain" in data and not asis:
                    parts.append(f"```\n{data['text/plain']}\n```")
            elif kind == "error":
                raise RenderError(f"cell raised {out.get('ename')}: {out.get('evalue')}")
    return "\n\n".join(p.strip("\n") for p in parts if p is not None) + "\n"


# --------------------------------------------------------------------------- pandoc / typst
_CSS = """
body { font-family: "Helvetica Neue", Arial, sans-serif; max-width: 52em; margin: 2em auto; padding: 0 1em;
       color: #1b1b1b; line-height: 1.5; }
h1.title { font-size: 1.9em; margin-bottom: 0.1em; } p.subtitle { color: #555; margin-top: 0; }
h2 { border-bottom: 2px solid #1f6f8b; padding-bottom: 0.2em; margin-top: 1.6em; }
table { border-collapse: collapse; margin: 1em 0; font-size: 0.92em; }
th, td { border-bottom: 1px solid #ccc; padding: 0.3em 0.7em; text-align: left; }
thead th { border-bottom: 2px solid #333; }
figure { margin: 1.2em 0; } figcaption { color: #444; font-size: 0.9em; }
img { max-width: 100%; }
.callout, blockquote { background: #f2f7f9; border-left: 4px solid #1f6f8b; margin: 1em 0; padding: 0.6em 1em; }
"""


# Long tables may break across pages; table text is smaller and never hyphenated.
_TYPST_HEADER = """
#show figure.where(kind: table): set block(breakable: true)
#show table: set text(size: 7.5pt, hyphenate: false)
#show table.cell: set par(justify: false)
"""


# The report markdown is read without the extensions through which user text could become active: no raw
# HTML/TeX/attribute passthrough (a team named <script> stays text), no citations (a name starting with '@'
# is not a reference, which would also break the Typst PDF). User strings are escaped as well
# (ccstudy.escape.markdown); this is the second line of defence.
MARKDOWN_FORMAT = "markdown-citations-raw_html-raw_tex-raw_attribute-markdown_in_html_blocks"


def _pandoc(markdown: str, to: str, meta: dict[str, Any], workdir: Path, extra: Iterable[str] = ()) -> str:
    import pypandoc

    # A wide --columns keeps pipe tables at their natural widths (no forced wrapping).
    args = ["--standalone", f"--resource-path={workdir}", "--columns=10000"]
    for key in ("title", "subtitle", "date", "author", "lang"):
        if meta.get(key):
            args.append(f"--metadata={key}:{meta[key]}")
    args.extend(extra)
    try:
        return pypandoc.convert_text(markdown, to, format=MARKDOWN_FORMAT, extra_args=args)
    except RuntimeError as exc:
        raise RenderError(f"pandoc failed writing {to}: {exc}") from None


def markdown_to_html(markdown: str, meta: dict[str, Any], workdir: Path) -> str:
    css = workdir / "report.css"
    css.write_text(_CSS, encoding="utf-8")
    extra = ["--embed-resources", f"--css={css.name}", "--metadata=document-css:false"]
    html_opts = (meta.get("format") or {}).get("html") if isinstance(meta.get("format"), dict) else None
    if isinstance(html_opts, dict) and html_opts.get("toc"):
        extra.append("--toc")
    return _pandoc(markdown, "html5", meta, workdir, extra)


def markdown_to_pdf(markdown: str, meta: dict[str, Any], workdir: Path, pdf_path: Path) -> None:
    import typst

    header = workdir / "typst-header.typ"
    header.write_text(_TYPST_HEADER, encoding="utf-8")
    typ = _pandoc(markdown, "typst", meta, workdir, ["--variable=papersize:a4", "--variable=fontsize:10pt",
                                                     "--variable=margin.x:2cm", "--variable=margin.y:2cm",
                                                     f"--include-in-header={header}"])
    src = workdir / "report.typ"
    src.write_text(typ, encoding="utf-8")
    try:
        pdf = typst.compile(str(src), root=str(workdir))
    except Exception as exc:  # typst raises its own error types
        raise RenderError(f"typst failed compiling the PDF: {exc}") from None
    files.write_bytes(pdf_path, pdf)


# --------------------------------------------------------------------------- entry points
def _execute(nb, params: StudyParams, workdir: Path, name: str, parameters: dict[str, Any] | None = None):
    import nbformat
    import papermill as pm
    from papermill.exceptions import PapermillExecutionError

    src = workdir / f"{name}.ipynb"
    out = workdir / f"{name}.executed.ipynb"
    nbformat.write(nb, str(src))
    try:
        with kernel_environment():
            pm.execute_notebook(str(src), str(out), parameters={"params_path": str(params.path), **(parameters or {})},
                                kernel_name="python3", progress_bar=False, cwd=str(params.root),
                                extra_arguments=KERNEL_ARGS)
    except PapermillExecutionError as exc:
        raise RenderError(f"report {name}: a cell raised {exc.ename}: {exc.evalue}") from None
    return nbformat.read(str(out), as_version=4)


def render_builtin(qmd: Path, params: StudyParams, formats: Iterable[str], *,
                   parameters: dict[str, Any] | None = None, stem: str | None = None) -> dict[str, Path]:
    name = stem or qmd.stem
    meta, nb = qmd_to_notebook(qmd.read_text(encoding="utf-8"))
    defaults = {"echo": False}
    defaults.update((meta.get("execute") or {}))
    out_dir = params.report_dir
    out_dir.mkdir(parents=True, exist_ok=True)
    results: dict[str, Path] = {}
    with tempfile.TemporaryDirectory(prefix=f"ccstudy-{name}-") as tmp:
        work = Path(tmp)
        executed = _execute(nb, params, work, name, parameters)
        fig_dir = work / f"{name}_files"
        fig_dir.mkdir()
        md = notebook_to_markdown(executed, fig_dir, "fig", defaults)
        files.write_text(out_dir / f"{name}.md", md)
        for fmt in formats:
            if fmt == "html":
                html = markdown_to_html(md, meta, work)
                results["html"] = files.write_text(out_dir / f"{name}.html", html)
            elif fmt == "pdf":
                markdown_to_pdf(md, meta, work, out_dir / f"{name}.pdf")
                results["pdf"] = out_dir / f"{name}.pdf"
            else:
                raise RenderError(f"unknown format {fmt!r}: use html or pdf")
    return results


def render_quarto(qmd: Path, params: StudyParams, formats: Iterable[str], *,
                  parameters: dict[str, Any] | None = None, stem: str | None = None) -> dict[str, Path]:  # pragma: no cover
    results = {}
    stem = stem or qmd.stem
    for fmt in formats:
        cmd = ["quarto", "render", str(qmd), "--to", fmt, "-P", f"params_path:{params.path}",
               "--output-dir", str(params.report_dir), "--output", f"{stem}.{fmt}"]
        for key, value in (parameters or {}).items():
            cmd += ["-P", f"{key}:{value}"]
        r = subprocess.run(cmd, cwd=str(REPORT_DIR), capture_output=True, text=True)
        if r.returncode != 0:
            raise RenderError(f"quarto render {qmd.name} --to {fmt} failed:\n{r.stderr[-2000:]}")
        results[fmt] = params.report_dir / f"{stem}.{fmt}"
    return results


def render_report(name: str, params: StudyParams | str | Path, formats: Iterable[str] = ("html", "pdf"),
                  *, use_quarto: bool | None = None, parameters: dict[str, Any] | None = None,
                  stem: str | None = None) -> dict[str, Path]:
    """Render one report (``executive``, ``technical`` or ``team-brief``).

    *parameters* are passed to the report's parameters cell besides
    ``params_path`` (e.g. ``{"team": "T07"}``); *stem* names the output files.
    """
    params = params if isinstance(params, StudyParams) else load_params(params)
    qmd = REPORT_DIR / f"{name}.qmd"
    if not qmd.is_file():
        raise RenderError(f"no report source {qmd}")
    results_dir = params.results_dir
    if not results_dir.is_dir():
        raise RenderError(f"no results bundle at {results_dir}: run `ccstudy run {params.path}` first")
    if use_quarto is None:
        use_quarto = shutil.which("quarto") is not None
    return (render_quarto if use_quarto else render_builtin)(qmd, params, list(formats), parameters=parameters,
                                                             stem=stem)


def brief_teams(params: StudyParams) -> list[str]:
    """Teams that get a team brief (see :func:`ccstudy.stages.brief_teams`), from the results bundle."""
    return list(files.read_json(params.results_dir / "coaching.json").get("brief_teams", []))


def render_study(params_path: str | Path, formats: Iterable[str] = ("html", "pdf"),
                 reports: Iterable[str] | None = None,
                 on_event: Callable[[str, str, float, Path], None] | None = None) -> list[Path]:
    """Render every report of the study; record timings in the manifest."""
    from ccstudy.pipeline import update_manifest

    params = load_params(params_path)
    names = [r for r in (reports or REPORTS) if (REPORT_DIR / f"{r}.qmd").is_file()]
    outs: list[Path] = []
    timing = []
    jobs: list[tuple[str, str, dict[str, Any] | None]] = []
    for name in names:
        if name == "team-brief":
            jobs.extend((name, f"team-brief-{team_slug(t)}", {"team": t}) for t in brief_teams(params))
        else:
            jobs.append((name, name, None))
    for name, stem, parameters in jobs:
        t0 = time.perf_counter()
        res = render_report(name, params, formats, parameters=parameters, stem=stem)
        secs = time.perf_counter() - t0
        for fmt, path in res.items():
            outs.append(path)
            if on_event:
                on_event(stem, fmt, secs, path)
        timing.append({"report": stem, "formats": sorted(res), "seconds": round(secs, 3),
                       "files": {fmt: files.sha256_file(p) for fmt, p in sorted(res.items())}})
    update_manifest(params, "render", {"engine": engine(), "reports": timing})
    return outs
