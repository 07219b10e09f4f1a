"""Where a document's text lives: a file (atomic replace) or a row in a SQLite table."""

from __future__ import annotations

import contextlib
import os
import stat
from pathlib import Path
from typing import Any, Protocol

from optscale_cli.edit.atomic import atomic_write, resolve_target
from optscale_cli.errors import ConfigFileError, Refused

BACKUP_SUFFIX = ".optscale.bak"  # the one backup older versions made (and Cursor's DB copy)
BACKUP_KEEP = 3  # timestamped backups kept per file
# ``expected`` not given: write without comparing. Otherwise ``expected`` is the text the
# change was planned from (None: nothing was there); a store that can compare and write in
# one transaction (SqliteRowStore) refuses when it differs. A file is replaced atomically
# but cannot be compared in the same step: the engine checks it under its lock just before.
UNCHECKED: Any = object()


class Store(Protocol):
    label: str

    def read(self) -> str | None: ...
    def write(self, text: str, *, secret: bool, expected: Any = UNCHECKED) -> None: ...
    def delete(self, *, expected: Any = UNCHECKED) -> None: ...
    def backup(self, text: str | None) -> Path | None: ...
    def mode(self) -> int | None: ...


MAX_CONFIG_BYTES = 64 * 1024 * 1024  # a client config larger than this is not one


def refuse_special(path: Path) -> None:
    """Refuse, before opening it, anything but a regular file (or nothing): a FIFO would hang
    the read, a device or socket is no config, a symlink loop never resolves."""
    import errno

    try:
        info = path.stat()
    except FileNotFoundError:
        return  # nothing there yet, or a dangling symlink: written through on connect
    except OSError as exc:
        if exc.errno == errno.ELOOP:
            raise ConfigFileError(str(path), "is a symlink loop; refusing") from None
        raise ConfigFileError(str(path), f"cannot be read: {exc.strerror}") from None
    kind = stat.S_IFMT(info.st_mode)
    if kind == stat.S_IFREG:
        return
    names = {
        stat.S_IFDIR: "a directory",
        stat.S_IFIFO: "a FIFO (named pipe)",
        stat.S_IFSOCK: "a socket",
        stat.S_IFCHR: "a character device",
        stat.S_IFBLK: "a block device",
    }
    raise ConfigFileError(
        str(path),
        f"is {names.get(kind, 'not a regular file')}, not a config file; refusing",
        hint="move it away, or point the client at a regular file",
    )


def read_capped(path: Path, cap: int = MAX_CONFIG_BYTES) -> bytes:
    fd = os.open(path, os.O_RDONLY | getattr(os, "O_BINARY", 0))
    try:
        data = _read_up_to(fd, cap, os.fstat(fd).st_size)
    finally:
        os.close(fd)
    if data is None:
        raise ConfigFileError(str(path), f"is larger than {cap // (1024 * 1024)} MiB; refusing")
    return data


def read_if_regular(path: Path, cap: int = MAX_CONFIG_BYTES) -> bytes | None:
    """The bytes of a file we only look into (another program's state, a config beside the
    one we edit, a CA bundle), or None when there are none to look at: nothing there, not a
    regular file, unreadable, or larger than ``cap`` (see :func:`_open_regular`); never more
    than ``cap`` bytes are read."""
    opened = _open_regular(path)
    if opened is None:
        return None
    fd, size = opened
    try:
        return None if size > cap else _read_up_to(fd, cap, size)
    except OSError:  # BlockingIOError too: a file system that would make us wait
        return None
    finally:
        os.close(fd)


def file_holds(path: Path, needle: bytes) -> bool | None:
    """Whether the regular file at ``path`` holds ``needle`` anywhere, searched 1 MiB at a
    time (any size, in constant memory, up to the size it had when opened); None when it
    cannot be looked into (not a regular file, unreadable)."""
    opened = _open_regular(path)
    if opened is None:
        return None
    fd, left = opened
    tail = b""
    try:
        while left > 0:
            chunk = os.read(fd, min(1 << 20, left))
            if not chunk:
                break
            window = tail + chunk
            if needle in window:
                return True
            tail, left = window[max(0, len(window) - len(needle) + 1) :], left - len(chunk)
        return False
    except OSError:
        return None
    finally:
        os.close(fd)


def _open_regular(path: Path) -> tuple[int, int] | None:
    """An open descriptor of the regular file at ``path`` and its size (the caller closes
    it), or None. Anything but a regular file is not even opened (opening some devices acts
    on them); the file is opened without waiting (a FIFO put there since would block the
    open until a writer came) and checked again once open, so looking never hangs."""
    try:
        if not stat.S_ISREG(os.stat(path).st_mode):
            return None
        flags = os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_NOCTTY", 0)
        fd = os.open(path, flags | getattr(os, "O_BINARY", 0))
    except (OSError, ValueError):  # ValueError: a NUL in the path
        return None
    try:
        info = os.fstat(fd)
    except OSError:
        os.close(fd)
        return None
    if not stat.S_ISREG(info.st_mode):
        os.close(fd)
        return None
    return fd, info.st_size


