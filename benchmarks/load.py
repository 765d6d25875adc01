"""Whole-request load benchmark: the generated gateway beside a bare proxy and LiteLLM.

Renders the ai-saas blueprint in both frameworks into a temporary folder, starts one
fake OpenAI-compatible upstream, then serves and loads, one at a time, on the same
pinned core (``taskset`` when available), with the same request:

- the upstream alone;
- a bare pass-through proxy (FastAPI + aiohttp, no auth, no metering);
- the LiteLLM proxy (master key, one worker), when ``litellm[proxy]`` is importable by
  ``--litellm-python`` (default: this interpreter); the row says why when it is not;
- the generated FastAPI app (uvicorn, one worker) on SQLite, and on PostgreSQL + Redis
  when ``--postgres`` and ``--redis`` are given;
- the generated Flask app under gunicorn gthread (one worker) on SQLite.

Each is driven by wrk when it is installed (else a bounded asyncio client) at c=1,
c=10 and c=50 for ``--seconds`` each, and one markdown table is printed: c=1 p50,
req/s at c=10 and c=50, server CPU per request (utime + stime of the server's process
tree, from /proc), non-2xx answers, ledger rows written vs 2xx answers, and the CPU
ratios to the bare proxy and to LiteLLM. The generated apps are rendered with the
exact cache off (every request is a metered call) and a tier whose rate limit and
cap the load cannot reach (the limiter and the cap check still run on every call)::

    python benchmarks/load.py [--seconds 5] [--postgres postgresql://... --redis redis://...]
        [--litellm-python /path/to/venv/bin/python] [--only fastapi-sqlite,bare]

Not a test: numbers depend on the machine; run it on a quiet one.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import re
import shutil
import signal
import socket
import sqlite3
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass, field
from pathlib import Path

from archgen import generate
from archgen.resources import blueprints_dir

BENCH_SCHEMA = "archgen_load"
CPU_TARGET_MS = {"sqlite": 1.5, "postgres": 2.0}
CONCURRENCY = (1, 10, 50)
MODEL = "gpt-4.1-nano"
REQUEST = {
    "model": MODEL,
    "messages": [{"role": "user", "content": "Summarise: revenue up 12% on strong demand."}],
    "max_tokens": 64,
}
TICKS = os.sysconf("SC_CLK_TCK")

# The fake upstream: one asyncio Protocol, HTTP/1.1 keep-alive, a fixed chat completion
# (or its SSE form when the body asks to stream). As cheap as a server can be in Python.
UPSTREAM = r"""
import asyncio, json, sys
ANSWER = {"id": "chatcmpl-bench", "object": "chat.completion", "created": 1700000000,
          "model": "gpt-4.1-nano",
          "choices": [{"index": 0, "message": {"role": "assistant", "content": "Revenue grew."},
                       "finish_reason": "stop"}],
          "usage": {"prompt_tokens": 12, "completion_tokens": 3, "total_tokens": 15,
                    "prompt_tokens_details": {"cached_tokens": 0}}}
PLAIN = json.dumps(ANSWER).encode()
def chunk(delta, finish=None, usage=None):
    return b"data: " + json.dumps({"id": "chatcmpl-bench", "object": "chat.completion.chunk",
        "created": 1700000000, "model": "gpt-4.1-nano", "usage": usage,
        "choices": [] if usage else [{"index": 0, "delta": delta, "finish_reason": finish}]}
    ).encode() + b"\n\n"
STREAM = (chunk({"role": "assistant", "content": "Revenue "}) + chunk({"content": "grew."})
          + chunk({}, "stop") + chunk({}, usage=ANSWER["usage"]) + b"data: [DONE]\n\n")
def response(body, kind):
    return (b"HTTP/1.1 200 OK\r\ncontent-type: " + kind + b"\r\ncontent-length: "
            + str(len(body)).encode() + b"\r\n\r\n" + body)
