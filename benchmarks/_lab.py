"""A real JupyterLab and a real browser, for the browser test and the panel benchmark.

``LabServer`` starts ``python -m jupyterlab`` (the interpreter running this code, so the
JupyterLab and nb2prod installed beside it) on 127.0.0.1 with a free port, a random token,
and temporary settings, workspaces and config folders, so no user setting leaks in and
nothing of the user's is written; JupyterLab's news check is turned off by an
``overrides.json``. ``Browser`` drives Debian's chromium (``/usr/bin/chromium``, or the
binary ``$NB2PROD_CHROMIUM`` names; never a downloaded one) with Playwright's sync API.
Both are context managers that always stop what they started. The helpers at the bottom
know the DOM hooks of the Readiness panel (``labextension/README.md``, "Test hooks").

Used by ``tests/test_lab_browser.py`` and ``benchmarks/panel_latency.py``.
"""

from __future__ import annotations

import json
import os
import secrets
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path
from typing import Any
from urllib.parse import quote

CHROMIUM = Path(os.environ.get("NB2PROD_CHROMIUM", "/usr/bin/chromium"))
# The arguments Debian's chromium needs here (as root, in a container, with no network).
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-dev-shm-usage",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
    # Any host name other than the server's address fails at once: the page talks to 127.0.0.1 only.
    "--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1",
]
PANEL_ID = "nb2prod-readiness"
PANEL = f"#{PANEL_ID}"
PLUGIN_ID = "nb2prod:plugin"
# What JupyterLab would otherwise fetch from the internet or ask about at first start.
QUIET_OVERRIDES: dict[str, Any] = {
    "@jupyterlab/apputils-extension:notification": {"fetchNews": "false", "checkForUpdates": False},
}
# ``LabServer(..., overrides=DARK_THEME)``: the page in JupyterLab's dark theme (for screenshots).
DARK_THEME: dict[str, Any] = {"@jupyterlab/apputils-extension:themes": {"theme": "JupyterLab Dark"}}
# The tabs of the Readiness panel, below its score and families (``data-tab`` of ``.nb2prod-tab``).
PANEL_TABS = ("findings", "cell", "build")


class LabError(RuntimeError):
    """JupyterLab or the browser did not do what the harness waited for."""


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def browser_missing() -> str | None:
    """Why the real-browser harness cannot run here, or None when it can."""
    if not CHROMIUM.exists():
        return f"{CHROMIUM} is not installed (apt-get install -y chromium)"
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        return "the playwright package is not installed (pip install playwright)"
    return None


