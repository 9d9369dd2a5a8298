"""Tests of the command line: `batch-platform sql` and `batch-platform warehouse`."""
