"""The images the Kubernetes docs' manifests run: the Job example's `perl` computing π, and
the StatefulSet tutorials' `registry.k8s.io/nginx-slim` serving on :80."""

from __future__ import annotations

from typing import Any

import pytest

from clusterlab.engine.audit import User
from clusterlab.engine.node.perl import bpi, perl_program
from clusterlab.engine.node.processes import Exit, Out, Sleep
from clusterlab.engine.printers import pod_ready, pod_status

from .conftest import run_until

ADMIN = User("kubernetes-admin", "kubectl")

# concepts/workloads/controllers/job: controllers/job.yaml, as published
DOCS_JOB: dict[str, Any] = {
    "apiVersion": "batch/v1",
    "kind": "Job",
    "metadata": {"name": "pi"},
    "spec": {
        "template": {
            "spec": {
                "containers": [
                    {
                        "name": "pi",
                        "image": "perl:5.34.0",
                        "command": ["perl", "-Mbignum=bpi", "-wle", "print bpi(2000)"],
                    }
                ],
                "restartPolicy": "Never",
            }
        },
        "backoffLimit": 4,
    },
}


def _complete(cluster) -> bool:
    conditions = cluster.get("job", "pi").get("status", {}).get("conditions", [])
    return any(c["type"] == "Complete" and c["status"] == "True" for c in conditions)


def test_the_docs_pi_job_prints_two_thousand_digits_and_completes(cluster):
    cluster.apply(DOCS_JOB)
    run_until(cluster, lambda: _complete(cluster), limit=120)
    job = cluster.get("job", "pi")
    assert (job["status"]["succeeded"], job["status"].get("failed", 0)) == (1, 0)
    pod = cluster.list("pods", "default", selector="batch.kubernetes.io/job-name=pi")[0]
    assert pod_status(pod) == "Completed"
    term = pod["status"]["containerStatuses"][0]["state"]["terminated"]
    assert (term["exitCode"], term["reason"]) == (0, "Completed")
    log = cluster.server.pod_log(ADMIN, pod["metadata"]["name"], "default")
    assert log.endswith("\n") and log.count("\n") == 1
    line = log[:-1]
    assert len(line) == 2001
    assert line.startswith("3.14159265358979323846264338327950288419716939937510")
    assert line.endswith("8658326459958133904780275901")
    # the π line comes out 5 s after the process starts (Math::BigFloat's compute time)
    kubelet = cluster.kubelets[pod["spec"]["nodeName"]]
    cid = pod["status"]["containerStatuses"][0]["containerID"]
    ((written, text),) = kubelet.runtime.logs[cid]
    assert text == line
    assert written - kubelet.runtime.started[cid] == pytest.approx(5.0)


def test_bpi_rounds_to_the_nearest_digit_like_math_bigfloat():
    assert bpi(1) == "3"
    assert bpi(5) == "3.1416"
    assert bpi(6) == "3.14159"
    assert bpi(33) == "3.14159265358979323846264338327950"  # ...950288: 0 stays
    assert bpi(34) == "3.141592653589793238462643383279503"  # ...5028: rounds up


def test_other_perl_invocations():
    assert list(perl_program(["perl", "-le", 'print "hello"'])) == [Out("hello"), Exit(0)]
    assert list(perl_program(["perl", "-e", "print 'a\\n'"])) == [Out("a\\n"), Exit(0)]
    assert list(perl_program(["perl", "-Mbignum=bpi", "-le", "print bpi(10)"])) == [
        Sleep(0.05),
        Out("3.141592654"),
        Exit(0),
    ]
    assert list(perl_program(["perl", "/app/run.pl"])) == [
        Out('Can\'t open perl script "/app/run.pl": No such file or directory'),
        Exit(2),
    ]
    assert list(perl_program(["perl", "-e", "my $x = 1; warn $x"]))[-1] == Exit(255)


def test_nginx_slim_serves_on_port_80(cluster):
    probe = {"httpGet": {"path": "/", "port": 80}, "periodSeconds": 1}
    images = (("web-0", "registry.k8s.io/nginx-slim:0.8"), ("bad", "registry.k8s.io/nginx-slim:9.9"))
    for name, image in images:
        cluster.apply(
            {
                "apiVersion": "v1",
                "kind": "Pod",
                "metadata": {"name": name},
                "spec": {
                    "containers": [
                        {
                            "name": "nginx",
                            "image": image,
                            "ports": [{"containerPort": 80}],
                            "readinessProbe": probe,
                        }
                    ]
                },
            }
        )
    run_until(cluster, lambda: pod_ready(cluster.get("pod", "web-0")) == "1/1", limit=60)
    pod = cluster.get("pod", "web-0")
    assert pod_status(pod) == "Running"
    assert cluster.server.pod_log(ADMIN, "web-0", "default") == ""
    pulling = ("ErrImagePull", "ImagePullBackOff")
    run_until(cluster, lambda: pod_status(cluster.get("pod", "bad")) in pulling, limit=30)
