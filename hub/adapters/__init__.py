"""Adapters: the hub's ports onto storage and NATS."""
