"""Debian's nginx for the tests, serving etc/nginx-stackapi.conf with the test's addresses.

``Nginx.start(directory, backends, https=True)`` renders the shipped file into
``directory`` (the upstream's two servers, the listen address, and, for
``https``, a self-signed certificate made with ``openssl``), wraps it in a main
configuration whose pid, logs and temporary files are in ``directory`` too, and
runs ``nginx`` in the foreground on 127.0.0.1.  ``stop()`` ends it by its PID.
"""

from __future__ import annotations

import os
import re
import shutil
import signal
import subprocess
import time
from pathlib import Path

from postgres import free_port

SHIPPED = Path(__file__).parent.parent / "etc" / "nginx-stackapi.conf"
START_TIMEOUT = 30.0

MAIN = """\
daemon off;
{user}worker_processes 1;
pid {dir}/nginx.pid;
error_log {dir}/error.log info;
events {{ worker_connections 1024; }}
http {{
    access_log {dir}/access.log;
    client_body_temp_path {dir}/client_body;
    proxy_temp_path {dir}/proxy;
    fastcgi_temp_path {dir}/fastcgi;
    uwsgi_temp_path {dir}/uwsgi;
    scgi_temp_path {dir}/scgi;
    include {dir}/stackapi.conf;
}}
"""


class Unavailable(Exception):
    """nginx cannot run here; ``str()`` says why."""


def find_nginx() -> str:
    path = shutil.which("nginx") or (
        "/usr/sbin/nginx" if os.path.exists("/usr/sbin/nginx") else ""
    )
    if not path:
        raise Unavailable("nginx is not installed: apt-get install nginx (.ci/run does)")
    return path


def render(text: str, backends: list[int], listen: list[str]) -> str:
    """The shipped file with the test's backends and listen lines (each change checked)."""
    for shipped, port in zip((8774, 8775), backends, strict=True):
        old = f"server 127.0.0.1:{shipped} "
        assert text.count(old) == 1, f"{SHIPPED} no longer has {old!r}"
        text = text.replace(old, f"server 127.0.0.1:{port} ")
    block = re.search(r"    listen 80;\n(    # .*\n)*", text)
    assert block, f"{SHIPPED} no longer has 'listen 80;' and its commented TLS lines"
    return (
        text[: block.start()] + "".join(f"    {line}\n" for line in listen) + text[block.end() :]
    )


class Nginx:
    def __init__(self, directory: Path) -> None:
        self.directory = directory
        self.port = 0
        self.tls_port = 0
        self.cert = directory / "cert.pem"
        self.proc: subprocess.Popen | None = None

    @classmethod
    def start(cls, directory: Path, backends: list[int], https: bool = True) -> Nginx:
        binary = find_nginx()
        directory.mkdir(parents=True, exist_ok=True)
        nginx = cls(directory)
        nginx.port = free_port()
        listen = [f"listen 127.0.0.1:{nginx.port};"]
        if https:
            nginx.tls_port = free_port()
            nginx.make_certificate()
            listen += [
                f"listen 127.0.0.1:{nginx.tls_port} ssl;",
                f"ssl_certificate {nginx.cert};",
                f"ssl_certificate_key {directory / 'key.pem'};",
            ]
        (directory / "stackapi.conf").write_text(render(SHIPPED.read_text(), backends, listen))
        user = "user root;\n" if os.geteuid() == 0 else ""  # its temp files are in our tmp dir
        (directory / "nginx.conf").write_text(MAIN.format(dir=directory, user=user))
        nginx.run(binary)
        return nginx

    def make_certificate(self) -> None:
        if not shutil.which("openssl"):
            raise Unavailable("openssl is not installed (for the TLS listener)")
        subprocess.run(
            ["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1"]
            + ["-subj", "/CN=127.0.0.1", "-addext", "subjectAltName=IP:127.0.0.1"]
            + ["-keyout", str(self.directory / "key.pem"), "-out", str(self.cert)],
            check=True,
            capture_output=True,
            timeout=60,
        )

    def run(self, binary: str) -> None:
        conf = self.directory / "nginx.conf"
        check = subprocess.run(
            [binary, "-t", "-c", str(conf), "-p", str(self.directory), "-e", "stderr"],
            capture_output=True,
            text=True,
            timeout=30,
        )
        if check.returncode != 0:
            raise AssertionError(f"nginx -t refused the rendered configuration:\n{check.stderr}")
        with open(self.directory / "nginx.out", "wb") as out:
            self.proc = subprocess.Popen(
                [binary, "-c", str(conf), "-p", str(self.directory), "-e", "stderr"],
                stdout=out,
                stderr=subprocess.STDOUT,
            )
        deadline = time.monotonic() + START_TIMEOUT
        while not self._accepting():
            if self.proc.poll() is not None or time.monotonic() > deadline:
                self.stop()
                raise AssertionError(f"nginx did not start: {self.error_log()}")
            time.sleep(0.05)

    def _accepting(self) -> bool:
        import socket

        try:
            socket.create_connection(("127.0.0.1", self.port), timeout=1).close()
            return True
        except OSError:
            return False

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def tls_url(self) -> str:
        return f"https://127.0.0.1:{self.tls_port}"

    def error_log(self) -> str:
        parts = [self.directory / "error.log", self.directory / "nginx.out"]
        return "".join(p.read_text(errors="replace") for p in parts if p.exists())

    def stop(self) -> None:
        """SIGQUIT (nginx's graceful stop) by PID; SIGKILL if it hangs."""
        if self.proc is None:
            return
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGQUIT)
            try:
                self.proc.wait(30)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(30)
        self.proc = None
