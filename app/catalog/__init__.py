"""Model > Get a model…: the catalog of models the program can fetch and verify itself."""
