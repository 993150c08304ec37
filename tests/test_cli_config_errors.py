"""Configuration mistakes answer with one line naming the variable and what it allows (issue 6)."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from app.cli import cli
from tests.test_cli import OUR_VARIABLES, hookline

CASES = [
    ({"RETRY_MAX_TRIES": "0"}, "RETRY_MAX_TRIES must be greater than or equal to 1"),
    ({"RETRY_MAX_TRIES": "abc"}, "RETRY_MAX_TRIES must be a whole number (it is set to 'abc')"),
    ({"PORT": "abc"}, "PORT must be a whole number (it is set to 'abc')"),
    ({"SMTP_TLS": "bogus"}, "SMTP_TLS must be 'starttls', 'ssl' or 'none'"),
    ({"LOG_FORMAT": "xml"}, "LOG_FORMAT must be 'json' or 'text' (it is set to 'xml')"),
    ({"LOG_LEVEL": "loud"}, "LOG_LEVEL must be 'DEBUG', 'INFO', 'WARNING', 'ERROR' or"),
    ({"AUTO_PAUSE_AFTER_FAILURES": "-1"}, "AUTO_PAUSE_AFTER_FAILURES must be greater than or"),
    ({"HOOKLINE_ENV": "prod"}, "HOOKLINE_ENV must be 'dev', 'test' or 'production'"),
    ({"WORKER_THREADS": "0"}, "WORKER_THREADS must be greater than or equal to 1"),
    ({"EMBEDDED_STEPS_AT_ONCE": "5000"}, "EMBEDDED_STEPS_AT_ONCE must be less than or equal to"),
    (
        {"DATABASE_URL": "mysql://u:p@db/x"},
        "DATABASE_URL must be sqlite:///path/to/file.db or postgresql://",
    ),
    (
        {"RUN_LEASE_SECONDS": "30", "OUTBOUND_TOTAL_TIMEOUT": "60"},
        "RUN_LEASE_SECONDS (30) must be comfortably longer than OUTBOUND_TOTAL_TIMEOUT (60)",
    ),
    ({"SECRET_KEY": "short", "SMTP_PASSWORD": "x"}, "SECRET_KEY must be at least 16 characters"),
]


@pytest.mark.parametrize(("env", "expected"), CASES, ids=[next(iter(e)) for e, _ in CASES])
def test_cli_names_the_variable_and_what_it_allows(
    env: dict[str, str], expected: str, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    for name in (
        *OUR_VARIABLES,
        "LOG_FORMAT",
        "LOG_LEVEL",
        "WORKER_THREADS",
        "EMBEDDED_STEPS_AT_ONCE",
    ):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.chdir(tmp_path)
    result = CliRunner().invoke(cli, ["migrate"], env=env)
    assert result.exit_code == 2, result.output
    lines = result.output.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("Configuration problem: "), result.output
    assert expected in lines[0]
    assert "Input should be" not in lines[0]
    assert "mysql://u:p@" not in lines[0], "a URL's password is never echoed"
    assert not (tmp_path / "hookline.db").exists()


def test_cli_migrate_against_an_unreachable_database_says_so_in_one_line(tmp_path: Path) -> None:
    url = "postgresql://hookline:hunter2-secret@127.0.0.1:1/hookline"
    result = hookline(tmp_path, "migrate", DATABASE_URL=url, SECRET_KEY="x" * 32, LOG_LEVEL="ERROR")
    assert result.returncode == 1
    [line] = result.stderr.strip().splitlines()
    assert line.startswith("Cannot use the database at postgresql://hookline:***@127.0.0.1:1/")
    assert line.endswith(
        "Check DATABASE_URL and that the database server is running and reachable."
    )
    assert "hunter2" not in line
