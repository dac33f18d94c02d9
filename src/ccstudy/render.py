"""Render the Quarto report sources (``reports/*.qmd``) to HTML and PDF, in each report language.

When the ``quarto`` CLI is on PATH it is used (``quarto render`` with the
study's params file passed as the ``params_path`` parameter).  Otherwise the
built-in path does what Quarto does internally:

1. read the ``.qmd`` with jupytext's R Markdown reader (the same chunk syntax:
   ```` ```{python} ```` cells with ``#|`` option comments; jupytext's own qmd
   reader needs the Quarto CLI);
2. run the code cells, setting the parameters (``params_path``, ``lang``, a
   team brief's ``team``) after the cell tagged ``parameters`` as Papermill
   would — in the rendering process itself: a report only reads the results
   bundle, so it needs no Jupyter kernel of its own;
3. convert cells and outputs to Pandoc markdown honouring the Quarto cell
   options ``echo``, ``include``, ``output: asis``, ``fig-cap``, ``fig-alt``,
   ``out-width`` and ``label``; the fixed markdown, titles and captions are
   looked up in the language's message catalogue (:mod:`ccstudy.i18n`);
4. Pandoc (from ``pypandoc-binary``) writes a self-contained HTML file
   (``--embed-resources --standalone``: figures are embedded as data URIs) that
   declares its language and a CJK font stack, and Typst source, which the
   ``typst`` package compiles to PDF with a Latin face and Noto CJK SC.

:func:`render_study` renders every report in a pool of processes and keeps a
render cache: each report's key (source, language, formats, parameters,
renderer) and what it read (bundle files, params keys) are stamped under
``reports/_out/<study>/.render/``; an unchanged report is not rendered again.

Both paths read every number from the results bundle, so they report the same
numbers.  Outputs go to ``reports/_out/<study>/``.
"""

from __future__ import annotations

import base64
import contextlib
import functools
import logging
import re
import shutil
import subprocess
import tempfile
import time
from pathlib import Path
from typing import TYPE_CHECKING, Any, Callable, Iterable

import yaml

from ccstudy.io import files
from ccstudy.io.bundle import team_slug
from ccstudy.params import StudyParams, load_params

if TYPE_CHECKING:  # pragma: no cover
    from ccstudy.i18n import Language

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


_HEADING = re.compile(r"^(#{1,6})\s+(.*?)\s*$")


def translate_markdown(text: str, tr: "Language") -> str:
    """Look up each block of a report's fixed markdown (a heading's text, or a paragraph) in the catalogue."""
    out = []
    for block in re.split(r"\n\s*\n", text.strip("\n")):
        m = _HEADING.match(block) if "\n" not in block.strip() else None
        if m:
            out.append(f"{m.group(1)} {tr(m.group(2))}")
        elif block.strip():
            out.append(tr(block.strip()))
    return "\n\n".join(out)


def markdown_blocks(text: str) -> list[str]:
    """The catalogue msgids of a report's markdown cell (what :func:`translate_markdown` looks up)."""
    ids = []
    for block in re.split(r"\n\s*\n", text.strip("\n")):
        m = _HEADING.match(block) if "\n" not in block.strip() else None
        ids.append(m.group(2) if m else block.strip())
    return [i for i in ids if i]


def _attr_value(text: str) -> str:
    return text.replace("\\", "\\\\").replace('"', '\\"')


