"""nginx in front of several Rasa servers: its configuration, and the server itself.

The configuration is written from the ports (and nothing else), so a deployment can
start from `render()`'s output. What matters in it:
- `least_conn` sends each request to the replica with the fewest open ones, so a slow
  turn on one doesn't queue others behind it;
- a replica that refuses connections (killed, restarting) is skipped for 5 s, and a
  request it never received is sent to another one; a POST that a replica received
  and then died on is not sent again (nginx's default for non-idempotent requests), so
  a message is never processed twice: the client gets a 502 and may send it again;
- X-Forwarded-For carries the customer's address (the Rasa servers trust one proxy:
  SANIC_PROXIES_COUNT=1), so per-client limits still see customers, not nginx;
- `$upstream_addr` is logged, so the access log shows which replica served what.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from dataclasses import dataclass, field
from pathlib import Path

from bot.tools.scaled.servers import START_SECONDS, ServerMissing, stop_process, wait_for_port

BODY_LIMIT = "2m"  # above the channels' own limits, so their 413 answers are what clients see
READ_TIMEOUT_SECONDS = 75  # above the longest turn (an action's timeout and Rasa's own)

TEMPLATE = """\
worker_processes 1;
pid {directory}/nginx.pid;
error_log {directory}/error.log warn;
{user}
events {{
    worker_connections 1024;
}}

http {{
    log_format relay '$remote_addr [$time_local] "$request" $status $body_bytes_sent '
                     'upstream=$upstream_addr upstream_status=$upstream_status '
                     'seconds=$request_time';
    access_log {directory}/access.log relay;
    client_body_temp_path {directory}/temp/body;
    proxy_temp_path {directory}/temp/proxy;
    fastcgi_temp_path {directory}/temp/fastcgi;
    uwsgi_temp_path {directory}/temp/uwsgi;
    scgi_temp_path {directory}/temp/scgi;
    client_max_body_size {body_limit};
    server_tokens off;

    upstream relay_rasa {{
        least_conn;
{servers}
        keepalive 32;
    }}

    server {{
        listen 127.0.0.1:{port};
        location / {{
            proxy_pass http://relay_rasa;
            proxy_http_version 1.1;
            proxy_set_header Connection "";
            proxy_set_header Host $host;
            proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;
            proxy_set_header X-Forwarded-Proto $scheme;
            proxy_next_upstream error timeout;
            proxy_read_timeout {read_timeout}s;
            proxy_buffering off;
        }}
    }}
}}
"""


def render(directory: Path, port: int, replicas: tuple[int, ...]) -> str:
    """nginx.conf for an entry on 127.0.0.1:`port` in front of Rasa servers on `replicas`."""
    servers = "\n".join(
        f"        server 127.0.0.1:{replica} max_fails=1 fail_timeout=5s;" for replica in replicas
    )
    # As root, nginx's workers drop to an unprivileged user (which owns the temp paths).
    user = "user nobody nogroup;" if os.geteuid() == 0 else ""
    return TEMPLATE.format(
        directory=directory,
        user=user,
        servers=servers,
        port=port,
        body_limit=BODY_LIMIT,
        read_timeout=READ_TIMEOUT_SECONDS,
    )


@dataclass
class NginxServer:
    """nginx in the foreground with the configuration above, its files in `directory`."""

    directory: Path
    port: int
    replicas: tuple[int, ...]
    process: subprocess.Popen[bytes] | None = field(default=None, repr=False)

    @property
    def config(self) -> Path:
        return self.directory / "nginx.conf"

    @property
    def access_log(self) -> Path:
        return self.directory / "access.log"

    def command(self) -> list[str]:
        program = shutil.which("nginx") or (
            "/usr/sbin/nginx" if Path("/usr/sbin/nginx").exists() else None
        )
        if program is None:
            raise ServerMissing("nginx is missing (Debian: apt-get install nginx-light or nginx)")
        return [program, "-c", str(self.config), "-p", str(self.directory), "-g", "daemon off;"]

    def write_config(self) -> None:
        (self.directory / "temp").mkdir(parents=True, exist_ok=True)
        self.config.write_text(render(self.directory, self.port, self.replicas), encoding="utf-8")

    def start(self) -> NginxServer:
        self.write_config()
        self.process = subprocess.Popen(self.command(), stdin=subprocess.DEVNULL)
        wait_for_port(self.port, self.process, START_SECONDS)
        return self

    def stop(self) -> None:
        stop_process(self.process)
