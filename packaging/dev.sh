#!/usr/bin/env bash
# One command from a fresh checkout to a running app or a passing test suite.
#
#   bash packaging/dev.sh app    set up, fetch the default model, start the window on it
#   bash packaging/dev.sh test   set up, fetch the small test model, run the whole test suite
#   bash packaging/dev.sh setup  set up and fetch the default model only
#
# Set-up is idempotent: a virtual environment in .venv with the project and its test extra.
# llama-cpp-python is compiled for this CPU by packaging/llama-wheel.sh (about 6-25 minutes
# on 2 cores, the first time; its wheel is kept per CPU and build flags, so later set-ups
# take seconds). AMX stays off (see that script). GPU builds: export
# CMAKE_ARGS="-DGGML_CUDA=on" (or -DGGML_METAL=on) before the first run (see README).
set -euo pipefail
cd "$(dirname "$0")/.."
what="${1:-app}"
shift || true

python="${PYTHON:-python3}"
if [ ! -x .venv/bin/python ]; then
    "$python" -m venv .venv
fi
stamp=.venv/.aded-installed
if [ ! -f "$stamp" ] || [ pyproject.toml -nt "$stamp" ] || [ packaging/llama-wheel.sh -nt "$stamp" ]; then
    .venv/bin/python -m pip install --disable-pip-version-check -q --upgrade pip
    wheel=$(PYTHON=.venv/bin/python bash packaging/llama-wheel.sh native)
    echo "installing ADED Chat and its dependencies..."
    .venv/bin/python -m pip install --disable-pip-version-check -q --force-reinstall --no-deps "$wheel"
    .venv/bin/python -m pip install --disable-pip-version-check -q -e ".[test]"
    touch "$stamp"
fi

# The app opens the catalog's default model (Qwen2.5-Coder-0.5B, 491 MB, fetched once);
# the tests run on SmolLM2-135M (98 MB), which is fast enough to load dozens of times.
case "$what" in
    app)
        model=$(.venv/bin/aded models fetch qwen2.5-coder-0.5b | tail -n 1)
        bash packaging/apt-install.sh "the window" qt-xcb
        exec .venv/bin/aded-chat --model "$model" "$@"
        ;;
    test)
        .venv/bin/aded models fetch smollm2-135m > /dev/null
        # tests/packaging runs the bundle's llama.cpp as an AVX2-only CPU would (qemu-user)
        bash packaging/apt-install.sh "the packaging tests" qemu-user binutils
        exec .venv/bin/python -m pytest -q "$@"
        ;;
    setup)
        model=$(.venv/bin/aded models fetch qwen2.5-coder-0.5b | tail -n 1)
        bash packaging/apt-install.sh "the window" qt-xcb
        echo "ready: .venv (default model: $model)"
        ;;
    *)
        echo "usage: bash packaging/dev.sh app|test|setup" >&2
        exit 2
        ;;
esac