def notebook_to_markdown(nb, fig_dir: Path, fig_prefix: str, defaults: dict[str, Any],
                         lang: "Language | str | None" = None) -> str:
    """Convert an executed notebook to Pandoc markdown, writing figures into *fig_dir*.

    Captions (``fig-cap``) and alt texts (``fig-alt``, default the caption) are
    fixed strings of the report, so they are looked up in the language's
    message catalogue.
    """
    tr = _language(lang)
    parts: list[str] = []
    n_fig = 0
    for cell in nb.cells:
        if cell.cell_type == "markdown":
            parts.append(translate_markdown(cell.source, tr))
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
        cell_figs = 0
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
                    cell_figs += 1
                    name = f"{fig_prefix}-{n_fig}.png"
                    (fig_dir / name).write_bytes(base64.b64decode(data["image/png"]))
                    cap = tr(opts["fig-cap"]) if opts.get("fig-cap") else ""
                    alt = tr(opts["fig-alt"]) if opts.get("fig-alt") else cap
                    label = opts.get("label")
                    attrs = [f"#{label}"] if label and str(label).startswith("fig-") and cell_figs == 1 else []
                    if alt:
                        attrs.append(f'fig-alt="{_attr_value(alt)}"')
                    if opts.get("out-width"):
                        attrs.append(f'width="{_attr_value(str(opts["out-width"]))}"')
                    attr = "{" + " ".join(attrs) + "}" if attrs else ""
                    parts.append(f"![{cap}]({fig_dir.name}/{name}){attr}")
                elif "text/markdown" in data:
                    parts.append(data["text/markdown"])
                elif "text/plain" in data and not asis:
                    parts.append(f"```\n{data['text/plain']}\n```")
            elif kind == "error":
                raise RenderError(f"cell raised {out.get('ename')}: {out.get('evalue')}")
    return "\n\n".join(p.strip("\n") for p in parts if p is not None) + "\n"


# --------------------------------------------------------------------------- pandoc / typst
# Latin faces first, then a CJK stack (the report's own fonts are the Noto CJK faces installed with
# the project; the others are what Windows and macOS readers have), then the generic family.
CJK_SANS_STACK = '"Noto Sans CJK SC", "Source Han Sans SC", "PingFang SC", "Microsoft YaHei", "Hiragino Sans GB"'
_CSS = """
body { font-family: "Helvetica Neue", Arial, %(cjk)s, sans-serif; max-width: 52em; margin: 2em auto;
       padding: 0 1em; color: #1b1b1b; line-height: 1.5; }
:lang(zh) body, body:lang(zh) { line-height: 1.7; }
h1.title { font-size: 1.9em; margin-bottom: 0.1em; } p.subtitle { color: #555; margin-top: 0; }
h2 { border-bottom: 2px solid #1f6f8b; padding-bottom: 0.2em; margin-top: 1.6em; }
table { border-collapse: collapse; margin: 1em 0; font-size: 0.92em; display: block; overflow-x: auto; }
th, td { border-bottom: 1px solid #ccc; padding: 0.3em 0.7em; text-align: left; }
thead th { border-bottom: 2px solid #333; }
figure { margin: 1.2em 0; } figcaption { color: #444; font-size: 0.9em; }
img { max-width: 100%%; height: auto; }
.callout, blockquote { background: #f2f7f9; border-left: 4px solid #1f6f8b; margin: 1em 0; padding: 0.6em 1em; }
.light { font-size: 1.1em; } .light.green { color: #2e7d32; } .light.amber { color: #d08b00; }
.light.red { color: #c62828; } .light.grey { color: #8a8a8a; }
.legend { font-size: 0.85em; color: #555; }
""" % {"cjk": CJK_SANS_STACK}


# Long tables may break across pages; table text is smaller and never hyphenated.
_TYPST_HEADER = """
#show figure.where(kind: table): set block(breakable: true)
#show table: set text(size: 7.5pt, hyphenate: false)
#show table.cell: set par(justify: false)
#show quote.where(block: true): it => block(fill: rgb("#f2f7f9"), inset: (x: 9pt, y: 7pt), width: 100%,
  stroke: (left: 3pt + rgb("#1f6f8b")), breakable: false, it.body)
#show "●": set text(fill: rgb("#2e7d32"))
#show "▲": set text(fill: rgb("#d08b00"))
#show "■": set text(fill: rgb("#c62828"))
#show "○": set text(fill: rgb("#8a8a8a"))
"""


# The report markdown is read without the extensions through which user text could become active: no raw
# HTML/TeX/attribute passthrough (a team named <script> stays text), no citations (a name starting with '@'
# is not a reference, which would also break the Typst PDF). User strings are escaped as well
# (ccstudy.escape.markdown); this is the second line of defence.
MARKDOWN_FORMAT = "markdown-citations-raw_html-raw_tex-raw_attribute-markdown_in_html_blocks"


