"""ClusterLab: learn how Kubernetes works on a live, simulated cluster."""
