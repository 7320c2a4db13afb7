"""A small LSP client for the tests: starts ``vgptlint server`` as a subprocess and speaks JSON-RPC to
it over stdio, as an editor does. Every wait has a timeout, and the process is killed when a test
ends, so a broken server fails a test instead of hanging the suite."""
from __future__ import annotations

import json
import os
import queue
import shutil
import subprocess
import sys
import threading
from pathlib import Path

TIMEOUT_SECONDS = 60.0  # generous for a loaded 2-core CI machine; a healthy answer takes well under a second


class ServerFailed(AssertionError):
    pass


class LspClient:
    def __init__(self, root: Path, initialization_options: dict | None = None):
        command = shutil.which("vgptlint")
        argv = [command, "server"] if command else [sys.executable, "-m", "vgptlint", "server"]
        self.process = subprocess.Popen(argv, cwd=root, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                        stderr=subprocess.PIPE, env={**os.environ, "PYTHONUNBUFFERED": "1"})
        self.messages: queue.Queue = queue.Queue()
        self.notifications: list[dict] = []
        self.next_id = 0
        self.stderr: list[bytes] = []
        threading.Thread(target=self._read, daemon=True).start()
        threading.Thread(target=lambda: self.stderr.extend(self.process.stderr), daemon=True).start()
        self.root = root
        self.request("initialize", {"processId": os.getpid(), "rootUri": root.as_uri(), "capabilities": {
            "general": {"positionEncodings": ["utf-16"]},
            "textDocument": {"publishDiagnostics": {"versionSupport": True}}},
            "initializationOptions": initialization_options or {}})
        self.notify("initialized", {})

    # ------------------------------------------------------------------ wire

    def _read(self) -> None:
        stream = self.process.stdout
        while True:
            headers = {}
            while (line := stream.readline()) not in (b"\r\n", b""):
                name, _, value = line.decode("ascii").partition(":")
                headers[name.strip().lower()] = value.strip()
            if not headers:
                self.messages.put(None)  # the server closed its output
                return
            self.messages.put(json.loads(stream.read(int(headers["content-length"]))))

    def _send(self, message: dict) -> None:
        body = json.dumps({"jsonrpc": "2.0", **message}).encode("utf-8")
        self.process.stdin.write(b"Content-Length: %d\r\n\r\n" % len(body) + body)
        self.process.stdin.flush()

    def _next(self) -> dict:
        try:
            message = self.messages.get(timeout=TIMEOUT_SECONDS)
        except queue.Empty:
            raise ServerFailed(f"no message from vgptlint server in {TIMEOUT_SECONDS} s; stderr: {self._stderr()}") from None
        if message is None:
            raise ServerFailed(f"vgptlint server closed its output; stderr: {self._stderr()}")
        return message

    def _stderr(self) -> str:
        return b"".join(self.stderr).decode("utf-8", "replace")[-2000:]

    # ------------------------------------------------------------------ protocol

    def request(self, method: str, params: dict) -> object:
        self.next_id += 1
        request_id = self.next_id
        self._send({"id": request_id, "method": method, "params": params})
        while True:
            message = self._next()
            if message.get("id") == request_id and "method" not in message:
                if "error" in message:
                    raise ServerFailed(f"{method} failed: {message['error']}")
                return message.get("result")
            self._keep(message)

    def notify(self, method: str, params: dict) -> None:
        self._send({"method": method, "params": params})

    def _keep(self, message: dict) -> None:
        if "id" in message and "method" in message:  # a request from the server (e.g. workDoneProgress/create)
            self._send({"id": message["id"], "result": None})
        else:
            self.notifications.append(message)

    def diagnostics(self, uri: str, version: int | None = None) -> list[dict]:
        """The next diagnostics published for ``uri`` (for that document version, when given)."""
        while True:
            for position, message in enumerate(self.notifications):
                params = message.get("params") or {}
                if message.get("method") == "textDocument/publishDiagnostics" and params.get("uri") == uri and \
                        (version is None or params.get("version") == version):
                    del self.notifications[: position + 1]
                    return params["diagnostics"]
            self._keep(self._next())

    def open(self, path: Path, language: str = "json", text: str | None = None) -> str:
        uri = path.resolve().as_uri()
        self.notify("textDocument/didOpen", {"textDocument": {
            "uri": uri, "languageId": language, "version": 1,
            "text": path.read_text(encoding="utf-8") if text is None else text}})
        return uri

    def change(self, uri: str, version: int, text: str) -> None:
        self.notify("textDocument/didChange", {"textDocument": {"uri": uri, "version": version},
                                               "contentChanges": [{"text": text}]})

    def close(self) -> None:
        try:
            if self.process.poll() is None:
                self.request("shutdown", {})
                self.notify("exit", {})
                self.process.wait(timeout=10)
        except (ServerFailed, OSError, subprocess.TimeoutExpired):
            pass
        finally:
            if self.process.poll() is None:
                self.process.kill()
                self.process.wait(timeout=10)