@functools.lru_cache(maxsize=None)
def pandoc_path() -> str:
    """The pandoc binary shipped by ``pypandoc-binary`` (called directly: one process per conversion)."""
    import pypandoc

    return pypandoc.get_pandoc_path()


def _pandoc(markdown: str, to: str, meta: dict[str, Any], workdir: Path, extra: Iterable[str] = ()) -> str:
    # A wide --columns keeps pipe tables at their natural widths (no forced wrapping).
    # --quiet: pandoc's only warnings here are about its own UI strings (e.g. no "Abstract" term for
    # zh-CN), which the reports do not use; failures still raise.
    args = ["--standalone", "--quiet", f"--resource-path={workdir}", "--columns=10000"]
    for key in ("title", "subtitle", "date", "author", "lang"):
        if meta.get(key):
            args.append(f"--metadata={key}:{meta[key]}")
    args.extend(extra)
    r = subprocess.run([pandoc_path(), "--from", MARKDOWN_FORMAT, "--to", to, *args], input=markdown.encode("utf-8"),
                       capture_output=True)
    if r.returncode != 0:
        raise RenderError(f"pandoc failed writing {to}: {r.stderr.decode('utf-8', 'replace').strip()}")
    return r.stdout.decode("utf-8")


def _language(lang: "Language | str | None") -> "Language":
    from ccstudy import i18n

    return lang if isinstance(lang, i18n.Language) else i18n.get(lang or i18n.DEFAULT)


def markdown_to_html(markdown: str, meta: dict[str, Any], workdir: Path, lang: "Language | str | None" = None) -> str:
    """Self-contained HTML (figures as data URIs) declaring the report's language and a CJK font stack."""
    tr = _language(lang)
    css = workdir / "report.css"
    css.write_text(_CSS, encoding="utf-8")
    extra = ["--embed-resources", f"--css={css.name}", "--metadata=document-css:false"]
    html_opts = (meta.get("format") or {}).get("html") if isinstance(meta.get("format"), dict) else None
    if isinstance(html_opts, dict) and html_opts.get("toc"):
        extra += ["--toc", f"--metadata=toc-title:{tr('Contents')}"]
    return _pandoc(markdown, "html5", {**meta, "lang": tr.html_lang}, workdir, extra)


LATIN_SERIF = "Libertinus Serif"


def typst_fonts(tr: "Language") -> tuple[str, str]:
    """Typst font lists (body, headings): the Latin face first, Noto CJK for every CJK glyph.

    In Chinese the Latin face covers only ``latin-in-cjk`` (so punctuation such as ’ and “ takes
    its Chinese full-width form); in English it covers everything it has.  Both come from the
    language's catalogue (``meta`` entries).
    """
    covers = tr.pgettext("meta", "typst-latin-covers")
    latin = f'(name: "{LATIN_SERIF}", covers: "{covers}")' if covers and covers != "-" else f'"{LATIN_SERIF}"'
    body = f'({latin}, "{tr.pgettext("meta", "typst-body-cjk-font")}")'
    heads = f'({latin}, "{tr.pgettext("meta", "typst-heading-cjk-font")}")'
    return body, heads


def typst_font_paths() -> list[str]:
    """Folders typst searches for the CJK fonts; a missing font is a clear error here, not tofu."""
    from ccstudy.fonts import cjk_font_file

    return sorted({str(cjk_font_file("serif").parent), str(cjk_font_file("sans").parent)})


