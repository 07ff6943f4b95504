"""The Job controller and the TTL-after-finished controller, on the virtual clock.

With the scheduler stopped, a Job's pods stay unscheduled and no kubelet touches them; the
tests then write each pod's status as a kubelet would when its container exits (phase,
terminated state with `finishedAt`, Ready=False), so the controller's own timing is what is
measured: the 1 s sync batching, the 10 s doubling pod-failure backoff, the deadline.
"""

from __future__ import annotations

import itertools
from typing import Any

import pytest

from clusterlab.engine import Cluster, Invalid
from clusterlab.engine.audit import User

ADMIN = User("kubernetes-admin", "kubectl")
Obj = dict[str, Any]


def job(name: str = "pi", restart_policy: str = "Never", **spec: Any) -> Obj:
    return {
        "apiVersion": "batch/v1",
        "kind": "Job",
        "metadata": {"name": name},
        "spec": {
            **spec,
            "template": {
                "spec": {
                    "restartPolicy": restart_policy,
                    "containers": [
                        {"name": "work", "image": "busybox:1.36", "command": ["sh", "-c", "sleep 5"]}
                    ],
                }
            },
        },
    }


@pytest.fixture
def cluster() -> Cluster:
    c = Cluster.from_scenario("default", seed=7)
    c.advance(5)  # the control plane is up and leading
    c.stop_component("kube-scheduler")
    c.advance(1)
    return c


def pods(c: Cluster, name: str = "pi") -> list[Obj]:
    found = c.list("pods", "default", selector=f"batch.kubernetes.io/job-name={name}")
    return sorted(found, key=lambda p: (p["metadata"]["creationTimestamp"], p["metadata"]["name"]))


def exit_pod(c: Cluster, pod: Obj, code: int) -> None:
    """What the kubelet writes when the pod's only container exits with `code`."""
    now = c.server.timestamp()
    fresh = c.get("pod", pod["metadata"]["name"])
    fresh["status"].update(
        {
            "phase": "Succeeded" if code == 0 else "Failed",
            "conditions": [
                {"type": "Ready", "status": "False", "lastTransitionTime": now, "reason": "PodCompleted"}
            ],
            "containerStatuses": [
                {
                    "name": "work",
                    "ready": False,
                    "restartCount": 0,
                    "image": "busybox:1.36",
                    "state": {
                        "terminated": {
                            "exitCode": code,
                            "reason": "Completed" if code == 0 else "Error",
                            "startedAt": now,
                            "finishedAt": now,
                        }
                    },
                }
            ],
        }
    )
    c.server.update(ADMIN, fresh, subresource="status")


def seconds(c: Cluster, timestamp: str) -> float:
    from clusterlab.engine.timefmt import seconds_since

    return seconds_since(c.epoch, timestamp)


def conditions(j: Obj) -> list[tuple[str, str, str]]:
    return [(x["type"], x["reason"], x["message"]) for x in j["status"].get("conditions") or ()]


def job_events(c: Cluster, name: str = "pi") -> list[tuple[str, str]]:
    return [
        (e["reason"], e["message"])
        for e in c.events()
        if e["involvedObject"]["kind"] == "Job" and e["involvedObject"]["name"] == name
    ]


def test_defaults_generated_selector_and_pod_shape(cluster):
    cluster.apply(job())
    cluster.advance(0.5)
    j = cluster.get("job", "pi")
    uid = j["metadata"]["uid"]
    spec = j["spec"]
    assert {k: spec[k] for k in ("completions", "parallelism", "backoffLimit", "completionMode")} == {
        "completions": 1,
        "parallelism": 1,
        "backoffLimit": 6,
        "completionMode": "NonIndexed",
    }
    assert (spec["suspend"], spec["manualSelector"], spec["podReplacementPolicy"]) == (
        False,
        False,
        "TerminatingOrFailed",
    )
    assert spec["selector"] == {"matchLabels": {"batch.kubernetes.io/controller-uid": uid}}
    generated = {
        "batch.kubernetes.io/controller-uid": uid,
        "controller-uid": uid,
        "batch.kubernetes.io/job-name": "pi",
        "job-name": "pi",
    }
    assert spec["template"]["metadata"]["labels"] == generated
    assert j["metadata"]["labels"] == generated
    (pod,) = pods(cluster)
    assert pod["metadata"]["name"].startswith("pi-")
    assert pod["metadata"]["finalizers"] == ["batch.kubernetes.io/job-tracking"]
    owner = pod["metadata"]["ownerReferences"][0]
    assert (owner["apiVersion"], owner["kind"], owner["name"], owner["uid"], owner["controller"]) == (
        "batch/v1",
        "Job",
        "pi",
        uid,
        True,
    )
    assert j["status"]["active"] == 1 and j["status"]["ready"] == 0 and j["status"]["terminating"] == 0
    assert j["status"]["startTime"] == cluster.get("job", "pi")["metadata"]["creationTimestamp"]
    assert job_events(cluster) == [("SuccessfulCreate", f"Created pod: {pod['metadata']['name']}")]
    why = [d.text for d in cluster.decisions("job", "pi")]
    assert why == [
        "Job pi: want 1 active (min(parallelism 1, completions 1 − succeeded 0)), 0 active → create 1"
    ]


