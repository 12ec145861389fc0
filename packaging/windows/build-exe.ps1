# Recipe (NOT run in this project's CI, which is Linux-only): build dist\aded-chat\aded-chat.exe
# (one folder) on Windows 10/11 x64.
#
#   powershell -ExecutionPolicy Bypass -File packaging\windows\build-exe.ps1          CPU
#   powershell -ExecutionPolicy Bypass -File packaging\windows\build-exe.ps1 -Cuda    NVIDIA GPU
#
# Needs: Python >= 3.10 (python.org, "py" launcher), Visual Studio 2022 Build Tools with
# "Desktop development with C++" and CMake (llama-cpp-python compiles llama.cpp), and for
# -Cuda the CUDA Toolkit 12.x (CUDA_PATH set). Run it from a "Developer PowerShell for VS".
# Ship the whole dist\aded-chat folder (zip it, or wrap it with Inno Setup / WiX).
param([switch]$Cuda)
$ErrorActionPreference = "Stop"
Set-Location (Join-Path $PSScriptRoot "..\..")

if (-not (Test-Path .venv-win\Scripts\python.exe)) { py -3 -m venv .venv-win }
$py = ".venv-win\Scripts\python.exe"
& $py -m pip install -q --upgrade pip
& $py -m pip install -q -e . "pyinstaller>=6.10,<7" pillow
if ($LASTEXITCODE -ne 0) { throw "pip install failed" }

# llama-cpp-python for this machine: CPU, or CUDA with -Cuda.
$env:CMAKE_ARGS = if ($Cuda) { "-DGGML_CUDA=on" } else { "-DGGML_CUDA=off" }
& $py -m pip install -q --force-reinstall --no-cache-dir --no-deps "llama-cpp-python>=0.3.36,<0.4"
if ($LASTEXITCODE -ne 0) { throw "llama-cpp-python build failed" }
Remove-Item Env:\CMAKE_ARGS

# The .exe icon: PyInstaller converts assets\aded-chat.png with Pillow.
# The spec collects every llama_cpp\lib\*.dll (llama.dll, ggml*.dll; with CUDA also
# ggml-cuda.dll). The CUDA runtime DLLs (cudart64_12.dll, cublas64_12.dll, cublasLt64_12.dll)
# are found by PyInstaller only if they are on PATH: add "$env:CUDA_PATH\bin" first.
if ($Cuda) { $env:PATH = "$env:CUDA_PATH\bin;$env:PATH" }
& $py -m PyInstaller --noconfirm --clean --distpath dist --workpath build\pyinstaller packaging\aded-chat.spec
if ($LASTEXITCODE -ne 0) { throw "PyInstaller failed" }

# Headless check. The .exe is a windowed program (no console), so its output is not shown:
# judge by the exit code.
$data = Join-Path $env:TEMP "aded-selftest"
$p = Start-Process -FilePath dist\aded-chat\aded-chat.exe -ArgumentList "--self-test", "--data-dir", $data -Wait -PassThru
if ($p.ExitCode -ne 0) { throw "self-test failed with exit code $($p.ExitCode)" }
"built dist\aded-chat ($([math]::Round((Get-ChildItem dist\aded-chat -Recurse | Measure-Object Length -Sum).Sum / 1MB)) MB), self-test OK"
