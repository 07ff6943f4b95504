"""The batch/v1 API: what kube-apiserver fills in and checks for Jobs and CronJobs.

- Defaulting (`pkg/apis/batch/v1/defaults.go`): a Job without completions and parallelism
  gets 1 and 1; parallelism alone defaults to 1; `backoffLimit: 6`, `completionMode:
  NonIndexed`, `suspend: false`, `manualSelector: false`, `podReplacementPolicy:
  TerminatingOrFailed`. A CronJob gets `concurrencyPolicy: Allow`, `suspend: false`, and keeps
  3 successful and 1 failed Job. Both templates get the pod defaults.
- Create strategy (`pkg/registry/batch/job/strategy.go`, `generateSelector`): unless
  `manualSelector: true`, the template gets the labels `batch.kubernetes.io/controller-uid`,
  `controller-uid` (the Job's UID), `batch.kubernetes.io/job-name` and `job-name`, and the
  selector matches `batch.kubernetes.io/controller-uid`. A Job without labels of its own shows
  its template's (as it reads back from etcd through the defaulter).
- Validation (`pkg/apis/batch/validation`): restartPolicy `OnFailure` or `Never`, non-negative
  counts, a selector that matches the template, a hand-written selector only with
  `manualSelector: true`; on update the template, selector, completion mode and (for
  NonIndexed Jobs) completions are immutable. A CronJob's schedule must parse, its time zone
  must exist, its name must leave room for the Job name suffix (52 characters).

Simplified: the `field is immutable` message for a changed pod template names the field
without Go's dump of the whole template; podFailurePolicy, successPolicy and
backoffLimitPerIndex are accepted as written but not validated.
"""

from __future__ import annotations

from datetime import UTC, tzinfo
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from .cron_schedule import CronError, parse
from .selectors import selector_from_spec
from .workload_validation import selector_template_causes

Obj = dict[str, Any]
Causes = list[tuple[str, str]]

CONTROLLER_UID = "batch.kubernetes.io/controller-uid"
LEGACY_CONTROLLER_UID = "controller-uid"
JOB_NAME = "batch.kubernetes.io/job-name"
LEGACY_JOB_NAME = "job-name"
TRACKING_FINALIZER = "batch.kubernetes.io/job-tracking"
SCHEDULED_TIMESTAMP = "batch.kubernetes.io/cronjob-scheduled-timestamp"
CRONJOB_NAME_MAX = 52  # 63 minus the 11 characters of "-<minutes since epoch>"


def _quote(value: Any) -> str:
    return '"' + value.replace('"', '\\"') + '"' if isinstance(value, str) else str(value)


# -- defaulting ---------------------------------------------------------------------------


def default_job_spec(spec: Obj) -> None:
    """`SetDefaults_Job` for a spec (a Job's, not a CronJob's jobTemplate)."""
    if spec.get("completions") is None and spec.get("parallelism") is None:
        spec["completions"] = 1
        spec["parallelism"] = 1
    spec.setdefault("parallelism", 1)
    spec.setdefault("backoffLimit", 6)
    spec.setdefault("completionMode", "NonIndexed")
    spec.setdefault("suspend", False)
    spec.setdefault("manualSelector", False)
    spec.setdefault(
        "podReplacementPolicy", "Failed" if spec.get("podFailurePolicy") else "TerminatingOrFailed"
    )


def _default_template(template: Obj) -> None:
    from .defaulting import default_pod_spec

    template.setdefault("metadata", {}).setdefault("creationTimestamp", None)
    default_pod_spec(template.setdefault("spec", {}))


def default_job(job: Obj) -> None:
    spec = job.setdefault("spec", {})
    default_job_spec(spec)
    _default_template(spec.setdefault("template", {}))
    template_labels = spec["template"]["metadata"].get("labels")
    if not job["metadata"].get("labels") and template_labels:
        job["metadata"]["labels"] = dict(template_labels)


def default_cronjob(cj: Obj) -> None:
    spec = cj.setdefault("spec", {})
    spec.setdefault("concurrencyPolicy", "Allow")
    spec.setdefault("suspend", False)
    spec.setdefault("successfulJobsHistoryLimit", 3)
    spec.setdefault("failedJobsHistoryLimit", 1)
    job_template = spec.setdefault("jobTemplate", {})
    job_template.setdefault("metadata", {}).setdefault("creationTimestamp", None)
    _default_template(job_template.setdefault("spec", {}).setdefault("template", {}))


