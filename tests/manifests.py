"""Kubernetes manifests that more than one test (engine, console, real-kubectl, web, bench) applies.

Each is YAML text exactly as the tests feed it (or a function that fills a count into one):
where a test pipes one to kubectl (`apply -f -`, real or the console's) the bytes are what
kubectl reads, so a change here changes what those tests type. Most start with a newline and
end with one, so that documents join as `A + "---" + B` into one multi-document stream; the
documentation's own files keep the docs' first line (`---` for the network-policy examples,
none for nginx-policy.yaml).

Where a manifest is from the Kubernetes documentation, the comment names its path under the
website's `content/en/examples/`.
"""

from __future__ import annotations

_NGINX_WEB_DEPLOYMENT = """
apiVersion: apps/v1
kind: Deployment
metadata: {name: web}
spec:
  replicas: %(replicas)d
  selector: {matchLabels: {app: web}}
  template:
    metadata: {labels: {app: web}}
    spec: {containers: [{name: nginx, image: nginx:1.27%(ports)s}]}
"""


def nginx_web_deployment(replicas: int, *, container_port: int | None = None) -> str:
    """Deployment `web` of `replicas` nginx:1.27 pods labelled app=web (container `nginx`),
    declaring `containerPort` when one is given (the pods listen on 80 either way)."""
    ports = "" if container_port is None else f", ports: [{{containerPort: {container_port}}}]"
    return _NGINX_WEB_DEPLOYMENT % {"replicas": replicas, "ports": ports}


_WEB_DISRUPTION_BUDGET = """
apiVersion: policy/v1
kind: PodDisruptionBudget
metadata: {name: web}
spec:
  minAvailable: %d
  selector: {matchLabels: {app: web}}
"""


def web_disruption_budget(min_available: int) -> str:
    """PodDisruptionBudget `web`: evictions of app=web pods may leave no fewer than `min_available`
    of them healthy."""
    return _WEB_DISRUPTION_BUDGET % min_available


#: Service `web`: port 80 (targetPort defaulted to 80) to the pods labelled app=web.
WEB_SERVICE = """
apiVersion: v1
kind: Service
metadata: {name: web}
spec:
  selector: {app: web}
  ports: [{port: 80}]
"""

#: service/networking/example-ingress.yaml (host hello-world.example, class nginx) with the /v2
#: path that "Set up Ingress on Minikube with the NGINX Ingress Controller" adds, pointed at
#: the nginx `web` Service's port 80 (web2:8080 is left for the test to create or not).
EXAMPLE_INGRESS_WEB_WEB2 = """
apiVersion: networking.k8s.io/v1
kind: Ingress
metadata: {name: example-ingress}
spec:
  ingressClassName: nginx
  rules:
  - host: hello-world.example
    http:
      paths:
      - {path: /, pathType: Prefix, backend: {service: {name: web, port: {number: 80}}}}
      - {path: /v2, pathType: Prefix, backend: {service: {name: web2, port: {number: 8080}}}}
"""

# service/networking/nginx-policy.yaml ("Declare Network Policy": only pods labelled
# access=true may reach the pods labelled app=nginx)
DOCS_NGINX_POLICY = """apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata:
  name: access-nginx
spec:
  podSelector:
    matchLabels:
      app: nginx
  ingress:
  - from:
    - podSelector:
        matchLabels:
          access: "true"
"""
# service/networking/network-policy-default-deny-ingress.yaml
DOCS_DEFAULT_DENY_INGRESS = """
---
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata:
  name: default-deny-ingress
spec:
  podSelector: {}
  policyTypes:
  - Ingress
"""
# service/networking/network-policy-allow-all-ingress.yaml
DOCS_ALLOW_ALL_INGRESS = """
---
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata:
  name: allow-all-ingress
spec:
  podSelector: {}
  ingress:
  - {}
  policyTypes:
  - Ingress
"""
# service/networking/network-policy-default-deny-egress.yaml
DOCS_DEFAULT_DENY_EGRESS = """
---
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata:
  name: default-deny-egress
spec:
  podSelector: {}
  policyTypes:
  - Egress
"""
# service/networking/network-policy-allow-all-egress.yaml
DOCS_ALLOW_ALL_EGRESS = """
---
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata:
  name: allow-all-egress
spec:
  podSelector: {}
  egress:
  - {}
  policyTypes:
  - Egress
"""

#: application/web/web.yaml's headless Service `nginx` (the StatefulSet basics tutorial):
#: no cluster IP, one DNS record per pod of the `web` StatefulSet.
DOCS_NGINX_HEADLESS_SERVICE = """
apiVersion: v1
kind: Service
metadata: {name: nginx, labels: {app: nginx}}
spec:
  clusterIP: None
  selector: {app: nginx}
  ports: [{port: 80, name: web}]
"""

#: Claim `data`: 1Gi ReadWriteOnce of the lab's default StorageClass.
DATA_CLAIM = """
apiVersion: v1
kind: PersistentVolumeClaim
metadata: {name: data}
spec:
  accessModes: [ReadWriteOnce]
  resources: {requests: {storage: 1Gi}}
"""

#: A busybox pod, named by `% name`, that sleeps with claim `data` mounted at /data.
DATA_CLAIM_POD = """
apiVersion: v1
kind: Pod
metadata: {name: %s}
spec:
  containers:
  - name: c
    image: busybox:1.37
    command: [sleep, "3600"]
    volumeMounts: [{name: d, mountPath: /data}]
  volumes: [{name: d, persistentVolumeClaim: {claimName: data}}]
"""

#: Pod `once`: busybox prints `done` and exits 0, never restarted (STATUS Completed).
BUSYBOX_ONCE_POD = """
apiVersion: v1
kind: Pod
metadata: {name: once}
spec:
  restartPolicy: Never
  containers: [{name: app, image: "busybox:1.36", command: [sh, -c, "echo done"]}]
"""

#: "Communicate Between Containers in the Same Pod Using a Shared Volume"
#: (pods/two-container-pod.yaml): debian writes index.html, nginx serves it.
DOCS_TWO_CONTAINER_POD = """
apiVersion: v1
kind: Pod
metadata:
  name: two-containers
spec:

  restartPolicy: Never

  volumes:
  - name: shared-data
    emptyDir: {}

  containers:

  - name: nginx-container
    image: nginx
    volumeMounts:
    - name: shared-data
      mountPath: /usr/share/nginx/html

  - name: debian-container
    image: debian
    volumeMounts:
    - name: shared-data
      mountPath: /pod-data
    command: ["/bin/sh"]
    args: ["-c", "echo Hello from the debian container > /pod-data/index.html"]
"""
