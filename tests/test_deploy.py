"""Deployment as an operator meets it (issue 14, issue 9 points 10 and 12): the real
`journeybot run` process against the fake Bot API — the webhook at its own path, /healthz and
/metrics, the server under hostile clients, start-up failures as one line each, a database
that goes away and comes back, secrets kept out of the log, and `journeybot doctor`."""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import signal
import socket
import ssl
import subprocess
from pathlib import Path

import httpx
import pytest
from prometheus_client.parser import text_string_to_metric_families

from storage import database
from storage.repository import Store
from tests.e2e import BotProcess, Person, journeybot
from tests.fakebotapi import FakeBotApi
from tests.pgserver import PrivatePostgres, free_port

pytestmark = pytest.mark.timeout(240)
SECRET = "s3cret-Webhook_token"
PATH = "/journeybot/updates"


@pytest.fixture
async def api():
    async with FakeBotApi() as server:
        yield server


@pytest.fixture
def sqlite_url(tmp_path: Path) -> str:
    return f"sqlite:///{tmp_path / 'bot.db'}"


@pytest.fixture
def postgres():
    server = PrivatePostgres()
    server.start()
    yield server
    server.close()


def webhook_bot(
    api: FakeBotApi, url: str, workdir: Path, env: dict[str, str] | None = None
) -> tuple[BotProcess, int]:
    port = free_port()
    process = BotProcess(
        api,
        url,
        workdir,
        extra_env={"JOURNEYBOT_WEBHOOK_SECRET": SECRET, **(env or {})},
        args=(
            "--webhook-url",
            f"http://127.0.0.1:{port}{PATH}",
            "--listen",
            "127.0.0.1",
            "--port",
            str(port),
        ),
    )
    return process, port


def polling_bot(
    api: FakeBotApi, url: str, workdir: Path, *args: str, env: dict[str, str] | None = None
) -> tuple[BotProcess, int]:
    port = free_port()
    process = BotProcess(api, url, workdir, extra_env=env or {}, args=("--port", str(port), *args))
    return process, port


def samples(text: str) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    found = {}
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            found[(sample.name, tuple(sorted(sample.labels.items())))] = sample.value
    return found


async def get(port: int, path: str) -> httpx.Response:
    async with httpx.AsyncClient(timeout=10) as client:
        return await client.get(f"http://127.0.0.1:{port}{path}")


async def get_again(port: int, path: str, attempts: int = 20) -> httpx.Response:
    """`get`, tried again while the server refuses the connection (at its cap)."""
    for _ in range(attempts - 1):
        try:
            return await get(port, path)
        except httpx.TransportError:
            await asyncio.sleep(0.2)
    return await get(port, path)


async def status_becomes(port: int, status: int, timeout: float = 30) -> httpx.Response:
    deadline = asyncio.get_running_loop().time() + timeout
    while True:
        response = await get(port, "/healthz")
        if response.status_code == status or asyncio.get_running_loop().time() > deadline:
            return response
        await asyncio.sleep(0.5)


