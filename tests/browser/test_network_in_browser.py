"""A learner exposes a Deployment in a real browser and watches the Services map: a line to each
ready pod as it becomes ready, a line going as the Deployment scales down; then clicks a node for
its kube-proxy rules, with the Service's chains marked (the web tests cover a stopped
kube-proxy's stale rules)."""

from __future__ import annotations

import re
from typing import Any

import pytest
from selenium.webdriver.common.by import By

from tests.browser.pages import click, text_of, wait
from tests.browser.test_scheduling_in_browser import FILL_EDITOR, open_lab
from tests.manifests import EXAMPLE_INGRESS_WEB_WEB2

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


# The Ingress's lines as (host, path, service, broken, stroke width), and whether its drawing is
# still the element first seen (marked by `MARK`): moving counters must not re-send it.
INGRESS_ROUTES = """
const ing = document.getElementById(arguments[0]);
if (!ing) { return null; }
return {
  same: ing.dataset.seen === "yes",
  routes: [...ing.querySelectorAll('[data-testid="ingress-route"]')].map((l) => [
    l.dataset.host, l.dataset.path, l.dataset.service, l.dataset.broken, l.getAttribute("stroke-width"),
  ]),
};
"""
MARK = "document.getElementById(arguments[0]).dataset.seen = 'yes';"


def open_ingress_lab(driver: Any, server_url: str) -> None:
    driver.get(server_url + "/")
    driver.find_element(By.CSS_SELECTOR, '[data-testid="scenario-ingress"]').click()
    driver.find_element(By.XPATH, "//button[normalize-space()='Open a lab']").click()
    wait(driver).until(lambda d: re.search(r"/labs/[a-z0-9]+/$", d.current_url))
    wait(driver).until(lambda d: d.execute_script("return document.body.dataset.socket") == "open")


def test_an_ingress_line_appears_and_carries_live_traffic(server_url: str, browser: Any) -> None:
    driver = browser
    open_ingress_lab(driver, server_url)
    click(driver, "speed-10")
    driver.execute_script(FILL_EDITOR, WEB + "---\n" + EXAMPLE_INGRESS_WEB_WEB2)
    click(driver, "editor-apply")
    wait(driver).until(
        lambda d: "ingress.networking.k8s.io/example-ingress created" in text_of(d, "#console-output")
    )
    dom_id = "ing_default_example-ingress"

    # a line per path; `/` is drawn broken ("no ready endpoint") until web's pods are ready, `/v2`
    # stays broken: no Service web2
    def drawn_routes(d: Any) -> list[list[str]]:
        return [r[:4] for r in (d.execute_script(INGRESS_ROUTES, dom_id) or {}).get("routes") or []]

    wait(driver).until(
        lambda d: (
            drawn_routes(d)
            == [
                ["hello-world.example", "/", "web", "false"],
                ["hello-world.example", "/v2", "web2", "true"],
            ]
        )
    )
    assert 'no Service "web2" in namespace "default": nginx answers 503' in text_of(driver, f"#{dom_id}")
    # The controller takes the Ingress up: its pod is named, and the page offers to send load.
    wait(driver).until(lambda d: "served by ingress-nginx/" in text_of(d, f"#{dom_id}"))

    # and writes the Ingress's address (its status sync runs within a minute).
    wait(driver).until(lambda d: text_of(d, f"#{dom_id} [data-testid=ingress-address]") not in ("", "<none>"))

    # Load to the host, through the controller: the line gets the backend's counters and widens.
    click(driver, "send-ingress-traffic-default-example-ingress")
    counters = f"#{dom_id} [data-live='{dom_id}-r0']"
    wait(driver).until(lambda d: "req/s" in text_of(d, counters))
    routes = driver.execute_script(INGRESS_ROUTES, dom_id)["routes"]
    assert routes[0][4] == "9" and routes[1][4] == "2"  # the busiest line; the broken one thin
    # From then on the numbers move in place: the drawing is not re-sent for them.
    driver.execute_script(MARK, dom_id)
    first = text_of(driver, counters)
    wait(driver).until(lambda d: text_of(d, counters) not in ("", first))
    assert driver.execute_script(INGRESS_ROUTES, dom_id)["same"]
    assert "req/s" in text_of(driver, "[data-testid=ingress-controller-traffic]")
