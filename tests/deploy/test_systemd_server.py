"""The systemd recipe, run under systemd: a Debian 12 container booting /sbin/init, set up by
docs/deploy.md's plain-server steps (tests/deploy/server.py), then `systemctl enable --now trolyso
trolyso-backup.timer`. The service upgrades the database and answers on loopback in production
mode, `systemctl start` returns once it answers (Type=notify), systemd restarts it after a
SIGKILL, `systemctl stop` ends it cleanly, the backup unit writes a dump pg_restore reads, and the
journal keeps every worker's log lines without the ID numbers and phones citizens typed. Skips without Docker, except in CI (TROLYSO_REQUIRE_SERVICES=1)."""

from __future__ import annotations

import json
import re
import shlex
import time
import uuid
from collections.abc import Iterator

import pytest

from tests.deploy.recipe import required
from tests.deploy.server import ASK, Server
from tests.deploy.stack import docker_problem, kept_running

pytestmark = pytest.mark.slow
QUESTION = "làm cccd cần giấy tờ gì"
TYPED = "lam cccd can giay to gi"
ANSWER = "Giấy tờ cần chuẩn bị"
ID_NUMBER, PHONE = "001234567890", "0912345678"


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    if (problem := docker_problem()) is not None:
        required(problem)
    running = Server(tmp_path_factory.mktemp("server"))
    yield from kept_running(running, "systemd server")


def ask(server: Server, text: str, user: str | None = None) -> dict[str, object]:
    body = {"user": user or f"sd{uuid.uuid4().hex[:12]}", "text": text, "id": f"m{uuid.uuid4().hex}"}
    return server.http("/chat/api/message", body)


def answered(reply: dict[str, object]) -> bool:
    if reply["status"] != 200:
        return False
    return any(ANSWER in m["text"] for m in json.loads(str(reply["text"]))["messages"])


def wait_answering(server: Server, timeout: float = 60) -> float:
    """Seconds until /healthz is ok (0 once the service is active: it says READY=1 when it listens;
    after a kill or a reboot the test may look before systemd has restarted it)."""
    began = time.monotonic()
    while server.http("/healthz")["status"] != 200:
        assert time.monotonic() - began < timeout, server.journal("trolyso")[-3000:]
        time.sleep(0.25)
    return time.monotonic() - began


def test_the_service_runs_under_systemd_restarts_after_a_kill_and_stops_cleanly(server: Server) -> None:
    """Enabled and active after `db upgrade`; answers the citizen; SIGKILL → restarted; stop is clean."""
    unit = server.show("trolyso", "ActiveState", "UnitFileState", "ExecMainPID", "User")
    assert (unit["ActiveState"], unit["UnitFileState"]) == ("active", "enabled"), server.journal("trolyso")
    assert server.show("trolyso-backup.timer", "ActiveState", "UnitFileState") == {
        "ActiveState": "active", "UnitFileState": "enabled"}  # fmt: skip
    wait_answering(server)
    assert "database at revision" in server.journal("trolyso")
    assert server.exec(["stat", "-c", "%U", f"/proc/{unit['ExecMainPID']}"]).stdout.strip() == "trolyso"

    health = server.http("/healthz")
    assert json.loads(str(health["text"])) == {"ok": True}
    # Production mode, as the Docker image has it: HSTS, secure cookies, no start without the key.
    assert "strict-transport-security" in health["headers"], health["headers"]  # type: ignore[operator]
    for text in (QUESTION, TYPED):
        assert answered(reply := ask(server, text)), reply

    # The supervisor itself killed: systemd (Restart=on-failure) starts it again and it answers.
    server.exec(["systemctl", "kill", "-s", "KILL", "trolyso"])
    deadline = time.monotonic() + 60
    while (now := server.show("trolyso", "ActiveState", "NRestarts", "ExecMainPID"))["NRestarts"] != "1" \
            or now["ActiveState"] != "active":  # fmt: skip
        assert time.monotonic() < deadline, server.journal("trolyso")[-3000:]
        time.sleep(0.25)
    assert now["ExecMainPID"] != unit["ExecMainPID"]
    server.timings["answering again after the kill"] = round(wait_answering(server), 1)
    assert answered(ask(server, QUESTION))

    # `systemctl stop`: SIGTERM, requests finish, the main process exits 0 well within TimeoutStopSec.
    began = time.monotonic()
    server.exec(["systemctl", "stop", "trolyso"], timeout=120)
    took = time.monotonic() - began
    stopped = server.show("trolyso", "ActiveState", "Result", "ExecMainCode", "ExecMainStatus")
    assert stopped == {"ActiveState": "inactive", "Result": "success", "ExecMainCode": "1", "ExecMainStatus": "0"}, (
        stopped, server.journal("trolyso")[-3000:])  # fmt: skip
    assert took < 30, took
    assert "Deactivated successfully" in server.journal("trolyso")
    server.exec(["systemctl", "start", "trolyso"])
    wait_answering(server)


