"""Steps of `make demo` contributed by the domains beyond signals."""