def markdown_to_typst(markdown: str, meta: dict[str, Any], workdir: Path, lang: "Language | str | None" = None) -> Path:
    """Pandoc → Typst source in *workdir* (page set-up and fonts from ``templates/report-conf.typ``)."""
    tr = _language(lang)
    body, heads = typst_fonts(tr)
    conf = workdir / "ccstudy-conf.typ"
    conf.write_text(f"#let CCSTUDY-FONTS = {body}\n#let CCSTUDY-HEADING-FONTS = {heads}\n"
                    + (PACKAGE_DIR / "templates" / "report-conf.typ").read_text(encoding="utf-8"), encoding="utf-8")
    header = workdir / "typst-header.typ"
    header.write_text(_TYPST_HEADER, encoding="utf-8")
    typ = _pandoc(markdown, "typst", {k: v for k, v in meta.items() if k != "lang"}, workdir,
                  ["--variable=papersize:a4", "--variable=fontsize:10pt",
                   "--variable=margin.x:2cm", "--variable=margin.y:1.8cm",
                   f"--variable=template:{conf.name}",
                   f"--variable=lang:{tr.typst_lang}", f"--variable=region:{tr.typst_region}",
                   f"--include-in-header={header}"])
    src = workdir / "report.typ"
    src.write_text(typ, encoding="utf-8")
    return src


@functools.lru_cache(maxsize=None)
def _typst_compiler(font_paths: tuple[str, ...]):
    """One typst compiler per process: its fonts (embedded + Noto CJK, no other system fonts, so a
    PDF does not depend on what else is installed) are loaded once for every report it compiles."""
    import typst

    return typst.Compiler(font_paths=list(font_paths), ignore_system_fonts=True)


def compile_typst(src: Path, workdir: Path) -> bytes:
    compiler = _typst_compiler(tuple(typst_font_paths()))
    try:
        return compiler.compile(input=str(src), root=str(workdir))
    except Exception as exc:  # typst raises its own error types
        raise RenderError(f"typst failed compiling the PDF: {exc}") from None


def markdown_to_pdf(markdown: str, meta: dict[str, Any], workdir: Path, pdf_path: Path,
                    lang: "Language | str | None" = None) -> None:
    src = markdown_to_typst(markdown, meta, workdir, lang)
    files.write_bytes(pdf_path, compile_typst(src, workdir))


# --------------------------------------------------------------------------- in-process execution
# Reports only read the results bundle and format what they read, so they run in the rendering
# process itself (no Jupyter kernel per report): one process renders many reports, and team
# briefs are spread over a pool of such processes (see render_study).
_GLYPH_WARNING = re.compile(r"Glyph \d+ .* missing from (current )?font", re.S)


def _display_output(obj: Any):
    import nbformat

    data: dict[str, Any] = {}
    if hasattr(obj, "savefig"):  # a matplotlib figure
        import io

        buf = io.BytesIO()
        obj.savefig(buf, format="png", dpi=150, bbox_inches="tight", metadata={"Software": None},
                    facecolor="white")
        data["image/png"] = base64.b64encode(buf.getvalue()).decode()
    elif callable(getattr(obj, "_repr_png_", None)) and obj._repr_png_() is not None:
        png = obj._repr_png_()
        png = png[0] if isinstance(png, tuple) else png
        data["image/png"] = base64.b64encode(png).decode() if isinstance(png, bytes) else png
    elif callable(getattr(obj, "_repr_markdown_", None)):
        md = obj._repr_markdown_()
        data["text/markdown"] = md[0] if isinstance(md, tuple) else md
    else:
        data["text/plain"] = repr(obj)
    return nbformat.v4.new_output("display_data", data=data)


