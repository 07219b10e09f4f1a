"""All or nothing: a connect that touches several files either changes all of them (and is
recorded, so disconnect can undo it) or none, whatever fails and wherever it stops.

Real processes and real files; the faults are real too (a read-only file, a YAML tag, a
signal, a full disk), injected at a chosen step through the OPTSCALE_FAULT seam where the
moment cannot be hit from outside.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import Cli
from tests.gateway import GatewayStandIn

CONFIG = (
    "name: mine\nversion: 1.0.0\nschema: v1\nmodels:\n  - name: local\n    provider: ollama\n"
    "    model: llama3\n"
)
ENV = "# my secrets\nOTHER=1\n"


PYTHON_OPTSCALE = [sys.executable, "-c", "from optscale_cli.main import main; main()"]
CONNECT = ["connect", "continue", "-m", "openai/gpt-4.1", "--yes"]


def continue_files(home: Path) -> tuple[Path, Path]:
    folder = home / ".continue"
    folder.mkdir(exist_ok=True)
    config, secrets = folder / "config.yaml", folder / ".env"
    config.write_text(CONFIG)
    secrets.write_text(ENV)
    os.chmod(secrets, 0o600)
    return config, secrets


def snapshot(root: Path) -> dict[str, bytes]:
    return {
        str(p.relative_to(root)): p.read_bytes()
        for p in sorted(root.rglob("*"))
        if p.is_file() and "locks" not in p.parts and "cache" not in p.parts
    }


def assert_all_original(home: Path, tmp_path: Path, before: dict[str, bytes]) -> None:
    config, secrets = home / ".continue" / "config.yaml", home / ".continue" / ".env"
    assert config.read_text() == CONFIG
    assert secrets.read_text() == ENV
    assert snapshot(tmp_path) == before
    assert not (tmp_path / "optscale-config" / "connections" / "continue.json").exists()


def test_read_only_second_file_changes_nothing(
    cli: Cli, logged_in: GatewayStandIn, isolated_home: Path, tmp_path: Path
) -> None:
    _, secrets = continue_files(isolated_home)
    os.chmod(secrets, 0o400)
    before = snapshot(tmp_path)
    result = cli("connect", "continue", "-m", "openai/gpt-4.1", "--yes")
    assert result.code == 1, result.all
    assert ".env" in result.err and "read-only" in result.err
    assert_all_original(isolated_home, tmp_path, before)


def test_tagged_yaml_value_is_a_clear_error_and_changes_nothing(
    cli: Cli, logged_in: GatewayStandIn, isolated_home: Path, tmp_path: Path
) -> None:
    path = isolated_home / ".aider.conf.yml"
    path.write_text("model: !custom sonnet\n")
    before = snapshot(tmp_path)
    result = cli("connect", "aider", "-m", "openai/gpt-4.1", "--yes")
    assert result.code in (0, 1), result.all
    assert "internal error" not in result.all
    if result.code == 1:
        assert snapshot(tmp_path) == before
    else:
        assert cli("disconnect", "aider", "--yes").code == 0
        assert path.read_text() == "model: !custom sonnet\n"


def run_optscale(
    args: list[str], env: dict[str, str], fault: str | None = None
) -> subprocess.CompletedProcess[str]:
    full = {**env, **({"OPTSCALE_FAULT": fault} if fault else {})}
    return subprocess.run(
        [*PYTHON_OPTSCALE, *args],
        env=full,
        capture_output=True,
        text=True,
        timeout=60,
        stdin=subprocess.DEVNULL,
        check=False,
    )


@pytest.fixture
def env(logged_in: GatewayStandIn, isolated_home: Path, tmp_path: Path) -> dict[str, str]:
    return {
        **os.environ,
        "HOME": str(isolated_home),
        "OPTSCALE_CONFIG_DIR": str(tmp_path / "optscale-config"),
        "OPTSCALE_CA_BUNDLE": logged_in.ca_pem_path,
        "OPTSCALE_NO_KEYRING": "1",
    }


# steps of this connect: backup of config.yaml, config.yaml, backup of .env, .env, record
@pytest.mark.parametrize("fault", ["1:sigint", "2:enospc", "3:sigint", "4:enospc"])
def test_a_fault_between_files_rolls_everything_back(
    env: dict[str, str], isolated_home: Path, tmp_path: Path, fault: str
) -> None:
    continue_files(isolated_home)
    before = snapshot(tmp_path)
    done = run_optscale(CONNECT, env, fault)
    assert done.returncode != 0, done.stdout + done.stderr
    assert "Traceback" not in done.stderr
    assert_all_original(isolated_home, tmp_path, before)
    assert not (tmp_path / "optscale-config" / "journal" / "intent.json").exists()


def test_sigterm_during_the_transaction_rolls_back(
    env: dict[str, str], isolated_home: Path, tmp_path: Path
) -> None:
    """A real SIGTERM from outside, while the process is parked between two files."""
    continue_files(isolated_home)
    before = snapshot(tmp_path)
    proc = subprocess.Popen(
        [*PYTHON_OPTSCALE, "connect", "continue", "-m", "openai/gpt-4.1", "--yes"],
        env={**env, "OPTSCALE_FAULT": "2:pause"},
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        stdin=subprocess.DEVNULL,
        text=True,
    )
    assert proc.stderr is not None
    line = proc.stderr.readline()  # the seam says when it is parked
    assert "paused" in line, line
    proc.send_signal(signal.SIGTERM)
    proc.communicate(timeout=30)
    assert proc.returncode != 0
    assert_all_original(isolated_home, tmp_path, before)


def test_sigkill_between_files_is_rolled_back_by_the_next_run(
    env: dict[str, str], isolated_home: Path, tmp_path: Path
) -> None:
    config, secrets = continue_files(isolated_home)
    before = snapshot(tmp_path)
    killed = run_optscale(CONNECT, env, "2:sigkill")
    assert killed.returncode == -signal.SIGKILL
    journal = tmp_path / "optscale-config" / "journal" / "intent.json"
    assert journal.exists()  # one file written, the journal says so
    assert config.read_text() != CONFIG or secrets.read_text() != ENV
    after = run_optscale(["clients", "--json"], env)
    assert after.returncode == 0, after.stderr
    assert "interrupted" in after.stderr and "put back" in after.stderr
    assert not journal.exists()
    assert config.read_text() == CONFIG and secrets.read_text() == ENV
    assert {k: v for k, v in snapshot(tmp_path).items() if "journal" not in k} == {
        k: v for k, v in before.items() if "journal" not in k
    }
    # and connect still works, and is undone by disconnect
    assert run_optscale(CONNECT, env).returncode == 0
    assert run_optscale(["disconnect", "continue", "--yes"], env).returncode == 0
    assert config.read_text() == CONFIG and secrets.read_text() == ENV


def test_a_full_disk_for_our_records_rolls_the_client_files_back(
    env: dict[str, str], isolated_home: Path, tmp_path: Path
) -> None:
    """The records are the last step: a failure there puts the client's files back."""
    continue_files(isolated_home)
    before = snapshot(tmp_path)
    # steps: two backups and two client files, then the record: fail on the record
    done = run_optscale(CONNECT, env, "5:enospc")
    assert done.returncode != 0
    assert "No space left" in done.stderr and "Traceback" not in done.stderr
    assert_all_original(isolated_home, tmp_path, before)


