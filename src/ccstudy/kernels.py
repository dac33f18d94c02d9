"""Pre-warmed stage kernels: a fresh kernel process per stage, forked from a template.

Every stage notebook runs in its own Jupyter kernel, and most of a kernel's
start-up is importing (ipykernel, pandas, scipy, matplotlib, seaborn,
statsmodels, semopy: several seconds per stage on a small machine).  The
pipeline therefore starts one *template* process per run that imports all of
that once, and nothing else: it executes no notebook code and holds no study
data.  Each stage asks it for a kernel; the template forks, and the child
becomes an ordinary ipykernel (``IPKernelApp``) on the connection file
Papermill gave it.  So:

* every stage still runs in a new process of its own: no variable, figure,
  random state or setting can pass from one stage to another, because a child
  is a copy of the template, never of another stage's kernel (a kernel reused
  across stages would let them leak, which is why there is no such pool);
* Papermill still drives the kernel over the Jupyter protocol and writes the
  executed notebook, which stays the audit record of the stage;
* a kernel asked for while the template is still importing is forked at the
  next module boundary and imports what its stage needs itself (the first
  stage, intake, needs none of the statistics libraries), so no stage waits
  for imports it does not use;
* the template runs with the kernels' environment (``PYTHONHASHSEED``,
  ``MPLBACKEND``), so a forked kernel sees the same interpreter state as one
  started from scratch and the results are the same bytes (a test compares).

How a kernel is started: the kernel manager runs a small launcher
(``python -m ccstudy.kernels launch SOCKET -f CONNECTION_FILE``) in place of
``ipykernel_launcher``.  The launcher sends its working directory, environment
and arguments to the template over a Unix socket, gets the forked kernel's pid
back, forwards interrupt and terminate signals to it, and exits when the kernel
exits.  Each side watches the other: a kernel exits when its launcher or the
template goes away, the template when the pipeline process goes away, so a
killed run leaves no kernel behind.

Forking needs POSIX; elsewhere (or with ``CCSTUDY_PREWARM=0``) the pipeline
starts kernels the usual way.
"""

from __future__ import annotations

import io
import json
import os
import signal
import socket
import subprocess
import sys
import tempfile
import time

# What the template imports, in two parts.  First the kernel machinery (with what
# IPKernelApp.initialize imports in every kernel: its debugger pulls in debugpy/pydevd, about 0.2 s)
# and the intake stage's libraries: no kernel is forked before these are in.  Then every other
# library a stage uses, in the order a stage kernel imports them (ccstudy.figures selects
# matplotlib's Agg backend before pyplot loads): a kernel asked for meanwhile is forked at the next
# module boundary and imports the rest it needs itself, so the first stage (intake, which needs none
# of the statistics libraries) does not wait for them, nor import its own libraries a second time
# beside the template.
PRELOAD_FIRST = (
    "ipykernel.kernelapp", "ipykernel.ipkernel", "IPython", "IPython.display",
    "ipykernel.zmqshell", "ipykernel.debugger", "pdb", "tornado.gen", "tornado.locks", "tornado.queues",
    "ccstudy.stages", "ccstudy.io.bundle", "ccstudy.io.intake",
    "ccstudy.io.contacts", "duckdb", "ccstudy.kpi.definitions", "ccstudy.kpi.backends",
)
PRELOAD = PRELOAD_FIRST + (
    "ccstudy.analysis.reliability", "ccstudy.analysis.validity", "ccstudy.analysis.training",
    "ccstudy.analysis.trends", "ccstudy.coaching", "ccstudy.figures", "statsmodels.formula.api", "semopy",
)


class _KernelShell:
    """What ``get_ipython()`` returns inside a Jupyter kernel, as far as import-time checks look.

    pandas decides at import whether it runs in a kernel (``hasattr(get_ipython(), "kernel")``)
    and sets ``display.max_columns`` from that; the template imports pandas before any kernel
    exists, so it shows pandas what a kernel would.
    """

    kernel = None


