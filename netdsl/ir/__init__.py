"""The IR: the typed graph (core), the op registry, the graph built from a syntax tree, the checks."""

from .core import Network, Node, network, node, nodes

__all__ = ["Network", "Node", "network", "node", "nodes"]
