"""Steps `make demo` runs after the signals pipeline, one module per domain."""
