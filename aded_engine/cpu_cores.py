"""How many threads llama.cpp should use by default: this machine's physical performance
cores, as llama.cpp's own ``cpu_get_num_physical_cores`` chooses.

Two threads of one core share its arithmetic units, and llama.cpp's threads wait for each
other at every operation, so a thread per logical CPU makes each step wait on the slowest
sibling. Efficiency cores (hybrid Intel, Apple silicon) are left out for the same reason.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

MAX_DEFAULT_THREADS = 8  # beyond this a small model's step is memory-bound: more threads spin


def parse_cpu_list(text: str) -> set[int]:
    """'0-3,8,10-11' (the kernel's CPU list format) -> {0, 1, 2, 3, 8, 10, 11}."""
    cpus: set[int] = set()
    for part in text.strip().split(","):
        if not part:
            continue
        first, _, last = part.partition("-")
        cpus.update(range(int(first), int(last or first) + 1))
    return cpus


def physical_cores_linux(usable: set[int], sysfs: Path = Path("/sys/devices")) -> int | None:
    """Cores among the ``usable`` CPUs, SMT siblings counted once, efficiency cores left out
    where the kernel lists performance cores apart (``cpu_core/cpus`` on hybrid Intel)."""
    try:
        performance = sysfs / "cpu_core" / "cpus"
        if performance.exists():
            usable = usable & parse_cpu_list(performance.read_text()) or usable
        cores = set()
        for cpu in usable:
            topology = sysfs / "system" / "cpu" / f"cpu{cpu}" / "topology"
            siblings = topology / "core_cpus_list"
            if not siblings.exists():
                siblings = topology / "thread_siblings_list"
            cores.add(frozenset(parse_cpu_list(siblings.read_text())))
        return len(cores) or None
    except (OSError, ValueError):
        return None


def _sysctl_int(name: str) -> int | None:
    try:
        out = subprocess.run(["sysctl", "-n", name], capture_output=True, text=True, timeout=5)
        return int(out.stdout.strip()) if out.returncode == 0 else None
    except (OSError, ValueError, subprocess.TimeoutExpired):
        return None


def default_threads() -> int:
    logical = os.cpu_count() or 2
    cores = None
    if sys.platform.startswith("linux"):
        cores = physical_cores_linux(os.sched_getaffinity(0))
    elif sys.platform == "darwin":
        cores = _sysctl_int("hw.perflevel0.physicalcpu") or _sysctl_int("hw.physicalcpu")
    if cores is None:  # llama.cpp's guess where the OS does not say: SMT above 4 CPUs
        cores = logical // 2 if logical > 4 else logical
    return max(1, min(MAX_DEFAULT_THREADS, cores))