class LabServer:
    """``jupyter lab`` on 127.0.0.1 serving ``root``; its own state lives in ``home``."""

    def __init__(
        self,
        root: Path,
        home: Path,
        *,
        overrides: dict[str, Any] | None = None,
        extra_args: list[str] | None = None,
        start_timeout: float = 60.0,
    ) -> None:
        self.root = Path(root).resolve()
        self.home = Path(home).resolve()
        self.port = free_port()
        self.token = secrets.token_hex(16)
        self.base_url = f"http://127.0.0.1:{self.port}/"
        self.log_path = self.home / "jupyter-lab.log"
        self.start_timeout = start_timeout
        self._overrides = {**QUIET_OVERRIDES, **(overrides or {})}
        self._extra_args = list(extra_args or [])
        self._proc: subprocess.Popen[bytes] | None = None
        self._log: Any = None

    # -- lifecycle -------------------------------------------------------------

    def __enter__(self) -> LabServer:
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def start(self) -> None:
        dirs = {name: self.home / name for name in ("config", "runtime", "ipython", "settings", "workspaces", "app")}
        for d in dirs.values():
            d.mkdir(parents=True, exist_ok=True)
        (dirs["app"] / "overrides.json").write_text(json.dumps(self._overrides, indent=2), encoding="utf-8")
        env = {
            **os.environ,
            "JUPYTER_CONFIG_DIR": str(dirs["config"]),
            "JUPYTER_RUNTIME_DIR": str(dirs["runtime"]),
            "IPYTHONDIR": str(dirs["ipython"]),
            "JUPYTER_PLATFORM_DIRS": "1",
        }
        cmd = [
            sys.executable, "-m", "jupyterlab",
            "--no-browser",
            "--ServerApp.ip=127.0.0.1",
            f"--ServerApp.port={self.port}",
            "--ServerApp.port_retries=0",
            f"--IdentityProvider.token={self.token}",
            f"--ServerApp.root_dir={self.root}",
            "--ServerApp.allow_root=True",
            "--ServerApp.terminals_enabled=False",
            f"--LabApp.user_settings_dir={dirs['settings']}",
            f"--LabApp.workspaces_dir={dirs['workspaces']}",
            f"--LabApp.app_settings_dir={dirs['app']}",
            *self._extra_args,
        ]  # fmt: skip
        self._log = open(self.log_path, "wb")
        self._proc = subprocess.Popen(
            cmd, cwd=self.root, env=env, stdout=self._log, stderr=subprocess.STDOUT, start_new_session=True
        )
        try:
            self._wait_ready()
        except BaseException:
            self.stop()
            raise

    def _wait_ready(self) -> None:
        deadline = time.monotonic() + self.start_timeout
        while time.monotonic() < deadline:
            assert self._proc is not None
            if self._proc.poll() is not None:
                raise LabError(f"jupyter lab exited with {self._proc.returncode}:\n{self.log_tail()}")
            try:
                status, _ = self.api("GET", "api/status", timeout=2)
            except (OSError, urllib.error.URLError):
                status = 0
            if status == 200:
                return
            time.sleep(0.25)
        raise LabError(f"jupyter lab did not answer /api/status within {self.start_timeout:.0f} s:\n{self.log_tail()}")

    def stop(self) -> None:
        """Shut the server down (its kernels with it); kill its process group if it lingers."""
        proc = self._proc
        if proc is not None:
            if proc.poll() is None:
                try:
                    self.api("POST", "api/shutdown", timeout=5)
                except (OSError, urllib.error.URLError):
                    pass
                try:
                    proc.wait(timeout=15)
                except subprocess.TimeoutExpired:
                    self._signal_group(proc, signal.SIGTERM)
                    try:
                        proc.wait(timeout=5)
                    except subprocess.TimeoutExpired:
                        self._signal_group(proc, signal.SIGKILL)
                        proc.wait(timeout=5)
            self._proc = None
        if self._log is not None:
            self._log.close()
            self._log = None

    @staticmethod
    def _signal_group(proc: subprocess.Popen[bytes], sig: int) -> None:
        try:
            os.killpg(proc.pid, sig)
        except ProcessLookupError:
            pass

    def log_tail(self, chars: int = 4000) -> str:
        try:
            return self.log_path.read_text(encoding="utf-8", errors="replace")[-chars:]
        except OSError:
            return ""

    # -- requests ----------------------------------------------------------------

    def api(self, method: str, path: str, body: Any = None, *, timeout: float = 30) -> tuple[int, Any]:
        """A request to the server with the token; (status, decoded JSON body or None)."""
        data = None if body is None else json.dumps(body).encode()
        req = urllib.request.Request(
            self.base_url + path.lstrip("/"),
            data=data,
            method=method,
            headers={"Authorization": f"token {self.token}", "Content-Type": "application/json"},
        )
        try:
            with urllib.request.urlopen(req, timeout=timeout) as resp:
                raw = resp.read()
                status = resp.status
        except urllib.error.HTTPError as err:
            raw = err.read()
            status = err.code
            err.close()
        try:
            return status, json.loads(raw) if raw else None
        except ValueError:
            return status, None

    def lab_url(self, notebook: str, workspace: str | None = None) -> str:
        """The page that opens ``notebook`` (a path relative to the root) in JupyterLab, in a
        workspace of its own (``workspace``, default: named after the notebook), so that no
        tab of an earlier page is restored beside it."""
        ws = quote(workspace or notebook.replace("/", "-").removesuffix(".ipynb"), safe="")
        return f"{self.base_url}lab/workspaces/{ws}/tree/{quote(notebook)}?token={self.token}"

    def setting(self, plugin: str, key: str) -> Any:
        """The composite (effective) value of a JupyterLab setting, as the page gets it."""
        status, data = self.api("GET", f"lab/api/settings/{plugin}")
        if status != 200 or not isinstance(data, dict):
            raise LabError(f"GET lab/api/settings/{plugin} answered {status}")
        settings = data.get("settings") or {}
        if key in settings:
            return settings[key]
        default = (data.get("schema") or {}).get("properties", {}).get(key, {}).get("default")
        if default is None:
            raise LabError(f"no setting {key!r} in {plugin}")
        return default


