"""Writing outputs so nothing is ever left half written: temp name, then rename.

* `atomic_write(path, write)`: one file, written to a hidden temporary beside it and
  renamed into place.
* `write_files(folder, {name: write})`: several files of one run, every one written to its
  temporary before any is renamed, so a full disk leaves the previous set whole.
* `resolve_path(path)`: a relative path found from the working directory or the nearest
  folder above it that has it (notebooks run from `notebooks/`).
* `atomic_folder(path, owned)`: a whole folder (simulation results, a study) built as a
  hidden sibling and swapped into place in one step; a folder holding files spmsim did
  not write is never replaced.

Temporaries are named `.<name>.<pid>-<random>.tmp` (and a replaced folder
`.<name>.<pid>-<random>.old` until it is removed); those of a process that is no longer
running (a killed run) are removed the next time anything is written in their folder.

CSV outputs are opened by finance in spreadsheets: a text cell starting with `=`, `+`,
`-`, `@`, a tab or a carriage return would run as a formula, so `write_csv` prefixes such
cells with an apostrophe (OWASP's advice on CSV injection); numbers, including negative
numbers written as text, are left alone.
"""

from __future__ import annotations

import contextlib
import ctypes
import hashlib
import os
import re
import shutil
import tempfile
from collections.abc import Callable, Collection, Iterator, Mapping
from pathlib import Path
from typing import NoReturn

import numpy as np
import pandas as pd

from spmsim.errors import InputError

# `.<name>.<pid>-<8 random characters of mkstemp>.tmp` (or `.old`)
_TEMP = re.compile(r"^\..+\.(\d+)-[a-z0-9_]{8}\.(tmp|old)$")
_cleaned: set[Path] = set()


def _alive(pid: int) -> bool:
    if pid == os.getpid():
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # someone else's live process
        return True
    return True


def clean_stale(folder: str | Path) -> list[Path]:
    """Remove the temporaries that runs no longer alive left in `folder` (a killed run's
    `.reps.parquet.123-x.tmp`); returns what was removed. Others' live runs are left."""
    removed = []
    try:
        entries = list(os.scandir(folder))
    except OSError:
        return removed
    for entry in entries:
        m = _TEMP.match(entry.name)
        if not m or _alive(int(m.group(1))):
            continue
        path = Path(entry.path)
        with contextlib.suppress(OSError):
            if entry.is_dir(follow_symlinks=False):
                shutil.rmtree(path)
            else:
                path.unlink()
            removed.append(path)
    return removed


@contextlib.contextmanager
def naming(path: str | Path) -> Iterator[None]:
    """Re-raise an OSError that does not say which file (pyarrow's, duckdb's) with `path`,
    so the message a user sees names it."""
    try:
        yield
    except OSError as e:
        if e.filename is not None:
            raise
        what = os.strerror(e.errno) if e.errno else " ".join(str(e).split())
        raise OSError(e.errno, what, str(path)) from e


def _prepare(folder: Path) -> None:
    """Create `folder` and, once per process, clean stale temporaries in it."""
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except (FileExistsError, NotADirectoryError) as e:
        blocker = next((p for p in (folder, *folder.parents) if p.exists() and not p.is_dir()),
                       folder)
        raise InputError(blocker, "is a file, not a folder: choose another output path") from e
    key = folder.resolve()
    if key not in _cleaned:
        clean_stale(folder)
        _cleaned.add(key)


def _temp_prefix(path: Path) -> str:
    return f".{path.name}.{os.getpid()}-"


def _named_for(e: OSError, target: Path) -> OSError:
    """The error with the hidden temporary of `target` in its file name replaced by
    `target` itself (`out/.run.12-ab.tmp/reps.parquet` -> `out/run/reps.parquet`): the
    user knows the path they asked for, not our temporary."""
    prefix = str(target.parent / _temp_prefix(target))
    name = str(e.filename or "")
    if not name.startswith(prefix):
        return e
    inside = name[len(prefix):].partition(os.sep)[2]
    shown = target / inside if inside else target
    return OSError(e.errno, e.strerror or str(e), str(shown))


