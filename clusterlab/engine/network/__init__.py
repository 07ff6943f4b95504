"""The pod network: name lookups, connections through kube-proxy's rules, policies and ingress."""
