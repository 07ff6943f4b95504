"""The worker-node side: kubelet, container runtime (and kube-proxy, with Services)."""
