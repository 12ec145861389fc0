#!/usr/bin/env bash
# Recipe (NOT run in this project's CI, which is Linux-only): build "ADED Chat.app" on macOS.
#
#   bash packaging/macos/build-app.sh          Apple Silicon: llama.cpp with Metal
#   METAL=0 bash packaging/macos/build-app.sh  CPU only (e.g. Intel Macs)
#
# Needs: Xcode command line tools (xcode-select --install), CMake (brew install cmake), a
# python3 >= 3.10 from python.org or Homebrew. Result: dist/ADED Chat.app (and the plain
# folder dist/aded-chat). Unsigned: first start with right-click > Open, or sign/notarise it
# with your Developer ID (codesign --deep --options runtime ...; xcrun notarytool submit ...).
set -euo pipefail
cd "$(dirname "$0")/../.."

python="${PYTHON:-python3}"
[ -x .venv-macos/bin/python ] || "$python" -m venv .venv-macos
py=.venv-macos/bin/python
"$py" -m pip install -q --upgrade pip
"$py" -m pip install -q -e . "pyinstaller>=6.10,<7" pillow

# llama-cpp-python compiled for this Mac: with Metal (GPU) unless METAL=0. --no-cache-dir and
# --force-reinstall make sure a cached CPU wheel is not reused.
if [ "${METAL:-1}" = 1 ]; then
    CMAKE_ARGS="-DGGML_METAL=on" "$py" -m pip install -q --force-reinstall --no-cache-dir \
        --no-deps "llama-cpp-python>=0.3.36,<0.4"
else
    CMAKE_ARGS="-DGGML_METAL=off" "$py" -m pip install -q --force-reinstall --no-cache-dir \
        --no-deps "llama-cpp-python>=0.3.36,<0.4"
fi

# The icon: assets/aded-chat.icns from the 256 px PNG (sips and iconutil ship with macOS).
if [ ! -f assets/aded-chat.icns ]; then
    set_dir=$(mktemp -d)/aded-chat.iconset
    mkdir -p "$set_dir"
    for size in 16 32 128 256; do
        sips -z $size $size assets/aded-chat.png --out "$set_dir/icon_${size}x${size}.png" >/dev/null
        double=$((size * 2))
        [ $double -le 256 ] && sips -z $double $double assets/aded-chat.png \
            --out "$set_dir/icon_${size}x${size}@2x.png" >/dev/null
    done
    iconutil -c icns "$set_dir" -o assets/aded-chat.icns
fi

# The same spec as Linux: it adds llama_cpp/lib/libllama.dylib (Metal kernels are embedded
# in libggml-metal by default, GGML_METAL_EMBED_LIBRARY) and makes the .app with BUNDLE().
"$py" -m PyInstaller --noconfirm --clean --distpath dist --workpath build/pyinstaller \
    packaging/aded-chat.spec

app="dist/ADED Chat.app"
ls "$app/Contents/Frameworks/llama_cpp/lib/" || ls "$app/Contents/Resources/llama_cpp/lib/"
# Headless check: the self-test prints to stdout when started from a terminal.
"$app/Contents/MacOS/aded-chat" --self-test --data-dir "$(mktemp -d)"
echo "built $app ($(du -sh "$app" | cut -f1))"