def test_recovery_leaves_a_file_changed_after_the_crash(
    env: dict[str, str], isolated_home: Path
) -> None:
    config, secrets = continue_files(isolated_home)
    run_optscale(CONNECT, env, "4:sigkill")
    secrets.write_text("# the user's edit after the crash\n")
    after = run_optscale(["clients"], env)
    assert "changed after the interrupted run" in after.stderr
    assert secrets.read_text() == "# the user's edit after the crash\n"
    assert config.read_text() == CONFIG


@pytest.mark.parametrize("kind", ["fifo", "directory", "loop"])
def test_special_files_are_refused_before_they_are_opened(
    cli: Cli, logged_in: GatewayStandIn, isolated_home: Path, kind: str
) -> None:
    path = isolated_home / ".aider.conf.yml"
    if kind == "fifo":
        os.mkfifo(path)  # opening it would hang, even for --dry-run
    elif kind == "directory":
        path.mkdir()
    else:
        path.symlink_to(isolated_home / "loop-b")
        (isolated_home / "loop-b").symlink_to(path)
    for extra in (["--dry-run"], ["--yes"]):
        result = cli("connect", "aider", "-m", "openai/gpt-4.1", *extra)
        assert result.code == 1, result.all
        assert str(path) in result.err and "internal error" not in result.all
        expected = {"fifo": "FIFO", "directory": "directory", "loop": "symlink loop"}[kind]
        assert expected in result.err