def _read_up_to(fd: int, cap: int, size: int) -> bytes | None:
    """What ``fd`` holds, or None past ``cap`` bytes. The first read asks for the size the
    file says it has (and one byte more), then 1 MiB at a time: a file that grows, or says
    0 (/proc), is read as it is, and no read reserves more memory than it needs."""
    chunks: list[bytes] = []
    total, want = 0, min(size, cap) + 1
    while True:
        chunk = os.read(fd, want)
        if not chunk:
            return b"".join(chunks) if len(chunks) != 1 else chunks[0]
        chunks.append(chunk)
        total += len(chunk)
        if total > cap:
            return None
        want = min(1 << 20, cap + 1 - total)


def _writable(path: Path) -> bool:
    return os.access(path, os.W_OK) and bool(path.stat().st_mode & stat.S_IWUSR)


class FileStore:
    """A plain text file. Writes go through a symlink to its target, keep the file's mode
    (0600 when the content holds a key), refuse read-only files, and back up once."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.label = str(path)

    def read(self) -> str | None:
        target = resolve_target(self.path)
        refuse_special(self.path)
        try:
            raw = read_capped(target)
        except FileNotFoundError:
            return None
        except IsADirectoryError:
            raise ConfigFileError(self.label, "is a directory, expected a file") from None
        except PermissionError:
            raise ConfigFileError(self.label, "cannot be read (permission denied)") from None
        except OSError as exc:
            raise ConfigFileError(self.label, f"cannot be read: {exc.strerror}") from None
        try:
            return raw.decode("utf-8")
        except UnicodeDecodeError as exc:
            line = raw[: exc.start].count(b"\n") + 1
            raise ConfigFileError(self.label, "is not UTF-8 text", line) from None

    def mode(self) -> int | None:
        try:
            return stat.S_IMODE(resolve_target(self.path).stat().st_mode)
        except FileNotFoundError:
            return None

    def check_writable(self) -> None:
        """Refuse a read-only file or directory: the owner's write bit is the user's word,
        honoured even when we run as root (who could write anyway)."""
        target = resolve_target(self.path)
        if target.exists() and not _writable(target):
            raise Refused(
                f"{self.label} is read-only; not changing it",
                "make it writable (chmod u+w) if you want optscale to edit it",
            )
        existing = target.parent
        while not existing.exists():
            existing = existing.parent
        if not _writable(existing):
            raise Refused(
                f"cannot write in {existing}: the directory is read-only",
                "fix the directory's permissions, or choose another --scope",
            )

    def write(self, text: str, *, secret: bool, expected: Any = UNCHECKED) -> None:
        self.check_writable()
        target = resolve_target(self.path)
        from optscale_cli.paths import make_dirs

        # a folder that will hold a key: 0700; any other: 0755, never group/world-writable
        make_dirs(target.parent, 0o700 if secret else 0o755)
        current = self.mode()
        if secret:
            mode = 0o600
        elif current is None:
            mode = 0o644
        else:
            mode = current
        try:
            atomic_write(target, text, mode=mode)
        except PermissionError as exc:
            raise Refused(f"cannot write {self.label}: {exc.strerror}") from None

    def delete(self, *, expected: Any = UNCHECKED) -> None:
        """Remove the file; through a symlink, the target goes and the user's link stays."""
        resolve_target(self.path).unlink(missing_ok=True)

    def backup(self, text: str | None) -> Path | None:
        """Save ``text`` (the user's own content, never ours) beside the file as
        ``FILE.optscale-YYYYmmddTHHMMSS.bak``, 0600 (it may hold the user's own secrets);
        keep the newest three."""
        if text is None:
            return None
        backup = self.backup_path()
        atomic_write(backup, text, mode=0o600)
        prune_backups(resolve_target(self.path))
        return backup

    def backup_path(self) -> Path:
        """Where the next backup of this file goes (a new, unused name)."""
        import time

        target = resolve_target(self.path)
        stamp = time.strftime("%Y%m%dT%H%M%S", time.localtime())
        backup = target.with_name(f"{target.name}.optscale-{stamp}.bak")
        n = 1
        while backup.exists():
            n += 1
            backup = target.with_name(f"{target.name}.optscale-{stamp}-{n}.bak")
        return backup


def prune_backups(path: Path) -> None:
    """Keep the newest three backups of ``path``."""
    for old in backups_of(path)[:-BACKUP_KEEP]:
        with contextlib.suppress(OSError):
            old.unlink()


