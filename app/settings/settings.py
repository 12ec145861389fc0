"""The app's settings: one JSON file under the config folder.

A missing file gives the defaults; an unreadable, half-written or oversized one (not JSON, not
an object) is set aside (``settings.json.corrupt-<time>``, aded_engine/set_aside.py) and the
defaults are used, and the window says which file and where the copy is; each field that
cannot be read alone falls back to its default; never a crash; numbers are clamped into ``RANGES``, the
ranges the settings dialogs offer, so a hand-edited ``1e9`` cannot freeze a reply. Saving
writes a temporary file and renames it, so a power cut leaves either the old file or the new
one.
"""

from __future__ import annotations

import json
import math
from dataclasses import asdict, dataclass, field, fields
from pathlib import Path

from aded_engine.atomic_file import write_atomically
from aded_engine.backend import BackendSettings
from aded_engine.proposer import AdedSettings
from aded_engine.sampling import CHAT_SAMPLING, SamplingSettings
from aded_engine.set_aside import set_aside
from aded_engine.search import SearchSettings
from aded_engine.session import SessionSettings
from aded_engine.trigram import TableSettings

FILE_NAME = "settings.json"
MAX_RECENT = 8
SAMPLING_KEYS = ("temperature", "top_k", "top_p", "min_p", "repeat_penalty", "repeat_last_n",
                 "seed", "max_tokens")
ADAPTATIONS = {"decay": "Recency-decayed counts (default)",
               "paper": "ADED paper's rule (+0.04 boosts, no decay)"}
MAX_FILE_BYTES = 1 << 20  # a settings file is a few hundred bytes
# (lowest, highest) of every number in the settings and a conversation's sampling values
RANGES = {
    "n_threads": (0, 256), "n_gpu_layers": (0, 999), "n_ctx": (256, 262144),
    "temperature": (0.0, 2.0), "top_k": (0, 1000), "top_p": (0.01, 1.0), "min_p": (0.0, 1.0),
    "repeat_penalty": (1.0, 2.0), "repeat_last_n": (1, 4096), "max_tokens": (1, 32768),
    "seed": (-1, 2**31 - 1), "draft_simulations": (1, 512), "draft_depth": (1, 16),
    "last_conversation": (0, 2**63 - 1), "server_port": (0, 65535),
}


@dataclass
class AppSettings:
    n_threads: int = 0  # 0: automatic
    n_gpu_layers: int = 0
    n_ctx: int = 4096
    aded: bool = True
    # Chat defaults (aded_engine.sampling.CHAT_SAMPLING: sampled, with a mild repeat
    # penalty; Greedy is one click away in a conversation's settings)
    temperature: float = CHAT_SAMPLING.temperature
    top_k: int = CHAT_SAMPLING.top_k
    top_p: float = CHAT_SAMPLING.top_p
    min_p: float = CHAT_SAMPLING.min_p
    repeat_penalty: float = CHAT_SAMPLING.repeat_penalty
    repeat_last_n: int = CHAT_SAMPLING.repeat_last_n
    seed: int = -1  # -1: random
    max_tokens: int = 512
    show_drafts: bool = False  # mark the tokens of replies that came from accepted drafts
    theme: str = "system"  # "light", "dark" or "system" (app/mainwindow/appearance.py)
    show_sidebar: bool = True  # View > Sidebar
    show_speed_panel: bool = True  # View > Speed panel
    # ADED's main knobs (the cost model decides how much of each tree is verified)
    draft_simulations: int = 48
    draft_depth: int = 8
    table_adaptation: str = "decay"  # or "paper"
    recent_models: list[str] = field(default_factory=list)
    attach_folder: str = ""  # where the last attachment came from: Attach… starts there
    # started without --model: open the last model and show the last conversation again
    reopen_last: bool = True
    last_conversation: int = 0  # 0: none yet
    # Model > Local API server: where it listens (its API key is not written to disk: it is
    # typed again for each start of the app)
    server_host: str = "127.0.0.1"
    server_port: int = 8080

    def session_settings(self) -> SessionSettings:
        backend = BackendSettings(n_ctx=self.n_ctx, n_threads=self.n_threads or None,
                                  n_gpu_layers=self.n_gpu_layers)
        search = SearchSettings(simulations=max(1, self.draft_simulations),
                                max_depth=min(16, max(1, self.draft_depth)))
        adaptation = self.table_adaptation if self.table_adaptation in ADAPTATIONS else "decay"
        return SessionSettings(backend=backend, aded=AdedSettings(search_settings=search),
                               table=TableSettings(adaptation=adaptation))

    def sampling_defaults(self) -> dict:
        return {k: getattr(self, k) for k in SAMPLING_KEYS}

    def sampling_values(self, overrides: dict) -> dict:
        """The defaults with a conversation's own values (keys not known are left out)."""
        values = self.sampling_defaults()
        values.update({k: v for k, v in overrides.items() if k in values})
        return values

    def overrides(self, values: dict) -> dict:
        """A conversation's own values: those of ``values`` that differ from the defaults
        here (a field left at the default follows the default when Settings change it; the
        float fields compare as the dialogs show them, to 2 decimals)."""
        defaults = self.sampling_defaults()

        def same(key, value) -> bool:
            default = defaults[key]
            if isinstance(default, float) or isinstance(value, float):
                return round(float(value), 2) == round(float(default), 2)
            return value == default

        return {k: v for k, v in values.items() if k in defaults and not same(k, v)}

    def greedy(self, overrides: dict, on: bool) -> dict:
        """A conversation's values with Greedy switched on (temperature 0) or off (the
        default temperature, or 0.7 where the default is greedy too)."""
        default = self.temperature if self.temperature > 0 else 0.7
        return {**overrides, "temperature": 0.0 if on else default}

    def add_recent(self, path: str) -> None:
        self.recent_models = [path] + [p for p in self.recent_models if p != path]
        del self.recent_models[MAX_RECENT:]


