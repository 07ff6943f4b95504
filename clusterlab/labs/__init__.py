"""The lab runtime: labs, their command logs, the runner that drives each live lab, the lab page."""
