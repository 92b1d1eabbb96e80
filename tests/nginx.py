"""Debian's nginx running deploy/nginx/council.conf on free ports with a self-signed certificate:
for tests/test_deploy.py and the load benchmark through nginx (benchmarks/nginx_load.py)."""

from __future__ import annotations

import os
import re
import shutil
import signal
import subprocess
import tempfile
from pathlib import Path

from tests.liveserver import ROOT, free_port

NGINX = shutil.which("nginx") or "/usr/sbin/nginx"
SITE = ROOT / "deploy" / "nginx" / "council.conf"


def available() -> bool:
    return Path(NGINX).exists() and shutil.which("openssl") is not None


def site_config(app_ports: list[int], https_port: int, http_port: int, cert: Path, key: Path) -> str:
    """deploy/nginx/council.conf with this machine's ports, certificate and static folder."""
    conf = SITE.read_text()
    upstreams = "\n    ".join(f"server 127.0.0.1:{p};" for p in app_ports)
    replacements = [
        ("server 127.0.0.1:8000;", upstreams),
        ("listen 443 ssl http2;", f"listen 127.0.0.1:{https_port} ssl http2;"),
        ("listen 80;", f"listen 127.0.0.1:{http_port};"),
        ("/etc/letsencrypt/live/council.example.org/fullchain.pem", str(cert)),
        ("/etc/letsencrypt/live/council.example.org/privkey.pem", str(key)),
        ("/opt/council/static/", str(ROOT / "council" / "static") + "/"),
    ]
    for old, new in replacements:
        assert old in conf, f"deploy/nginx/council.conf no longer has {old!r}: update tests/nginx.py"
        conf = conf.replace(old, new)
    return re.sub(r"^\s*listen \[::\]:.*$", "", conf, flags=re.M)  # no IPv6 in every container


class Nginx:
    def __init__(self, app_ports: list[int]):
        self.tmp = Path(tempfile.mkdtemp(prefix="council-nginx-"))
        self.https_port, self.http_port = free_port(), free_port()
        self.base = f"https://127.0.0.1:{self.https_port}"
        self.app_ports = app_ports
        self.proc: subprocess.Popen | None = None

    def start(self) -> "Nginx":
        tmp = self.tmp
        cert, key = tmp / "cert.pem", tmp / "key.pem"
        subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1",
                        "-subj", "/CN=127.0.0.1", "-addext", "subjectAltName=IP:127.0.0.1",
                        "-keyout", str(key), "-out", str(cert)], check=True, capture_output=True)
        (tmp / "council.conf").write_text(site_config(self.app_ports, self.https_port, self.http_port, cert, key))
        for d in ("body", "proxy", "fastcgi", "uwsgi", "scgi"):
            (tmp / d).mkdir(exist_ok=True)
        user = "user root;" if os.geteuid() == 0 else ""
        (tmp / "nginx.conf").write_text(f"""
{user}
worker_processes 1;
pid {tmp}/nginx.pid;
error_log {tmp}/error.log warn;
events {{ worker_connections 1024; }}
http {{
    include /etc/nginx/mime.types;
    access_log {tmp}/access.log;
    client_body_temp_path {tmp}/body;
    proxy_temp_path {tmp}/proxy;
    fastcgi_temp_path {tmp}/fastcgi;
    uwsgi_temp_path {tmp}/uwsgi;
    scgi_temp_path {tmp}/scgi;
    include {tmp}/council.conf;
}}
""")
        args = [NGINX, "-p", str(tmp), "-c", str(tmp / "nginx.conf")]
        check = subprocess.run([*args, "-t"], capture_output=True, text=True)
        if check.returncode != 0:
            raise RuntimeError("nginx -t: " + check.stderr)
        self.proc = subprocess.Popen([*args, "-g", "daemon off;"], stdout=subprocess.DEVNULL,
                                     stderr=subprocess.DEVNULL, start_new_session=True)
        return self

    def stop(self) -> None:
        if self.proc and self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGTERM)
            try:
                self.proc.wait(20)
            except subprocess.TimeoutExpired:
                os.killpg(self.proc.pid, signal.SIGKILL)

    def cleanup(self) -> None:
        shutil.rmtree(self.tmp, ignore_errors=True)
