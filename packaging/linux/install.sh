#!/usr/bin/env bash
# Install the ADED Chat bundle for the current user (no root), or remove it.
#
#   bash packaging/linux/install.sh               from a checkout, after packaging/build-linux.sh
#   dist/aded-chat/install.sh                     from the built (or unpacked) bundle itself
#   ... install.sh --uninstall                    remove what install put in place (not your
#                                                 conversations and models: see below)
#   ... install.sh [--uninstall] [--prefix DIR]   DIR instead of ~/.local
#
# Puts the folder in $PREFIX/opt/aded-chat, a link in $PREFIX/bin, the .desktop file in
# $PREFIX/share/applications and the icon in $PREFIX/share/icons/hicolor/{scalable,256x256}.
# User data (conversations, tables, settings, models) lives in ~/.local/share/aded-chat and
# ~/.config/aded-chat and is never touched here.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
prefix="$HOME/.local"
action=install
while [ $# -gt 0 ]; do
    case "$1" in
        --uninstall) action=uninstall ;;
        --prefix) prefix="$2"; shift ;;
        -h|--help) sed -n '2,13p' "$0"; exit 0 ;;
        *) echo "unknown argument: $1" >&2; exit 2 ;;
    esac
    shift
done

opt="$prefix/opt/aded-chat"
bin="$prefix/bin/aded-chat"
apps="$prefix/share/applications"
icons="$prefix/share/icons/hicolor"
desktop="$apps/aded-chat.desktop"

refresh_caches() {
    command -v update-desktop-database >/dev/null && update-desktop-database -q "$apps" 2>/dev/null || true
    command -v gtk-update-icon-cache >/dev/null && gtk-update-icon-cache -q -t "$icons" 2>/dev/null || true
}

if [ "$action" = uninstall ]; then
    rm -rf "$opt"
    [ -L "$bin" ] && rm -f "$bin"
    rm -f "$desktop" "$icons/scalable/apps/aded-chat.svg" "$icons/256x256/apps/aded-chat.png"
    refresh_caches
    echo "ADED Chat removed from $prefix (conversations and models are kept in ~/.local/share/aded-chat)"
    exit 0
fi

# Where the bundle and its desktop files are: next to this script (inside the bundle), or
# dist/aded-chat + packaging/linux + assets in a checkout.
if [ -x "$here/aded-chat" ] && [ -d "$here/_internal" ]; then
    bundle="$here"; desktop_src="$here/aded-chat.desktop"; svg="$here/aded-chat.svg"; png="$here/aded-chat.png"
else
    root=$(cd "$here/../.." && pwd)
    bundle="$root/dist/aded-chat"; desktop_src="$here/aded-chat.desktop"
    svg="$root/assets/aded-chat.svg"; png="$root/assets/aded-chat.png"
fi
[ -x "$bundle/aded-chat" ] || { echo "no bundle at $bundle: run bash packaging/build-linux.sh first" >&2; exit 1; }

mkdir -p "$prefix/opt" "$prefix/bin" "$apps" "$icons/scalable/apps"
# Copy to a fresh folder, then swap it in, so a failed copy never leaves half an install.
rm -rf "$opt.new"
cp -a "$bundle" "$opt.new"
rm -rf "$opt"
mv "$opt.new" "$opt"
ln -sfn "$opt/aded-chat" "$bin"
# Exec with the absolute path: ~/.local/bin is not on every desktop session's PATH.
sed -e "s|^Exec=.*|Exec=\"$opt/aded-chat\"|" -e "s|^TryExec=.*|TryExec=$opt/aded-chat|" \
    "$desktop_src" > "$desktop"
chmod 644 "$desktop"
cp "$svg" "$icons/scalable/apps/aded-chat.svg"
if [ -f "$png" ]; then
    mkdir -p "$icons/256x256/apps"
    cp "$png" "$icons/256x256/apps/aded-chat.png"
fi
refresh_caches
echo "ADED Chat installed in $opt"
echo "  start it from the application menu, or run: $bin"
case ":$PATH:" in *":$prefix/bin:"*) ;; *) echo "  ($prefix/bin is not on your PATH)";; esac
