"""
Files in a folder only the effective user can write: what a cache may trust.

A cache read from disk is input like any other: whoever can write its folder
decides what the reader sees.  These helpers use a folder only when it is a
real directory (not a symlink) owned by the effective uid and writable by
nobody else, and a file in it only when it is a regular file (not a symlink,
FIFO or device) with the same owner, the same mode rule and a size under the
caller's limit.  The folder is opened once and every file is opened relative
to that descriptor (``dir_fd``), so that a folder renamed or replaced after the
check is not followed.  Opens are non-blocking (a FIFO never blocks); folders
are created ``0o700`` and files ``0o600`` whatever the umask (a mode passed to
``mkdir``/``open`` is masked by the umask, which can only remove bits; an
``fchmod`` then restores the bits it removed).  Writes go to a temporary file
that is renamed (or linked) into place: readers see a whole file or none.

Every function reports a refusal as None or False, never as an error, except
the writers, which raise `OSError` (the caller decides whether that matters).
"""

from __future__ import annotations

import contextlib
import os
import stat
from typing import Final

__all__ = ["create_file", "open_folder", "read_file", "replace_file"]

#: A folder: opened without following a symlink, never inherited by a child.
_FOLDER_FLAGS: Final = os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW | os.O_CLOEXEC
#: A file to read: not a symlink, never blocking (a FIFO opens at once), no controlling tty.
_READ_FLAGS: Final = os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK | os.O_NOCTTY | os.O_CLOEXEC
#: A temporary file: a new one, never through a symlink.
_WRITE_FLAGS: Final = os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW | os.O_CLOEXEC
#: The mode bits that let someone else change a folder or file.
_FOREIGN_WRITE: Final = stat.S_IWGRP | stat.S_IWOTH


def _trusted(st: os.stat_result, is_kind: int) -> bool:
    """Whether *st* is of the kind (``S_ISDIR``'s or ``S_ISREG``'s bit) and only the effective uid can write it."""
    return stat.S_IFMT(st.st_mode) == is_kind and st.st_uid == os.geteuid() and not st.st_mode & _FOREIGN_WRITE


def _debug(message: str, *args: object) -> None:
    from ._log import logger  # logging costs start-up time: only when something is refused

    logger.debug(message, *args)


def open_folder(path: str, *, create: bool) -> int | None:
    """
    A descriptor of the folder *path* if it is one the effective user alone controls; else None.

    With *create*, a missing folder is created (``0o700``), and so is each
    missing parent.  The caller closes the descriptor.
    """
    try:
        try:
            fd = os.open(path, _FOLDER_FLAGS)
        except FileNotFoundError:
            if not create:
                return None
            _make_folders(path)
            fd = os.open(path, _FOLDER_FLAGS)
    except (OSError, ValueError) as err:  # a symlink (ELOOP), not a folder, no permission, a NUL in the path
        if create or not isinstance(err, FileNotFoundError):
            _debug("cache folder %s not used: %s", path, err)
        return None
    try:
        st = os.fstat(fd)
    except OSError:
        os.close(fd)
        return None
    if not _trusted(st, stat.S_IFDIR):
        os.close(fd)
        _debug("cache folder %s not used: owner %d, mode %o", path, st.st_uid, stat.S_IMODE(st.st_mode))
        return None
    return fd


def _make_folders(path: str) -> None:
    """Create *path* and its missing parents, each ``0o700`` whatever the umask."""
    parent = os.path.dirname(os.path.normpath(path))
    if parent and parent != path and not os.path.isdir(parent):
        _make_folders(parent)
    try:
        os.mkdir(path, 0o700)
    except FileExistsError:
        return  # made meanwhile (another process): `open_folder` checks it
    fd = os.open(path, _FOLDER_FLAGS)  # the folder just made, not what a rename put there
    try:
        if os.fstat(fd).st_uid == os.geteuid():
            os.fchmod(fd, 0o700)
    finally:
        os.close(fd)


def read_file(folder: int, name: str, limit: int) -> bytes | None:
    """The content of *name* in *folder*, if it is a trusted regular file of at most *limit* bytes; else None."""
    try:
        fd = os.open(name, _READ_FLAGS, dir_fd=folder)
    except OSError:  # missing, a symlink (ELOOP), a socket (ENXIO), ...
        return None
    try:
        st = os.fstat(fd)
        if not _trusted(st, stat.S_IFREG) or st.st_size > limit:
            _debug("cache file %s not used: owner %d, mode %o, size %d", name, st.st_uid, st.st_mode, st.st_size)
            return None
        chunks: list[bytes] = []
        size = 0
        while chunk := os.read(fd, limit + 1 - size):  # grown since fstat: at most one byte too many
            chunks.append(chunk)
            size += len(chunk)
            if size > limit:
                return None
        return b"".join(chunks)
    except OSError:
        return None
    finally:
        os.close(fd)


def _write_temporary(folder: int, name: str, data: bytes) -> str:
    """A new ``0o600`` file holding *data* in *folder*, named after *name*; its name."""
    temporary = f".{name}.{os.urandom(6).hex()}.tmp"
    fd = os.open(temporary, _WRITE_FLAGS, 0o600, dir_fd=folder)
    try:
        with open(fd, "wb", closefd=False) as f:
            f.write(data)
        os.fchmod(fd, 0o600)
    except BaseException:
        os.close(fd)
        with contextlib.suppress(OSError):
            os.unlink(temporary, dir_fd=folder)
        raise
    os.close(fd)
    return temporary


def replace_file(folder: int, name: str, data: bytes) -> None:
    """
    Make *name* in *folder* a ``0o600`` file holding *data*, atomically (whatever was there is replaced).

    Raises:
        OSError: the file cannot be written (nothing is left behind).
    """
    temporary = _write_temporary(folder, name, data)
    try:
        os.replace(temporary, name, src_dir_fd=folder, dst_dir_fd=folder)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(temporary, dir_fd=folder)
        raise


def create_file(folder: int, name: str, data: bytes) -> bool:
    """
    Create *name* in *folder* as a ``0o600`` file holding *data*, atomically; False if *name* exists.

    Raises:
        OSError: the file cannot be written (nothing is left behind).
    """
    temporary = _write_temporary(folder, name, data)
    try:
        os.link(temporary, name, src_dir_fd=folder, dst_dir_fd=folder, follow_symlinks=False)
    except FileExistsError:
        return False
    finally:
        with contextlib.suppress(OSError):
            os.unlink(temporary, dir_fd=folder)
    return True