def rss_kib(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    raise AssertionError("no VmRSS")


def open_files(pid: int) -> int:
    return len(os.listdir(f"/proc/{pid}/fd"))


def tracebacks(process: BotProcess) -> list[str]:
    return [line for line in process.output().splitlines() if "Traceback" in line]


async def someone_starts(api: FakeBotApi, name: str = "Sari") -> Person:
    user = api.new_user(name, name.lower(), language_code="en")
    person = Person(api, api.private_chat(user), user)
    person.command("start")
    return person


# --- the webhook at its own path, health and metrics -------------------------------------------


async def test_metrics_count_updates_and_health_is_ok(
    api: FakeBotApi, sqlite_url: str, tmp_path: Path
) -> None:
    bot, port = polling_bot(api, sqlite_url, tmp_path)
    await bot.start()
    try:
        health = await get(port, "/healthz")
        assert health.status_code == 200, health.text
        assert health.json() == {
            "status": "ok",
            "bot": "ok",
            "database": "ok",
            "render_pool": "ok",
        }
        before = samples((await get(port, "/metrics")).text)
        kind = ("journeybot_updates_total", (("kind", "message"),))
        assert before.get(kind, 0) == 0
        assert ("journeybot_interviews_in_progress", ()) in before
        # The outbox gauge is read from the database when /metrics is asked: nothing waiting.
        assert before[("journeybot_outbox_backlog", ())] == 0

        me = await someone_starts(api)
        await me.sees("map their customers")
        await me.presses("🗺 Start a new map")
        await me.sees("What kind of map shall we make?")

        after = samples((await get(port, "/metrics")).text)
        assert after[kind] == 1
        assert after[("journeybot_updates_total", (("kind", "callback_query"),))] == 1
        assert after[("journeybot_reply_latency_seconds_count", ())] >= 2
        assert after[("journeybot_interviews_in_progress", ())] == 1
        # Both replies were confirmed sent before the person saw them.
        assert after[("journeybot_outbox_backlog", ())] == 0

        # Telegram failing a send: the reply waits in the outbox, and the gauge shows it until
        # the retry gets through.
        api.fail_next("sendMessage", status=500, times=2)
        await me.presses("Current state")
        backlog = ("journeybot_outbox_backlog", ())
        seen = []
        for _ in range(100):
            seen.append(samples((await get(port, "/metrics")).text)[backlog])
            if seen[-1] == 0 and max(seen) > 0:
                break
            await asyncio.sleep(0.1)
        assert max(seen) >= 1 and seen[-1] == 0, seen
        assert (await get(port, "/nothing")).status_code == 404
    finally:
        await bot.stop()
    assert not tracebacks(bot), bot.output()[-3000:]


def children_of(pid: int) -> list[int]:
    found = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        with contextlib.suppress(OSError, ValueError, IndexError):
            if int(stat.read_text().rsplit(")", 1)[1].split()[1]) == pid:
                found.append(int(stat.parent.name))
    return found


def render_workers(bot_pid: int) -> list[int]:
    """The render pool's workers: the children of the bot's multiprocessing fork server."""
    servers = [p for p in children_of(bot_pid) if "forkserver" in _cmdline(p)]
    return sorted(w for server in servers for w in children_of(server))


async def test_a_killed_render_worker_is_replaced_by_the_health_check(
    api: FakeBotApi, sqlite_url: str, tmp_path: Path
) -> None:
    bot, port = polling_bot(api, sqlite_url, tmp_path)
    await bot.start()
    assert bot.process is not None
    try:
        await bot.wait_for_line("render workers ready")  # they warm up while the bot runs
        workers = render_workers(bot.process.pid)
        assert len(workers) == 2, "the bot's two render workers were not found"
        os.kill(workers[-1], signal.SIGKILL)
        for _ in range(60):  # scraped as a monitor would, until the pool was found broken
            health = await get(port, "/healthz")
            assert health.status_code == 200, health.text
            if "render pool was broken" in bot.output():
                break
            await asyncio.sleep(0.5)
        else:
            raise AssertionError("the dead worker was never noticed:\n" + bot.output())
        replaced = render_workers(bot.process.pid)
        assert workers[-1] not in replaced and len(replaced) == 2, (workers, replaced)
    finally:
        await bot.stop()
    assert not tracebacks(bot), bot.output()[-3000:]


def _cmdline(pid: int) -> str:
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode()
    except OSError:
        return ""


async def test_healthz_turns_503_while_the_database_is_down(
    api: FakeBotApi, postgres: PrivatePostgres, tmp_path: Path
) -> None:
    bot, port = polling_bot(api, postgres.url, tmp_path, "--migrate")
    await bot.start()
    try:
        assert (await get(port, "/healthz")).status_code == 200
        postgres.stop()
        down = await get(port, "/healthz")
        assert down.status_code == 503
        assert down.json()["database"].startswith("unreachable:"), down.text
        assert down.json()["render_pool"] == "ok"
        postgres.start()
        up = await status_becomes(port, 200)
        assert up.json()["database"] == "ok", up.text
        metrics = samples((await get(port, "/metrics")).text)
        assert metrics[("journeybot_errors_total", (("where", "database"),))] >= 1
    finally:
        await bot.stop()


async def test_the_database_unreachable_at_start_is_waited_for_and_nothing_is_lost(
    api: FakeBotApi, postgres: PrivatePostgres, tmp_path: Path
) -> None:
    postgres.stop()
    bot, port = polling_bot(api, postgres.url, tmp_path, "--migrate")
    await bot.start(ready=False)
    try:
        await bot.wait_for_line("database unreachable")
        me = await someone_starts(api)  # Telegram keeps it while the bot waits
        waiting = await get(port, "/healthz")
        assert waiting.status_code == 503
        assert waiting.json()["bot"] == "starting: waiting for the database"
        await asyncio.sleep(6)  # a check every 5 s, a line once a minute
        postgres.start()
        await me.sees("map their customers", timeout=30)
        assert (await get(port, "/healthz")).status_code == 200
    finally:
        await bot.stop()
    output = bot.output()
    assert output.count("database unreachable") == 1, output
    assert "database reachable again" in output
    assert not tracebacks(bot), output[-3000:]


async def test_a_schema_missing_on_postgres_names_db_upgrade_then_goes_on(
    api: FakeBotApi, postgres: PrivatePostgres, tmp_path: Path
) -> None:
    bot, _ = polling_bot(api, postgres.url, tmp_path)
    await bot.start(ready=False)
    try:
        line = await bot.wait_for_line("has no schema")
        assert "run `journeybot db upgrade`" in line
        me = await someone_starts(api)
        upgrade = subprocess.run(
            [*journeybot(), "db", "upgrade"],
            env={**os.environ, "JOURNEYBOT_DATABASE_URL": postgres.url},
            cwd=tmp_path,
            capture_output=True,
            text=True,
            timeout=120,
        )
        assert upgrade.returncode == 0, upgrade.stderr
        assert "schema brought to" in upgrade.stdout
        await me.sees("map their customers", timeout=30)
    finally:
        await bot.stop()
    assert bot.output().count("has no schema") == 1
    assert not tracebacks(bot)


async def test_the_database_stopped_and_restarted_under_a_running_bot(
    api: FakeBotApi, postgres: PrivatePostgres, tmp_path: Path
) -> None:
    bot, _ = polling_bot(api, postgres.url, tmp_path, "--migrate")
    await bot.start()
    try:
        me = await someone_starts(api)
        await me.presses("🗺 Start a new map")
        await me.presses("Current state")
        await me.sees("What business or product")
        postgres.stop()
        me.answers("Kopi Kita")
        # Restarted once the bot has met the outage (its courier says so within a poll).
        await bot.wait_for_line("database unavailable", timeout=30)
        postgres.start()
        await me.sees("What should this map help you achieve?", timeout=60)
    finally:
        await bot.stop()
    assert not tracebacks(bot), bot.output()[-3000:]


# --- start-up failures: one line each ----------------------------------------------------------


async def test_network_down_at_start_is_a_line_per_attempt_then_it_goes_on(
    sqlite_url: str, tmp_path: Path
) -> None:
    port = free_port()
    api = FakeBotApi(port=port)  # not started: nothing listens there yet
    bot = BotProcess(api, sqlite_url, tmp_path)
    await bot.start(ready=False)
    try:
        await bot.wait_for_line("attempt 2,", timeout=30)
        async with api:
            me = await someone_starts(api)
            await me.sees("map their customers", timeout=60)
            await bot.stop()
        lines = bot.output().splitlines()
    finally:
        await bot.stop()
    attempts = [line for line in lines if "cannot reach the Bot API" in line]
    assert len(attempts) >= 2 and all("attempt" in line for line in attempts)
    assert not tracebacks(bot), bot.output()[-3000:]
    assert len(lines) <= len(attempts) + 8, lines  # the rest: starting, running, stopping


async def test_a_404_from_the_server_is_no_bot_api_not_a_rejected_token(
    api: FakeBotApi, sqlite_url: str, tmp_path: Path
) -> None:
    bot = BotProcess(api, sqlite_url, tmp_path, extra_env={"JOURNEYBOT_API_URL": f"{api.url}/x"})
    await bot.start(ready=False)
    assert await bot.wait_exit() == 2
    output = bot.output()
    assert f"no Bot API at {api.url}/x" in output and "rejected" not in output
    assert not tracebacks(bot) and len(output.splitlines()) <= 2, output


async def test_a_sqlite_file_that_cannot_be_made_is_one_line(
    api: FakeBotApi, tmp_path: Path
) -> None:
    bot = BotProcess(api, f"sqlite:///{tmp_path}/no/such/folder/bot.db", tmp_path)
    await bot.start(ready=False)
    assert await bot.wait_exit() == 2
    output = bot.output()
    assert f"the folder {tmp_path}/no/such/folder does not exist" in output, output
    assert not tracebacks(bot) and len(output.splitlines()) == 2, output


async def test_a_taken_port_is_one_line(api: FakeBotApi, sqlite_url: str, tmp_path: Path) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        bot = BotProcess(
            api, sqlite_url, tmp_path, args=("--listen", "127.0.0.1", "--port", str(port))
        )
        await bot.start(ready=False)
        assert await bot.wait_exit() == 2
    output = bot.output()
    assert f"cannot listen on 127.0.0.1:{port}" in output, output
    assert not tracebacks(bot)


# --- the webhook server under hostile clients (issue 9, point 10) ------------------------------


async def raw_request(port: int, head: str, body: bytes = b"", read: float = 5.0) -> bytes:
    """Sends `head` (and `body`), returns whatever answer arrives within `read` seconds."""
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    try:
        writer.write(head.encode() + body)
        await writer.drain()
        return await asyncio.wait_for(reader.read(4096), read)
    finally:
        writer.close()


def post_head(length: int | None, secret: str | None = SECRET, chunked: bool = False) -> str:
    lines = [f"POST {PATH} HTTP/1.1", "Host: 127.0.0.1", "Content-Type: application/json"]
    if secret is not None:
        lines.append(f"X-Telegram-Bot-Api-Secret-Token: {secret}")
    if chunked:
        lines.append("Transfer-Encoding: chunked")
    elif length is not None:
        lines.append(f"Content-Length: {length}")
    return "\r\n".join(lines) + "\r\n\r\n"


async def push_body(
    port: int, head: str, megabytes: int, chunked: bool = False
) -> tuple[bytes, int]:
    """Sends a big body as fast as the server takes it, reading the answer meanwhile (the
    server answers and closes without reading the rest). Returns the answer (empty when the
    connection was reset before it could be read) and how many megabytes got out."""
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    block = b"x" * (1024 * 1024)
    sent = 0

    async def send() -> None:
        nonlocal sent
        with contextlib.suppress(ConnectionError, OSError):
            writer.write(head.encode())
            for _ in range(megabytes):
                writer.write(f"{len(block):x}\r\n".encode() + block + b"\r\n" if chunked else block)
                await writer.drain()
                sent += 1

    sending = asyncio.create_task(send())
    try:
        answer = await asyncio.wait_for(reader.read(4096), 20)
    except (ConnectionError, OSError, TimeoutError):
        answer = b""
    await asyncio.wait_for(asyncio.gather(sending, return_exceptions=True), 20)
    writer.close()
    return answer, sent


async def test_the_webhook_refuses_strangers_and_big_bodies_before_reading_them(
    api: FakeBotApi, sqlite_url: str, tmp_path: Path
) -> None:
    bot, port = webhook_bot(api, sqlite_url, tmp_path)
    await bot.start()
    assert bot.process is not None
    pid = bot.process.pid
    try:
        # A wrong or missing secret: 403 at once, though the announced 50 MB never come.
        for secret in ("wrong", None):
            answer = await raw_request(port, post_head(50 * 1024 * 1024, secret), read=3)
            assert answer.startswith(b"HTTP/1.1 403"), answer
        # Six 50 MB bodies with the right secret: refused from Content-Length, and chunked
        # ones cut off after 1 MB; the process does not grow by what was sent.
        await asyncio.sleep(1)
        before = rss_kib(pid)
        answers = await asyncio.gather(
            *(push_body(port, post_head(50 * 1024 * 1024), 50) for _ in range(3)),
            *(push_body(port, post_head(None, chunked=True), 50, chunked=True) for _ in range(3)),
        )
        grown = rss_kib(pid) - before
        assert grown < 20 * 1024, f"RSS grew by {grown} KiB"
        # Each connection was closed long before its 50 MB got through (the 413 itself is
        # usually lost to the reset a close with unread data causes).
        assert all(sent < 20 for _, sent in answers), [sent for _, sent in answers]
        assert all(a.startswith(b"HTTP/1.1 413") or not a for a, _ in answers), answers
        # The head alone is enough for the answer: 413 before any of the body was sent.
        answer = await raw_request(port, post_head(50 * 1024 * 1024), read=3)
        assert answer.startswith(b"HTTP/1.1 413"), answer
        # A request that is not an update, and a GET on the webhook.
        junk = await raw_request(port, post_head(9), b"not json!")
        assert junk.startswith(b"HTTP/1.1 400"), junk
        # An update PTB cannot read: skipped with one line (Telegram would only resend it).
        odd = b'{"update_id": 5, "message": "not a message"}'
        skipped = await raw_request(port, post_head(len(odd)), odd)
        assert skipped.startswith(b"HTTP/1.1 200"), skipped
        await bot.wait_for_line("update 5 could not be read")
        assert (await get(port, PATH)).status_code == 405
        # Telegram's own deliveries still work.
        me = await someone_starts(api)
        await me.sees("map their customers")
    finally:
        await bot.stop()
    assert not tracebacks(bot), bot.output()[-3000:]


async def test_300_slow_connections_block_no_delivery_and_do_not_fill_the_log(
    api: FakeBotApi, sqlite_url: str, tmp_path: Path
) -> None:
    bot, port = webhook_bot(api, sqlite_url, tmp_path)
    bot.max_open_files = 320  # fewer than the slow clients and the bot's own files together
    await bot.start()
    assert bot.process is not None
    pid = bot.process.pid
    lines_before = len(bot.output().splitlines())
    slow: list[asyncio.StreamWriter] = []
    stop = asyncio.Event()

    async def slowloris(partial: bytes) -> None:
        """A client that sends part of a request and then nothing; it comes back when
        dropped, until the test ends."""
        while not stop.is_set():
            try:
                reader, writer = await asyncio.open_connection("127.0.0.1", port)
            except OSError:
                await asyncio.sleep(0.1)
                continue
            slow.append(writer)
            writer.write(partial)
            with contextlib.suppress(Exception):
                await writer.drain()
                await reader.read()  # until the server drops it
            writer.close()
            await asyncio.sleep(0.05)

    half_head = f"POST {PATH} HTTP/1.1\r\nHost: 127.0.0.1\r\n".encode()
    half_body = post_head(1000).encode() + b'{"update_id": '
    tasks = [asyncio.create_task(slowloris(half_head)) for _ in range(250)]
    tasks += [asyncio.create_task(slowloris(half_body)) for _ in range(50)]
    try:
        await api.wait_until(lambda: len(slow) >= 300, timeout=30)
        await asyncio.sleep(1)
        me = await someone_starts(api)
        await me.sees("map their customers", timeout=30)
        await me.presses("🗺 Start a new map")
        await me.sees("What kind of map shall we make?", timeout=30)
        assert open_files(pid) < 320, "the connection cap did not hold"
        # A newcomer is refused when every other connection is busy or just arrived (the
        # flood reconnects all the time): like Telegram, a scraper tries again.
        metrics = samples((await get_again(port, "/metrics")).text)
        evicted = metrics.get(
            ("journeybot_http_connections_closed_total", (("reason", "evicted"),)), 0
        )
        assert evicted >= 44  # 300 slow clients + deliveries over a cap of 256
    finally:
        stop.set()
        for writer in slow:
            writer.close()
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        await bot.stop()
    during = bot.output().splitlines()[lines_before:]
    assert len(during) <= 8, during  # a summary line a minute at most, plus stopping
    assert not tracebacks(bot)


async def test_a_self_signed_certificate_is_served_and_sent_to_telegram(
    api: FakeBotApi, sqlite_url: str, tmp_path: Path
) -> None:
    cert, key = tmp_path / "cert.pem", tmp_path / "key.pem"
    made = subprocess.run(
        [
            "openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1",
            "-subj", "/CN=127.0.0.1", "-addext", "subjectAltName=IP:127.0.0.1",
            "-keyout", str(key), "-out", str(cert),
        ],
        capture_output=True,
    )  # fmt: skip
    if made.returncode != 0:
        pytest.skip("openssl cannot make a certificate here")
    port = free_port()
    bot = BotProcess(
        api,
        sqlite_url,
        tmp_path,
        extra_env={"JOURNEYBOT_WEBHOOK_SECRET": SECRET},
        args=(
            *("--webhook-url", f"https://127.0.0.1:{port}{PATH}"),
            *("--listen", "127.0.0.1", "--port", str(port)),
            *("--cert", str(cert), "--key", str(key)),
        ),
    )
    await bot.start()
    try:
        await api.wait_until(lambda: api.calls_of("setWebhook"), timeout=30)
        call = api.calls_of("setWebhook")[-1]
        assert str(call.params.get("certificate", "")).startswith("<file")
        assert call.params["max_connections"] in (40, "40")
        assert call.params["allowed_updates"] == [
            "message",
            "edited_message",
            "callback_query",
            "my_chat_member",
        ]
        trusted = ssl.create_default_context(cafile=str(cert))
        async with httpx.AsyncClient(verify=trusted, timeout=10) as client:
            health = await client.get(f"https://127.0.0.1:{port}/healthz")
        assert health.status_code == 200, health.text
    finally:
        await bot.stop()


# --- secrets never in the log (issue 9, point 12) -----------------------------------------------


async def test_debug_logs_carry_neither_the_token_nor_the_secret(
    api: FakeBotApi, sqlite_url: str, tmp_path: Path
) -> None:
    bot, _ = webhook_bot(api, sqlite_url, tmp_path, env={"JOURNEYBOT_LOG_LEVEL": "DEBUG"})
    await bot.start()
    try:
        me = await someone_starts(api)
        await me.sees("map their customers")
        await me.presses("🗺 Start a new map")
        await me.sees("What kind of map shall we make?")
    finally:
        await bot.stop()
    output = bot.output()
    assert "httpx: HTTP Request" in output and "DEBUG telegram.ext.ExtBot" in output
    assert "/bot[redacted]/" in output  # the URLs were logged, cleaned
    assert api.token not in output
    assert api.token.split(":", 1)[1] not in output
    assert SECRET not in output


async def test_json_logs_are_one_object_a_line(
    api: FakeBotApi, sqlite_url: str, tmp_path: Path
) -> None:
    bot = BotProcess(api, sqlite_url, tmp_path, extra_env={"JOURNEYBOT_LOG_FORMAT": "json"})
    await bot.start()
    await bot.stop()
    lines = [line for line in bot.output().splitlines() if line.strip()]
    entries = [json.loads(line) for line in lines]
    assert any("journeybot is running" in e["message"] for e in entries)
    assert all({"time", "level", "logger", "message"} <= set(e) for e in entries)


# --- journeybot doctor --------------------------------------------------------------------------


def doctor(tmp_path: Path, **env: str) -> subprocess.CompletedProcess[str]:
    clean = {k: v for k, v in os.environ.items() if not k.startswith(("JOURNEYBOT_", "TELEGRAM_"))}
    return subprocess.run(
        [*journeybot(), "doctor"],
        env={**clean, **env},
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=180,
    )


async def test_doctor_against_the_fake_bot_api(
    api: FakeBotApi, sqlite_url: str, tmp_path: Path
) -> None:
    env = {
        "TELEGRAM_BOT_TOKEN": api.token,
        "JOURNEYBOT_API_URL": api.url,
        "JOURNEYBOT_DATABASE_URL": sqlite_url,
    }
    # No database yet: said, and not created.
    first = await asyncio.to_thread(doctor, tmp_path, **env)
    assert "does not exist yet" in first.stdout and not (tmp_path / "bot.db").exists()

    store = Store(sqlite_url)
    await store.upgrade()
    await store.close()
    healthy = await asyncio.to_thread(doctor, tmp_path, **env)
    assert healthy.returncode == 0, healthy.stdout + healthy.stderr
    lines = healthy.stdout.splitlines()
    assert all(line.startswith("✓") for line in lines[:-1]), lines
    checks = [line.split(":")[0][2:] for line in lines[:-1]]
    assert checks == [
        "settings",
        "Bot API",
        "token",
        "webhook",
        "database",
        "schema",
        "render pool",
        "fonts",
    ]
    assert "@journey_test_bot" in healthy.stdout
    assert database.head_revision() in healthy.stdout

    # A webhook Telegram cannot deliver to: its last error, and what to do.
    closed = free_port()
    async with httpx.AsyncClient() as client:
        set_hook = await client.post(
            f"{api.base_url}{api.token}/setWebhook",
            json={"url": f"http://127.0.0.1:{closed}/hook", "secret_token": "abc"},
        )
    assert set_hook.json()["ok"]
    user = api.new_user("Budi", "budi")
    api.user_command(api.private_chat(user), user, "start")
    await api.wait_until(lambda: api.webhook_deliveries, timeout=20)
    hooked = await asyncio.to_thread(
        doctor, tmp_path, **env, JOURNEYBOT_WEBHOOK_URL=f"http://127.0.0.1:{closed}/hook",
        JOURNEYBOT_WEBHOOK_SECRET="abc",
    )  # fmt: skip
    assert hooked.returncode == 1
    (webhook,) = [line for line in hooked.stdout.splitlines() if "webhook:" in line]
    assert webhook.startswith("✗") and "1 pending" in webhook and "Connection refused" in webhook

    # A wrong token and an unreachable API.
    wrong = await asyncio.to_thread(doctor, tmp_path, **{**env, "TELEGRAM_BOT_TOKEN": "1:wrong"})
    assert "✗ token: rejected" in wrong.stdout and "1:wrong" not in wrong.stdout
    away = await asyncio.to_thread(
        doctor, tmp_path, **{**env, "JOURNEYBOT_API_URL": f"http://127.0.0.1:{closed}"}
    )
    assert away.returncode == 1 and "✗ Bot API: cannot reach" in away.stdout

    # Redis for several instances: checked only when set, and a password never shown.
    shared = await asyncio.to_thread(
        doctor, tmp_path, **env, JOURNEYBOT_REDIS_URL="redis://127.0.0.1:6379/0"
    )
    if "✓ Redis: 127.0.0.1:6379/0 answers" not in shared.stdout:
        assert "✗ Redis" in shared.stdout, shared.stdout  # no Redis here: said plainly
    gone = await asyncio.to_thread(
        doctor, tmp_path, **env, JOURNEYBOT_REDIS_URL=f"redis://:pw123@127.0.0.1:{closed}/0"
    )
    assert gone.returncode == 1 and f"✗ Redis: 127.0.0.1:{closed}/0 unreachable" in gone.stdout
    assert "pw123" not in gone.stdout
    outputs = (first, healthy, hooked, away, shared, gone)
    assert not any("Traceback" in done.stderr for done in outputs)