# -- create strategy ----------------------------------------------------------------------


def prepare_job_for_create(job: Obj) -> None:
    """`jobStrategy.PrepareForCreate`: empty status, and the generated selector and labels."""
    job["status"] = {}
    spec = job["spec"]
    if spec.get("manualSelector"):
        return
    meta = job["metadata"]
    tmeta = spec["template"].setdefault("metadata", {})
    labels = tmeta.get("labels") or {}
    for key in (LEGACY_JOB_NAME, JOB_NAME):
        labels.setdefault(key, meta["name"])
    for key in (LEGACY_CONTROLLER_UID, CONTROLLER_UID):
        labels.setdefault(key, meta["uid"])
    tmeta["labels"] = labels
    selector = spec.get("selector") or {}
    selector.setdefault("matchLabels", {}).setdefault(CONTROLLER_UID, meta["uid"])
    spec["selector"] = selector
    if not meta.get("labels"):
        meta["labels"] = dict(labels)


def prepare_cronjob_for_create(cj: Obj) -> None:
    cj["status"] = {}


# -- validation ---------------------------------------------------------------------------


def _nonnegative(spec: Obj, name: str, path: str) -> Causes:
    value = spec.get(name)
    if value is None:
        return []
    if not isinstance(value, int) or isinstance(value, bool):
        return [(f"{path}.{name}", f"Invalid value: {_quote(value)}: must be an integer")]
    if value < 0:
        return [(f"{path}.{name}", f"Invalid value: {value}: must be greater than or equal to 0")]
    return []


def _template_causes(spec: Obj, path: str) -> Causes:
    from .validation import label_causes, pod_spec_causes

    template = spec.get("template") or {}
    tspec = template.get("spec") or {}
    causes = label_causes((template.get("metadata") or {}).get("labels"), f"{path}.template.metadata.labels")
    causes += pod_spec_causes(template.get("spec"), f"{path}.template.spec")
    policy = tspec.get("restartPolicy")
    if policy not in ("OnFailure", "Never"):
        causes.append(
            (
                f"{path}.template.spec.restartPolicy",
                f'Unsupported value: {_quote(policy)}: supported values: "OnFailure", "Never"',
            )
        )
    return causes


def _job_spec_causes(spec: Obj, path: str) -> Causes:
    """`validateJobSpec`: the checks a Job and a CronJob's jobTemplate share."""
    causes: Causes = []
    for name in (
        "parallelism",
        "completions",
        "backoffLimit",
        "activeDeadlineSeconds",
        "ttlSecondsAfterFinished",
    ):
        causes += _nonnegative(spec, name, path)
    mode = spec.get("completionMode")
    if mode is not None and mode not in ("NonIndexed", "Indexed"):
        causes.append(
            (
                f"{path}.completionMode",
                f'Unsupported value: {_quote(mode)}: supported values: "NonIndexed", "Indexed"',
            )
        )
    if mode == "Indexed" and spec.get("completions") is None:
        causes.append((f"{path}.completions", "Required value: when completion mode is Indexed"))
    causes += _template_causes(spec, path)
    return causes


def job_causes(job: Obj) -> Causes:
    """`ValidateJob` (run before the create strategy has generated the selector: an absent
    selector is fine unless `manualSelector: true`)."""
    from .strategy import _selector_text

    spec = job.get("spec") or {}
    causes = _job_spec_causes(spec, "spec")
    selector = spec.get("selector")
    labels = ((spec.get("template") or {}).get("metadata") or {}).get("labels") or {}
    if selector is None:
        if spec.get("manualSelector"):
            causes.append(("spec.selector", "Required value"))
        return causes
    try:
        compiled = selector_from_spec(selector)
    except Exception as exc:  # a malformed selector is reported, not raised
        return [*causes, ("spec.selector", f"Invalid value: {exc}")]
    if not spec.get("manualSelector"):
        meta = job.get("metadata") or {}
        expected = {LEGACY_CONTROLLER_UID: meta.get("uid") or "\x00", LEGACY_JOB_NAME: meta.get("name", "")}
        if not compiled.matches(expected) and not compiled.matches(
            {CONTROLLER_UID: expected[LEGACY_CONTROLLER_UID], JOB_NAME: expected[LEGACY_JOB_NAME]}
        ):
            causes.append(
                ("spec.selector", f"Invalid value: {_selector_text(selector)}: `selector` not auto-generated")
            )
        return causes
    return causes + selector_template_causes(compiled, labels, "deployment")


