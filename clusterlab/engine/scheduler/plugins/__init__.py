"""Scheduler plugins, one per file, named as in kube-scheduler's default profile."""
