"""PyInstaller entry point of the ADED Chat bundle: the same ``app.main:main`` as the
``aded-chat`` script that pip installs (a frozen program needs a file, not an entry point)."""

import multiprocessing
import sys

if __name__ == "__main__":
    multiprocessing.freeze_support()  # harmless on Linux; needed if a child process is ever spawned on Windows/macOS
    if sys.argv[1:2] == ["--aded-probe-child"]:  # aded_engine/probe.py's child_command()
        from aded_engine.probe import main as probe_main

        sys.exit(probe_main(sys.argv[2:]))
    from app.main import main

    sys.exit(main())