class _KernelStream(io.TextIOBase):
    """Stands for ipykernel's ``OutStream`` while the template imports (pandas reads its encoding)."""

    encoding = "UTF-8"

    def __init__(self, real) -> None:
        self._real = real

    def write(self, text: str) -> int:
        return self._real.write(text)

    def flush(self) -> None:
        self._real.flush()
# ipykernel sets this before user code runs unless already set; the template does the same before
# importing matplotlib, so matplotlib starts from the state a fresh kernel would give it.
INLINE_BACKEND = "module://matplotlib_inline.backend_inline"
_POLL = 0.5


def available() -> bool:
    """Whether kernels can be forked here (POSIX, and not switched off with CCSTUDY_PREWARM=0)."""
    return hasattr(os, "fork") and hasattr(socket, "AF_UNIX") and os.environ.get("CCSTUDY_PREWARM", "1") != "0"


# ---------------------------------------------------------------------------- the pipeline's side
class Template:
    """The template process of one pipeline run; a context manager (stops the process on exit)."""

    def __init__(self, env: dict[str, str] | None = None):
        self._dir = tempfile.mkdtemp(prefix="ccstudy-kernels-")
        self.socket = os.path.join(self._dir, "template.sock")
        child_env = dict(os.environ if env is None else env)
        child_env.setdefault("MPLBACKEND", INLINE_BACKEND)
        code = f"from ccstudy.kernels import serve; serve({self.socket!r}, {os.getpid()})"
        self.process = subprocess.Popen([sys.executable, "-c", code], env=child_env, stdin=subprocess.DEVNULL)

    def manager_class(self):
        """A kernel-manager class (for nbclient's ``kernel_manager_class``) whose kernels fork from here."""
        from jupyter_client import AsyncKernelManager
        from traitlets import Type

        sock = self.socket

        class PrewarmedKernelManager(AsyncKernelManager):
            client_factory = Type("ccstudy.kernels.PromptClient",  # see _prompt_client_class
                                  klass="jupyter_client.asynchronous.AsyncKernelClient")

            def format_kernel_cmd(self, extra_arguments=None):
                cmd = super().format_kernel_cmd(extra_arguments)
                try:
                    args = cmd[cmd.index("-f"):]
                except ValueError:  # not an ipykernel command line: start it as it is
                    return cmd
                return [sys.executable, "-m", "ccstudy.kernels", "launch", sock, *args]

            async def _async_finish_shutdown(self, waittime=None, pollinterval=0.01, restart=False):
                # jupyter_client polls a shutting-down kernel every 0.1 s; a stage's kernel is idle
                # (its notebook has run) and exits within milliseconds of the request.
                return await super()._async_finish_shutdown(waittime, pollinterval, restart)

        return PrewarmedKernelManager

    def close(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(10)
            except subprocess.TimeoutExpired:  # pragma: no cover
                self.process.kill()
                self.process.wait()
        for name in os.listdir(self._dir):
            os.unlink(os.path.join(self._dir, name))
        os.rmdir(self._dir)

    def __enter__(self) -> "Template":
        return self

    def __exit__(self, *exc) -> None:
        self.close()


def _prompt_client_class():
    from queue import Empty

    from jupyter_client.asynchronous import AsyncKernelClient

    class PromptClient(AsyncKernelClient):
        """jupyter_client's client, but ready as soon as the kernel is.

        ``wait_for_ready`` is jupyter_client's own loop (a ``kernel_info`` request
        until the reply comes, then one IOPub message to prove the IOPub socket is
        subscribed), with shorter waits: for that IOPub message jupyter_client
        waits 0.2 s before asking again (a new kernel publishes its first reply's
        messages before the subscription is live, so the first wait always runs
        out), and for the final drain of IOPub it waits until 0.2 s pass without
        a message, a fixed fifth of a second per kernel; the
        messages still due after the reply (the request's idle status) follow it
        within milliseconds, and any later one belongs to the kernel-info request,
        which the notebook client ignores.
        """

        async def wait_for_ready(self, timeout: float | None = None) -> None:  # type: ignore[override]
            deadline = time.monotonic() + (float("inf") if timeout is None else timeout)
            while True:
                self.kernel_info()
                try:
                    msg = await self.shell_channel.get_msg(timeout=1)
                except Empty:
                    pass
                else:
                    if msg["msg_type"] == "kernel_info_reply":
                        try:  # the first reply's IOPub messages may go out before the subscription
                            await self.iopub_channel.get_msg(timeout=0.05)  # is live: ask again
                        except Empty:
                            pass
                        else:
                            self._handle_kernel_info_reply(msg)
                            break
                if not await self._async_is_alive():
                    raise RuntimeError("Kernel died before replying to kernel_info")
                if time.monotonic() > deadline:
                    raise RuntimeError(f"Kernel didn't respond in {timeout:.0f} seconds")
            while True:
                try:
                    await self.iopub_channel.get_msg(timeout=0.02)
                except Empty:
                    break

    return PromptClient


def __getattr__(name: str):
    # ``PromptClient`` is built on first use, so the launcher (which imports this module) does not
    # import jupyter_client; the kernel manager finds it by its dotted name.
    if name == "PromptClient":
        cls = _prompt_client_class()
        cls.__module__, cls.__qualname__ = __name__, "PromptClient"
        globals()["PromptClient"] = cls
        return cls
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


# ---------------------------------------------------------------------------- the template process
def serve(path: str, parent_pid: int) -> None:
    """Run the template: import :data:`PRELOAD`, then fork a kernel for each launcher that connects."""
    server = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    server.bind(path)
    server.listen(16)  # launchers that connect while the imports run wait in the backlog
    os.environ.setdefault("MPLBACKEND", INLINE_BACKEND)
    # pydevd (under ipykernel.debugger) warns at import that frozen modules may hide breakpoints; the
    # template's imports are no debugging session.  Read at import only; kernels get the launcher's env.
    os.environ.setdefault("PYDEVD_DISABLE_FILE_VALIDATION", "1")
    import builtins
    import importlib

    signal.signal(signal.SIGCHLD, signal.SIG_IGN)  # kernels are reaped automatically
    signal.signal(signal.SIGTERM, lambda *_: os._exit(0))
    stdout, stderr = sys.stdout, sys.stderr

    def fork_kernel(conn: socket.socket) -> None:
        pid = os.fork()
        if pid == 0:
            server.close()
            if builtins.__dict__.get("get_ipython") is _KernelShell:  # forked between two imports:
                del builtins.get_ipython  # type: ignore[attr-defined]  # drop the import-time stand-ins
            sys.stdout, sys.stderr = stdout, stderr
            _kernel(conn)  # never returns
        conn.close()

    server.setblocking(False)
    builtins.get_ipython = _KernelShell  # type: ignore[attr-defined]  # removed below; IPython sets its own
    sys.stdout, sys.stderr = _KernelStream(stdout), _KernelStream(stderr)
    try:
        first = set(PRELOAD_FIRST[:-1])
        for name in PRELOAD:
            try:
                importlib.import_module(name)
            except ImportError:  # an optional library missing: the stage imports (and reports) it itself
                pass
            if name in first:
                continue  # no kernel before the first part is in
            while True:  # kernels asked for meanwhile: fork them now, at a module boundary
                try:
                    conn, _ = server.accept()
                except (BlockingIOError, InterruptedError):
                    break
                conn.setblocking(True)
                fork_kernel(conn)
    finally:
        del builtins.get_ipython  # type: ignore[attr-defined]
        sys.stdout, sys.stderr = stdout, stderr
    server.settimeout(_POLL)
    while os.getppid() == parent_pid:
        try:
            conn, _ = server.accept()
        except socket.timeout:
            continue
        fork_kernel(conn)
    # The pipeline process is gone (killed: it could not clean up): remove the socket and its folder.
    try:
        os.unlink(path)
        os.rmdir(os.path.dirname(path))
    except OSError:
        pass
    os._exit(0)


def _kernel(conn: socket.socket) -> None:
    """In the forked child: become the kernel the launcher asked for."""
    code = 1
    try:
        signal.signal(signal.SIGCHLD, signal.SIG_DFL)
        signal.signal(signal.SIGTERM, signal.SIG_DFL)
        conn.settimeout(None)
        request = json.loads(_recv_line(conn))
        os.chdir(request["cwd"])
        os.environ.clear()
        os.environ.update(request["env"])
        # The kernel's parent is the template, which it watches (ipykernel's parent poller).
        os.environ["JPY_PARENT_PID"] = str(os.getppid())
        if sys.path and sys.path[0] in ("", os.getcwd()):
            del sys.path[0]  # as ipykernel_launcher does; IPython puts the cwd back
        import importlib.util

        sys.argv = [importlib.util.find_spec("ipykernel_launcher").origin, *request["args"]]
        conn.sendall(f"{os.getpid()}\n".encode())
        _watch(conn)
        from ipykernel.kernelapp import IPKernelApp

        IPKernelApp.launch_instance(argv=request["args"])
        code = 0
    except BaseException:  # noqa: BLE001 - report, never fall back into the template's loop
        import traceback

        traceback.print_exc()
    finally:
        try:
            sys.stdout.flush()
            sys.stderr.flush()
        finally:
            os._exit(code)


def _watch(conn: socket.socket) -> None:
    """Exit the kernel when its launcher goes away (the connection reaches end of file)."""
    import threading

    def wait() -> None:
        try:
            while conn.recv(64):
                pass
        except OSError:
            pass
        os._exit(1)

    threading.Thread(target=wait, name="launcher-watch", daemon=True).start()


def _recv_line(conn: socket.socket) -> str:
    buf = b""
    while not buf.endswith(b"\n"):
        chunk = conn.recv(65536)
        if not chunk:
            raise ConnectionError("the connection closed before a full line arrived")
        buf += chunk
    return buf.decode()


# ---------------------------------------------------------------------------- the launcher
def launch(path: str, args: list[str]) -> int:
    """Ask the template at *path* for a kernel with ipykernel arguments *args*; wait for it to exit."""
    conn = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    deadline = time.monotonic() + 60
    while True:
        try:
            conn.connect(path)
            break
        except (FileNotFoundError, ConnectionRefusedError):
            if time.monotonic() > deadline:
                raise
            time.sleep(0.05)
    request = {"cwd": os.getcwd(), "env": dict(os.environ), "args": args}
    conn.sendall((json.dumps(request) + "\n").encode())
    pid = int(_recv_line(conn))

    def forward(signum, _frame) -> None:
        try:
            os.kill(pid, signum)
        except ProcessLookupError:
            pass
        if signum == signal.SIGTERM:
            os._exit(0)

    for signum in (signal.SIGINT, signal.SIGTERM, signal.SIGQUIT, signal.SIGUSR1, signal.SIGUSR2):
        signal.signal(signum, forward)
    parent = os.getppid()
    conn.settimeout(_POLL)
    while True:  # until the kernel exits (end of file) or the kernel manager is gone
        try:
            if not conn.recv(64):
                return 0
        except socket.timeout:
            if os.getppid() != parent:
                return 1
        except InterruptedError:  # pragma: no cover - retried by Python
            continue


if __name__ == "__main__":
    if len(sys.argv) >= 3 and sys.argv[1] == "launch":
        sys.exit(launch(sys.argv[2], sys.argv[3:]))
    sys.exit("usage: python -m ccstudy.kernels launch SOCKET -f CONNECTION_FILE [ipykernel options]")
