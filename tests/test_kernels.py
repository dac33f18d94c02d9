"""Pre-warmed stage kernels: a new process per stage, forked from a template that only imported.

These run real kernels (no notebook of the study): what a stage could leak to
the next, the interpreter state a forked kernel starts from, and that no
kernel outlives its launcher or the pipeline.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time

import pytest

from ccstudy import kernels, pipeline

pytestmark = pytest.mark.skipif(not kernels.available(), reason="kernels are forked only on POSIX")


@pytest.fixture(scope="module")
def template():
    with pipeline.kernel_environment(), kernels.Template() as t:
        yield t


def run_cells(template, cells: list[str], cwd) -> list[str]:
    """Execute *cells* in a kernel forked from *template*; the stdout of each cell."""
    import nbformat
    from nbclient import NotebookClient

    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(c) for c in cells])
    NotebookClient(nb, kernel_name="python3", kernel_manager_class=template.manager_class(),
                   resources={"metadata": {"path": str(cwd)}}, extra_arguments=pipeline.KERNEL_ARGS,
                   startup_timeout=120).execute()
    return ["".join(o.get("text", "") for o in c.outputs if o.get("name") == "stdout") for c in nb.cells]


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    try:  # a zombie is dead for our purpose
        with open(f"/proc/{pid}/stat") as fh:
            return fh.read().split(")")[-1].split()[0] != "Z"
    except OSError:
        return False


def _wait_gone(pid: int, seconds: float = 10) -> bool:
    deadline = time.time() + seconds
    while time.time() < deadline:
        if not _alive(pid):
            return True
        time.sleep(0.1)
    return False


def test_each_kernel_is_a_new_process_and_nothing_leaks_between_them(template, tmp_path):
    first = run_cells(template, [
        "import os, sys, ccstudy.stages as st\nst.LEAK = 1\nLEFT_OVER = 2\nimport matplotlib\nmatplotlib.rcParams['axes.titlesize'] = 99\nprint(os.getpid())",
    ], tmp_path)
    second = run_cells(template, [
        "import os, sys, ccstudy.stages as st, matplotlib\n"
        "print(os.getpid(), hasattr(st, 'LEAK'), 'LEFT_OVER' in globals(), matplotlib.rcParams['axes.titlesize'])",
    ], tmp_path)
    pid1 = int(first[0])
    pid2, leak, left, size = second[0].split()
    assert int(pid2) != pid1 and int(pid2) != template.process.pid
    assert (leak, left) == ("False", "False")
    assert size != "99"


FINGERPRINT = (
    "import os, sys, json\n"
    "preloaded = 'statsmodels' in sys.modules\n"
    "import importlib\n"
    f"for name in {kernels.PRELOAD!r}: importlib.import_module(name)\n"
    "import ccstudy.figures, matplotlib, matplotlib.pyplot as plt, pandas as pd\n"
    "fig = plt.figure(); plt.close(fig)\n"
    "print(json.dumps({'cwd': os.getcwd(), 'hash': hash('ccstudy'), 'path': sys.path, 'argv0': sys.argv[0],"
    " 'parent_watched': os.environ['JPY_PARENT_PID'] == str(os.getppid()), 'flags': list(sys.flags),"
    " 'mplbackend_env': os.environ.get('MPLBACKEND'), 'backend': matplotlib.get_backend(),"
    " 'hashseed': os.environ.get('PYTHONHASHSEED'), 'main': sys.modules['__main__'].__name__,"
    " 'stdout': type(sys.stdout).__name__, 'preloaded': preloaded,"
    " 'pandas': {k: repr(pd.get_option(k)) for k in pd._config.config._registered_options},"
    " 'rc': {k: repr(v) for k, v in matplotlib.rcParams.items()}, 'interactive': matplotlib.is_interactive(),"
    " 'displayhook': type(sys.displayhook).__name__, 'plt_hook': repr(plt._REPL_DISPLAYHOOK),"
    " 'warnings': [repr(f) for f in __import__('warnings').filters]}))"
)


def fresh_fingerprint(cwd) -> dict:
    """FINGERPRINT in a kernel started from scratch (no template)."""
    import nbformat
    from nbclient import NotebookClient

    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(FINGERPRINT)])
    with pipeline.kernel_environment():
        NotebookClient(nb, kernel_name="python3", resources={"metadata": {"path": str(cwd)}},
                       extra_arguments=pipeline.KERNEL_ARGS, startup_timeout=120).execute()
    return json.loads("".join(o.get("text", "") for o in nb.cells[0].outputs if o.get("name") == "stdout"))


def test_forked_kernel_starts_like_a_fresh_one(template, tmp_path):
    """The same cell in a kernel started from scratch and in a forked one: same interpreter state."""
    forked = json.loads(run_cells(template, [FINGERPRINT], tmp_path)[0])
    fresh = fresh_fingerprint(tmp_path)
    assert forked.pop("preloaded") is True, "the template did not pre-import the stage libraries"
    assert fresh.pop("preloaded") is False
    # ipykernel installs one filter (ignore RuntimeWarning "Trio's signal handling...") when it
    # starts: after the libraries' filters in a forked kernel, before them in a fresh one.  No other
    # filter matches that warning, so only the order differs, not what is shown.
    assert sorted(forked.pop("warnings")) == sorted(fresh.pop("warnings"))
    assert forked == fresh
    assert fresh["cwd"] == str(tmp_path) and fresh["hashseed"] == pipeline.KERNEL_ENV["PYTHONHASHSEED"]
    assert fresh["parent_watched"] is True


def test_kernel_asked_for_during_the_imports_starts_like_a_fresh_one(tmp_path):
    """A kernel requested while the template is still importing is forked at a module boundary
    (not after every import): it too starts in the state of a kernel started from scratch."""
    with pipeline.kernel_environment(), kernels.Template() as t:  # asked for at once: mid-import
        early = json.loads(run_cells(t, [FINGERPRINT], tmp_path)[0])
    fresh = fresh_fingerprint(tmp_path)
    assert early.pop("preloaded") is False, "the kernel waited for the template's statistics imports"
    fresh.pop("preloaded")
    assert sorted(early.pop("warnings")) == sorted(fresh.pop("warnings"))
    assert early == fresh


def test_kernel_exits_when_its_launcher_is_killed(template, tmp_path):
    import asyncio

    async def scenario() -> int:
        km = template.manager_class()(kernel_name="python3")
        await km.start_kernel(cwd=str(tmp_path), extra_arguments=pipeline.KERNEL_ARGS)
        kc = km.client()
        kc.start_channels()
        try:
            await kc.wait_for_ready(timeout=120)
            out: list[str] = []
            await kc.execute_interactive("import os; print(os.getpid())", timeout=120,
                                         output_hook=lambda m: out.append(m["content"].get("text", "")))
            kernel_pid = int("".join(out))
            assert _alive(kernel_pid)
            launcher = km.provisioner.process
            assert launcher.pid != kernel_pid  # the kernel manager's process is the launcher
            os.kill(launcher.pid, signal.SIGKILL)
            launcher.wait()
            return kernel_pid
        finally:
            kc.stop_channels()
            await km.cleanup_resources()

    kernel_pid = asyncio.run(scenario())
    assert _wait_gone(kernel_pid), "the kernel outlived its launcher"


def test_template_exits_when_the_pipeline_process_dies(tmp_path):
    code = ("import sys, time\nfrom ccstudy import kernels\nt = kernels.Template()\n"
            "print(t.process.pid, t.socket, flush=True)\ntime.sleep(600)\n")
    parent = subprocess.Popen([sys.executable, "-c", code], stdout=subprocess.PIPE, text=True)
    pid_text, sock = parent.stdout.readline().split()
    template_pid = int(pid_text)
    assert _alive(template_pid)
    parent.send_signal(signal.SIGKILL)
    parent.wait()
    assert _wait_gone(template_pid, 60), "the template outlived the pipeline process"
    deadline = time.time() + 5
    while os.path.exists(os.path.dirname(sock)) and time.time() < deadline:
        time.sleep(0.1)
    assert not os.path.exists(os.path.dirname(sock)), "the template left its socket folder behind"


def test_prewarm_can_be_switched_off(monkeypatch):
    monkeypatch.setenv("CCSTUDY_PREWARM", "0")
    assert not kernels.available()