def test_validation_as_the_api_server_words_it(cluster):
    bad = job(restart_policy="Always")
    with pytest.raises(Invalid) as err:
        cluster.apply(bad)
    policy = '"Always": supported values: "OnFailure", "Never"'
    assert f"spec.template.spec.restartPolicy: Unsupported value: {policy}" in str(err.value)
    with pytest.raises(Invalid) as err:
        cluster.apply(job(backoffLimit=-1))
    assert "spec.backoffLimit: Invalid value: -1: must be greater than or equal to 0" in str(err.value)
    mine = job()
    mine["spec"]["selector"] = {"matchLabels": {"app": "x"}}
    mine["spec"]["template"]["metadata"] = {"labels": {"app": "x"}}
    with pytest.raises(Invalid) as err:
        cluster.apply(mine)
    assert "`selector` not auto-generated" in str(err.value)
    mine["spec"]["manualSelector"] = True
    cluster.apply(mine)  # a hand-written selector is fine when asked for
    cluster.apply(job("ok"))
    changed = cluster.get("job", "ok")
    changed["spec"]["completions"] = 3
    with pytest.raises(Invalid) as err:
        cluster.update(changed)
    assert "spec.completions: Invalid value: 3: field is immutable" in str(err.value)


def test_a_pod_that_succeeds_completes_the_job(cluster):
    cluster.apply(job())
    cluster.advance(0.5)
    (pod,) = pods(cluster)
    cluster.advance(4.5)
    exit_pod(cluster, pod, 0)
    finished_at = cluster.now
    cluster.advance(0.9)
    assert cluster.get("job", "pi")["status"].get("succeeded") is None  # the 1 s batch has not run
    cluster.advance(0.2)
    j = cluster.get("job", "pi")
    assert j["status"]["succeeded"] == 1 and "active" not in j["status"]
    assert j["status"]["uncountedTerminatedPods"] == {}
    assert conditions(j) == [
        ("SuccessCriteriaMet", "CompletionsReached", "Reached expected number of succeeded pods"),
        ("Complete", "CompletionsReached", "Reached expected number of succeeded pods"),
    ]
    assert seconds(cluster, j["status"]["completionTime"]) == int(finished_at + 1)
    assert cluster.get("pod", pod["metadata"]["name"])["metadata"].get("finalizers") is None
    assert job_events(cluster)[-1] == ("Completed", "Job completed")


def test_failed_pods_are_replaced_after_10_20_40_s_and_the_7th_failure_fails_the_job(cluster):
    cluster.apply(job())
    created: list[float] = []
    failed_names: set[str] = set()
    for _ in range(1400):
        cluster.advance(0.5)
        for pod in pods(cluster):
            name = pod["metadata"]["name"]
            if name not in failed_names:
                created.append(seconds(cluster, pod["metadata"]["creationTimestamp"]))
                failed_names.add(name)
                exit_pod(cluster, pod, 1)
        if cluster.get("job", "pi")["status"].get("conditions"):
            break
    cluster.advance(2)
    gaps = [b - a for a, b in itertools.pairwise(created)]
    assert gaps == [10, 20, 40, 80, 160, 320]  # backoffLimit 6: seven pods in all
    j = cluster.get("job", "pi")
    assert j["status"]["failed"] == 7 and "active" not in j["status"]
    assert conditions(j) == [
        ("FailureTarget", "BackoffLimitExceeded", "Job has reached the specified backoff limit"),
        ("Failed", "BackoffLimitExceeded", "Job has reached the specified backoff limit"),
    ]
    # the pod failed as it was created; the sync after the controller's own status write saw it
    assert seconds(cluster, j["status"]["conditions"][1]["lastTransitionTime"]) == created[-1]
    assert "completionTime" not in j["status"]
    assert job_events(cluster)[-1] == ("BackoffLimitExceeded", "Job has reached the specified backoff limit")
    why = [d.text for d in cluster.decisions("job", "pi")]
    assert "1 failure(s) since the last success → wait 10 s after the last failure (9 s left)" in why[1]
    assert why[-1] == (
        "Job pi: 7 failed > backoffLimit 6 → fail the Job (BackoffLimitExceeded), delete its 0 active pod(s)"
    )