class Browser:
    """Headless Debian chromium through Playwright. ``new_page()`` gives a 1440×900 tab in a
    fresh context (no cookies or local storage of an earlier page); ``console`` collects
    that page's console messages and uncaught errors."""

    def __init__(self, *, width: int = 1440, height: int = 900, timeout_ms: float = 30_000) -> None:
        self.width = width
        self.height = height
        self.timeout_ms = timeout_ms
        self.console: list[str] = []
        self._pw: Any = None
        self._browser: Any = None
        self._context: Any = None

    def __enter__(self) -> Browser:
        from playwright.sync_api import sync_playwright

        self._pw = sync_playwright().start()
        try:
            self._browser = self._pw.chromium.launch(
                executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS, timeout=60_000
            )
        except BaseException:
            self.close()
            raise
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def new_page(self) -> Any:
        if self._context is not None:
            self._context.close()
        self._context = self._browser.new_context(viewport={"width": self.width, "height": self.height})
        self._context.set_default_timeout(self.timeout_ms)
        self.console = []
        page = self._context.new_page()
        page.on("console", lambda m: self.console.append(f"{m.type}: {m.text}"))
        page.on("pageerror", lambda e: self.console.append(f"pageerror: {e}"))
        return page

    def close(self) -> None:
        """Close the browser and stop Playwright's driver (which kills chromium if it hangs)."""
        try:
            if self._browser is not None:
                self._browser.close()
        finally:
            self._browser = self._context = None
            if self._pw is not None:
                self._pw.stop()
                self._pw = None


# -- the Readiness panel ------------------------------------------------------------


def open_notebook(
    page: Any, lab: LabServer, notebook: str, n_cells: int, *, workspace: str | None = None, timeout_ms: float = 90_000
) -> None:
    """Load JupyterLab on ``notebook``; wait until its ``n_cells`` cells are there and its kernel is idle.

    Waiting for the kernel keeps its start (which redraws the toolbar and the status bar)
    out of what the caller does and measures next.
    """
    deadline = time.monotonic() + timeout_ms / 1000
    page.goto(lab.lab_url(notebook, workspace), wait_until="domcontentloaded", timeout=timeout_ms)
    page.wait_for_function(
        "n => document.querySelectorAll('.jp-NotebookPanel .jp-Notebook .jp-Cell').length === n",
        arg=n_cells,
        timeout=timeout_ms,
    )
    while True:
        _, sessions = lab.api("GET", "api/sessions")
        states = [
            s["kernel"]["execution_state"] for s in sessions or [] if s.get("path") == notebook and s.get("kernel")
        ]
        if "idle" in states:
            break
        if time.monotonic() > deadline:
            raise LabError(f"the kernel of {notebook} did not start: sessions {sessions}\n{lab.log_tail()}")
        time.sleep(0.25)
    # The page learns of the kernel over its websocket: the status bar says "<kernel> | Idle".
    page.wait_for_function(
        """() => Array.from(document.querySelectorAll('.jp-StatusBar-TextItem')).some(
            e => / \\| Idle$/.test(e.textContent) && !e.textContent.startsWith('No Kernel'))""",
        timeout=max(1000.0, (deadline - time.monotonic()) * 1000),
    )