def test_systemctl_start_returns_once_the_server_answers(server: Server) -> None:
    """Type=notify: `systemctl start` comes back when the server said READY=1, after its startup
    and once it listens, so /healthz answers the moment it returns. (With Type=simple it returned
    as soon as the process was forked, seconds before: this test fails with it.)"""
    wait_answering(server)  # each test runs alone too (-k)
    assert server.show("trolyso", "Type", "NotifyAccess") == {"Type": "notify", "NotifyAccess": "all"}
    server.exec(["systemctl", "stop", "trolyso"], timeout=120)
    began = time.monotonic()
    # One shell in the container: nothing between start returning and the request but a fork.
    said = server.sh(f"systemctl start trolyso && python3 -c {shlex.quote(ASK)} /healthz ''", timeout=150)
    server.timings["systemctl start"] = round(time.monotonic() - began, 1)
    health = json.loads(said)
    assert health["status"] == 200, (health, server.journal("trolyso")[-3000:])
    assert json.loads(str(health["text"])) == {"ok": True}
    assert answered(ask(server, QUESTION))


def test_the_backup_unit_writes_a_dump_pg_restore_reads(server: Server) -> None:
    """trolyso-backup.service run once: /var/backups/trolyso/trolyso-DATE.dump, postgres's alone."""
    wait_answering(server)  # each test runs alone too (-k)
    assert answered(ask(server, QUESTION))
    server.exec(["systemctl", "start", "trolyso-backup.service"], timeout=120)
    assert server.show("trolyso-backup.service", "Result", "ExecMainStatus") == {"Result": "success", "ExecMainStatus": "0"}
    listed = server.sh("stat -c '%U %a' /var/backups/trolyso; ls /var/backups/trolyso").split()
    assert listed[:2] == ["postgres", "700"], listed
    (dump,) = listed[2:]
    assert re.fullmatch(r"trolyso-\d{4}-\d\d-\d\d\.dump", dump), dump
    contents = server.sh(f"sudo -u postgres pg_restore --list /var/backups/trolyso/{dump}")
    assert "TABLE DATA public conversations" in contents
    assert "TABLE DATA public deliveries" in contents
    timer = server.show("trolyso-backup.timer", "NextElapseUSecRealtime", "Triggers")
    assert timer["Triggers"] == "trolyso-backup.service"


def test_the_journal_keeps_every_workers_log_lines_without_personal_data(server: Server) -> None:
    """journalctl -u trolyso has the workers' own lines (the leader lock) in a persistent journal
    that journald rotates, and never the ID number or phone a citizen typed."""
    wait_answering(server)  # each test runs alone too (-k)
    user = f"sd{uuid.uuid4().hex[:12]}"
    assert ask(server, f"so dien thoai toi la {PHONE}, cccd {ID_NUMBER}", user)["status"] == 200
    deadline = time.monotonic() + 30
    while "leader lock" not in (journal := server.journal("trolyso")):
        assert time.monotonic() < deadline, journal[-3000:]
        time.sleep(0.5)
    assert ID_NUMBER not in journal
    assert PHONE not in journal
    # Persistent (/var/log/journal, Debian 12's systemd has it) and bounded: journald says its maximum.
    said = server.exec(["journalctl", "-u", "systemd-journald", "--no-pager", "-o", "cat"]).stdout
    assert "System Journal (/var/log/journal/" in said, said
    assert ", max " in said, said


def test_a_database_outage_spools_usage_where_the_unit_may_write(server: Server) -> None:
    """PostgreSQL stopped: the citizen is still answered and the usage log waits in
    /var/lib/trolyso/var (the one writable path under ProtectSystem=strict); back, it is written."""
    wait_answering(server)  # each test runs alone too (-k)
    count = "sudo -u postgres psql -tAc 'SELECT count(*) FROM usage_events' trolyso"
    before = int(server.sh(count))
    spool = "cat /var/lib/trolyso/var/usage-spool*.jsonl 2>/dev/null | wc -l"
    server.exec(["systemctl", "stop", "postgresql"], timeout=120)
    try:
        assert answered(ask(server, TYPED))
        deadline = time.monotonic() + 30
        while int(server.sh(spool)) == 0:
            assert time.monotonic() < deadline, server.journal("trolyso")[-3000:]
            time.sleep(0.5)
    finally:
        server.exec(["systemctl", "start", "postgresql"], timeout=120)
    deadline = time.monotonic() + 60
    while int(server.sh(spool)) or int(server.sh(count)) <= before:
        assert time.monotonic() < deadline, server.journal("trolyso")[-3000:]
        time.sleep(0.5)
    assert "usage log: database unavailable" in server.journal("trolyso")


def test_the_service_comes_back_after_a_reboot(server: Server) -> None:
    """Enabled units start at boot, after PostgreSQL and Redis: the server answers again unattended."""
    before = server.show("trolyso", "InvocationID")["InvocationID"]
    server.reboot()
    wait_answering(server)
    assert answered(ask(server, TYPED))
    after = server.show("trolyso", "InvocationID", "NRestarts", "ActiveState")
    assert after["InvocationID"] != before
    # Started once by this boot, not after failed tries (PostgreSQL not yet up for `db upgrade`).
    assert (after["NRestarts"], after["ActiveState"]) == ("0", "active"), server.journal("trolyso")[-3000:]
    assert server.show("trolyso-backup.timer", "ActiveState")["ActiveState"] == "active"
