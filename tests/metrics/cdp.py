"""A headless Chromium driven over the DevTools protocol, for the tests that
click the status page's buttons.

Chromium's `--remote-debugging-pipe` speaks the protocol on its fds 3
(commands in) and 4 (answers and events out), each message a JSON object
ended by a NUL byte: no websocket library, no port to race for.  The
browser is started by this class and stopped by its pid."""

from __future__ import annotations

import base64
import fcntl
import json
import os
import select
import shutil
import subprocess
import time
from pathlib import Path
from typing import Any, Self

from tests.support import TIMEOUT

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
SKIP_REASON = ("chromium not installed (apt-get install chromium): the status page is not "
               "checked in a browser")


STALE_RETRIES = 20


class CDPError(AssertionError):
    pass


class StaleNode(CDPError):
    """A node id that names nothing any more: its document was replaced."""


class Browser:
    """One headless Chromium with one page attached (a flat session)."""

    def __init__(self, profile: Path, width: int = 1280, height: int = 900) -> None:
        assert CHROMIUM is not None
        cmd_r, self._cmd_w = os.pipe()
        self._out_r, out_w = os.pipe()
        # The child's ends moved above 9, so that putting them on 3 and 4
        # cannot overwrite one with the other.
        child_in, child_out = (fcntl.fcntl(fd, fcntl.F_DUPFD_CLOEXEC, 10) for fd in (cmd_r, out_w))
        for fd in (cmd_r, out_w):
            os.close(fd)
        args = [CHROMIUM, "--headless", "--no-sandbox", "--disable-gpu", "--no-first-run",
                "--remote-debugging-pipe", f"--user-data-dir={profile}",
                f"--window-size={width},{height}", "about:blank"]
        # bash (dash takes single-digit fds only) puts them on the fds the
        # protocol names, then execs the browser.
        script = f'exec "$@" 3<&{child_in} 4>&{child_out} {child_in}<&- {child_out}>&-'
        self.proc = subprocess.Popen(["/bin/bash", "-c", script, "bash", *args],
                                     pass_fds=(child_in, child_out), stdout=subprocess.DEVNULL,
                                     stderr=subprocess.DEVNULL)
        os.close(child_in)
        os.close(child_out)
        self._buffer = b""
        self._next_id = 0
        self.events: list[dict[str, Any]] = []
        self.session = ""
        target = self.call("Target.createTarget", {"url": "about:blank"})["targetId"]
        self.session = self.call("Target.attachToTarget",
                                 {"targetId": target, "flatten": True}, session="")["sessionId"]
        self.call("Page.enable")
        self.call("Network.enable")

    # --- the protocol ---------------------------------------------------------------
    def call(self, method: str, params: dict[str, Any] | None = None,
             session: str | None = None, timeout: float = TIMEOUT) -> dict[str, Any]:
        self._next_id += 1
        message: dict[str, Any] = {"id": self._next_id, "method": method, "params": params or {}}
        where = self.session if session is None else session
        if where:
            message["sessionId"] = where
        os.write(self._cmd_w, json.dumps(message).encode() + b"\0")
        deadline = time.monotonic() + timeout
        while True:
            answer = self._read(deadline)
            if answer.get("id") == self._next_id:
                if "error" in answer:
                    text = str(answer["error"].get("message", ""))
                    kind = StaleNode if "node" in text.lower() else CDPError
                    raise kind(f"{method}: {answer['error']}")
                return dict(answer.get("result", {}))
            self.events.append(answer)

    def _read(self, deadline: float) -> dict[str, Any]:
        while b"\0" not in self._buffer:
            left = deadline - time.monotonic()
            if left <= 0 or not select.select([self._out_r], [], [], left)[0]:
                raise CDPError("chromium did not answer in time")
            data = os.read(self._out_r, 65536)
            if not data:
                raise CDPError("chromium closed its protocol pipe")
            self._buffer += data
        message, _, self._buffer = self._buffer.partition(b"\0")
        return dict(json.loads(message))

    # --- what the tests do ------------------------------------------------------------
    def basic_auth(self, user: str, password: str) -> None:
        """Every request of the page carries these credentials."""
        token = base64.b64encode(f"{user}:{password}".encode()).decode()
        self.call("Network.setExtraHTTPHeaders",
                  {"headers": {"Authorization": f"Basic {token}"}})

    def javascript(self, enabled: bool) -> None:
        self.call("Emulation.setScriptExecutionDisabled", {"value": not enabled})

    def navigate(self, url: str) -> None:
        answer = self.call("Page.navigate", {"url": url})
        if answer.get("errorText"):
            raise CDPError(f"navigating to {url}: {answer['errorText']}")

    def evaluate(self, expression: str) -> Any:
        """`expression`'s value in the page (JSON-able values only)."""
        answer = self.call("Runtime.evaluate", {"expression": expression,
                                                "returnByValue": True})
        if "exceptionDetails" in answer:
            raise CDPError(f"{expression}: {answer['exceptionDetails']}")
        return answer.get("result", {}).get("value")

    def html(self) -> str:
        """The page's DOM as it is now (works with scripts disabled too)."""
        for _ in range(STALE_RETRIES):
            try:
                root = self.call("DOM.getDocument", {"depth": 0})["root"]["nodeId"]
                return str(self.call("DOM.getOuterHTML", {"nodeId": root})["outerHTML"])
            except StaleNode:
                continue  # a navigation replaced the document between the two calls
        raise CDPError("the document kept changing under DOM.getOuterHTML")

    def click(self, selector: str) -> bool:
        """A mouse click (press and release) on the middle of the element the
        CSS `selector` finds; False if there is none on the page, or if it was
        replaced (a navigation, a script's refresh) before the click."""
        try:
            return self._click(selector)
        except StaleNode:
            return False

    def _click(self, selector: str) -> bool:
        root = self.call("DOM.getDocument", {"depth": 0})["root"]["nodeId"]
        node = self.call("DOM.querySelector", {"nodeId": root, "selector": selector})["nodeId"]
        if not node:
            return False
        self.call("DOM.scrollIntoViewIfNeeded", {"nodeId": node})
        quads = self.call("DOM.getContentQuads", {"nodeId": node})["quads"]
        if not quads:
            return False  # not laid out (yet)
        quad = quads[0]
        x = sum(quad[0::2]) / 4
        y = sum(quad[1::2]) / 4
        for kind in ("mousePressed", "mouseReleased"):
            self.call("Input.dispatchMouseEvent", {"type": kind, "x": x, "y": y,
                                                   "button": "left", "clickCount": 1})
        return True

    def screenshot(self, path: Path) -> None:
        data = self.call("Page.captureScreenshot", {"format": "png"})["data"]
        path.write_bytes(base64.b64decode(data))

    def close(self) -> None:
        try:
            self.call("Browser.close", session="", timeout=5)
        except (CDPError, OSError):
            pass
        try:
            self.proc.wait(10)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait(10)
        os.close(self._cmd_w)
        os.close(self._out_r)

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
