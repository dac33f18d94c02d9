"""The built-in renderer honours the Quarto conventions it claims to."""

import base64

import nbformat
import pytest

from ccstudy import render

QMD = '''---
title: "T"
subtitle: "S"
execute:
  echo: false
---

Intro text.

```{python}
#| tags: [parameters]
params_path = "x"
```

```{python}
#| echo: true
x = 1 + 1
print(x)
```

```{python}
#| include: false
print("hidden")
```

```{python}
#| output: asis
print("**raw** markdown")
```

```{python}
#| label: fig-demo
#| fig-cap: "A caption"
display_png()
```
'''

PNG = base64.b64encode(b"\x89PNG\r\n\x1a\nfake").decode()


def test_front_matter_and_parameters_tag():
    meta, nb = render.qmd_to_notebook(QMD)
    assert meta["title"] == "T" and meta["execute"] == {"echo": False}
    code = [c for c in nb.cells if c.cell_type == "code"]
    assert code[0].metadata["tags"] == ["parameters"]
    assert code[1].metadata["quarto"] == {"echo": True}
    assert code[4].metadata["quarto"] == {"label": "fig-demo", "fig-cap": "A caption"}
    assert nb.metadata["kernelspec"]["name"] == "python3"


def test_cell_options_only_leading_comments():
    opts, body = render.cell_options("#| echo: true\n#| fig-cap: 'a: b'\nx = 1\n#| not an option")
    assert opts == {"echo": True, "fig-cap": "a: b"}
    assert body == "x = 1\n#| not an option"


def _executed(tmp_path):
    meta, nb = render.qmd_to_notebook(QMD)
    code = [c for c in nb.cells if c.cell_type == "code"]
    code[1].outputs = [nbformat.v4.new_output("stream", name="stdout", text="2\n")]
    code[2].outputs = [nbformat.v4.new_output("stream", name="stdout", text="hidden\n")]
    code[3].outputs = [nbformat.v4.new_output("stream", name="stdout", text="**raw** markdown\n")]
    code[4].outputs = [nbformat.v4.new_output("display_data", data={"image/png": PNG})]
    fig_dir = tmp_path / "r_files"
    fig_dir.mkdir()
    return render.notebook_to_markdown(nb, fig_dir, "fig", {"echo": False}), fig_dir


def test_markdown_honours_echo_include_asis_and_figures(tmp_path):
    md, fig_dir = _executed(tmp_path)
    assert "Intro text." in md
    assert 'params_path = "x"' not in md          # parameters cell never shown
    assert "```python\nx = 1 + 1\nprint(x)\n```" in md  # echo: true shows code without #| lines
    assert "```\n2\n```" in md                     # ordinary output as a code block
    assert "hidden" not in md                      # include: false drops code and output
    assert "**raw** markdown" in md and "```\n**raw**" not in md  # output: asis is raw markdown
    assert '![A caption](r_files/fig-1.png){#fig-demo fig-alt="A caption"}' in md
    assert (fig_dir / "fig-1.png").read_bytes() == base64.b64decode(PNG)


def test_error_output_raises(tmp_path):
    _, nb = render.qmd_to_notebook(QMD)
    code = [c for c in nb.cells if c.cell_type == "code"]
    code[1].outputs = [nbformat.v4.new_output("error", ename="KeyError", evalue="'x'", traceback=[])]
    with pytest.raises(render.RenderError, match="KeyError"):
        render.notebook_to_markdown(nb, tmp_path, "fig", {})


def test_html_is_standalone_and_pdf_compiles(tmp_path):
    md = "# Title\n\nSome **bold** text and a table:\n\n| a | b |\n|---|---|\n| 1 | 2 |\n"
    html = render.markdown_to_html(md, {"title": "Doc"}, tmp_path)
    assert html.lstrip().lower().startswith("<!doctype html>") and "<strong>bold</strong>" in html
    assert "<style" in html and 'rel="stylesheet"' not in html
    pdf = tmp_path / "out.pdf"
    render.markdown_to_pdf(md, {"title": "Doc"}, tmp_path, pdf)
    from pypdf import PdfReader

    text = PdfReader(pdf).pages[0].extract_text()
    assert "Some bold text" in " ".join(text.split())


def test_html_toc_follows_front_matter(tmp_path):
    md = "## One\n\ntext\n\n## Two\n\ntext\n"
    with_toc = render.markdown_to_html(md, {"title": "D", "format": {"html": {"toc": True}}}, tmp_path)
    without = render.markdown_to_html(md, {"title": "D", "format": "html"}, tmp_path)
    assert 'id="TOC"' in with_toc and 'id="TOC"' not in without
