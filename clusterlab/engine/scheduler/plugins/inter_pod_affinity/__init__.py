"""The InterPodAffinity scheduler plugin (see `plugin.py`)."""

from .plugin import InterPodAffinity

__all__ = ["InterPodAffinity"]
