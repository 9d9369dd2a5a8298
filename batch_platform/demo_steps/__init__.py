"""Demo steps of the domains beyond signals, each called by batch_platform/demo.py."""