def test_a_dangling_symlink_is_written_through_and_undo_keeps_the_link(
    cli: Cli, logged_in: GatewayStandIn, isolated_home: Path, tmp_path: Path
) -> None:
    dotfiles = tmp_path / "dotfiles"
    dotfiles.mkdir()
    link = isolated_home / ".aider.conf.yml"
    link.symlink_to(dotfiles / "aider.yml")  # the target does not exist yet
    assert cli("connect", "aider", "-m", "openai/gpt-4.1", "--yes").code == 0
    assert link.is_symlink() and (dotfiles / "aider.yml").exists()
    assert "openai-api-base" in (dotfiles / "aider.yml").read_text()
    assert cli("disconnect", "aider", "--yes").code == 0
    assert link.is_symlink(), "the user's link must stay"
    assert not (dotfiles / "aider.yml").exists(), "the target we created must go"


def _journal_entries(tmp_path: Path) -> list[dict[str, object]]:
    import json

    intent = tmp_path / "optscale-config" / "journal" / "intent.json"
    return json.loads(intent.read_text())["files"]  # type: ignore[no-any-return]


def test_a_backup_is_a_link_to_the_journals_copy_and_recovery_removes_it(
    env: dict[str, str], isolated_home: Path, tmp_path: Path
) -> None:
    """The backup holds the file's original bytes, which the journal copied already: it is
    made as a hard link to that copy (one write, not two), and the journal names the copy
    instead of a digest. A crash right after it: the next run removes the backup."""
    config, _ = continue_files(isolated_home)
    before = snapshot(tmp_path)
    killed = run_optscale(CONNECT, env, "1:sigkill")  # the backup of config.yaml is made
    assert killed.returncode == -signal.SIGKILL
    entries = _journal_entries(tmp_path)
    backups = list(config.parent.glob("config.yaml.optscale-*.bak"))
    assert len(backups) == 1 and backups[0].read_text() == CONFIG
    (entry,) = [e for e in entries if e["path"] == str(backups[0])]
    (source,) = [e for e in entries if e["path"] == str(config)]
    assert entry["new_as"] == source["original"] and "new_sha256" not in entry
    # the file's own entry as every journal wrote it: an older optscale can still recover it
    assert len(str(source["new_sha256"])) == 64
    copy = tmp_path / "optscale-config" / "journal" / str(source["original"])
    assert os.stat(copy).st_ino == os.stat(backups[0]).st_ino
    assert oct(os.stat(backups[0]).st_mode & 0o777) == "0o600"
    after = run_optscale(["clients"], env)
    assert after.returncode == 0 and "put back" in after.stderr, after.stderr
    assert not backups[0].exists()
    assert {k: v for k, v in snapshot(tmp_path).items() if "journal" not in k} == {
        k: v for k, v in before.items() if "journal" not in k
    }


def test_a_backup_is_written_when_it_cannot_be_a_link(
    env: dict[str, str], isolated_home: Path, tmp_path: Path
) -> None:
    """Our folder on another file system than the client's: no hard link can join them,
    so the backup is written as a file of its own."""
    import shutil
    import tempfile

    shm = Path("/dev/shm")
    if not shm.is_dir() or os.stat(shm).st_dev == os.stat(tmp_path).st_dev:
        pytest.skip("no second file system here")
    ours = Path(tempfile.mkdtemp(dir=shm))
    try:
        shutil.copytree(tmp_path / "optscale-config", ours / "c")
        config, _ = continue_files(isolated_home)
        done = run_optscale(CONNECT, {**env, "OPTSCALE_CONFIG_DIR": str(ours / "c")})
        assert done.returncode == 0, done.stderr
        (backup,) = config.parent.glob("config.yaml.optscale-*.bak")
        assert backup.read_text() == CONFIG and os.stat(backup).st_nlink == 1
        assert oct(os.stat(backup).st_mode & 0o777) == "0o600"
    finally:
        shutil.rmtree(ours, ignore_errors=True)
