"""Entrypoints: the NATS consumer and the command line. Thin: parse, call, report."""