PLAIN_RESPONSE = response(PLAIN, b"application/json")
STREAM_RESPONSE = response(STREAM, b"text/event-stream")
class Upstream(asyncio.Protocol):
    def connection_made(self, transport):
        self.transport, self.buffer = transport, b""
    def data_received(self, data):
        self.buffer += data
        while True:
            end = self.buffer.find(b"\r\n\r\n")
            if end < 0:
                return
            head = self.buffer[:end].lower()
            at = head.find(b"content-length:")
            length = int(head[at + 15:].split(b"\r\n", 1)[0]) if at >= 0 else 0
            if len(self.buffer) < end + 4 + length:
                return
            body = self.buffer[end + 4:end + 4 + length]
            self.buffer = self.buffer[end + 4 + length:]
            streamed = b'"stream": true' in body or b'"stream":true' in body
            self.transport.write(STREAM_RESPONSE if streamed else PLAIN_RESPONSE)
async def main():
    loop = asyncio.get_running_loop()
    server = await loop.create_server(Upstream, "127.0.0.1", int(sys.argv[1]), backlog=1024)
    await server.serve_forever()
asyncio.run(main())
"""

# The bare pass-through: what any proxy must do at least (parse, forward, answer).
BARE_PROXY = r"""
import os
from contextlib import asynccontextmanager
import aiohttp
from fastapi import FastAPI, Request, Response
UPSTREAM = os.environ["BENCH_UPSTREAM"]
session = {}
@asynccontextmanager
async def lifespan(app):
    session["s"] = aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=100))
    yield
    await session["s"].close()
app = FastAPI(lifespan=lifespan)
@app.post("/v1/chat/completions")
async def chat(request: Request) -> Response:
    async with session["s"].post(UPSTREAM + "/chat/completions", data=await request.body(),
                                 headers={"content-type": "application/json",
                                          "authorization": "Bearer sk-upstream"}) as answer:
        return Response(await answer.read(), answer.status, media_type="application/json")
"""

LITELLM_CONFIG = """model_list:
  - model_name: {model}
    litellm_params:
      model: openai/{model}
      api_base: {upstream}
      api_key: sk-upstream
litellm_settings:
  drop_params: true
  telemetry: false
general_settings:
  master_key: sk-bench-master
"""


@dataclass
class Phase:
    requests: int = 0
    non_2xx: int = 0
    errors: int = 0
    seconds: float = 0.0
    p50_ms: float = 0.0

    @property
    def rps(self) -> float:
        return self.requests / self.seconds if self.seconds else 0.0


@dataclass
class Row:
    name: str
    note: str = ""
    phases: dict[int, Phase] = field(default_factory=dict)
    cpu_seconds: float = 0.0
    ledger: int | None = None
    target_ms: float | None = None

    @property
    def requests(self) -> int:
        return sum(p.requests for p in self.phases.values())

    @property
    def ok(self) -> int:
        return sum(p.requests - p.non_2xx - p.errors for p in self.phases.values())

    @property
    def cpu_ms(self) -> float | None:
        return 1000 * self.cpu_seconds / self.requests if self.requests else None


# -- processes ---------------------------------------------------------------------------


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _pinned(command: list[str], core: int | None) -> list[str]:
    if core is None or shutil.which("taskset") is None:
        return command
    return ["taskset", "-c", str(core), *command]


def _tree(pid: int) -> list[int]:
    """``pid`` and its descendants (a gunicorn master and its worker, say)."""
    parents: dict[int, list[int]] = {}
    for stat in Path("/proc").glob("[0-9]*/stat"):
        with suppress(OSError, ValueError, IndexError):
            fields = stat.read_text().rsplit(")", 1)[1].split()
            parents.setdefault(int(fields[1]), []).append(int(stat.parent.name))
    found, todo = [], [pid]
    while todo:
        current = todo.pop()
        found.append(current)
        todo.extend(parents.get(current, []))
    return found


def cpu_seconds(pid: int) -> float:
    """utime + stime of ``pid``'s process tree, in seconds."""
    total = 0
    for member in _tree(pid):
        with suppress(OSError, ValueError, IndexError):
            fields = Path(f"/proc/{member}/stat").read_text().rsplit(")", 1)[1].split()
            total += int(fields[11]) + int(fields[12])
    return total / TICKS


def _wait_for_port(port: int, process: subprocess.Popen[bytes], timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"exited with {process.returncode} before listening")
        with socket.socket() as sock:
            if sock.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.1)
    raise RuntimeError(f"not listening on {port} after {timeout:.0f} s")