def backups_of(path: Path) -> list[Path]:
    """The timestamped backups of ``path``, oldest first."""
    found = list(path.parent.glob(f"{glob_escape(path.name)}.optscale-*.bak"))

    def age(p: Path) -> tuple[int, str]:
        try:
            return (p.stat().st_mtime_ns, p.name)
        except OSError:
            return (0, p.name)

    return sorted(found, key=age)


def glob_escape(name: str) -> str:
    import glob

    return glob.escape(name)


class SqliteRowStore:
    """One JSON value in a key/value SQLite table (Cursor's ``ItemTable``), written in one
    transaction. The backup is a consistent copy made with SQLite's backup API."""

    def __init__(self, db_path: Path, key: str, table: str = "ItemTable") -> None:
        if not table.isidentifier():
            raise ValueError(f"bad table name {table!r}")
        self.db_path = db_path
        self.key = key
        self.table = table
        self.label = f"{db_path} [{table}:{key}]"
        self._as_bytes = False

    def describe(self) -> dict[str, str]:
        return {"store": "sqlite", "path": str(self.db_path), "table": self.table, "row": self.key}

    def _connect(self) -> Any:
        import sqlite3

        if not self.db_path.exists():
            raise ConfigFileError(
                str(self.db_path), "does not exist", hint="start the app once so it creates it"
            )
        return sqlite3.connect(str(self.db_path), timeout=5, isolation_level=None)

    def _select(self, db: Any) -> str | None:
        row = db.execute(f"SELECT value FROM {self.table} WHERE key = ?", (self.key,)).fetchone()
        if row is None or row[0] is None:
            return None
        value = row[0]
        self._as_bytes = isinstance(value, bytes)  # write back the type we read
        return value.decode("utf-8") if isinstance(value, bytes) else str(value)

    def read(self) -> str | None:
        import sqlite3

        try:
            with contextlib.closing(self._connect()) as db:
                return self._select(db)
        except sqlite3.DatabaseError as exc:
            raise ConfigFileError(str(self.db_path), f"cannot read the database: {exc}") from None

    def write(self, text: str, *, secret: bool, expected: Any = UNCHECKED) -> None:
        self._change(text, expected)

    def delete(self, *, expected: Any = UNCHECKED) -> None:
        self._change(None, expected)

    def _change(self, text: str | None, expected: Any) -> None:
        """Write ``text`` to the row (None: delete it) in one ``BEGIN IMMEDIATE`` transaction
        that first re-reads the row: if it is no longer ``expected`` (another program
        committed a change since we read it), roll back and refuse; nothing is written."""
        import sqlite3

        if not _writable(self.db_path):
            raise Refused(f"{self.db_path} is read-only; not changing it")
        try:
            with contextlib.closing(self._connect()) as db:
                db.execute("BEGIN IMMEDIATE")  # take the write lock, then re-read
                try:
                    current = self._select(db)
                    if expected is not UNCHECKED and current != expected:
                        raise Refused(
                            f"{self.label} changed while we were working; nothing was written",
                            "run the command again",
                        )
                    if text is None:
                        db.execute(f"DELETE FROM {self.table} WHERE key = ?", (self.key,))
                    else:
                        value: str | bytes = text.encode("utf-8") if self._as_bytes else text
                        db.execute(
                            f"INSERT OR REPLACE INTO {self.table} (key, value) VALUES (?, ?)",
                            (self.key, value),
                        )
                    db.execute("COMMIT")
                except BaseException:
                    with contextlib.suppress(sqlite3.Error):
                        db.execute("ROLLBACK")
                    raise
        except sqlite3.OperationalError as exc:
            raise Refused(
                f"cannot write {self.db_path}: {exc}",
                "quit the app that holds the database, then try again",
            ) from None

    def backup(self, text: str | None) -> Path | None:
        """A consistent copy of the whole database, made once (it holds no key of ours)."""
        import sqlite3

        backup = self.db_path.with_name(self.db_path.name + BACKUP_SUFFIX)
        if backup.exists():
            return backup
        tmp = backup.with_name(backup.name + ".tmp")
        with (
            contextlib.closing(self._connect()) as src,
            contextlib.closing(sqlite3.connect(str(tmp))) as dst,
        ):
            src.backup(dst)
        os.chmod(tmp, self.mode() or 0o600)
        os.replace(tmp, backup)
        return backup

    def mode(self) -> int | None:
        try:
            return stat.S_IMODE(self.db_path.stat().st_mode)
        except FileNotFoundError:
            return None


def store_from_entry(entry: dict[str, str]) -> Store:
    """Rebuild the store a ledger entry names."""
    if entry.get("store") == "sqlite":
        return SqliteRowStore(Path(entry["path"]), entry["row"], entry.get("table", "ItemTable"))
    return FileStore(Path(entry["path"]))
