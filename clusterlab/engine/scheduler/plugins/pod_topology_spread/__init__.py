"""The PodTopologySpread scheduler plugin (see `plugin.py`)."""

from .plugin import PodTopologySpread

__all__ = ["PodTopologySpread"]