@contextmanager
def serving(
    command: list[str],
    port: int,
    *,
    cwd: Path,
    env: dict[str, str],
    core: int | None,
    log: Path,
    timeout: float = 60.0,
) -> Iterator[subprocess.Popen[bytes]]:
    with log.open("wb") as out:
        process = subprocess.Popen(
            _pinned(command, core),
            cwd=cwd,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    try:
        _wait_for_port(port, process, timeout)
        yield process
    finally:
        with suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(10)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()


# -- load ---------------------------------------------------------------------------------


def _post(url: str, headers: dict[str, str]) -> tuple[int, bytes]:
    request = urllib.request.Request(
        url, data=json.dumps(REQUEST).encode(), headers=headers, method="POST"
    )
    try:
        with urllib.request.urlopen(request, timeout=30) as answer:
            return answer.status, answer.read()
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read()


_UNITS = {"us": 0.001, "ms": 1.0, "s": 1000.0}


def _wrk(
    url: str,
    headers: dict[str, str],
    connections: int,
    seconds: float,
    core: int | None,
    workdir: Path,
) -> Phase:
    script = workdir / "request.lua"
    lines = ['wrk.method = "POST"', f"wrk.body = {json.dumps(json.dumps(REQUEST))}"]
    lines += [f"wrk.headers[{json.dumps(k)}] = {json.dumps(v)}" for k, v in headers.items()]
    script.write_text("\n".join(lines) + "\n")
    threads = min(connections, 2)
    done = subprocess.run(
        _pinned(
            [
                "wrk",
                f"-t{threads}",
                f"-c{connections}",
                f"-d{max(1, round(seconds))}s",
                "--latency",
                "--timeout",
                "10s",
                "-s",
                str(script),
                url,
            ],
            core,
        ),
        capture_output=True,
        text=True,
        check=True,
    )
    out = done.stdout
    phase = Phase()
    if match := re.search(r"(\d+) requests in ([\d.]+)(us|ms|s|m)", out):
        phase.requests = int(match[1])
        scale = {"us": 1e-6, "ms": 1e-3, "s": 1.0, "m": 60.0}[match[3]]
        phase.seconds = float(match[2]) * scale
    if match := re.search(r"Non-2xx or 3xx responses: (\d+)", out):
        phase.non_2xx = int(match[1])
    if match := re.search(
        r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", out
    ):
        phase.errors = sum(int(g) for g in match.groups())
    if match := re.search(r"50%\s+([\d.]+)(us|ms|s)", out):
        phase.p50_ms = float(match[1]) * _UNITS[match[2]]
    return phase


async def _client(url: str, headers: dict[str, str], connections: int, seconds: float) -> Phase:
    """The fallback driver: ``connections`` keep-alive HTTP/1.1 loops, bounded by time."""
    host, port, path = re.fullmatch(r"http://([^:/]+):(\d+)(/.*)", url).groups()  # type: ignore[union-attr]
    body = json.dumps(REQUEST).encode()
    head = "".join(f"{k}: {v}\r\n" for k, v in headers.items())
    raw = (
        f"POST {path} HTTP/1.1\r\nhost: {host}\r\ncontent-length: {len(body)}\r\n{head}\r\n"
    ).encode() + body
    phase, latencies = Phase(), []
    deadline = time.perf_counter() + seconds

    async def loop() -> None:
        reader, writer = await asyncio.open_connection(host, int(port))
        while time.perf_counter() < deadline:
            started = time.perf_counter()
            writer.write(raw)
            status = int((await reader.readline()).split()[1])
            length, chunked = 0, False
            while (line := await reader.readline()) not in (b"\r\n", b""):
                name, _, value = line.decode().partition(":")
                if name.lower() == "content-length":
                    length = int(value)
                chunked |= name.lower() == "transfer-encoding" and "chunked" in value
            if chunked:
                while size := int((await reader.readline()).strip(), 16):
                    await reader.readexactly(size + 2)
                await reader.readline()
            else:
                await reader.readexactly(length)
            latencies.append((time.perf_counter() - started) * 1000)
            phase.requests += 1
            phase.non_2xx += not 200 <= status < 300
        writer.close()

    started = time.perf_counter()
    results = await asyncio.gather(*(loop() for _ in range(connections)), return_exceptions=True)
    phase.seconds = time.perf_counter() - started
    phase.errors = sum(isinstance(r, Exception) for r in results)
    latencies.sort()
    phase.p50_ms = latencies[len(latencies) // 2] if latencies else 0.0
    return phase


def load(
    row: Row,
    pid: int,
    url: str,
    headers: dict[str, str],
    args: argparse.Namespace,
    workdir: Path,
    count_ledger: object = None,
) -> None:
    status, body = _post(url, headers)
    if status != 200:
        row.note = f"warm-up answered {status}: {body[:200]!r}"
        return
    # Warm-up: fills pools and caches, so the phases measure the steady state.
    drive(url, headers, 10, min(args.seconds, 2.0), args, workdir)
    before_rows = count_ledger() if callable(count_ledger) else None
    before_cpu = cpu_seconds(pid)
    for connections in CONCURRENCY:
        row.phases[connections] = drive(url, headers, connections, args.seconds, args, workdir)
    row.cpu_seconds = cpu_seconds(pid) - before_cpu
    if callable(count_ledger) and before_rows is not None:
        row.ledger = count_ledger() - before_rows


def drive(
    url: str,
    headers: dict[str, str],
    connections: int,
    seconds: float,
    args: argparse.Namespace,
    workdir: Path,
) -> Phase:
    if shutil.which("wrk") and not args.asyncio_client:
        return _wrk(url, headers, connections, seconds, args.load_core, workdir)
    return asyncio.run(_client(url, headers, connections, seconds))


# -- the servers -----------------------------------------------------------------------------


def bench_spec(workdir: Path) -> Path:
    """The ai-saas blueprint with the exact cache off and a tier the load cannot exhaust."""
    from ruamel.yaml import YAML

    yaml = YAML()
    data = yaml.load((blueprints_dir() / "ai-saas.yaml").read_text(encoding="utf-8"))
    for tier in data["tiers"]:
        if tier["name"] == "pro":
            tier["requests_per_minute"] = 10_000_000
            tier["monthly_cost_cap"] = 1_000_000
            tier.pop("soft_warnings", None)
    data["cache"]["exact"]["enabled"] = False
    data["cache"]["semantic"]["enabled"] = False
    spec = workdir / "bench.yaml"
    with spec.open("w", encoding="utf-8") as out:
        yaml.dump(data, out)
    return spec


def app_env(database_url: str, redis_url: str | None, upstream: str) -> dict[str, str]:
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.endswith(("_API_KEY", "_API_KEYS", "_BASE_URL")) and key != "REDIS_URL"
    }
    env.update(
        DATABASE_URL=database_url,
        OPENAI_API_KEY="sk-upstream",
        OPENAI_BASE_URL=upstream,
        LOG_LEVEL="WARNING",
        ENVIRONMENT="bench",
    )
    if redis_url:
        env["REDIS_URL"] = redis_url
    return env


def provision(project: Path, env: dict[str, str]) -> str:
    """Migrate the database and create an owner key on the unlimited tier."""
    python = sys.executable
    subprocess.run(
        [python, "-m", "app", "db", "upgrade"],
        cwd=project,
        env=env,
        check=True,
        capture_output=True,
    )
    done = subprocess.run(
        [
            python,
            "-m",
            "app",
            "keys",
            "create",
            "--workspace",
            "bench",
            "--user",
            "bench@example.com",
            "--tier",
            "pro",
            "--role",
            "owner",
        ],
        cwd=project,
        env=env,
        check=True,
        capture_output=True,
        text=True,
    )
    return done.stdout.strip()


def ledger_counter(database_url: str) -> object:
    if database_url.startswith("sqlite"):
        path = database_url.split("///", 1)[1]

        def count_sqlite() -> int:
            with sqlite3.connect(path, timeout=30) as db:
                return int(db.execute("select count(*) from ai_usage_events").fetchone()[0])

        return count_sqlite

    import psycopg

    def count_postgres() -> int:
        with psycopg.connect(database_url) as db:
            row = db.execute("select count(*) from ai_usage_events").fetchone()
            return int(row[0]) if row else 0

    return count_postgres


def bench_postgres(url: str) -> str:
    """A fresh schema of its own (``BENCH_SCHEMA``) in ``url``'s database, nothing else
    touched; returns the URL whose connections use it."""
    import psycopg

    with psycopg.connect(url, autocommit=True) as db:
        db.execute(f'DROP SCHEMA IF EXISTS "{BENCH_SCHEMA}" CASCADE')
        db.execute(f'CREATE SCHEMA "{BENCH_SCHEMA}"')
    options = urllib.parse.quote(f"-csearch_path={BENCH_SCHEMA}")
    return f"{url}{'&' if '?' in url else '?'}options={options}"


def reset_redis(url: str) -> None:
    import redis

    redis.Redis.from_url(url).flushdb()


def litellm_usable(python: str) -> str | None:
    """None when ``python`` can run the LiteLLM proxy, else why not."""
    done = subprocess.run(
        [python, "-c", "import litellm.proxy.proxy_server"],
        capture_output=True,
        text=True,
        check=False,
    )
    if done.returncode != 0:
        return (
            "litellm[proxy] is not importable (pip install 'litellm[proxy]', or --litellm-python)"
        )
    return None


# -- report -------------------------------------------------------------------------------


def _ratio(value: float | None, base: float | None) -> str:
    return f"{value / base:.1f}x" if value and base else "-"


def table(rows: list[Row]) -> str:
    by = {row.name: row for row in rows}
    bare = by.get("bare FastAPI + aiohttp pass-through")
    litellm = next((r for r in rows if r.name.startswith("LiteLLM")), None)
    lines = [
        "| server (one worker, one core) | c=1 p50 | req/s c=10 | req/s c=50 | CPU ms / request"
        " | non-2xx | ledger rows / 2xx | CPU vs bare | CPU vs LiteLLM |",
        "| --- | --- | --- | --- | --- | --- | --- | --- | --- |",
    ]
    for row in rows:
        if not row.phases:
            lines.append(f"| {row.name} | - | - | - | - | - | - | - | - |  {row.note}")
            continue
        cpu = row.cpu_ms
        target = f" (target {row.target_ms})" if row.target_ms else ""
        ledger = f"{row.ledger} / {row.ok}" if row.ledger is not None else "-"
        non_2xx = sum(p.non_2xx + p.errors for p in row.phases.values())
        lines.append(
            f"| {row.name} | {row.phases[1].p50_ms:.2f} ms | {row.phases[10].rps:,.0f}"
            f" | {row.phases[50].rps:,.0f} | {cpu:.2f}{target} | {non_2xx} | {ledger}"
            f" | {_ratio(cpu, bare.cpu_ms if bare else None)}"
            f" | {_ratio(cpu, litellm.cpu_ms if litellm else None)} |"
            + (f" {row.note}" if row.note else "")
        )
    return "\n".join(lines)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=3.0, help="per load phase (default 3)")
    parser.add_argument(
        "--postgres",
        help="PostgreSQL URL for the PG + Redis row (it works in a schema of its own,"
        " archgen_load, re-created at each run)",
    )
    parser.add_argument("--redis", help="Redis URL for the PG + Redis row (the db is flushed)")
    parser.add_argument(
        "--litellm-python",
        default=os.environ.get("LITELLM_PYTHON", sys.executable),
        help="a Python that can import litellm[proxy]",
    )
    parser.add_argument("--server-core", type=int, default=1, help="core the servers run on")
    parser.add_argument("--load-core", type=int, default=0, help="core for wrk and the upstream")
    parser.add_argument(
        "--only",
        default="",
        help="comma-separated row keys: upstream, bare,"
        " litellm, fastapi-sqlite, fastapi-postgres, flask-sqlite",
    )
    parser.add_argument("--asyncio-client", action="store_true", help="never use wrk")
    parser.add_argument("--stream", action="store_true", help="streamed answers (SSE) throughout")
    parser.add_argument("--keep", action="store_true", help="keep the temporary folder")
    args = parser.parse_args()
    wanted = set(filter(None, args.only.split(",")))
    if args.stream:
        REQUEST["stream"] = True

    def want(key: str) -> bool:
        return not wanted or key in wanted

    workdir = Path(tempfile.mkdtemp(prefix="archgen-load-"))
    rows: list[Row] = []
    try:
        run_all(args, workdir, rows, want)
    finally:
        driver = "wrk" if shutil.which("wrk") and not args.asyncio_client else "asyncio client"
        print(
            f"\n{len(CONCURRENCY)} phases x {args.seconds:g} s per server ({driver});"
            f" servers on core {args.server_core}, load and upstream on core {args.load_core}"
            f" (taskset {'used' if shutil.which('taskset') else 'unavailable'})\n"
        )
        print(table(rows))
        print(
            f"\n{'streamed' if args.stream else 'plain'} answers; load average"
            f" {os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs. CPU counts the server's process"
            " tree only (not PostgreSQL's or Redis's). Ledger rows may exceed 2xx answers by the"
            f" requests in flight when each phase ends (at most {sum(CONCURRENCY)})."
        )
        if args.keep:
            print(f"\nkept {workdir}")
        else:
            shutil.rmtree(workdir, ignore_errors=True)
    return 0