def sampling_settings(values: dict) -> SamplingSettings:
    """SamplingSettings from stored values (defaults merged with a conversation's overrides)."""
    d = SamplingSettings()
    seed = _bounded("seed", values.get("seed"), -1)
    return SamplingSettings(**{k: _bounded(k, values.get(k), getattr(d, k))
                               for k in SAMPLING_KEYS if k != "seed"},
                            seed=None if seed < 0 else seed)


def _bounded(key: str, value, default):
    """``value`` with ``default``'s type, clamped into ``RANGES[key]``; ``default`` when it is
    not a finite number (JSON allows Infinity and NaN; a bool is not a number here). An int
    too large for a float (JSON allows ``1e309`` written out in digits) is clamped as it is:
    it is compared as an int, never turned into a float (that raised OverflowError)."""
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return default
    if isinstance(value, float) and not math.isfinite(value):
        return default
    low, high = RANGES[key]
    try:
        return type(default)(min(high, max(low, value)))
    except (OverflowError, ValueError, TypeError):  # anything else that cannot be read
        return default


def settings_path() -> Path:
    from aded_engine.paths import config_dir
    return config_dir() / FILE_NAME


_problems: list[str] = []


def take_problems() -> list[str]:
    """What ``load_settings`` set aside since the last call, for the window to say."""
    out = list(_problems)
    _problems.clear()
    return out


def _damaged(path: Path, reason: str) -> AppSettings:
    """A settings file that cannot be read as a whole is kept (renamed aside, as damaged
    tables are: aded_engine/set_aside.py), never silently overwritten by the defaults the
    next save writes; the window says which file and where its copy is."""
    _problems.append(set_aside(path, reason, f"in {path.parent}; the default settings are used",
                               note=False))
    return AppSettings()


def load_settings(path: Path | None = None) -> AppSettings:
    path = path or settings_path()
    try:
        if not path.exists():
            return AppSettings()  # the first start
        if path.stat().st_size > MAX_FILE_BYTES:
            return _damaged(path, f"larger than {MAX_FILE_BYTES // 1024} KB, not a settings file")
        data = json.loads(path.read_text(encoding="utf-8"))
    except OSError as exc:
        return _damaged(path, f"could not be read ({exc.strerror or exc})")
    except (ValueError, RecursionError) as exc:  # RecursionError: deeply nested JSON
        return _damaged(path, f"not valid JSON ({type(exc).__name__}: {str(exc)[:80]})")
    if not isinstance(data, dict):
        return _damaged(path, f"holds a JSON {type(data).__name__}, not an object of settings")
    settings = AppSettings()
    for f in fields(AppSettings):
        value = data.get(f.name)
        default = getattr(settings, f.name)
        if isinstance(default, list):
            if isinstance(value, list):
                setattr(settings, f.name, [v for v in value if isinstance(v, str)][:MAX_RECENT])
        elif isinstance(default, bool):
            if isinstance(value, bool):
                setattr(settings, f.name, value)
        elif isinstance(default, str):
            if isinstance(value, str):
                setattr(settings, f.name, value)
        else:
            setattr(settings, f.name, _bounded(f.name, value, default))
    return settings


def save_settings(settings: AppSettings, path: Path | None = None) -> None:
    path = path or settings_path()
    write_atomically(path, json.dumps(asdict(settings), indent=2).encode("utf-8"))