def test_parallelism_runs_two_at_a_time_until_five_complete(cluster):
    cluster.apply(job(completions=5, parallelism=2))
    cluster.advance(0.5)
    assert len(pods(cluster)) == 2
    done: set[str] = set()
    seen_active: list[int] = []
    for _ in range(10):
        running = [p for p in pods(cluster) if p["metadata"]["name"] not in done]
        seen_active.append(len(running))
        for p in running[:1]:
            exit_pod(cluster, p, 0)
            done.add(p["metadata"]["name"])
        cluster.advance(1.5)
        if cluster.get("job", "pi")["status"].get("completionTime"):
            break
    # 2 active while 4 or more completions remain, then 2, 2, 2, 1: never more than are needed
    assert seen_active == [2, 2, 2, 2, 1]
    j = cluster.get("job", "pi")
    assert j["status"]["succeeded"] == 5 and len(pods(cluster)) == 5
    assert conditions(j)[-1][0] == "Complete"


def test_active_deadline_fails_the_job_and_deletes_its_pod(cluster):
    cluster.apply(job(activeDeadlineSeconds=30))
    start = cluster.now
    cluster.advance(0.5)
    (pod,) = pods(cluster)
    cluster.advance(29.4)
    assert not cluster.get("job", "pi")["status"].get("conditions")
    cluster.advance(0.2)
    j = cluster.get("job", "pi")
    # FailureTarget first; Failed once no pod is terminating — at once here, as the pod was
    # never scheduled (on a node the kubelet's graceful stop would come in between)
    deadline = ("DeadlineExceeded", "Job was active longer than specified deadline")
    assert conditions(j) == [("FailureTarget", *deadline), ("Failed", *deadline)]
    assert [seconds(cluster, c["lastTransitionTime"]) for c in j["status"]["conditions"]] == [
        int(start) + 30
    ] * 2
    assert j["status"]["failed"] == 1 and j["status"]["terminating"] == 0
    assert cluster.list("pods", "default") == []  # deleted, its finalizer released
    assert job_events(cluster)[-2:] == [
        ("SuccessfulDelete", f"Deleted pod: {pod['metadata']['name']}"),
        ("DeadlineExceeded", "Job was active longer than specified deadline"),
    ]


def test_ttl_after_finished_deletes_the_job_and_its_pods(cluster):
    cluster.apply(job(ttlSecondsAfterFinished=10))
    cluster.advance(0.5)
    (pod,) = pods(cluster)
    exit_pod(cluster, pod, 0)
    cluster.advance(1.1)
    finished = seconds(cluster, cluster.get("job", "pi")["status"]["completionTime"])
    cluster.advance(finished + 10 - cluster.now - 0.1)
    assert cluster.list("jobs", "default") and pods(cluster)
    cluster.advance(0.11)  # the TTL is up: foreground deletion, pods first, then the Job
    assert cluster.list("jobs", "default") == [] and pods(cluster) == []


def test_deleting_a_running_job_releases_its_pods_finalizers(cluster):
    cluster.apply(job(parallelism=2, completions=4))
    cluster.advance(0.5)
    assert len(pods(cluster)) == 2
    cluster.delete("job", "pi")
    cluster.advance(2)
    assert cluster.list("jobs", "default") == [] and pods(cluster) == []


# -- end to end: busybox really runs the command and exits -----------------------------------


def _finished_at(pod: Obj) -> str:
    return pod["status"]["containerStatuses"][0]["state"]["terminated"]["finishedAt"]


def test_busybox_job_runs_to_completion_and_failing_one_backs_off():
    c = Cluster.from_scenario("default", seed=7)
    c.advance(5)
    ok = job("sleepy", backoffLimit=2)
    ok["spec"]["template"]["spec"]["containers"][0]["command"] = ["sh", "-c", "sleep 5; exit 0"]
    bad = job("crash", backoffLimit=2)
    bad["spec"]["template"]["spec"]["containers"][0]["command"] = ["sh", "-c", "sleep 2; exit 3"]
    c.apply([ok, bad])
    c.advance(120)
    sleepy = c.get("job", "sleepy")
    (pod,) = pods(c, "sleepy")
    assert pod["status"]["phase"] == "Succeeded" and "finalizers" not in pod["metadata"]
    assert sleepy["status"]["succeeded"] == 1 and [x[0] for x in conditions(sleepy)][-1] == "Complete"
    took = seconds(c, sleepy["status"]["completionTime"]) - seconds(c, _finished_at(pod))
    assert 1 <= took <= 3  # the kubelet's report, then the 1 s sync batch
    crashes = pods(c, "crash")
    assert [p["status"]["phase"] for p in crashes] == ["Failed"] * 3
    assert [p["status"]["containerStatuses"][0]["state"]["terminated"]["exitCode"] for p in crashes] == [
        3
    ] * 3
    waits = [
        seconds(c, b["metadata"]["creationTimestamp"]) - seconds(c, _finished_at(a))
        for a, b in itertools.pairwise(crashes)
    ]
    assert waits == [10, 20]
    crash = c.get("job", "crash")
    assert crash["status"]["failed"] == 3
    assert conditions(crash)[-1] == (
        "Failed",
        "BackoffLimitExceeded",
        "Job has reached the specified backoff limit",
    )