def run_all(args: argparse.Namespace, workdir: Path, rows: list[Row], want: object) -> None:
    assert callable(want)
    up_port = _free_port()
    upstream = f"http://127.0.0.1:{up_port}/v1"
    base_env = dict(os.environ)
    spec = (
        bench_spec(workdir)
        if any(want(k) for k in ("fastapi-sqlite", "fastapi-postgres", "flask-sqlite"))
        else None
    )
    projects: dict[str, Path] = {}
    for framework in ("fastapi", "flask"):
        if spec and (want(f"{framework}-sqlite") or want(f"{framework}-postgres")):
            print(f"rendering ai-saas ({framework})", file=sys.stderr)
            projects[framework] = workdir / framework
            generate(spec, framework=framework, out=projects[framework])
    python = sys.executable
    chat = "/v1/chat/completions"
    with serving(
        [python, "-c", UPSTREAM, str(up_port)],
        up_port,
        cwd=workdir,
        env=base_env,
        core=args.load_core,
        log=workdir / "upstream.log",
    ) as up:
        if want("upstream"):
            row = Row("upstream alone (fake OpenAI-compatible)")
            rows.append(row)
            print(f"loading {row.name}", file=sys.stderr)
            load(
                row,
                up.pid,
                upstream + "/chat/completions",
                {"Content-Type": "application/json"},
                args,
                workdir,
            )
        if want("bare"):
            row = Row("bare FastAPI + aiohttp pass-through")
            rows.append(row)
            (workdir / "bare_proxy.py").write_text(BARE_PROXY)
            port = _free_port()
            env = {**base_env, "BENCH_UPSTREAM": upstream}
            print(f"loading {row.name}", file=sys.stderr)
            with serving(
                [
                    python,
                    "-m",
                    "uvicorn",
                    "bare_proxy:app",
                    "--port",
                    str(port),
                    "--log-level",
                    "warning",
                    "--no-access-log",
                ],
                port,
                cwd=workdir,
                env=env,
                core=args.server_core,
                log=workdir / "bare.log",
            ) as server:
                load(
                    row,
                    server.pid,
                    f"http://127.0.0.1:{port}{chat}",
                    {"Content-Type": "application/json"},
                    args,
                    workdir,
                )
        if want("litellm"):
            row = Row("LiteLLM proxy (master key, one worker)")
            rows.append(row)
            why = litellm_usable(args.litellm_python)
            if why:
                row.note = f"skipped: {why}"
            else:
                bench_litellm(row, args, workdir, upstream, base_env)
        if want("fastapi-sqlite") and "fastapi" in projects:
            bench_app(
                rows,
                "generated FastAPI, SQLite",
                "fastapi",
                projects["fastapi"],
                args,
                workdir,
                upstream,
                f"sqlite:///{projects['fastapi'] / 'bench.db'}",
                None,
            )
        if want("fastapi-postgres") and "fastapi" in projects:
            if args.postgres and args.redis:
                database_url = bench_postgres(args.postgres)
                reset_redis(args.redis)
                bench_app(
                    rows,
                    "generated FastAPI, PostgreSQL + Redis",
                    "fastapi",
                    projects["fastapi"],
                    args,
                    workdir,
                    upstream,
                    database_url,
                    args.redis,
                )
            else:
                rows.append(
                    Row(
                        "generated FastAPI, PostgreSQL + Redis",
                        note="skipped: give --postgres and --redis",
                    )
                )
        if want("flask-sqlite") and "flask" in projects:
            bench_app(
                rows,
                "generated Flask (gunicorn gthread), SQLite",
                "flask",
                projects["flask"],
                args,
                workdir,
                upstream,
                f"sqlite:///{projects['flask'] / 'bench.db'}",
                None,
            )


