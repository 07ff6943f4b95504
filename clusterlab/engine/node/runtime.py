"""The container runtime on one node (containerd, as kubeadm clusters run it), and its images.

What the kubelet asks of the runtime over CRI — pull an image, create a pod sandbox, create
and start containers, stop them — takes time, and here it takes virtual time:
- Image pulls: a known image is fetched at the node's bandwidth (~25 MB/s, ±20 % per pull
  from the seeded source) after ~0.3 s of registry round-trips; pulls on a node run one at a
  time (`serializeImagePulls: true`, the kubelet default), so a queued pull reports its
  waiting time too. An image already on the node is instant; with `imagePullPolicy: Always`
  the registry is still asked and answers after ~0.3 s that the layers are present.
- An image the registry does not have fails to pull (ErrImagePull).
- Sandbox (pause container + network namespace) ~0.5 s; create 0.1 s; start 0.2 s; nginx-like
  servers stop 0.2 s after SIGTERM.
The image cache lives on the node's disk: it survives a reboot; running containers do not.

Simplified: images are a small catalogue of well-known ones with their real compressed sizes;
what each image *does* when it runs (serve, run a busybox command, crash, allocate memory) is
in `images.py`, driven by `processes.py`. Each container's output is kept with virtual
timestamps (`container_logs.py`) for `kubectl logs`, and its writable layer as a file map
(`files`, which `kubectl exec` and exec probes see); what each one uses (CPU, memory) is in
`usage.py`, and `on_start` and `on_exit` let a process that runs in a container (an add-on such
as metrics-server, a node's kube-proxy) start and end with it.
"""

from __future__ import annotations

import hashlib
import random
from collections.abc import Callable
from dataclasses import dataclass, field

from ..clock import Clock
from .config_volumes import MountedConfig
from .container_logs import LogLine

REGISTRY_LATENCY = 0.3
BANDWIDTH_BYTES_PER_S = 25 * 1024 * 1024
SANDBOX_SECONDS = 0.5
CREATE_SECONDS = 0.1
START_SECONDS = 0.2
STOP_SECONDS = 0.2
PAUSE_IMAGE = "registry.k8s.io/pause:3.10"
KERNEL_VERSION = "6.8.0-49-generic"  # the nodes' Ubuntu 24.04 kernel

