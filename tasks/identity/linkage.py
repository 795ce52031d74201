"""Record linkage: candidate pairs through blocking keys, pair scores as summed evidence weights
(Fellegi-Sunter style: log2 likelihood ratios per compared field, set in a YAML file), and
clusters grown from the strongest links down, guarded against chaining different people.

The functions here know nothing of leads: tasks.identity.assignment applies them to lead records and the
FEBRL benchmark to person records, each with its own configuration.
"""

from __future__ import annotations

from collections.abc import Callable

import pandas as pd

from tasks.identity.blocking import block_keys, pairs_within
from tasks.identity.clustering import Clusters, cluster
from tasks.identity.comparisons import LinkageConfig, Scorer, conflict_check, find_links


def link_records(frame: pd.DataFrame, config: LinkageConfig,
                 keep: Callable[[pd.DataFrame], pd.Series] | None = None) -> Clusters:
    """Cluster the records of one frame: block, score, link and grow guarded clusters.
    `keep` may drop candidate pairs (left, right) before scoring, e.g. pairs within one file."""
    nodes = frame[config.columns()].reset_index(drop=True)
    pairs = pairs_within(block_keys(nodes, config), config.max_block)
    if keep is not None:
        pairs = pairs[keep(pairs).to_numpy()].reset_index(drop=True)
    scorer = Scorer(config)
    coded = scorer.code(nodes)
    links = find_links(coded, pairs, scorer)
    return cluster(len(nodes), links, conflict_check(coded, scorer, passed=links), config.max_cluster)
