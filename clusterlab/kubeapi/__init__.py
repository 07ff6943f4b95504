"""Each lab's Kubernetes REST API, at ``/k8s/<lab api key>/``: what real kubectl and client
libraries talk to. Requests are parsed here and run on the lab's engine in the lab runner."""
