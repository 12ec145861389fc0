#!/usr/bin/env bash
# Build llama.cpp's server from the source that the installed llama-cpp-python carries, for
# the benchmark's optional peer:  aded-bench --llama-server build/llama-server/cmake/bin/llama-server
# (the same llama.cpp as the engine's, so the comparison is like with like).
# Usage: bash packaging/build-llama-server.sh [OUT_DIR]   (default build/llama-server)
set -euo pipefail
cd "$(dirname "$0")/.."
OUT="$(realpath -m "${1:-build/llama-server}")"
PY="${PYTHON:-.venv/bin/python}"
VERSION="$("$PY" -c 'import llama_cpp; print(llama_cpp.__version__)')"
SRC="$OUT/src"
mkdir -p "$SRC"
if [ ! -d "$SRC/llama_cpp_python-$VERSION" ]; then
    "$PY" -m pip download --quiet --no-deps --no-binary :all: "llama-cpp-python==$VERSION" -d "$SRC"
    tar -xzf "$SRC/llama_cpp_python-$VERSION.tar.gz" -C "$SRC"
fi
cmake -S "$SRC/llama_cpp_python-$VERSION/vendor/llama.cpp" -B "$OUT/cmake" \
    -DCMAKE_BUILD_TYPE=Release -DLLAMA_CURL=OFF -DLLAMA_BUILD_TESTS=OFF \
    -DLLAMA_BUILD_EXAMPLES=OFF ${CMAKE_ARGS:-}
cmake --build "$OUT/cmake" --target llama-server -j "$(nproc)"
test -x "$OUT/cmake/bin/llama-server"
echo "$OUT/cmake/bin/llama-server"
