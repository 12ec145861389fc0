"""The window's status bar: one small widget per file, each with ``on_<event>`` slots that
the main window connects; ``bar.py`` puts them together."""
