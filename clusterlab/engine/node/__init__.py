"""The worker-node side: kubelet, container runtime, kube-proxy."""
