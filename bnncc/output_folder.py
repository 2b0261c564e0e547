"""The artifact's output folder: which folders `-o` may replace, and replacing one atomically.

What may be replaced: a folder that does not exist yet, an empty folder, or a bnncc artifact (a
folder that holds the manifest bnncc.json). Any other folder only with force. Never, even with
force, a folder that holds the current working folder, the model file or the --dump-ir folder:
the output folder is replaced as a whole, so everything in it goes.

How: `OutputFolder` is checked and given a staging folder beside the output before the compile
starts (a bad path fails in a second, not after a long compile). The files are written there,
then the staging folder and the old output trade places in one atomic rename (Linux
renameat2(RENAME_EXCHANGE)) and the old content, now under the staging name, is removed. A
process killed at any point leaves the complete old folder or the complete new one, plus at most
a staging folder named `.<name>-staging-<pid>-<tag>`, which the next compile into the same parent
removes once process <pid> has ended.
"""
from __future__ import annotations

import ctypes
import errno
import os
import re
import secrets
import shutil
from pathlib import Path

from .errors import BnnccError

MANIFEST = "bnncc.json"
STAGING_NAME_CHARS = 64        # of the output's name in a staging folder's name (names stay < 255 bytes)


class OutputFolder:
    """An output folder being prepared: `OutputFolder(path, ...)` checks the path, removes stale
    staging folders and creates this process's staging folder; `commit(files)` puts the files in
    place; `discard()` removes what was created (also on error inside a `with` block)."""

    def __init__(self, path: str | os.PathLike, force: bool = False, keep: dict | None = None):
        self.path = Path(path).resolve()
        self.force = force
        # {path: what it is}: paths the output folder must not be or contain
        self.keep = {Path(p).resolve(): what for p, what in (keep or {}).items()}
        check_destination(self.path, force, self.keep)
        self._created = _make_parents(self.path.parent)
        try:
            remove_stale_staging(self.path)
            self.staging = _new_staging(self.path)
        except BaseException:
            _remove_empty(self._created)
            raise

    def __enter__(self) -> OutputFolder:
        return self

    def __exit__(self, kind, value, traceback) -> None:
        if kind is not None:
            self.discard()

    def commit(self, files: dict[str, str | bytes]) -> Path:
        """Write `files` ({relative path: text or bytes}) and swap them in for the old folder's content."""
        try:
            for relative, content in sorted(files.items()):
                file = self.staging / relative
                file.parent.mkdir(parents=True, exist_ok=True)
                if isinstance(content, bytes):
                    file.write_bytes(content)
                else:
                    file.write_text(content)
            check_destination(self.path, self.force, self.keep)     # it may have changed meanwhile
            if self.path.exists():
                _replace(self.staging, self.path)
            else:
                os.rename(self.staging, self.path)
        except OSError as exc:
            self.discard()
            raise BnnccError(f"cannot write the output folder {str(self.path)!r}: {exc.strerror}") from None
        except BaseException:
            self.discard()
            raise
        return self.path

    def discard(self) -> None:
        shutil.rmtree(self.staging, ignore_errors=True)
        _remove_empty(self._created)


def check_destination(folder: Path, force: bool, keep: dict[Path, str]) -> None:
    """Raise BnnccError unless `folder` (absolute) may be replaced by a new artifact; `keep` maps
    the paths it must not be or contain to what they are ("the model file")."""
    shown = repr(str(folder))
    for path, what in keep.items():
        if path == folder or folder in path.parents:
            relation = "is" if path == folder else "holds"
            raise BnnccError(f"the output folder {shown} {relation} {what}, and an output folder is replaced as a "
                             "whole: choose a folder of its own, such as build/<name>")
    try:
        if folder.is_dir():
            if any(folder.iterdir()) and not (folder / MANIFEST).is_file() and not force:
                raise BnnccError(f"the output folder {shown} is not empty and holds no bnncc artifact (no {MANIFEST}): "
                                 "choose another folder, or replace it with --force (in Python: force=True)")
            return
        if folder.exists() or folder.is_symlink():
            raise BnnccError(f"the output path {shown} exists and is not a folder")
        ancestor = next(p for p in folder.parents if p.exists())
    except OSError as exc:
        raise BnnccError(f"cannot use the output folder {shown}: {exc.strerror}") from None
    if not ancestor.is_dir():
        raise BnnccError(f"cannot create the output folder {shown}: {str(ancestor)!r} is not a folder")