def bench_litellm(
    row: Row, args: argparse.Namespace, workdir: Path, upstream: str, base_env: dict[str, str]
) -> None:
    config = workdir / "litellm.yaml"
    config.write_text(LITELLM_CONFIG.format(model=MODEL, upstream=upstream))
    port = _free_port()
    env = {
        **base_env,
        "LITELLM_LOCAL_MODEL_COST_MAP": "True",
        "LITELLM_LOG": "ERROR",
        "LITELLM_TELEMETRY": "False",
    }
    litellm = str(Path(args.litellm_python).parent / "litellm")
    command = (
        [litellm]
        if Path(litellm).exists()
        else [args.litellm_python, "-m", "litellm.proxy.proxy_cli"]
    )
    version = subprocess.run(
        [args.litellm_python, "-c", "import importlib.metadata as m; print(m.version('litellm'))"],
        capture_output=True,
        text=True,
        check=False,
    ).stdout.strip()
    row.name = row.name.replace("LiteLLM", f"LiteLLM {version}".strip())
    print(f"loading {row.name}", file=sys.stderr)
    try:
        with serving(
            [*command, "--config", str(config), "--port", str(port), "--num_workers", "1"],
            port,
            cwd=workdir,
            env=env,
            core=args.server_core,
            log=workdir / "litellm.log",
            timeout=180,
        ) as server:
            load(
                row,
                server.pid,
                f"http://127.0.0.1:{port}/v1/chat/completions",
                {"Content-Type": "application/json", "Authorization": "Bearer sk-bench-master"},
                args,
                workdir,
            )
    except RuntimeError as exc:
        row.note = f"LiteLLM did not start: {exc} (see its log)"


