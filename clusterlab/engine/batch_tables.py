"""The Job and CronJob tables, as kube-apiserver 1.32's `pkg/printers/internalversion` prints them.

Jobs: NAME, STATUS (Complete, Failed, Terminating, Suspended, FailureTarget,
SuccessCriteriaMet or Running — the first that applies, in that order), COMPLETIONS
(`succeeded/completions`; without completions `n/1`, or `n/1 of <parallelism>`), DURATION
(from `startTime` to `completionTime`, or to now while running), AGE; with `-o wide` the
template's containers, images and the selector. CronJobs: NAME, SCHEDULE, TIMEZONE (`<none>`
when unset), SUSPEND, ACTIVE, LAST SCHEDULE (`<none>` before the first run), AGE; wide adds
the job template's containers, images and selector.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from .printers import container_cells
from .selectors import format_selector
from .table_columns import column
from .timefmt import human_duration, seconds_since

Obj = dict[str, Any]

CONTAINERS_DOC = "Names of each container in the template."
IMAGES_DOC = "Images referenced by each container in the template."


def _wide(selector_doc: str) -> list[Obj]:
    return [
        column("Containers", CONTAINERS_DOC, priority=1),
        column("Images", IMAGES_DOC, priority=1),
        column("Selector", selector_doc, priority=1),
    ]


def columns(name_col: Obj, age_col: Obj) -> dict[str, list[Obj]]:
    return {
        "Job": [
            name_col,
            column("Status", "Status of the job."),
            column(
                "Completions",
                "The number of pods which reached phase Succeeded. The value increases monotonically for "
                "a given spec.",
            ),
            column("Duration", "Time required to complete the job."),
            age_col,
            *_wide("A label query over pods that should match the pod count."),
        ],
        "CronJob": [
            name_col,
            column("Schedule", "The schedule in Cron format, see https://en.wikipedia.org/wiki/Cron."),
            column(
                "Timezone",
                "The time zone name for the given schedule, see https://en.wikipedia.org/wiki/List_of_tz_database_time_zones.",
            ),
            column("Suspend", "This flag tells the controller to suspend subsequent executions.", "boolean"),
            column("Active", "A list of pointers to currently running jobs.", "integer"),
            column("Last Schedule", "Information when was the last time the job was successfully scheduled."),
            age_col,
            *_wide("A label query over pods that should match the pod count."),
        ],
    }


def _has(obj: Obj, ctype: str) -> bool:
    return any(
        c.get("type") == ctype and c.get("status") == "True"
        for c in (obj.get("status") or {}).get("conditions") or ()
    )


def job_status(job: Obj) -> str:
    for ctype, word in (("Complete", "Complete"), ("Failed", "Failed")):
        if _has(job, ctype):
            return word
    if job["metadata"].get("deletionTimestamp"):
        return "Terminating"
    for ctype in ("Suspended", "FailureTarget", "SuccessCriteriaMet"):
        if _has(job, ctype):
            return ctype
    return "Running"


def job_completions(job: Obj) -> str:
    spec, status = job.get("spec") or {}, job.get("status") or {}
    succeeded = int(status.get("succeeded", 0))
    if spec.get("completions") is not None:
        return f"{succeeded}/{spec['completions']}"
    parallelism = int(spec.get("parallelism") or 0)
    return f"{succeeded}/1 of {parallelism}" if parallelism > 1 else f"{succeeded}/1"


def _job(job: Obj, t: Any) -> list[Any]:
    status = job.get("status") or {}
    duration = ""
    if status.get("startTime"):
        start = seconds_since(t.epoch, status["startTime"])
        end = seconds_since(t.epoch, status["completionTime"]) if status.get("completionTime") else t.now
        duration = human_duration(end - start)
    tspec = ((job.get("spec") or {}).get("template") or {}).get("spec") or {}
    names, images = container_cells(tspec.get("containers"))
    return [
        job["metadata"]["name"],
        job_status(job),
        job_completions(job),
        duration,
        t.since(job["metadata"].get("creationTimestamp")),
        names,
        images,
        format_selector((job.get("spec") or {}).get("selector")),
    ]


def _cronjob(cj: Obj, t: Any) -> list[Any]:
    spec, status = cj.get("spec") or {}, cj.get("status") or {}
    suspend = spec.get("suspend")
    job_spec = (spec.get("jobTemplate") or {}).get("spec") or {}
    names, images = container_cells(((job_spec.get("template") or {}).get("spec") or {}).get("containers"))
    return [
        cj["metadata"]["name"],
        spec.get("schedule", ""),
        spec.get("timeZone") if spec.get("timeZone") is not None else "<none>",
        "<unset>" if suspend is None else str(bool(suspend)),
        len(status.get("active") or ()),
        t.since(status["lastScheduleTime"]) if status.get("lastScheduleTime") else "<none>",
        t.since(cj["metadata"].get("creationTimestamp")),
        names,
        images,
        format_selector(job_spec.get("selector")),
    ]


PRINTERS: dict[str, Callable[[Obj, Any], list[Any]]] = {"Job": _job, "CronJob": _cronjob}