def execute_inprocess(nb, parameters: dict[str, Any], cwd: Path, name: str):
    """Run a report notebook's code cells in a fresh namespace of this process.

    Cell stdout becomes a stream output and ``display()`` calls become display
    outputs, as a Jupyter kernel would record them; the parameters are set
    right after the cell tagged ``parameters`` (Papermill's convention).  A cell
    that raises, or a figure that lacks glyphs for its text, is a
    :class:`RenderError` naming the report.
    """
    import ast
    import contextlib
    import io
    import os
    import warnings

    import IPython.display as ipd
    from IPython.core import display_functions

    current: list = []

    def display(*objs: Any, **_: Any) -> None:
        for o in objs:
            current.append(_display_output(o))

    ns: dict[str, Any] = {"__name__": "__main__", "display": display}  # display() is a builtin in Jupyter
    saved = ipd.display, display_functions.display
    ipd.display = display_functions.display = display
    old_cwd = os.getcwd()
    os.chdir(cwd)
    try:
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            for i, cell in enumerate(nb.cells):
                if cell.cell_type != "code":
                    continue
                current.clear()
                tree = ast.parse(cell.source)
                last = tree.body.pop() if tree.body and isinstance(tree.body[-1], ast.Expr) else None
                out = io.StringIO()
                try:
                    with contextlib.redirect_stdout(out):
                        exec(compile(tree, f"<{name}: cell {i}>", "exec"), ns)
                        if last is not None:
                            value = eval(compile(ast.Expression(last.value), f"<{name}: cell {i}>", "eval"), ns)
                            if value is not None:
                                display(value)
                except Exception as exc:  # noqa: BLE001 - reported with the report's name
                    raise RenderError(f"report {name}: a cell raised {type(exc).__name__}: {exc}") from None
                if "parameters" in cell.metadata.get("tags", []):
                    ns.update(parameters)
                import nbformat

                outs = [nbformat.v4.new_output("stream", name="stdout", text=out.getvalue())] if out.getvalue() else []
                cell.outputs = outs + list(current)
                try:
                    import matplotlib.pyplot as plt

                    plt.close("all")
                except ImportError:  # pragma: no cover
                    pass
        glyphs = [str(w.message) for w in caught if _GLYPH_WARNING.search(str(w.message))]
        if glyphs:
            raise RenderError(f"report {name}: a figure has characters its fonts cannot draw "
                              f"({glyphs[0]}); install fonts-noto-cjk (scripts/system-deps.sh)")
    finally:
        os.chdir(old_cwd)
        ipd.display, display_functions.display = saved
    return nb


@contextlib.contextmanager
def track_reads():
    """Record what a report reads: results-bundle files (by path) and params keys (with their values)."""
    from ccstudy import report
    from ccstudy.io.bundle import Bundle

    reads: dict[str, Any] = {"files": set(), "params": {}, "extra": {}}
    orig_path, orig_get = Bundle.path, StudyParams.get

    def path(self, rel: str) -> Path:
        reads["files"].add(rel)
        return orig_path(self, rel)

    def get(self, dotted: str, default: Any = None) -> Any:
        value = orig_get(self, dotted, default)
        reads["params"][dotted] = value
        return value

    Bundle.path, StudyParams.get = path, get
    report.READS = reads
    try:
        yield reads
    finally:
        Bundle.path, StudyParams.get = orig_path, orig_get
        report.READS = None


# --------------------------------------------------------------------------- entry points
def output_name(stem: str, lang: str, primary: str) -> str:
    """File stem of a report in *lang*: ``executive`` in the study's language, ``executive.zh`` otherwise."""
    return stem if lang == primary else f"{stem}.{lang}"


def _render_builtin(qmd: Path, params: StudyParams, formats: list[str], parameters: dict[str, Any] | None,
                    stem: str, lang: str) -> tuple[dict[str, Path], dict[str, Any]]:
    tr = _language(lang)
    meta, nb = qmd_to_notebook(qmd.read_text(encoding="utf-8"))
    for key in ("title", "subtitle"):
        if isinstance(meta.get(key), str):
            meta[key] = tr(meta[key])
    defaults = {"echo": False}
    defaults.update((meta.get("execute") or {}))
    out_dir = params.report_dir
    out_dir.mkdir(parents=True, exist_ok=True)
    results: dict[str, Path] = {}
    with tempfile.TemporaryDirectory(prefix=f"ccstudy-{stem}-") as tmp:
        work = Path(tmp)
        with track_reads() as reads:
            executed = execute_inprocess(nb, {"params_path": str(params.path), "lang": lang, **(parameters or {})},
                                         params.root, stem)
        fig_dir = work / f"{stem}_files"
        fig_dir.mkdir()
        md = notebook_to_markdown(executed, fig_dir, "fig", defaults, tr)
        files.write_text(out_dir / f"{stem}.md", md)
        for fmt in formats:
            if fmt == "html":
                html = markdown_to_html(md, meta, work, tr)
                results["html"] = files.write_text(out_dir / f"{stem}.html", html)
            elif fmt == "pdf":
                markdown_to_pdf(md, meta, work, out_dir / f"{stem}.pdf", tr)
                results["pdf"] = out_dir / f"{stem}.pdf"
            else:
                raise RenderError(f"unknown format {fmt!r}: use html or pdf")
    return results, reads


