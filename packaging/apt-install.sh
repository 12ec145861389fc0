#!/usr/bin/env bash
# Install the Debian/Ubuntu packages that are missing, when that is possible (root, apt):
#
#   bash packaging/apt-install.sh "what needs them" PACKAGE...
#
# qt-xcb stands for the xcb libraries that Qt's X11 platform plugin links and minimal images lack.
# Elsewhere (another distribution, no root) it only says what is missing; it never fails.
set -u
why="$1"
shift
[ "$(uname -s)" = Linux ] && command -v dpkg >/dev/null || exit 0
missing=()
wanted=()
for pkg in "$@"; do
    if [ "$pkg" = qt-xcb ]; then
        wanted+=(libxcb-cursor0 libxcb-icccm4 libxcb-keysyms1 libxcb-shape0 libxkbcommon-x11-0)
    else
        wanted+=("$pkg")
    fi
done
for pkg in "${wanted[@]}"; do
    dpkg -s "$pkg" >/dev/null 2>&1 || missing+=("$pkg")
done
[ ${#missing[@]} -eq 0 ] && exit 0
if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
    apt-get install -y -q "${missing[@]}" >/dev/null 2>&1 \
        || { apt-get update -q >/dev/null 2>&1 && apt-get install -y -q "${missing[@]}" >/dev/null 2>&1; } \
        || echo "note: could not install ${missing[*]}; $why may need them"
else
    echo "note: $why may need: sudo apt-get install ${missing[*]}"
fi
