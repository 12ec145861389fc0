#!/usr/bin/env bash
# Build (once) and print the path of a llama-cpp-python wheel for one CPU profile.
#
#   bash packaging/llama-wheel.sh native     this machine's best SIMD, never AMX (dev set-up, CI)
#   bash packaging/llama-wheel.sh portable   x86-64-v3: AVX2, FMA, F16C, BMI2 (bundles)
#
# Why not pip's own wheel cache: it keys a wheel by the source archive only, so a wheel
# compiled with -march=native on an AVX-512 machine would be reused on an AVX2 machine that
# shares the cache, and die there with SIGILL. Here the key also holds the profile, the
# compiler flags, CMAKE_ARGS and (for native) the CPU's feature flags.
#
# AMX stays off in both profiles: ggml asks the kernel for the AMX tile permission on the main
# thread only, so its worker threads die with SIGILL at the first batch of more than one token
# (upstream llama.cpp pull request "ggml-cpu/amx: request XFD XTILEDATA permission per
# thread"). ADED_LLAMA_AMX=1 opts back in for the native profile, once that is fixed.
#
# GPU builds: export CMAKE_ARGS="-DGGML_CUDA=on" (or -DGGML_METAL=on) first; it is part of the key.
set -euo pipefail
cd "$(dirname "$0")/.."
profile="${1:?usage: bash packaging/llama-wheel.sh native|portable}"
python="${PYTHON:-python3}"
version=0.3.36   # pyproject.toml allows >=0.3.36,<0.4; this is the release the project is tested on

# Multimodal (mtmd) is never used here; leaving it out saves minutes of compiling.
cmake_args="-DLLAVA_BUILD=OFF ${CMAKE_ARGS:-}"
cflags="${CFLAGS:-}"
case "$profile" in
    native)
        cmake_args="-DGGML_NATIVE=ON $cmake_args"
        if [ "$(uname -m)" = x86_64 ] && [ "${ADED_LLAMA_AMX:-0}" != 1 ]; then
            # GCC lets an explicit -mno-* win over what -march=native turns on, in any order.
            cflags="$cflags -mno-amx-tile -mno-amx-int8 -mno-amx-bf16"
        fi
        cpu=$(grep -m1 -E '^(flags|Features)' /proc/cpuinfo 2>/dev/null || uname -m)
        ;;
    portable)
        # GGML_NATIVE=OFF turns on SSE4.2, AVX, AVX2, FMA, F16C and BMI2 and nothing newer.
        cmake_args="-DGGML_NATIVE=OFF $cmake_args"
        cpu=portable
        ;;
    *)
        echo "unknown profile '$profile' (native or portable)" >&2
        exit 2
        ;;
esac
compiler=$( (${CC:-cc} --version 2>/dev/null || true) | head -n 1)
key=$(printf '%s\n' "$version" "$profile" "$cmake_args" "$cflags" "$cpu" "$compiler" \
      | sha256sum | cut -c1-16)
cache="${ADED_WHEEL_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/aded-chat/llama-cpp-python}/$profile-$key"

wheel=$(ls "$cache"/llama_cpp_python-"$version"-*.whl 2>/dev/null | head -n 1 || true)
if [ -z "$wheel" ]; then
    echo "compiling llama-cpp-python $version ($profile; 6-25 min on 2 cores, once)..." >&2
    mkdir -p "$cache.tmp"
    CMAKE_ARGS="$cmake_args" CFLAGS="$cflags" CXXFLAGS="${CXXFLAGS:-} $cflags" \
        "$python" -m pip wheel --disable-pip-version-check -q --no-deps --no-cache-dir \
        --no-binary llama-cpp-python -w "$cache.tmp" "llama-cpp-python==$version" >&2
    rm -rf "$cache" && mv "$cache.tmp" "$cache"   # a killed build leaves no half-made entry
    printf 'CMAKE_ARGS=%s\nCFLAGS=%s\n' "$cmake_args" "$cflags" > "$cache/build-flags.txt"
    wheel=$(ls "$cache"/llama_cpp_python-"$version"-*.whl | head -n 1)
fi
echo "$wheel"
