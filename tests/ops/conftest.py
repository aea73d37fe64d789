"""The v2 node fixtures serve the operations tests too."""

from tests.v2.conftest import node, start_v2_node

__all__ = ["node", "start_v2_node"]