def bench_app(
    rows: list[Row],
    name: str,
    framework: str,
    project: Path,
    args: argparse.Namespace,
    workdir: Path,
    upstream: str,
    database_url: str,
    redis_url: str | None,
) -> None:
    backend = "sqlite" if database_url.startswith("sqlite") else "postgres"
    row = Row(name, target_ms=CPU_TARGET_MS[backend])
    rows.append(row)
    env = app_env(database_url, redis_url, upstream)
    print(f"loading {name}", file=sys.stderr)
    try:
        key = provision(project, env)
    except subprocess.CalledProcessError as exc:
        row.note = f"provisioning failed: {(exc.stderr or b'')[-300:]!r}"
        return
    port = _free_port()
    python = sys.executable
    if framework == "fastapi":
        command = [
            python,
            "-m",
            "uvicorn",
            "app.main:app",
            "--port",
            str(port),
            "--log-level",
            "warning",
            "--no-access-log",
        ]
    else:
        command = [
            python,
            "-m",
            "gunicorn",
            "app:create_app()",
            "--bind",
            f"127.0.0.1:{port}",
            "--worker-class",
            "gthread",
            "--workers",
            "1",
            "--threads",
            "16",
            "--log-level",
            "warning",
        ]
    headers = {
        "Content-Type": "application/json",
        "Authorization": f"Bearer {key}",
        "X-Workflow": "summarize",
    }
    with serving(
        command,
        port,
        cwd=project,
        env=env,
        core=args.server_core,
        log=workdir / f"{framework}-{backend}.log",
    ) as server:
        load(
            row,
            server.pid,
            f"http://127.0.0.1:{port}/v1/chat/completions",
            headers,
            args,
            workdir,
            ledger_counter(database_url),
        )


if __name__ == "__main__":
    sys.exit(main())