def _reraise_named(e: OSError, target: Path) -> NoReturn:
    named = _named_for(e, target)
    if named is e:
        raise e
    raise named from e


def _mode_for(path: Path) -> int:
    """Keep an existing file's mode; a new file gets the usual 0666 less the umask."""
    if path.exists():
        return path.stat().st_mode & 0o777
    umask = os.umask(0)
    os.umask(umask)
    return 0o666 & ~umask


def _temp_file(path: Path) -> Path:
    fd, tmp = tempfile.mkstemp(prefix=_temp_prefix(path), suffix=".tmp", dir=path.parent)
    os.close(fd)
    os.chmod(tmp, _mode_for(path))
    return Path(tmp)


def atomic_write(path: str | Path, write: Callable[[Path], object]) -> Path:
    """Call `write(temp_path)` on a temporary file beside `path`, then rename it into place."""
    path = Path(path)
    _prepare(path.parent)
    tmp = None
    try:
        tmp = _temp_file(path)
        with naming(tmp):
            write(tmp)
        os.replace(tmp, path)
    except OSError as e:
        if tmp is not None:
            tmp.unlink(missing_ok=True)
        _reraise_named(e, path)
    except BaseException:
        if tmp is not None:
            tmp.unlink(missing_ok=True)
        raise
    return path


def write_files(folder: str | Path, writers: Mapping[str, Callable[[Path], object]]
                ) -> list[Path]:
    """Write several files of one run into `folder`: each `writers[name](temp_path)` first,
    then all renamed into place, so an error (a full disk) leaves the earlier set whole."""
    folder = Path(folder)
    _prepare(folder)
    temps: dict[Path, Path] = {}
    path = folder
    try:
        for name, write in writers.items():
            path = folder / name
            temps[path] = _temp_file(path)
            with naming(temps[path]):
                write(temps[path])
        for path, tmp in temps.items():
            os.replace(tmp, path)
    except BaseException as e:
        for tmp in temps.values():
            tmp.unlink(missing_ok=True)
        if isinstance(e, OSError):
            _reraise_named(e, path)
        raise
    return list(temps)


def _exchange(a: Path, b: Path) -> bool:
    """Swap two paths in one step (Linux renameat2 RENAME_EXCHANGE); False where the
    system or filesystem cannot."""
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        renameat2 = libc.renameat2
    except (OSError, AttributeError):
        return False
    at_fdcwd, rename_exchange = -100, 2
    return renameat2(at_fdcwd, os.fsencode(a), at_fdcwd, os.fsencode(b), rename_exchange) == 0


# what file browsers leave in any folder they show
_BROWSER_FILES = frozenset({".DS_Store", "Thumbs.db", "desktop.ini"})


def _foreign(path: Path, owned: Collection[str]) -> list[str]:
    """Entries of an existing folder that spmsim would not have written there."""
    return sorted(e.name for e in os.scandir(path) if e.name not in owned and
                  e.name not in _BROWSER_FILES and not _TEMP.match(e.name))


