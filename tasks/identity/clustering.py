"""Clustering: clusters grown from the strongest links down, guarded against chaining different people."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import pandas as pd



# --- clustering ----------------------------------------------------------------------------------
@dataclass(frozen=True)
class Clusters:
    root: np.ndarray     # per node: the smallest node of its cluster
    links: pd.DataFrame  # the pairs that joined two clusters: left, right, score (+ pair columns)


def cluster(n_nodes: int, links: pd.DataFrame, conflicts: Callable[[list[int], list[int]], bool],
            max_cluster: int, anchors: np.ndarray | None = None,
            bridges: Callable[[int, int, frozenset[int]], bool] | None = None) -> Clusters:
    """Connected components grown from the strongest link down. A link is refused when the two
    clusters together would exceed `max_cluster` records, would hold two different anchors
    (`anchors`: per node, the existing lead it belongs to, -1 for none) unless `bridges(left,
    right, anchors)` says the link proves them one (see assignment.lead_bridges), or
    `conflicts(cluster_a, cluster_b)` says they hold different people; so one bad link cannot
    chain large clusters together. Links scored +inf are given and always taken."""
    parent = list(range(n_nodes))  # plain lists: this loop is Python, one step per link
    members: dict[int, list[int]] = {}
    anchor = [-1] * n_nodes if anchors is None else np.asarray(anchors, dtype=np.int64).tolist()
    held: dict[int, frozenset[int]] = {}  # per root holding several anchors (bridged): all of them

    def find(x: int) -> int:
        while parent[x] != x:
            parent[x] = parent[parent[x]]
            x = parent[x]
        return x

    def anchors_of(root: int) -> frozenset[int]:
        return held.get(root) or (frozenset((anchor[root],)) if anchor[root] >= 0 else frozenset())

    used = []
    order = links.assign(_given=np.isinf(links["score"].to_numpy(dtype=float))).sort_values(
        ["score", "left", "right"], ascending=[False, True, True], kind="stable")
    for row, left, right, forced in zip(order.index.tolist(), order["left"].to_numpy().tolist(),
                                        order["right"].to_numpy().tolist(), order["_given"].to_numpy().tolist()):
        a, b = find(left), find(right)
        if a == b:
            continue
        group_a, group_b = members.get(a, [a]), members.get(b, [b])
        both = None
        if not forced:
            if len(group_a) + len(group_b) > max_cluster:
                continue
            if anchor[a] >= 0 and anchor[b] >= 0:
                both = anchors_of(a) | anchors_of(b)
                if len(both) > 1 and (bridges is None or not bridges(left, right, both)):
                    continue
            if (len(group_a) > 1 or len(group_b) > 1) and conflicts(group_a, group_b):
                continue
        low, high = (a, b) if a < b else (b, a)
        parent[high] = low
        anchor[low] = max(anchor[low], anchor[high])
        if both is None and held and (a in held or b in held):
            both = anchors_of(a) | anchors_of(b)
        held.pop(high, None)
        if both is not None and len(both) > 1:
            held[low] = both
        members[low] = group_a + group_b
        members.pop(high, None)
        used.append(row)
    roots = np.asarray(parent, dtype=np.int64)
    while True:  # every node to its cluster's root (the cluster's smallest node), in whole-array steps
        jumped = roots[roots]
        if np.array_equal(jumped, roots):
            break
        roots = jumped
    return Clusters(root=roots, links=links.loc[used])
