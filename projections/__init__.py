"""Projections that follow the event store (FOI statistics, forum pack, trends): issues 4-5."""