@contextlib.contextmanager
def atomic_folder(path: str | Path, owned: Collection[str]) -> Iterator[Path]:
    """Build a folder as a unit: yields an empty hidden sibling to write into; when the
    block ends without error it replaces `path` in one step (the previous folder is
    removed after), and on any error it is removed and `path` is left as it was.

    `owned` names the entries spmsim writes in such a folder: an existing `path` holding
    anything else is refused (InputError) rather than replaced.
    """
    path = Path(path)
    if path.is_symlink():
        raise InputError(path, "is a symbolic link: give the folder it points to, or another "
                               "output folder")
    if path.exists() and not path.is_dir():
        raise InputError(path, "exists and is not a folder: choose another output folder")
    if path.is_dir():
        foreign = _foreign(path, owned)
        if foreign:
            shown = ", ".join(foreign[:5]) + (", ..." if len(foreign) > 5 else "")
            raise InputError(path, f"holds files spmsim did not write here ({shown}): "
                                   "choose a new or empty output folder, or remove them")
    _prepare(path.parent)
    try:
        tmp = Path(tempfile.mkdtemp(prefix=_temp_prefix(path), suffix=".tmp", dir=path.parent))
    except OSError as e:
        _reraise_named(e, path)
    try:
        os.chmod(tmp, 0o777 & ~_umask())
        yield tmp
        if not path.exists():
            os.rename(tmp, path)
        elif _exchange(tmp, path):
            shutil.rmtree(tmp)  # now the previous folder
        else:
            old = tmp.with_name(tmp.name.removesuffix(".tmp") + ".old")
            os.rename(path, old)
            os.rename(tmp, path)
            shutil.rmtree(old, ignore_errors=True)
    except OSError as e:
        shutil.rmtree(tmp, ignore_errors=True)
        _reraise_named(e, path)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise


def sha256_file(path: str | Path) -> str:
    """The SHA-256 of a file's bytes, as hex (what result manifests record)."""
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _umask() -> int:
    umask = os.umask(0)
    os.umask(umask)
    return umask


def text_writer(text: str) -> Callable[[Path], object]:
    """A writer of `text` as UTF-8 with its line ends as given (for `write_files`, ...)."""
    return lambda path: Path(path).write_text(text, encoding="utf-8", newline="")


def atomic_write_text(path: str | Path, text: str) -> Path:
    """Write `text` to a temporary file beside `path`, then rename it into place."""
    return atomic_write(path, text_writer(text))


def write_parquet(df: pd.DataFrame, path: str | Path) -> Path:
    """A Parquet file (pyarrow, no index), written atomically."""
    return atomic_write(path, lambda tmp: df.to_parquet(tmp, index=False, engine="pyarrow"))


# ---- CSV for spreadsheets ---------------------------------------------------------------
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
_NUMBER = re.compile(r"[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?")


def _neutral(value: object) -> object:
    """A text cell a spreadsheet would run as a formula, prefixed with an apostrophe."""
    if isinstance(value, str) and value.startswith(_FORMULA_START) and \
            not _NUMBER.fullmatch(value):
        return "'" + value
    return value


def spreadsheet_safe(df: pd.DataFrame) -> pd.DataFrame:
    """A copy of `df` whose text cells and column names cannot run as spreadsheet formulas;
    numeric columns are untouched."""
    out = df.copy()
    for column in out.columns:
        if not (pd.api.types.is_numeric_dtype(out[column])
                or pd.api.types.is_datetime64_any_dtype(out[column])):
            values = out[column].astype(object)
            out[column] = np.array([_neutral(v) for v in values], dtype=object)
    out.columns = [_neutral(c) for c in out.columns]
    return out


def csv_text(df: pd.DataFrame) -> str:
    """The CSV text `write_csv` writes: spreadsheet-safe, no index, '\\n' line ends."""
    return spreadsheet_safe(df).to_csv(index=False, lineterminator="\n")


def write_csv(df: pd.DataFrame, path: str | Path) -> Path:
    """A CSV with stable bytes (no index, '\\n' line ends), formula-like text cells
    neutralised, written atomically."""
    return atomic_write_text(path, csv_text(df))


def resolve_path(path: str | Path, start: Path | None = None) -> Path:
    """An absolute path as is; a relative one from `start` (the working directory) or the
    nearest folder above it that has it, so `scenarios/...` works from the repository root
    and from `notebooks/` (where JupyterLab and Voila run a notebook)."""
    path = Path(path)
    if path.is_absolute():
        return path
    here = (start or Path.cwd()).resolve()
    for folder in (here, *here.parents):
        if (folder / path).exists():
            return folder / path
    return here / path
