"""The job API's routes, one module per resource."""