# The Kubernetes releases the simulated registry has images for (the control-plane images of
# each are listed with v1.32.0's sizes).
RELEASES = ("v1.28.0", "v1.29.0", "v1.31.0", "v1.31.4", "v1.32.0", "v1.32.1", "v1.33.0", "v1.34.0")
# repository → (known tags, compressed size in bytes). "latest" is always a known tag.
CATALOGUE: dict[str, tuple[tuple[str, ...], int]] = {
    "docker.io/library/nginx": (("1.25", "1.26", "1.27", "1.27.3", "1.28", "alpine", "stable"), 72_099_410),
    "docker.io/library/httpd": (("2.4", "2.4.62", "alpine"), 58_243_204),
    "docker.io/library/redis": (("7", "7.2", "7.4", "alpine"), 45_112_560),
    "registry.k8s.io/pause": (("3.9", "3.10"), 320_368),
    "registry.k8s.io/kube-apiserver": (RELEASES, 28_667_544),
    "registry.k8s.io/kube-controller-manager": (RELEASES, 26_235_872),
    "registry.k8s.io/kube-scheduler": (RELEASES, 20_657_024),
    "registry.k8s.io/etcd": (("3.5.16-0", "3.5.1-0"), 57_680_541),
    "registry.k8s.io/kube-proxy": (RELEASES, 30_905_936),
    "registry.k8s.io/coredns/coredns": (("v1.11.3",), 18_562_039),
    # these two: sizes to within a few per cent of the registries' (amd64, compressed)
    "registry.k8s.io/metrics-server/metrics-server": (("v0.7.2",), 19_494_617),
    "docker.io/polinux/stress": (("1.0.4",), 4_093_207),
    # the default StorageClass's provisioner (as kind ships it); size approximate
    "docker.io/rancher/local-path-provisioner": (("v0.0.30",), 19_612_262),
    # approximate compressed amd64 sizes of the current tags
    "docker.io/library/busybox": (("1.36", "1.36.1", "1.37", "1.28", "stable", "musl", "glibc"), 2_156_550),
    "docker.io/library/postgres": (("15", "16", "17", "alpine"), 158_540_112),
    "docker.io/library/mysql": (("8.0", "8.4", "9"), 172_690_338),
    "registry.k8s.io/hpa-example": ((), 181_352_117),
    # the Kubernetes docs' DaemonSet example (fluentd-elasticsearch); size approximate
    "quay.io/fluentd_elasticsearch/fluentd": (("v5.0.1",), 94_371_840),
    # the Kubernetes docs' probe examples; sizes approximate
    "registry.k8s.io/busybox": (("1.27.2", "1.24"), 675_932),
    "registry.k8s.io/e2e-test-images/agnhost": (("2.39", "2.40", "2.43", "2.52"), 51_240_960),
    "registry.k8s.io/goproxy": (("0.1",), 2_523_136),
    # curl's official image (Alpine-based); size approximate
    "docker.io/curlimages/curl": (("8.11.1", "8.12.1", "latest"), 11_010_048),
    # the simulator's own demo app (see images.py): 2.0 is the broken release
    "ghcr.io/clusterlab/demo-web": (("1.0", "1.1", "2.0"), 9_437_184),
    # the docs' Job (perl, on buildpack-deps) and StatefulSet (nginx-slim) examples; sizes approximate
    "docker.io/library/perl": (("5.34.0", "5.40"), 339_738_624),
    "registry.k8s.io/nginx-slim": (("0.8", "0.21", "0.24", "0.27"), 21_495_808),
    # Debian (the docs' shared-volume pod writes a page from it); size approximate
    "docker.io/library/debian": (("bookworm", "bookworm-slim", "12", "stable", "stable-slim"), 49_283_072),
    # the docs' DNS debugging pod (bind's dnsutils on Debian jessie); size approximate
    "registry.k8s.io/e2e-test-images/jessie-dnsutils": (("1.3", "1.5", "1.7"), 116_391_936),
    # ingress-nginx's controller, and the docs' Ingress tutorial app (both homes of hello-app);
    # sizes approximate
    "registry.k8s.io/ingress-nginx/controller": (
        ("v1.11.0", "v1.11.1", "v1.11.2", "v1.11.3", "v1.11.4", "v1.11.5"),
        109_051_904,
    ),
    "gcr.io/google-samples/hello-app": (("1.0", "2.0"), 11_534_336),
    "us-docker.pkg.dev/google-samples/containers/gke/hello-app": (("1.0", "2.0"), 11_534_336),
}


def normalize(image: str) -> str:
    """`docker.io/library/nginx:latest` from `nginx`, as containerd resolves short names."""
    name, sep, digest = image.partition("@")
    last = name.rsplit("/", 1)[-1]
    if ":" not in last and not sep:
        name += ":latest"
    first = name.split("/", 1)[0]
    if "/" not in name:
        name = f"docker.io/library/{name}"
    elif "." not in first and ":" not in first and first != "localhost":
        name = f"docker.io/{name}"
    return name + (f"@{digest}" if sep else "")


def lookup(image: str) -> int | None:
    """Compressed size of a pullable image, or None if the registry does not have it."""
    ref = normalize(image)
    repo, _, tag = ref.partition("@")[0].rpartition(":")
    entry = CATALOGUE.get(repo)
    if entry is None:
        return None
    tags, size = entry
    return size if tag in tags or tag == "latest" else None


def image_digest(image: str) -> str:
    ref = normalize(image).partition("@")[0]
    return "sha256:" + hashlib.sha256(ref.encode()).hexdigest()


def image_id(image: str) -> str:
    return f"{normalize(image).partition('@')[0].rpartition(':')[0]}@{image_digest(image)}"


@dataclass
class PullResult:
    ok: bool
    done_at: float
    pull_seconds: float
    size: int = 0
    error: str = ""


