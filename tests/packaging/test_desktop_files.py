"""Linux desktop integration: the .desktop file, the icons and install.sh (on a stand-in
bundle, so this runs in a second without building anything)."""

from __future__ import annotations

import configparser
import os
import shutil
import stat
import struct
import subprocess
import sys
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
DESKTOP = ROOT / "packaging" / "linux" / "aded-chat.desktop"
INSTALL = ROOT / "packaging" / "linux" / "install.sh"


def desktop_entry(path: Path) -> dict[str, str]:
    parser = configparser.ConfigParser(interpolation=None, strict=True)
    parser.optionxform = str  # keys are case-sensitive
    parser.read(path, encoding="utf-8")
    return dict(parser["Desktop Entry"])


def test_desktop_entry():
    entry = desktop_entry(DESKTOP)
    assert entry["Type"] == "Application"
    assert entry["Name"] == "ADED Chat"
    assert entry["Icon"] == "aded-chat"
    # must match the app's QGuiApplication.setDesktopFileName / X11 WM_CLASS
    assert entry["StartupWMClass"] == "aded-chat"
    assert entry["Exec"].split()[0] == "aded-chat"
    assert entry["Categories"].endswith(";")
    if shutil.which("desktop-file-validate"):
        out = subprocess.run(["desktop-file-validate", str(DESKTOP)], capture_output=True,
                             text=True)
        assert out.returncode == 0, out.stdout + out.stderr


def test_icons():
    svg = ET.parse(ROOT / "assets" / "aded-chat.svg").getroot()
    assert svg.tag.endswith("svg") and svg.get("viewBox") == "0 0 256 256"
    png = (ROOT / "assets" / "aded-chat.png").read_bytes()
    assert png[:8] == b"\x89PNG\r\n\x1a\n"
    assert struct.unpack(">II", png[16:24]) == (256, 256)


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="Linux desktop files")
def test_install_and_uninstall_for_the_user(tmp_path):
    """install.sh run from inside a (stand-in) bundle, into a temporary prefix."""
    bundle = tmp_path / "aded-chat"
    (bundle / "_internal").mkdir(parents=True)
    exe = bundle / "aded-chat"
    exe.write_text("#!/bin/sh\necho fake\n")
    exe.chmod(exe.stat().st_mode | stat.S_IXUSR)
    for src in [INSTALL, DESKTOP, ROOT / "assets" / "aded-chat.svg",
                ROOT / "assets" / "aded-chat.png"]:
        shutil.copy(src, bundle / src.name)
    prefix = tmp_path / "prefix"
    env = {"HOME": str(tmp_path / "home"), "PATH": os.environ.get("PATH", "/usr/bin:/bin")}
    run = subprocess.run(["bash", str(bundle / "install.sh"), "--prefix", str(prefix)],
                         capture_output=True, text=True, env=env, timeout=60)
    assert run.returncode == 0, run.stderr
    opt = prefix / "opt" / "aded-chat"
    assert (opt / "aded-chat").is_file() and (opt / "_internal").is_dir()
    assert (prefix / "bin" / "aded-chat").resolve() == (opt / "aded-chat").resolve()
    entry = desktop_entry(prefix / "share" / "applications" / "aded-chat.desktop")
    assert entry["Exec"] == f'"{opt}/aded-chat"'
    assert entry["Icon"] == "aded-chat"
    icons = prefix / "share" / "icons" / "hicolor"
    assert (icons / "scalable" / "apps" / "aded-chat.svg").is_file()
    assert (icons / "256x256" / "apps" / "aded-chat.png").is_file()

    again = subprocess.run(["bash", str(bundle / "install.sh"), "--prefix", str(prefix)],
                           capture_output=True, text=True, env=env, timeout=60)
    assert again.returncode == 0, again.stderr  # reinstalling over an install works

    gone = subprocess.run(["bash", str(opt / "install.sh"), "--uninstall", "--prefix",
                           str(prefix)], capture_output=True, text=True, env=env, timeout=60)
    assert gone.returncode == 0, gone.stderr
    assert not opt.exists() and not (prefix / "bin" / "aded-chat").exists()
    assert not (prefix / "share" / "applications" / "aded-chat.desktop").exists()
    assert not (icons / "scalable" / "apps" / "aded-chat.svg").exists()