def remove_stale_staging(folder: Path) -> list[Path]:
    """Remove the staging folders of `folder` whose compile is no longer running (killed); returns them."""
    pattern = re.compile(re.escape(f".{_short(folder.name)}-staging-") + r"(\d+)-[0-9a-f]+")
    removed = []
    try:
        siblings = list(folder.parent.iterdir())
    except OSError:
        return removed             # an unreadable parent: creating the staging folder reports it
    for sibling in siblings:
        match = pattern.fullmatch(sibling.name)
        if match and sibling.is_dir() and not sibling.is_symlink() and not _alive(int(match.group(1))):
            shutil.rmtree(sibling, ignore_errors=True)
            removed.append(sibling)
    return removed


def _short(name: str) -> str:
    return name[:STAGING_NAME_CHARS]


def _alive(pid: int) -> bool:
    """Whether process `pid` exists (a reused pid counts as alive: the folder waits for a later compile)."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except (PermissionError, OverflowError):
        return True
    return True


def _new_staging(folder: Path) -> Path:
    """A new empty folder beside `folder`, created like `mkdir` (mode 0777 less the umask)."""
    while True:
        staging = folder.parent / f".{_short(folder.name)}-staging-{os.getpid()}-{secrets.token_hex(4)}"
        try:
            os.mkdir(staging)
            return staging
        except FileExistsError:
            continue
        except OSError as exc:
            raise BnnccError(f"cannot create the output folder {str(folder)!r}: {exc.strerror}") from None


def _make_parents(folder: Path) -> list[Path]:
    """mkdir -p `folder`; returns the folders it created, deepest first."""
    created: list[Path] = []
    for path in reversed([p for p in [folder, *folder.parents] if not p.exists()]):
        try:
            os.mkdir(path)
        except FileExistsError:
            continue
        except OSError as exc:
            _remove_empty(created)
            raise BnnccError(f"cannot create the folder {str(path)!r}: {exc.strerror}") from None
        created.insert(0, path)
    return created


def _remove_empty(folders: list[Path]) -> None:
    for path in folders:
        try:
            path.rmdir()
        except OSError:
            return                 # not empty (another compile uses it) or gone


def _replace(staging: Path, folder: Path) -> None:
    """Put `staging` in the place of the existing `folder`, then remove the old content."""
    if _exchange(staging, folder):
        shutil.rmtree(staging, ignore_errors=True)         # the old content, under the staging name
        return
    # No atomic exchange (not Linux, kernel < 3.15, or a file system without it): two renames. A
    # kill between them leaves no output folder; the old one waits under a staging name, which the
    # next compile removes.
    backup = _new_staging(folder)
    os.rmdir(backup)
    os.rename(folder, backup)
    try:
        os.rename(staging, folder)
    except OSError:
        os.rename(backup, folder)                          # put the old folder back
        raise
    shutil.rmtree(backup, ignore_errors=True)


AT_FDCWD = -100
RENAME_EXCHANGE = 2


def _exchange(first: Path, second: Path) -> bool:
    """Swap two paths in one atomic step (renameat2 RENAME_EXCHANGE); False where unsupported."""
    try:
        renameat2 = ctypes.CDLL(None, use_errno=True).renameat2
    except (OSError, AttributeError, TypeError):      # no such C library function (glibc < 2.28, macOS)
        return False
    renameat2.argtypes = [ctypes.c_int, ctypes.c_char_p, ctypes.c_int, ctypes.c_char_p, ctypes.c_uint]
    renameat2.restype = ctypes.c_int
    if renameat2(AT_FDCWD, os.fsencode(first), AT_FDCWD, os.fsencode(second), RENAME_EXCHANGE) == 0:
        return True
    code = ctypes.get_errno()
    if code in (errno.ENOSYS, errno.EINVAL):           # the kernel or the file system lacks it
        return False
    raise OSError(code, os.strerror(code), str(second))
