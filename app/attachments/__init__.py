"""Documents attached to messages: the record, loading files, the chips, drops on the
window, and their prompt on the engine thread."""
