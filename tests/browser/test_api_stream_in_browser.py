"""A learner follows the API-call stream in a real browser: filters it to kube-scheduler, sees a
pod's binding flow through the API server to etcd, pauses on it, reads it, and resumes."""

from __future__ import annotations

import re
from typing import Any

import pytest
from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import Select

from tests.browser.pages import click, click_css, wait

pytestmark = pytest.mark.browser

# The stream as the learner sees it, read in one script call (rows arrive at any moment).
VISIBLE_CALLS = """
return [...document.querySelectorAll("#api-call-list > li.call")]
  .filter((row) => !row.hidden)
  .map((row) => ({
    seq: Number(row.dataset.seq || 0),
    component: row.dataset.component || "",
    resource: row.dataset.resource || "",
    text: row.textContent.replace(/\\s+/g, " ").trim(),
  }));
"""


def visible_calls(driver: Any) -> list[dict[str, Any]]:
    return list(driver.execute_script(VISIBLE_CALLS))


def text_of(driver: Any, selector: str) -> str:
    script = "const el = document.querySelector(arguments[0]); return el ? el.textContent : ''"
    return re.sub(r"\s+", " ", str(driver.execute_script(script, selector))).strip()


def shown(driver: Any, selector: str) -> bool:
    script = "const el = document.querySelector(arguments[0]); return !!el && !el.hidden"
    return bool(driver.execute_script(script, selector))


def test_filter_to_the_scheduler_pause_on_a_binding_and_resume(server_url: str, browser: Any) -> None:
    driver = browser
    driver.get(server_url + "/")
    driver.find_element(By.XPATH, "//button[normalize-space()='Open a lab']").click()
    wait(driver).until(lambda d: re.search(r"/labs/[a-z0-9]+/$", d.current_url))
    wait(driver).until(lambda d: d.execute_script("return document.body.dataset.socket") == "open")

    # the component filter offers kube-scheduler once it has made calls (its informers, its lease)
    wait(driver).until(
        lambda d: d.find_elements(By.CSS_SELECTOR, '#api-filter-component option[value="kube-scheduler"]')
    )
    # (the filter lists are re-rendered as new clients show up: retry on a stale element)
    wait(driver, 10).until(
        lambda d: (
            Select(d.find_element(By.ID, "api-filter-component")).select_by_value("kube-scheduler") or True
        )
    )
    wait(driver).until(lambda d: visible_calls(d))
    assert {call["component"] for call in visible_calls(driver)} == {"kube-scheduler"}

    click(driver, "speed-10")
    click(driver, "create-sample")

    def a_binding(d: Any) -> dict[str, Any] | None:
        calls = visible_calls(d)
        return next(
            (c for c in calls if c["resource"] == "pods/binding" and "default/web-" in c["text"]), None
        )

    binding = wait(driver).until(a_binding)
    assert {call["component"] for call in visible_calls(driver)} == {"kube-scheduler"}
    flow = binding["text"]
    assert re.search(r"kube-scheduler\s*→\s*kube-apiserver\s*→\s*etcd", flow), flow
    pod = re.search(r"create pods/binding default/(web-[a-z0-9]+-[a-z0-9]+)", flow)
    assert pod, flow
    assert "201 Created" in flow
    assert re.search(rf"txn put /registry/pods/default/{pod[1]} → revision \d+", flow), flow

    # pause on it: its detail opens, the stream stops moving and counts what arrives
    click_css(driver, f'li.call[data-seq="{binding["seq"]}"] [data-testid="api-call"]')
    wait(driver).until(lambda d: shown(d, "#api-call-paused"))
    wait(driver).until(lambda d: "Authenticated user" in text_of(d, "#api-call-detail"))
    detail = text_of(driver, "#api-call-detail")
    assert f"Call #{binding['seq']}: create pods/binding" in detail
    assert "system:kube-scheduler" in detail
    assert f"POST /api/v1/namespaces/default/pods/{pod[1]}/binding" in detail
    assert "201 Created" in text_of(driver, '[data-testid="api-detail-code"]')
    etcd = text_of(driver, '[data-testid="api-detail-etcd"]')
    assert re.search(rf"txn put /registry/pods/default/{pod[1]} · revision \d+", etcd), etcd
    frozen = [call["seq"] for call in visible_calls(driver)]

    # the scheduler renews its leader-election Lease every 2 s: those calls are held back
    wait(driver).until(
        lambda d: re.search(r"^[1-9]\d* new calls? — resume$", text_of(d, "[data-testid=api-resume]"))
    )
    assert [call["seq"] for call in visible_calls(driver)] == frozen

    click(driver, "api-resume")
    wait(driver).until(lambda d: not shown(d, "#api-call-paused") and not shown(d, "#api-call-detail"))
    resumed = visible_calls(driver)
    assert resumed[0]["seq"] > frozen[0]
    assert {call["component"] for call in resumed} == {"kube-scheduler"}
    assert any(call["resource"] == "leases" for call in resumed[: len(resumed) - len(frozen)])