def render_builtin(qmd: Path, params: StudyParams, formats: Iterable[str], *,
                   parameters: dict[str, Any] | None = None, stem: str | None = None,
                   lang: str | None = None) -> dict[str, Path]:
    from ccstudy import i18n

    lang = lang or i18n.study_language(params)
    return _render_builtin(qmd, params, list(formats), parameters, stem or qmd.stem, lang)[0]


def render_quarto(qmd: Path, params: StudyParams, formats: Iterable[str], *,
                  parameters: dict[str, Any] | None = None, stem: str | None = None,
                  lang: str | None = None) -> dict[str, Path]:  # pragma: no cover
    results = {}
    stem = stem or qmd.stem
    for fmt in formats:
        cmd = ["quarto", "render", str(qmd), "--to", fmt, "-P", f"params_path:{params.path}",
               "--output-dir", str(params.report_dir), "--output", f"{stem}.{fmt}"]
        for key, value in {**(parameters or {}), **({"lang": lang} if lang else {})}.items():
            cmd += ["-P", f"{key}:{value}"]
        r = subprocess.run(cmd, cwd=str(REPORT_DIR), capture_output=True, text=True)
        if r.returncode != 0:
            raise RenderError(f"quarto render {qmd.name} --to {fmt} failed:\n{r.stderr[-2000:]}")
        results[fmt] = params.report_dir / f"{stem}.{fmt}"
    return results


def _check_ready(name: str, params: StudyParams) -> Path:
    qmd = REPORT_DIR / f"{name}.qmd"
    if not qmd.is_file():
        raise RenderError(f"no report source {qmd}")
    if not params.results_dir.is_dir():
        raise RenderError(f"no results bundle at {params.results_dir}: run `ccstudy run {params.path}` first")
    return qmd


def render_report(name: str, params: StudyParams | str | Path, formats: Iterable[str] = ("html", "pdf"),
                  *, use_quarto: bool | None = None, parameters: dict[str, Any] | None = None,
                  stem: str | None = None, lang: str | None = None) -> dict[str, Path]:
    """Render one report (``executive``, ``technical`` or ``team-brief``) in *lang*.

    *parameters* are passed to the report's parameters cell besides
    ``params_path`` and ``lang`` (e.g. ``{"team": "T07"}``); *stem* names the
    output files.  *lang* defaults to the study's ``reports.language``.
    """
    from ccstudy import i18n

    params = params if isinstance(params, StudyParams) else load_params(params)
    qmd = _check_ready(name, params)
    lang = i18n.check_language(lang or i18n.study_language(params))
    if use_quarto is None:
        use_quarto = shutil.which("quarto") is not None
    return (render_quarto if use_quarto else render_builtin)(qmd, params, list(formats), parameters=parameters,
                                                             stem=stem, lang=lang)


def brief_teams(params: StudyParams) -> list[str]:
    """Teams that get a team brief (see :func:`ccstudy.stages.brief_teams`), from the results bundle."""
    return list(files.read_json(params.results_dir / "coaching.json").get("brief_teams", []))


# --------------------------------------------------------------------------- render cache
def renderer_digest() -> str:
    """What the rendered bytes depend on besides a report's own inputs: the ccstudy sources, report
    templates and message catalogues, and the pandoc and typst versions."""
    import hashlib
    from importlib import metadata

    from ccstudy.pipeline import source_digest

    h = hashlib.sha256(source_digest().encode())
    for p in sorted([*PACKAGE_DIR.glob("templates/*"), *PACKAGE_DIR.glob("locales/*/LC_MESSAGES/*.po")]):
        h.update(p.relative_to(PACKAGE_DIR).as_posix().encode())
        h.update(p.read_bytes())
    for pkg in ("pypandoc-binary", "typst", "matplotlib", "babel"):
        try:
            h.update(f"{pkg}={metadata.version(pkg)}".encode())
        except metadata.PackageNotFoundError:  # pragma: no cover
            h.update(f"{pkg}=?".encode())
    h.update(engine().encode())
    return h.hexdigest()


