"""Which hub children are one child: the connected component of a child in the identity graph.

Edges are joins the hub made when one event carried identifiers of two hub children (they
never come apart) and ``identity.linked`` / ``identity.unlinked`` facts, where the latest
living fact for a pair decides. The component's *root* is its smallest id, so the same links
give the same root however they arrived.
"""

from __future__ import annotations

from projections._store import ProjectionStore


def component(store: ProjectionStore, child: bytes) -> list[bytes]:
    """Every hub child linked with ``child`` (itself included), root first."""
    seen = {child}
    todo = [child]
    while todo:
        node = todo.pop()
        for other in _neighbours(store, node):
            if other not in seen:
                seen.add(other)
                todo.append(other)
    return sorted(seen)


def _neighbours(store: ProjectionStore, node: bytes) -> set[bytes]:
    joined: set[bytes] = set()
    latest: dict[bytes, tuple[int, str]] = {}
    for a, b, kind, position in store.edges_of(node):
        other = b if a == node else a
        if kind == "join":
            joined.add(other)
        elif other not in latest or position > latest[other][0]:
            latest[other] = (position, kind)
    return joined | {other for other, (_, kind) in latest.items() if kind == "linked"}