def cronjob_causes(cj: Obj) -> Causes:
    """`ValidateCronJobCreate` / `validateCronJobSpec`."""
    meta = cj.get("metadata") or {}
    spec = cj.get("spec") or {}
    causes: Causes = []
    name = meta.get("name") or ""
    if len(name) > CRONJOB_NAME_MAX:
        causes.append(
            (
                "metadata.name",
                f"Invalid value: {_quote(name)}: must be no more than {CRONJOB_NAME_MAX} characters",
            )
        )
    causes += schedule_causes(spec)
    policy = spec.get("concurrencyPolicy")
    if policy not in ("Allow", "Forbid", "Replace"):
        causes.append(
            (
                "spec.concurrencyPolicy",
                f'Unsupported value: {_quote(policy)}: supported values: "Allow", "Forbid", "Replace"',
            )
        )
    for name_ in ("startingDeadlineSeconds", "successfulJobsHistoryLimit", "failedJobsHistoryLimit"):
        causes += _nonnegative(spec, name_, "spec")
    job_spec = (spec.get("jobTemplate") or {}).get("spec") or {}
    causes += _job_spec_causes(job_spec, "spec.jobTemplate.spec")
    return causes


def schedule_causes(spec: Obj) -> Causes:
    schedule = spec.get("schedule")
    if not schedule:
        return [("spec.schedule", "Required value")]
    if "TZ" in str(schedule):
        return [
            (
                "spec.schedule",
                f"Invalid value: {_quote(schedule)}: cannot use TZ or CRON_TZ in schedule, "
                "use timeZone field instead",
            )
        ]
    causes: Causes = []
    try:
        parse(str(schedule))
    except CronError as exc:
        causes.append(("spec.schedule", f"Invalid value: {_quote(schedule)}: {exc}"))
    tz = spec.get("timeZone")
    if tz is not None and str(tz).lower() == "local":  # `validateTimeZone`
        explicit = "timeZone must be an explicit time zone as defined in https://www.iana.org/time-zones"
        causes.append(("spec.timeZone", f"Invalid value: {_quote(tz)}: {explicit}"))
    elif tz is not None and time_zone(tz) is None:
        causes.append(("spec.timeZone", f"Invalid value: {_quote(tz)}: unknown time zone {tz}"))
    return causes


def time_zone(name: str | None) -> tzinfo | None:
    """`time.LoadLocation`: "" and "UTC" are UTC (with or without a time zone database);
    "Local" is refused (validation says so first: it would be the controller's host's zone)."""
    if name in (None, "", "UTC"):
        return UTC
    if name.lower() == "local" or name.startswith("/") or ".." in name:
        return None
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return None


# -- update strategy ----------------------------------------------------------------------


def _immutable(path: str, value: Any) -> tuple[str, str]:
    return (path, f"Invalid value: {value}: field is immutable")


def job_update_causes(old: Obj, new: Obj) -> Causes:
    """`ValidateJobUpdate`: what may not change once a Job exists."""
    from .strategy import _selector_text

    a, b = old.get("spec") or {}, new.get("spec") or {}
    causes: Causes = []
    if a.get("selector") != b.get("selector"):
        causes.append(_immutable("spec.selector", _selector_text(b.get("selector"))))
    if a.get("completionMode") != b.get("completionMode"):
        causes.append(_immutable("spec.completionMode", _quote(b.get("completionMode"))))
    if b.get("completionMode") != "Indexed" and a.get("completions") != b.get("completions"):
        causes.append(_immutable("spec.completions", b.get("completions")))
    if a.get("template") != b.get("template"):
        causes.append(_immutable("spec.template", "core.PodTemplateSpec{...}"))
    return causes
