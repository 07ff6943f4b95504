"""A learner exposes a Deployment in a real browser and watches the Services map: a line to each
ready pod as it becomes ready, a line going as the Deployment scales down; then clicks a node for
its kube-proxy rules, with the Service's chains marked (the web tests cover a stopped
kube-proxy's stale rules)."""

from __future__ import annotations

from typing import Any

import pytest
from selenium.webdriver.common.by import By

from tests.browser.pages import click, text_of, wait
from tests.browser.test_scheduling_in_browser import FILL_EDITOR, open_lab

pytestmark = pytest.mark.browser

WEB = """apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
spec:
  replicas: 2
  selector:
    matchLabels: {app: web}
  template:
    metadata:
      labels: {app: web}
    spec:
      containers:
      - name: nginx
        image: nginx:1.27
        ports:
        - containerPort: 80
---
apiVersion: v1
kind: Service
metadata:
  name: web
spec:
  selector: {app: web}
  ports:
  - port: 80
"""

# The map's lines for one Service, as (endpoint, pod) pairs, read in one script call.
ROUTES = """
const svc = document.getElementById(arguments[0]);
if (!svc) { return null; }
return [...svc.querySelectorAll('[data-testid="route"]')].map((l) => [l.dataset.endpoint, l.dataset.pod]);
"""


def routes(driver: Any) -> list[list[str]] | None:
    return driver.execute_script(ROUTES, "svc_default_web")


def scale(driver: Any, replicas: int) -> None:
    script = "document.querySelector('[data-testid=replicas-web]').value = arguments[0];"
    driver.execute_script(script, replicas)
    click(driver, "scale-web")


def test_lines_follow_ready_pods_and_a_node_shows_its_rules(server_url: str, browser: Any) -> None:
    driver = browser
    open_lab(driver, server_url)
    click(driver, "speed-10")  # image pulls and readiness in a few wall seconds
    driver.execute_script(FILL_EDITOR, WEB)
    click(driver, "editor-apply")
    wait(driver).until(lambda d: "service/web created" in text_of(d, "#console-output"))
    # A line to each pod once it is ready.
    wait(driver).until(lambda d: len(routes(d) or []) == 2)
    assert "2 ready" in text_of(driver, '[data-testid="service-default-web"] [data-testid="service-counts"]')

    # Scale down: one line goes (its pod terminates, then its endpoint is removed).
    scale(driver, 1)
    wait(driver).until(lambda d: len(routes(d) or []) == 1)
    ((ip, _),) = routes(driver) or []

    # A node's rules, with the Service's chains marked: one endpoint now.
    click(driver, "rules-default-web-worker-1")
    wait(driver).until(lambda d: d.find_elements(By.CSS_SELECTOR, "#pod-decision [data-testid=proxy-rules]"))
    assert "kube-proxy rules on worker-1" in text_of(driver, "#pod-decision")
    marked = driver.execute_script(
        "return [...document.querySelectorAll('#pod-decision [data-service-rule]')].map((l) => l.textContent)"
    )
    assert any("default/web cluster IP" in line for line in marked)
    assert [line for line in marked if "-j DNAT" in line] == [
        next(line for line in marked if f"--to-destination {ip}:80" in line)
    ]
