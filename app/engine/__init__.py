"""The engine's thread seen from the window: the worker and its client, the learned
tables' worker, and waiting for the event loop."""
