"""Writing outputs so nothing is ever left half written: temp name, then rename; and
relative paths found from the repository root or a folder below it (`resolve_path`)."""

from __future__ import annotations

import os
import tempfile
from collections.abc import Callable
from pathlib import Path

import pandas as pd


def _mode_for(path: Path) -> int:
    """Keep an existing file's mode; a new file gets the usual 0666 less the umask."""
    if path.exists():
        return path.stat().st_mode & 0o777
    umask = os.umask(0)
    os.umask(umask)
    return 0o666 & ~umask


def atomic_write(path: str | Path, write: Callable[[Path], object]) -> Path:
    """Call `write(temp_path)` on a temporary file beside `path`, then rename it into place."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    os.close(fd)
    try:
        os.chmod(tmp, _mode_for(path))
        write(Path(tmp))
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return path


def atomic_write_text(path: str | Path, text: str) -> Path:
    """Write `text` to a temporary file beside `path`, then rename it into place."""
    return atomic_write(path, lambda tmp: tmp.write_text(text, newline=""))


def write_parquet(df: pd.DataFrame, path: str | Path) -> Path:
    """A Parquet file (pyarrow, no index), written atomically."""
    return atomic_write(path, lambda tmp: df.to_parquet(tmp, index=False, engine="pyarrow"))


def write_csv(df: pd.DataFrame, path: str | Path) -> Path:
    """A CSV with stable bytes (no index, '\\n' line ends), written atomically."""
    return atomic_write_text(path, df.to_csv(index=False, lineterminator="\n"))


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
