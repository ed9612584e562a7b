"""Sinew: the Python client for the Sinew durable message broker.

This release holds the protocol foundation: `sinew.wire` (frames, typed messages and their
encoding), `sinew.routing` (partition routing) and `sinew.naming` (name and header rules).
The connection and the publishing and consuming API are built on top of them.
"""

from __future__ import annotations

__all__ = ["__version__"]

__version__ = "0.1.0"