def render_key(qmd: Path, lang: str, formats: Iterable[str], parameters: dict[str, Any] | None, renderer: str) -> str:
    """Cache key of one rendered report: its source, language, formats, parameters and the renderer."""
    import hashlib
    import json

    blob = json.dumps({"source": files.sha256_file(qmd), "lang": lang, "formats": sorted(formats),
                       "parameters": parameters or {}, "renderer": renderer}, sort_keys=True, default=str)
    return hashlib.sha256(blob.encode()).hexdigest()


def _norm(value: Any) -> str:
    import json

    return json.dumps(value, sort_keys=True, default=str, ensure_ascii=False)


def _stamp_path(params: StudyParams, out_stem: str) -> Path:
    return params.report_dir / ".render" / f"{out_stem}.json"


def _is_fresh(params: StudyParams, out_stem: str, key: str) -> bool:
    """Whether the report's stamp has this key and everything it read is unchanged."""
    data = files.read_stamp(_stamp_path(params, out_stem), key)
    if data is None or not files.files_unchanged(params.processed_dir, data.get("reads", {}).get("files", {})):
        return False
    for dotted, value in data.get("reads", {}).get("params", {}).items():
        if _norm(params.get(dotted)) != value:
            return False
    from ccstudy import report

    for what, digest in data.get("reads", {}).get("extra", {}).items():
        if report.extra_digest(params, what) != digest:
            return False
    for fmt, info in data.get("outputs", {}).items():
        p = params.report_dir / info["file"]
        if not p.is_file() or files.sha256_file(p) != info["sha256"]:
            return False
    return True


def _write_stamp(params: StudyParams, out_stem: str, key: str, reads: dict[str, Any],
                 outputs: dict[str, Path]) -> dict[str, Any]:
    file_reads = {}
    for rel in sorted(reads["files"]):
        p = params.processed_dir / rel
        file_reads[rel] = files.sha256_file(p) if p.is_file() else None
    stamp = {"report": out_stem, "key": key,
             "reads": {"files": file_reads,
                       "params": {k: _norm(v) for k, v in sorted(reads["params"].items())},
                       "extra": dict(sorted(reads["extra"].items()))},
             "outputs": {fmt: {"file": p.name, "sha256": files.sha256_file(p)} for fmt, p in sorted(outputs.items())}}
    files.write_json(_stamp_path(params, out_stem), stamp)
    return stamp


def _render_job(job: dict[str, Any]) -> dict[str, Any]:
    """Render one report in this process and stamp it (run in the pool's worker processes)."""
    t0 = time.perf_counter()
    params = load_params(job["params_path"])
    qmd = REPORT_DIR / f"{job['name']}.qmd"
    stamp = _stamp_path(params, job["out_stem"])
    if stamp.exists():
        stamp.unlink()
    outputs, reads = _render_builtin(qmd, params, job["formats"], job["parameters"], job["out_stem"], job["lang"])
    _write_stamp(params, job["out_stem"], job["key"], reads, outputs)
    return {"outputs": {fmt: str(p) for fmt, p in outputs.items()}, "seconds": time.perf_counter() - t0}


def _workers(n_jobs: int, workers: int | None) -> int:
    import os

    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1)
    return max(1, min(n_jobs, workers or cores))


