"""A study whose team and agent names are hostile: rendered, opened in headless Chromium, CSVs checked.

Team and agent names are ``<script>alert(1)</script>``, ``<img src=x onerror=alert(2)>``,
``@SUM(1+1)``, ``=cmd|' /C calc'!A0``, ``客服一组``, ``客服二组`` and an emoji (tests/studies.py).
The whole study runs once (module fixture); then:

* every HTML report is loaded by Debian's ``chromium`` (headless, no network services, a fresh
  profile) and the DOM *as Chromium parsed it* is inspected: no script element, no event-handler
  attribute, no embedded object, no resource outside the file (only ``data:`` URIs), the title is
  the report's own, and each hostile name is there as plain text;
* every team gets its own brief (HTML and PDF), no two names share a file;
* no cell of any CSV the project wrote starts with a formula character (numbers excepted);
* every PDF is a PDF, and its text holds the names.

Chromium and pdftotext come from ``scripts/system-deps.sh`` (run by ``make test``); without them
the browser / PDF-text checks are skipped with that reason.
"""

from __future__ import annotations

import csv
import io
import re
import shutil
import subprocess
import tempfile
from html.parser import HTMLParser
from pathlib import Path

import pytest

from ccstudy import pipeline, render
from ccstudy.escape import FORMULA_CHARS
from ccstudy.io.bundle import team_slug
from ccstudy.params import load_params
from studies import HOSTILE_AGENTS, HOSTILE_TEAMS, hostile_study

pytestmark = pytest.mark.e2e

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
NUMBER = re.compile(r"^[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?%?$")


@pytest.fixture(scope="module")
def study(tmp_path_factory):
    params_path = hostile_study(tmp_path_factory.mktemp("hostile"))
    pipeline.run(params_path)
    outs = render.render_study(params_path)
    return {"params": load_params(params_path), "outs": outs}


def _html_files(study) -> list[Path]:
    return sorted(p for p in study["outs"] if p.suffix == ".html")


# --------------------------------------------------------------------------- DOM as Chromium parsed it

