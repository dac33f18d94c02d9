"""Open a local HTML file in headless Chromium and report what it did (DevTools protocol over a pipe).

Used by the report tests: console errors, uncaught exceptions, every request the page made (a
self-contained report makes none outside its own file: images are data URIs) and a screenshot.
No network port is opened: Chromium talks to us on file descriptors 3 and 4
(``--remote-debugging-pipe``), with a fresh profile folder per run.
"""

from __future__ import annotations

import base64
import json
import os
import shutil
import subprocess
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

CHROMIUM_FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                  "--disable-component-update", "--no-first-run", "--disable-default-apps", "--disable-sync",
                  "--disable-extensions", "--mute-audio", "--hide-scrollbars", "--remote-debugging-pipe"]


def chromium_path() -> str | None:
    return shutil.which("chromium") or shutil.which("chromium-browser") or shutil.which("google-chrome")


@dataclass
class PageReport:
    url: str
    requests: list[str] = field(default_factory=list)
    console_errors: list[str] = field(default_factory=list)
    exceptions: list[str] = field(default_factory=list)
    lang: str | None = None
    title: str | None = None
    width: int = 0
    scroll_width: int = 0

    @property
    def outside_requests(self) -> list[str]:
        return [u for u in self.requests if not (u.startswith("data:") or u == self.url)]


class _Pipe:
    def __init__(self, proc, to_browser: int, from_browser: int):
        self.proc, self.w, self.r = proc, to_browser, from_browser
        self.buf = b""
        self.next_id = 0
        self.events: list[dict] = []

    def send(self, method: str, params: dict | None = None, session: str | None = None, timeout: float = 30) -> dict:
        self.next_id += 1
        msg = {"id": self.next_id, "method": method, "params": params or {}}
        if session:
            msg["sessionId"] = session
        os.write(self.w, json.dumps(msg).encode() + b"\0")
        want = self.next_id
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            for m in self._read(deadline - time.monotonic()):
                if m.get("id") == want:
                    if "error" in m:
                        raise RuntimeError(f"{method}: {m['error']}")
                    return m.get("result", {})
                self.events.append(m)
        raise TimeoutError(f"no answer to {method} within {timeout} s")

    def wait_event(self, method: str, timeout: float = 30) -> dict:
        deadline = time.monotonic() + timeout
        while True:
            for i, m in enumerate(self.events):
                if m.get("method") == method:
                    return self.events.pop(i)
            if time.monotonic() > deadline:
                raise TimeoutError(f"no {method} within {timeout} s")
            self.events.extend(self._read(deadline - time.monotonic()))

    def drain(self, seconds: float) -> None:
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            self.events.extend(self._read(deadline - time.monotonic()))

    def _read(self, timeout: float) -> list[dict]:
        import select

        ready, _, _ = select.select([self.r], [], [], max(0.0, min(timeout, 1.0)))
        if not ready:
            return []
        chunk = os.read(self.r, 1 << 20)
        if not chunk:
            raise RuntimeError("chromium closed the DevTools pipe")
        self.buf += chunk
        *msgs, self.buf = self.buf.split(b"\0")
        return [json.loads(m) for m in msgs if m]


def open_page(html: Path, screenshot: Path, *, width: int = 1200, height: int = 900) -> PageReport:
    """Load *html* in headless Chromium, save a full-page screenshot to *screenshot*, report what happened."""
    exe = chromium_path()
    if exe is None:
        raise FileNotFoundError("chromium is not installed (scripts/system-deps.sh installs it)")
    url = html.resolve().as_uri()
    to_r, to_w = os.pipe()
    from_r, from_w = os.pipe()

    def child_fds() -> None:  # Chromium reads commands on fd 3 and writes answers on fd 4
        os.dup2(to_r, 3)
        os.dup2(from_w, 4)

    with tempfile.TemporaryDirectory(prefix="ccstudy-chromium-") as profile:
        proc = subprocess.Popen([exe, *CHROMIUM_FLAGS, f"--user-data-dir={profile}", f"--window-size={width},{height}",
                                 "about:blank"], stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                                stderr=subprocess.DEVNULL, preexec_fn=child_fds, pass_fds=(3, 4))
        os.close(to_r)
        os.close(from_w)
        pipe = _Pipe(proc, to_w, from_r)
        report = PageReport(url=url)
        try:
            target = pipe.send("Target.createTarget", {"url": "about:blank"})["targetId"]
            session = pipe.send("Target.attachToTarget", {"targetId": target, "flatten": True})["sessionId"]
            for domain in ("Network", "Runtime", "Log", "Page"):
                pipe.send(f"{domain}.enable", session=session)
            pipe.send("Page.navigate", {"url": url}, session=session)
            pipe.wait_event("Page.loadEventFired", timeout=60)
            pipe.drain(0.5)
            info = pipe.send("Runtime.evaluate", {"expression": "JSON.stringify({lang: document.documentElement.lang, "
                             "title: document.title, w: window.innerWidth, "
                             "sw: document.documentElement.scrollWidth})", "returnByValue": True}, session=session)
            doc = json.loads(info["result"]["value"])
            report.lang, report.title, report.width, report.scroll_width = doc["lang"], doc["title"], doc["w"], doc["sw"]
            metrics = pipe.send("Page.getLayoutMetrics", session=session)
            content = metrics.get("cssContentSize") or metrics["contentSize"]
            shot = pipe.send("Page.captureScreenshot", {"format": "png", "captureBeyondViewport": True,
                                                        "clip": {"x": 0, "y": 0, "width": width,
                                                                 "height": min(int(content["height"]), 8000),
                                                                 "scale": 1}}, session=session, timeout=60)
            screenshot.write_bytes(base64.b64decode(shot["data"]))
            for ev in pipe.events:
                m, p = ev.get("method"), ev.get("params", {})
                if m == "Network.requestWillBeSent":
                    report.requests.append(p["request"]["url"])
                elif m == "Runtime.consoleAPICalled" and p.get("type") in ("error", "assert"):
                    report.console_errors.append(" ".join(str(a.get("value", a.get("description"))) for a in p["args"]))
                elif m == "Runtime.exceptionThrown":
                    report.exceptions.append(p["exceptionDetails"].get("text", "exception"))
                elif m == "Log.entryAdded" and p["entry"].get("level") == "error":
                    report.console_errors.append(p["entry"].get("text", ""))
            try:
                pipe.send("Browser.close", timeout=5)
            except (RuntimeError, TimeoutError):
                pass
        finally:
            os.close(to_w)
            os.close(from_r)
            try:
                proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
    return report
