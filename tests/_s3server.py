"""A real S3-compatible server on loopback for tests and benchmarks.

:class:`S3Server` runs moto's standalone server (``python -m moto.server``) in
a child process bound to 127.0.0.1 on a free port, so it shares no interpreter
(and no GIL) with the code under test.  Test modules use :func:`acquire` /
:func:`release` from a session-scoped fixture, so one server serves the whole
test session and is stopped when the last user releases it.

Nothing here contacts any host other than 127.0.0.1.
"""

from __future__ import annotations

import contextlib
import os
import socket
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
import uuid
from typing import Any

__all__ = ["KEY", "REGION", "SECRET", "S3Server", "acquire", "release", "s3_available"]

KEY = "zarrc-test-key"
SECRET = "zarrc-test-secret"
REGION = "us-east-1"
HOST = "127.0.0.1"


def s3_available() -> str | None:
    """``None`` if the server and s3fs can be used, else the reason they cannot."""
    for module in ("moto.server", "flask", "flask_cors", "s3fs", "boto3"):
        try:
            __import__(module)
        except ImportError as exc:
            return f"{module} is not installed ({exc})"
    return None


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((HOST, 0))
        return int(sock.getsockname()[1])


# Requests to the server go straight to loopback, never through a proxy.
_opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))


class S3Server:
    """moto's S3 server in a child process on ``127.0.0.1:<free port>``.

    Use as a context manager, or call :meth:`start` and :meth:`stop`.
    """

    def __init__(self, startup_timeout: float = 60.0) -> None:
        self.port = 0
        self.process: subprocess.Popen[bytes] | None = None
        self._timeout = startup_timeout

    @property
    def endpoint_url(self) -> str:
        """``http://127.0.0.1:<port>``."""
        return f"http://{HOST}:{self.port}"

    def start(self) -> S3Server:
        """Start the server and wait until it answers."""
        if self.process is not None:
            return self
        last: BaseException | None = None
        for _ in range(3):  # another process may grab the free port first
            self.port = _free_port()
            env = dict(os.environ, AWS_DEFAULT_REGION=REGION, NO_PROXY="*", no_proxy="*")
            self.process = subprocess.Popen(
                [sys.executable, "-m", "moto.server", "-H", HOST, "-p", str(self.port)],
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
                env=env,
            )
            try:
                self._wait_ready()
                return self
            except RuntimeError as exc:
                last = exc
                self.stop()
        raise RuntimeError(f"the S3 test server did not start: {last}")

    def _wait_ready(self) -> None:
        assert self.process is not None
        deadline = time.monotonic() + self._timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"moto.server exited with status {self.process.returncode}")
            try:
                with _opener.open(f"{self.endpoint_url}/moto-api/", timeout=2):
                    return
            except urllib.error.HTTPError:
                return  # it answered
            except OSError:
                time.sleep(0.1)
        raise RuntimeError(f"no answer from {self.endpoint_url} within {self._timeout} s")

    def stop(self) -> None:
        """Stop the server process."""
        process, self.process = self.process, None
        if process is None:
            return
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()

    def __enter__(self) -> S3Server:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    # -- helpers ------------------------------------------------------------------------
    def storage_options(self, **extra: Any) -> dict[str, Any]:
        """s3fs options for this server (credentials, endpoint, region)."""
        options: dict[str, Any] = {
            "key": KEY,
            "secret": SECRET,
            "client_kwargs": {"endpoint_url": self.endpoint_url, "region_name": REGION},
        }
        options.update(extra)
        return options

    def filesystem(self, **extra: Any) -> Any:
        """A new ``s3fs.S3FileSystem`` talking to this server."""
        import s3fs

        return s3fs.S3FileSystem(**self.storage_options(**extra))

    def client(self) -> Any:
        """A boto3 S3 client for this server."""
        import boto3

        return boto3.client(
            "s3",
            endpoint_url=self.endpoint_url,
            region_name=REGION,
            aws_access_key_id=KEY,
            aws_secret_access_key=SECRET,
        )

    def create_bucket(self, name: str | None = None) -> str:
        """Create a bucket (a fresh random name by default) and return its name."""
        name = name or f"zarrc-{uuid.uuid4().hex[:16]}"
        self.client().create_bucket(Bucket=name)
        return name

    def set_auth(self, enabled: bool) -> None:
        """Turn moto's request authentication on (unknown keys then get 403) or off."""
        value = b"0" if enabled else b"inf"
        request = urllib.request.Request(
            f"{self.endpoint_url}/moto-api/reset-auth",
            data=value,
            method="POST",
            headers={"Content-Type": "text/plain"},  # a form body would be parsed away
        )
        with _opener.open(request, timeout=10):
            pass


_shared: S3Server | None = None
_users = 0
_lock = threading.Lock()


def acquire() -> S3Server:
    """The process-wide test server, started on first use."""
    global _shared, _users
    with _lock:
        if _shared is None:
            _shared = S3Server().start()
        _users += 1
        return _shared


def release() -> None:
    """Give back :func:`acquire`'s server; the last user stops it."""
    global _shared, _users
    with _lock:
        _users -= 1
        if _users <= 0 and _shared is not None:
            with contextlib.suppress(Exception):
                _shared.stop()
            _shared = None
            _users = 0
