"""The main window: its layout, menus, status bar, welcome page and look (theme)."""
