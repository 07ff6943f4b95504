"""A learner asks "why is my pod Pending?" in a real browser: applies a Deployment that asks for
more CPU than any node has, finds its pods grouped in the Pending panel with the scheduler's
reason, clicks one and reads the decision table and the explanation; then asks the same of a
running pod on the node map."""

from __future__ import annotations

import re
from typing import Any

import pytest
from selenium.webdriver.common.by import By

from tests.browser.pages import click, wait

pytestmark = pytest.mark.browser

HOG = """apiVersion: apps/v1
kind: Deployment
metadata:
  name: hog
spec:
  replicas: 2
  selector:
    matchLabels: {app: hog}
  template:
    metadata:
      labels: {app: hog}
    spec:
      containers:
      - name: app
        image: nginx:1.27
        resources:
          requests: {cpu: "3"}
"""

# Type into the editor as a learner would (the form checks on input).
FILL_EDITOR = """
const area = document.getElementById("editor-text");
area.value = arguments[0];
area.dispatchEvent(new Event("input", {bubbles: true}));
"""
# The test id of the first pod chip inside a container (whose test id starts with a prefix),
# read in one script call.
FIRST_POD = """
const chip = document.querySelector(
  arguments[0] + ' [data-action="pod-scheduling"][data-testid^="' + arguments[1] + '"]');
return chip ? chip.dataset.testid : "";
"""


def text_of(driver: Any, selector: str) -> str:
    script = "const el = document.querySelector(arguments[0]); return el ? el.textContent : ''"
    return re.sub(r"\s+", " ", str(driver.execute_script(script, selector))).strip()


def open_lab(driver: Any, server_url: str) -> None:
    driver.get(server_url + "/")
    driver.find_element(By.XPATH, "//button[normalize-space()='Open a lab']").click()
    wait(driver).until(lambda d: re.search(r"/labs/[a-z0-9]+/$", d.current_url))
    wait(driver).until(lambda d: d.execute_script("return document.body.dataset.socket") == "open")


def open_decision(driver: Any, container: str, prefix: str = "pod-") -> str:
    """Click the first pod in `container` whose chip's test id starts with `prefix`; return its
    test id once its decision is shown."""
    testid = wait(driver, 10).until(lambda d: d.execute_script(FIRST_POD, container, prefix))
    click(driver, testid)
    pod = testid.removeprefix("pod-")
    wait(driver).until(
        lambda d: d.find_elements(By.CSS_SELECTOR, '#pod-decision [data-testid="pod-decision"]')
    )
    shown = driver.find_element(By.CSS_SELECTOR, '#pod-decision [data-testid="pod-decision"]').get_attribute(
        "data-pod"
    )
    assert shown.replace("/", "-") == pod
    return testid


def test_why_is_my_pod_pending(server_url: str, browser: Any) -> None:
    driver = browser
    open_lab(driver, server_url)
    driver.execute_script(FILL_EDITOR, HOG)
    click(driver, "editor-apply")
    wait(driver).until(lambda d: "deployment.apps/hog created" in text_of(d, "#console-output"))

    # Both replicas wait in one group, with the scheduler's reason and their count.
    def grouped(d: Any) -> bool:
        panel = text_of(d, "#pending")
        return panel.count("hog-") == 2 and "Unschedulable 2 0/4 nodes are available:" in panel

    wait(driver).until(grouped)
    panel = text_of(driver, "#pending")
    assert (
        "1 node(s) had untolerated taint {node-role.kubernetes.io/control-plane: }, 3 Insufficient cpu."
        in panel
    )

    open_decision(driver, "#pending")
    decision = text_of(driver, "#pod-decision")
    assert "Unschedulable 0/4 nodes are available" in decision
    table = text_of(driver, '#pod-decision [data-testid="decision-table"]')
    assert "TaintToleration" in table and "NodeResourcesFit" in table
    assert table.count("Insufficient cpu") == 3
    assert "node(s) had untolerated taint {node-role.kubernetes.io/control-plane: }" in table
    explanation = text_of(driver, '#pod-decision [data-testid="decision-explanation"]')
    assert explanation.startswith("The scheduler looked at 4 nodes.")
    assert (
        "3 (worker-1, worker-2, worker-3) were ruled out by NodeResourcesFit because the pod requests 3 CPU"
        in explanation
    )
    assert "Preemption could not help" in explanation
    rows = driver.find_elements(By.CSS_SELECTOR, "#pod-decision tbody tr")
    assert [row.get_attribute("data-verdict") for row in rows] == ["filtered out"] * 4

    # A running pod on the node map: a CoreDNS replica, scored against the other nodes; the
    # node it won is marked in its table.
    click(driver, "decision-close")
    wait(driver).until(lambda d: d.execute_script("return document.getElementById('pod-decision').hidden"))
    testid = open_decision(driver, "#nodes article[data-node^='worker']", "pod-kube-system-coredns-")
    node = node_of(driver, testid)
    (chosen,) = driver.find_elements(By.CSS_SELECTOR, '#pod-decision tr[data-verdict="chosen"]')
    assert chosen.get_attribute("data-node") == node
    assert f"on {node}" in text_of(driver, "#pod-decision")
    explanation = text_of(driver, '#pod-decision [data-testid="decision-explanation"]')
    assert f"{node} won with a total of" in explanation or "tied with a total of" in explanation

    # A DaemonSet's pod (kube-proxy, as kubeadm installs it) names its node in a required node
    # affinity: the other nodes are filtered out and nothing is scored.
    click(driver, "decision-close")
    wait(driver).until(lambda d: d.execute_script("return document.getElementById('pod-decision').hidden"))
    testid = open_decision(driver, "#nodes article[data-node='worker-2']", "pod-kube-system-kube-proxy-")
    assert node_of(driver, testid) == "worker-2"
    explanation = text_of(driver, '#pod-decision [data-testid="decision-explanation"]')
    assert "3 (control-plane, worker-1, worker-3) were ruled out by NodeAffinity" in explanation
    assert explanation.endswith("Only worker-2 passed the filters, so it was chosen without scoring.")


def node_of(driver: Any, testid: str) -> str:
    """The node whose card holds the pod chip `testid`."""
    script = "return document.querySelector(`[data-testid='${arguments[0]}']`).closest('article')"
    return str(driver.execute_script(script + ".dataset.node", testid))