class _Dom(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.tags: list[tuple[str, dict[str, str | None]]] = []
        self.text: list[str] = []
        self.title = ""
        self._in_title = False
        self._in_style = False
        self.styles: list[str] = []

    def handle_starttag(self, tag, attrs):
        self.tags.append((tag, dict(attrs)))
        self._in_title = tag == "title"
        self._in_style = tag == "style"

    def handle_endtag(self, tag):
        self._in_title = self._in_style = False

    def handle_data(self, data):
        if self._in_title:
            self.title += data
        elif self._in_style:
            self.styles.append(data)
        else:
            self.text.append(data)


def dump_dom(html: Path) -> str:
    """The document after Chromium loaded it (scripts, if any, would have run)."""
    with tempfile.TemporaryDirectory(prefix="ccstudy-chromium-") as profile:
        r = subprocess.run(
            [CHROMIUM, "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
             "--disable-component-update", "--no-first-run", "--disable-sync", "--disable-extensions",
             "--host-resolver-rules=MAP * ~NOTFOUND", f"--user-data-dir={profile}", "--virtual-time-budget=3000",
             "--dump-dom", html.resolve().as_uri()],
            capture_output=True, text=True, timeout=180)
    assert r.returncode == 0 and "<html" in r.stdout, r.stderr[-2000:]
    return r.stdout


def _parse(text: str) -> _Dom:
    dom = _Dom()
    dom.feed(text)
    return dom


def _assert_inert(dom: _Dom, where: str) -> None:
    for tag, attrs in dom.tags:
        assert tag not in ("script", "iframe", "object", "embed", "frame", "base", "form"), (where, tag, attrs)
        for k, v in attrs.items():
            assert not k.lower().startswith("on"), (where, tag, attrs)
            if k.lower() in ("src", "href", "srcset", "poster", "action", "data", "xlink:href") and v:
                assert v.startswith(("data:", "#")), (where, tag, k, v[:80])
            assert "javascript:" not in (v or "").lower(), (where, tag, attrs)
        if tag == "meta":
            assert (attrs.get("http-equiv") or "").lower() != "refresh", (where, attrs)
    for css in dom.styles:
        for url in re.findall(r"url\(\s*['\"]?([^'\")]+)", css):
            assert url.startswith("data:"), (where, url[:80])
        assert "@import" not in css, where


# --------------------------------------------------------------------------- tests

def test_every_team_has_its_own_brief(study):
    stems = {p.stem for p in study["outs"]}
    slugs = {team_slug(t) for t in HOSTILE_TEAMS.values()}
    assert len(slugs) == len(HOSTILE_TEAMS)          # 客服一组 and 客服二组 no longer share one file
    for slug in slugs:
        assert f"team-brief-{slug}" in stems, slug
    for fmt in ("html", "pdf"):
        briefs = [p for p in study["outs"] if p.stem.startswith("team-brief-") and p.suffix == f".{fmt}"]
        assert len(briefs) == len(HOSTILE_TEAMS) and all(p.is_file() and p.stat().st_size > 0 for p in briefs)


def test_html_has_no_external_url_or_active_markup_as_written(study):
    for html in _html_files(study):
        text = html.read_text(encoding="utf-8")
        dom = _parse(text)
        _assert_inert(dom, html.name)
        assert not re.search(r"""(src|href)\s*=\s*["']?(https?:|//|file:)""", text, re.I), html.name


@pytest.mark.skipif(CHROMIUM is None, reason="chromium is not installed (scripts/system-deps.sh installs it)")
def test_chromium_runs_no_script_and_loads_nothing(study):
    for html in _html_files(study):
        written = _parse(html.read_text(encoding="utf-8"))
        dom = _parse(dump_dom(html))
        _assert_inert(dom, f"{html.name} in chromium")
        # the title is the report's own: no script changed it
        assert dom.title.strip() == written.title.strip() and dom.title.strip(), html.name
        text = " ".join(dom.text)
        if html.stem.startswith("team-brief-"):
            team = next(t for t in HOSTILE_TEAMS.values() if html.stem == f"team-brief-{team_slug(t)}")
            assert f"Team {team}" in text, (html.name, team)
        if html.stem == "executive":
            assert HOSTILE_TEAMS["VIP"] in text          # the focus team, as text


def test_hostile_agents_are_text_in_the_focus_brief(study):
    focus = HOSTILE_TEAMS["VIP"]
    html = study["params"].report_dir / f"team-brief-{team_slug(focus)}.html"
    dom = _parse(html.read_text(encoding="utf-8"))
    text = " ".join(dom.text)
    shown = [a for a in HOSTILE_AGENTS.values() if a in text]
    assert shown, "no hostile agent id reached the brief's tables"


def test_no_csv_cell_starts_with_a_formula(study):
    root = study["params"].processed_dir
    csvs = sorted(root.rglob("*.csv"))
    assert any(p.name == "cleaning_log.csv" for p in csvs) and any(p.parent.name == "tables" for p in csvs)
    seen_hostile = False
    for path in csvs:
        for row in csv.reader(io.StringIO(path.read_text(encoding="utf-8"))):
            for cell in row:
                if cell.startswith(FORMULA_CHARS):
                    assert NUMBER.match(cell), (path.name, cell)
                seen_hostile |= cell in ("'=cmd|' /C calc'!A0", "'@SUM(1+1)")
    assert seen_hostile, "the formula-like names did not reach any CSV"


def test_pdfs_render_and_hold_the_names(study):
    pdfs = [p for p in study["outs"] if p.suffix == ".pdf"]
    assert len(pdfs) == 2 + len(HOSTILE_TEAMS)
    for p in pdfs:
        assert p.read_bytes()[:5] == b"%PDF-", p.name
    if not shutil.which("pdftotext"):
        pytest.skip("pdftotext is not installed (scripts/system-deps.sh installs poppler-utils)")
    focus = HOSTILE_TEAMS["VIP"]
    brief = study["params"].report_dir / f"team-brief-{team_slug(focus)}.pdf"
    text = subprocess.run(["pdftotext", str(brief), "-"], capture_output=True, text=True, check=True).stdout
    flat = re.sub(r"\s+", "", text).replace("’", "'").replace("‘", "'")
    assert re.sub(r"\s+", "", f"Team {focus}") in flat


@pytest.mark.skipif(CHROMIUM is None, reason="chromium is not installed (scripts/system-deps.sh installs it)")
def test_the_browser_check_catches_live_markup(tmp_path):
    """The check above can fail: unescaped names run in Chromium and are caught."""
    page = tmp_path / "live.html"
    page.write_text("<!DOCTYPE html><html><head><title>report</title></head><body>"
                    "<p>Team <script>document.title = 'ran'</script></p>"
                    "<img src=x onerror=\"document.title = 'ran too'\"></body></html>", encoding="utf-8")
    dom = _parse(dump_dom(page))
    assert dom.title.startswith("ran")              # the script did run in the browser
    with pytest.raises(AssertionError):
        _assert_inert(dom, page.name)