@dataclass
class Runtime:
    """One node's containerd: its image store and its one-at-a-time puller."""

    clock: Clock
    rng: random.Random
    images: dict[str, int] = field(default_factory=dict)  # normalized ref → size
    busy_until: float = 0.0
    in_flight: dict[str, float] = field(default_factory=dict)  # normalized ref → when its pull ends
    # container ID → its output; on the node's disk (/var/log/pods), so it survives a reboot
    logs: dict[str, list[LogLine]] = field(default_factory=dict)
    # container ID → when its process started (the CRI's `startedAt`, which cAdvisor reports)
    started: dict[str, float] = field(default_factory=dict)
    # told (container ID, image) of every container that starts: what the started process does
    on_start: Callable[[str, str], None] | None = None
    # told the container ID of every container whose process has exited
    on_exit: Callable[[str], None] | None = None
    # container ID → its writable layer: the files its processes created (path → content)
    files: dict[str, dict[str, str]] = field(default_factory=dict)
    # config volumes' files and containers' environments, as written on the node
    mounted: MountedConfig = field(default_factory=MountedConfig)

    def has_image(self, image: str) -> bool:
        return normalize(image) in self.images

    def preload(self, image: str) -> None:
        size = lookup(image)
        if size is not None:
            self.images[normalize(image)] = size

    def pull(self, image: str) -> PullResult:
        """Plan a pull requested now; the caller schedules its completion at `done_at`."""
        now = self.clock.now
        start = max(now, self.busy_until)
        size = lookup(image)
        if size is None:
            done = start + REGISTRY_LATENCY + self.rng.uniform(0.2, 0.8)
            self.busy_until = done
            ref = normalize(image)
            return PullResult(
                False,
                done,
                done - start,
                error=(  # containerd's answer, as the CRI gRPC status the kubelet passes on
                    f'rpc error: code = NotFound desc = failed to pull and unpack image "{ref}": '
                    f'failed to resolve reference "{ref}": {ref}: not found'
                ),
            )
        ref = normalize(image)
        if ref in self.images or self.in_flight.get(ref, -1.0) > now:
            # Already here, or arriving with a pull queued ahead of this one: only the
            # registry round-trip remains; the layers are (or will be) on disk.
            seconds = REGISTRY_LATENCY * self.rng.uniform(0.8, 1.6)
        else:
            seconds = REGISTRY_LATENCY + size / (BANDWIDTH_BYTES_PER_S * self.rng.uniform(0.8, 1.2))
        seconds = round(seconds, 3)
        done = start + seconds
        self.busy_until = done
        self.in_flight[ref] = max(done, self.in_flight.get(ref, done))
        return PullResult(True, done, seconds, size)

    def finish_pull(self, image: str, size: int) -> None:
        ref = normalize(image)
        self.images[ref] = size
        if self.in_flight.get(ref, 0.0) <= self.clock.now:
            self.in_flight.pop(ref, None)

    def start_container(
        self, container_id: str, image: str, startup: list[LogLine] | None = None
    ) -> dict[str, str]:
        """The container's process starts now with the start-up output its image writes;
        returns its (empty) writable layer."""
        self.started[container_id] = self.clock.now
        if self.on_start is not None:
            self.on_start(container_id, image)
        self.logs[container_id] = list(startup or [])
        return self.files.setdefault(container_id, {})

    def container_exited(self, container_id: str) -> None:
        """The container's process has ended (any exit: its own, a signal, the OOM killer)."""
        if self.on_exit is not None:
            self.on_exit(container_id)

    def write(self, container_id: str, text: str) -> None:
        """The container's process writes a line now."""
        self.logs.setdefault(container_id, []).append((self.clock.now, text))

    def container_log(self, container_id: str) -> list[LogLine]:
        """What the container has written so far (the kubelet's containerLogs endpoint)."""
        now = self.clock.now
        return [line for line in self.logs.get(container_id, ()) if line[0] <= now]

    def new_container_id(self) -> str:
        return "containerd://" + "".join(f"{self.rng.getrandbits(32):08x}" for _ in range(8))