def open_panel(page: Any, timeout_ms: float = 30_000) -> None:
    """Click the Readiness tab of the right sidebar, as a user does, and wait for the panel."""
    tab = page.locator(f".jp-SideBar.jp-mod-right .lm-TabBar-tab[data-id='{PANEL_ID}']")
    try:
        tab.wait_for(state="visible", timeout=timeout_ms)
    except Exception as exc:  # playwright's TimeoutError
        raise LabError(
            "the Readiness tab is not in the right sidebar: is the nb2prod lab extension installed?"
        ) from exc
    if not page.locator(PANEL).is_visible():
        tab.click()
    page.locator(PANEL).wait_for(state="visible", timeout=timeout_ms)


def show_tab(page: Any, tab: str, timeout_ms: float = 10_000) -> None:
    """Click one of the panel's tabs (``findings``, ``cell`` or ``build``), as a user does,
    and wait until the panel shows it (``data-tab`` on the panel root)."""
    if tab not in PANEL_TABS:
        raise ValueError(f"no panel tab {tab!r}: one of {', '.join(PANEL_TABS)}")
    page.locator(f"{PANEL} .nb2prod-tabbar .nb2prod-tab[data-tab='{tab}']").click()
    page.wait_for_function(
        "([id, tab]) => document.getElementById(id).dataset.tab === tab", arg=[PANEL_ID, tab], timeout=timeout_ms
    )


def panel_tab(page: Any) -> str:
    """The tab the panel shows."""
    return page.locator(PANEL).get_attribute("data-tab") or ""


def server_ms(page: Any) -> float | None:
    """The server's lint time (``elapsed_ms``) of the result the panel shows, None before any."""
    value = page.locator(PANEL).get_attribute("data-server-ms")
    return float(value) if value else None


def run_command(page: Any, label: str, timeout_ms: float = 10_000) -> None:
    """Run a command from JupyterLab's command palette (Ctrl+Shift+C), by its label."""
    page.keyboard.press("Control+Shift+C")
    search = page.locator(".lm-CommandPalette-input")
    search.wait_for(state="visible", timeout=timeout_ms)
    search.fill(label)
    item = page.locator(".lm-CommandPalette-item", has_text=label).first
    item.wait_for(state="visible", timeout=timeout_ms)
    item.click()


def lint_version(page: Any) -> int:
    return int(page.locator(PANEL).get_attribute("data-lint-version") or 0)


def wait_for_lint(page: Any, after: int = 0, timeout_ms: float = 30_000) -> int:
    """Wait until the panel applied a lint result newer than version ``after`` and is idle."""
    page.wait_for_function(
        """([id, after]) => {
            const p = document.getElementById(id);
            return !!p && Number(p.dataset.lintVersion) > after && p.dataset.state === 'idle';
        }""",
        arg=[PANEL_ID, after],
        timeout=timeout_ms,
        polling="raf",
    )
    return lint_version(page)


def panel_codes(page: Any) -> list[str]:
    """The codes of the findings the panel lists, in the order shown."""
    return page.eval_on_selector_all(f"{PANEL} li.nb2prod-finding", "els => els.map(e => e.dataset.code)")


def panel_score(page: Any) -> int:
    return int(page.locator(f"{PANEL} .nb2prod-score").inner_text().strip())


def cells(page: Any) -> Any:
    """The cells of the notebook shown in the main area, as a locator."""
    return page.locator(".jp-NotebookPanel:not(.lm-mod-hidden) .jp-Notebook .jp-Cell")


def active_cell_index(page: Any) -> int:
    """0-based index of JupyterLab's active cell (``.jp-mod-active``), -1 when none."""
    return page.eval_on_selector_all(
        ".jp-NotebookPanel:not(.lm-mod-hidden) .jp-Notebook .jp-Cell",
        "els => els.findIndex(e => e.classList.contains('jp-mod-active'))",
    )