def test_indexed_job_gives_each_pod_its_completion_index(cluster):
    cluster.apply(job(completions=3, parallelism=2, completionMode="Indexed"))
    cluster.advance(0.5)
    first = pods(cluster)
    index_key = "batch.kubernetes.io/job-completion-index"
    assert sorted(p["metadata"]["annotations"][index_key] for p in first) == ["0", "1"]
    for p in first:
        ix = p["metadata"]["labels"][index_key]
        assert p["metadata"]["annotations"][index_key] == ix
        assert p["metadata"]["name"].startswith(f"pi-{ix}-") and p["spec"]["hostname"] == f"pi-{ix}"
        env = p["spec"]["containers"][0]["env"]
        assert env == [
            {
                "name": "JOB_COMPLETION_INDEX",
                "valueFrom": {
                    "fieldRef": {"apiVersion": "v1", "fieldPath": f"metadata.labels['{index_key}']"}
                },
            }
        ]
    by_index = {p["metadata"]["labels"][index_key]: p for p in first}
    exit_pod(cluster, by_index["1"], 0)
    cluster.advance(1.5)
    j = cluster.get("job", "pi")
    assert (j["status"]["completedIndexes"], j["status"]["succeeded"], j["status"]["active"]) == ("1", 1, 2)
    new = [p for p in pods(cluster) if p["metadata"]["name"] not in {q["metadata"]["name"] for q in first}]
    assert [p["metadata"]["labels"][index_key] for p in new] == ["2"]  # the lowest index not done or running
    exit_pod(cluster, by_index["0"], 0)
    exit_pod(cluster, new[0], 0)
    cluster.advance(1.5)
    j = cluster.get("job", "pi")
    assert (j["status"]["completedIndexes"], j["status"]["succeeded"]) == ("0-2", 3)
    assert conditions(j)[-1][0] == "Complete"


def test_a_suspended_job_runs_nothing_until_resumed(cluster):
    cluster.apply(job(suspend=True, activeDeadlineSeconds=20))
    cluster.advance(30)
    j = cluster.get("job", "pi")
    assert pods(cluster) == [] and "startTime" not in j["status"]
    assert conditions(j) == [("Suspended", "JobSuspended", "Job suspended")]
    j["spec"]["suspend"] = False
    cluster.update(j)
    resumed = cluster.now
    cluster.advance(0.5)
    j = cluster.get("job", "pi")
    assert len(pods(cluster)) == 1
    assert [(c["type"], c["status"], c["reason"]) for c in j["status"]["conditions"]] == [
        ("Suspended", "False", "JobResumed")
    ]
    assert seconds(cluster, j["status"]["startTime"]) == int(resumed)
    assert [r for r, _ in job_events(cluster)] == [
        "Suspended",
        "SuccessfulCreate",
        "Resumed",
    ]  # manageJob first
    cluster.advance(19)  # the deadline counts from the resume, not from creation
    assert not [c for c in conditions(cluster.get("job", "pi")) if c[0] == "FailureTarget"]
    cluster.advance(1.5)
    assert conditions(cluster.get("job", "pi"))[-1][:2] == ("Failed", "DeadlineExceeded")


def test_on_failure_container_restarts_count_against_the_backoff_limit(cluster):
    cluster.apply(job(backoffLimit=2, restart_policy="OnFailure"))
    cluster.advance(0.5)
    (pod,) = pods(cluster)
    fresh = cluster.get("pod", pod["metadata"]["name"])
    fresh["status"].update(
        {
            "phase": "Running",
            "containerStatuses": [
                {"name": "work", "ready": False, "restartCount": 2, "image": "busybox:1.36", "state": {}}
            ],
        }
    )
    cluster.server.update(ADMIN, fresh, subresource="status")
    cluster.advance(1.5)
    j = cluster.get("job", "pi")
    assert conditions(j)[-1] == (
        "Failed",
        "BackoffLimitExceeded",
        "Job has reached the specified backoff limit",
    )
    assert j["status"]["failed"] == 1 and pods(cluster) == []
