"""The app's settings (one JSON file) and the dialogs that change them or show where
things are: settings, data locations, teaching, the local API server, reopening at start."""
