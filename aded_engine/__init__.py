"""ADED engine: headless ADED decoding for GGUF models through llama.cpp (no Qt here)."""