def render_study(params_path: str | Path, formats: Iterable[str] = ("html", "pdf"),
                 reports: Iterable[str] | None = None,
                 on_event: Callable[[str, str, float, Path], None] | None = None, *,
                 languages: Iterable[str] | None = None, force: bool = False,
                 workers: int | None = None) -> list[Path]:
    """Render every report of the study in each language; skip those whose inputs are unchanged.

    A report is rebuilt only when its source, the results-bundle files and
    params keys it read last time, its language, its formats or the renderer
    changed (the key and what was read are kept in ``reports/_out/<study>/.render/``
    and the manifest).  Reports to rebuild run in a pool of processes, one per
    core, with no Jupyter kernel per report.  *on_event* receives
    ``(report, format, seconds, path)``; ``seconds`` is 0 for a cached report.
    """
    from concurrent.futures import ProcessPoolExecutor
    import multiprocessing

    from ccstudy import i18n
    from ccstudy.pipeline import update_manifest

    params = load_params(params_path)
    formats = list(formats)
    typst_font_paths()  # a missing CJK font stops here, before any report, with how to install it
    primary = i18n.study_language(params)
    langs = [i18n.check_language(x) for x in (languages or i18n.study_languages(params))]
    names = [r for r in (reports or REPORTS) if (REPORT_DIR / f"{r}.qmd").is_file()]
    for name in names:
        _check_ready(name, params)
    if shutil.which("quarto") is not None:  # pragma: no cover - the Quarto CLI renders one by one
        outs = []
        for lang in langs:
            for name in names:
                for stem, parameters in _report_stems(name, params):
                    res = render_quarto(REPORT_DIR / f"{name}.qmd", params, formats, parameters=parameters,
                                        stem=output_name(stem, lang, primary), lang=lang)
                    outs.extend(res.values())
        return outs
    renderer = renderer_digest()
    jobs: list[dict[str, Any]] = []
    for lang in langs:
        for name in names:
            for stem, parameters in _report_stems(name, params):
                qmd = REPORT_DIR / f"{name}.qmd"
                jobs.append({"name": name, "stem": stem, "out_stem": output_name(stem, lang, primary), "lang": lang,
                             "formats": formats, "parameters": parameters, "params_path": str(params.path),
                             "key": render_key(qmd, lang, formats, parameters, renderer)})
    todo = [j for j in jobs if force or not _is_fresh(params, j["out_stem"], j["key"])]
    done: dict[str, dict[str, Any]] = {}
    if len(todo) == 1 or _workers(len(todo), workers) == 1:
        for j in todo:
            done[j["out_stem"]] = _render_job(j)
    elif todo:
        ctx = multiprocessing.get_context("spawn")
        with ProcessPoolExecutor(max_workers=_workers(len(todo), workers), mp_context=ctx) as pool:
            for j, r in zip(todo, pool.map(_render_job, todo)):
                done[j["out_stem"]] = r
    outs: list[Path] = []
    timing = []
    for j in jobs:
        stamp = files.read_json(_stamp_path(params, j["out_stem"]))
        outputs = {fmt: params.report_dir / info["file"] for fmt, info in stamp["outputs"].items()}
        secs = done[j["out_stem"]]["seconds"] if j["out_stem"] in done else 0.0
        for fmt, path in outputs.items():
            outs.append(path)
            if on_event:
                on_event(j["out_stem"], fmt, secs, path)
        timing.append({"report": j["out_stem"], "language": j["lang"], "formats": sorted(outputs),
                       "status": "rendered" if j["out_stem"] in done else "cached", "key": j["key"],
                       "seconds": round(secs, 3),
                       "files": {fmt: info["sha256"] for fmt, info in sorted(stamp["outputs"].items())}})
    # Reports not asked for this time (another language, another selection) keep their entries.
    manifest = params.report_dir / "manifest.json"
    old = (files.read_json(manifest).get("render") or {}) if manifest.is_file() else {}
    now = {t["report"] for t in timing}
    kept = [r for r in old.get("reports", []) if isinstance(r, dict) and r.get("report") not in now
            and _stamp_path(params, r["report"]).is_file()]
    update_manifest(params, "render", {"engine": engine(), "reports": kept + timing})
    return outs


def _report_stems(name: str, params: StudyParams) -> list[tuple[str, dict[str, Any] | None]]:
    if name == "team-brief":
        teams = brief_teams(params)
        if teams:
            return [(f"team-brief-{team_slug(t)}", {"team": t}) for t in teams]
        if not files.read_json(params.results_dir / "coaching.json").get("n_teams"):
            # A study without teams (no roster): one brief covering every assessed agent.
            return [("team-brief-centre", {"team": None})]
        return []
    return [(name, None)]
