"""Conversations on disk: the SQLite store, its checks and the dialog when the file is
not sound, the scrubber, message versions, and what the learned tables learned from them."""
