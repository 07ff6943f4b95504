"""`kubectl describe job` and `describe cronjob`, as kubectl 1.32's `JobDescriber` and
`CronJobDescriber` write them.

Job: Name, Namespace, Selector, Labels, Annotations, Controlled By (a CronJob's Jobs),
Parallelism, Completions (`<unset>` without), Completion Mode, Suspend, Backoff Limit, TTL
Seconds After Finished, Start Time, Completed At, Duration, Active Deadline Seconds,
`Pods Statuses: A Active (R Ready) / S Succeeded / F Failed` (from the Job's status), the Pod
Template, Events. CronJob: Name, Namespace, Labels, Annotations, Schedule, Concurrency Policy,
Suspend, the two history limits, Starting Deadline Seconds, the job template (Selector,
Parallelism, Completions, Pod Template), Last Schedule Time, Active Jobs, Events.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

Obj = dict[str, Any]


def _set(value: Any) -> str:
    return "<unset>" if value is None else str(value)


def describe_job(job: Obj, events: list[Obj] | None, now: datetime | None) -> str:
    from clusterlab.engine.timefmt import human_duration, parse_epoch

    from .describe import _controller, _events, _multiline, rfc1123z
    from .describe_more import pod_template, selector_text

    meta, spec, st = job.get("metadata") or {}, job.get("spec") or {}, job.get("status") or {}
    out = f"Name:\t{meta.get('name')}\nNamespace:\t{meta.get('namespace')}\n"
    out += f"Selector:\t{selector_text(spec.get('selector'))}\n"
    out += _multiline("Labels", meta.get("labels"))
    out += _multiline("Annotations", meta.get("annotations"), ": ")
    if _controller(meta):
        out += f"Controlled By:\t{_controller(meta)}\n"
    if spec.get("parallelism") is not None:
        out += f"Parallelism:\t{spec['parallelism']}\n"
    out += f"Completions:\t{_set(spec.get('completions'))}\n"
    if spec.get("completionMode") is not None:
        out += f"Completion Mode:\t{spec['completionMode']}\n"
    if spec.get("suspend") is not None:
        out += f"Suspend:\t{str(bool(spec['suspend'])).lower()}\n"
    if spec.get("backoffLimit") is not None:
        out += f"Backoff Limit:\t{spec['backoffLimit']}\n"
    if spec.get("ttlSecondsAfterFinished") is not None:
        out += f"TTL Seconds After Finished:\t{spec['ttlSecondsAfterFinished']}\n"
    if st.get("startTime"):
        out += f"Start Time:\t{rfc1123z(st['startTime'])}\n"
    if st.get("completionTime"):
        out += f"Completed At:\t{rfc1123z(st['completionTime'])}\n"
    if st.get("startTime") and st.get("completionTime"):
        took = (parse_epoch(st["completionTime"]) - parse_epoch(st["startTime"])).total_seconds()
        out += f"Duration:\t{human_duration(took)}\n"
    if spec.get("activeDeadlineSeconds") is not None:
        out += f"Active Deadline Seconds:\t{spec['activeDeadlineSeconds']}s\n"
    counts = f"{int(st.get('succeeded', 0))} Succeeded / {int(st.get('failed', 0))} Failed"
    if st.get("ready") is None:
        out += f"Pods Statuses:\t{int(st.get('active', 0))} Active / {counts}\n"
    else:
        out += f"Pods Statuses:\t{int(st.get('active', 0))} Active ({int(st['ready'])} Ready) / {counts}\n"
    if spec.get("completionMode") == "Indexed":
        out += f"Completed Indexes:\t{st.get('completedIndexes') or '<none>'}\n"
    out += pod_template(spec.get("template") or {})
    if events is not None:
        out += _events(events, now)
    return out


def describe_cronjob(cj: Obj, events: list[Obj] | None, now: datetime | None) -> str:
    from .describe import _events, _multiline, rfc1123z
    from .describe_more import pod_template, selector_text

    meta, spec, st = cj.get("metadata") or {}, cj.get("spec") or {}, cj.get("status") or {}
    out = f"Name:\t{meta.get('name')}\nNamespace:\t{meta.get('namespace')}\n"
    out += _multiline("Labels", meta.get("labels"))
    out += _multiline("Annotations", meta.get("annotations"), ": ")
    out += f"Schedule:\t{spec.get('schedule', '')}\n"
    out += f"Concurrency Policy:\t{spec.get('concurrencyPolicy', '')}\n"
    suspend = spec.get("suspend")
    out += f"Suspend:\t{'<unset>' if suspend is None else str(bool(suspend))}\n"
    out += f"Successful Job History Limit:\t{_set(spec.get('successfulJobsHistoryLimit'))}\n"
    out += f"Failed Job History Limit:\t{_set(spec.get('failedJobsHistoryLimit'))}\n"
    deadline = spec.get("startingDeadlineSeconds")
    out += f"Starting Deadline Seconds:\t{'<unset>' if deadline is None else f'{deadline}s'}\n"
    job_spec = (spec.get("jobTemplate") or {}).get("spec") or {}
    selector = job_spec.get("selector")
    out += f"Selector:\t{selector_text(selector) if selector is not None else '<unset>'}\n"
    out += f"Parallelism:\t{_set(job_spec.get('parallelism'))}\n"
    out += f"Completions:\t{_set(job_spec.get('completions'))}\n"
    if job_spec.get("activeDeadlineSeconds") is not None:
        out += f"Active Deadline Seconds:\t{job_spec['activeDeadlineSeconds']}s\n"
    out += pod_template(job_spec.get("template") or {})
    last = st.get("lastScheduleTime")
    out += f"Last Schedule Time:\t{rfc1123z(last) if last else '<unset>'}\n"
    active = st.get("active") or []
    out += f"Active Jobs:\t{', '.join(a.get('name', '') for a in active) if active else '<none>'}\n"
    if events is not None:
        out += _events(events, now)
    return out
