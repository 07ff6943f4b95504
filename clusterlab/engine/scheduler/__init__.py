"""kube-scheduler: the scheduling framework in miniature, one plugin per file."""
