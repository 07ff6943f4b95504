"""A learner opens a lab in a real browser, kills a node at 600x and watches the cluster heal."""

from __future__ import annotations

import re
from typing import Any

import pytest
from selenium.webdriver.common.by import By

from tests.browser.pages import click, text_of, wait

pytestmark = pytest.mark.browser

WORKERS = ("worker-1", "worker-2", "worker-3")

# Read the page in one script call, so an out-of-band swap can't leave us holding stale elements.
PODS_BY_NODE = """
const out = {};
document.querySelectorAll("article.node").forEach((card) => {
  out[card.dataset.node] = {
    status: card.querySelector("[data-testid=node-status]").textContent.trim(),
    pods: [...card.querySelectorAll("li.pod")].map((chip) => [
      chip.dataset.pod,
      chip.querySelector(".pod__status").textContent.trim(),
    ]),
  };
});
return out;
"""


def board(driver: Any) -> dict[str, dict[str, Any]]:
    return driver.execute_script(PODS_BY_NODE)


def clock_seconds(driver: Any) -> int:
    """The virtual clock in seconds, read in one script call (the clock is swapped often)."""
    text = text_of(driver, ".clock__time")
    hours, minutes, seconds = (int(x) for x in text.split(":"))
    return hours * 3600 + minutes * 60 + seconds


def web_pods(state: dict[str, dict[str, Any]], *, exclude: str = "") -> list[tuple[str, str, str]]:
    return [
        (node, name, status)
        for node, card in state.items()
        if node != exclude
        for name, status in card["pods"]
        if name.startswith("web-")
    ]


def open_lab(driver: Any, server_url: str) -> None:
    """From the landing page, open a new lab and wait for its live connection."""
    driver.get(server_url + "/")
    assert "Learn how Kubernetes works" in driver.page_source
    driver.find_element(By.XPATH, "//button[normalize-space()='Open a lab']").click()
    wait(driver).until(lambda d: re.search(r"/labs/[a-z0-9]+/$", d.current_url))
    wait(driver).until(lambda d: d.execute_script("return document.body.dataset.socket") == "open")


def test_kill_a_node_at_600x_and_its_pods_come_back_elsewhere(server_url: str, browser: Any) -> None:
    driver = browser
    open_lab(driver, server_url)
    assert set(board(driver)) == {"control-plane", *WORKERS}

    click(driver, "speed-600")
    wait(driver).until(
        lambda d: (
            d.find_element(By.CSS_SELECTOR, '[data-testid="speed-600"]').get_attribute("aria-pressed")
            == "true"
        )
    )
    click(driver, "create-sample")

    def all_six_running(d: Any) -> bool:
        pods = web_pods(board(d))
        return len(pods) == 6 and all(status == "Running" for _, _, status in pods)

    wait(driver).until(all_six_running)
    placement = board(driver)
    assert not web_pods({"control-plane": placement["control-plane"]}), "the control plane is tainted"
    victim = max(WORKERS, key=lambda node: len(web_pods({node: placement[node]})))
    lost = {name for _, name, _ in web_pods({victim: placement[victim]})}
    assert lost

    click(driver, f"kill-{victim}")
    wait(driver).until(lambda d: board(d)[victim]["status"] == "NotReady")
    assert driver.find_element(By.CSS_SELECTOR, f'[data-testid="restore-{victim}"]')
    # Read now: at 600x events reach their 1 h TTL within 6 wall seconds of a slow machine.
    events = text_of(driver, "#events")
    assert "NodeNotReady" in events or "NotReady" in events

    def back_elsewhere(d: Any) -> bool:
        pods = web_pods(board(d), exclude=victim)
        return len(pods) == 6 and all(status == "Running" for _, _, status in pods)

    wait(driver).until(back_elsewhere)
    survivors = {name for _, name, _ in web_pods(board(driver), exclude=victim)}
    assert not lost & survivors, "replacement pods are new pods"
    assert "6/6" in text_of(driver, "#deploy-default-web-status")

    # a reload shows the lab as it is: same lab, clock not reset, the node still down
    seconds_before = clock_seconds(driver)
    driver.refresh()
    wait(driver).until(lambda d: d.execute_script("return document.body.dataset.socket") == "open")
    assert clock_seconds(driver) >= seconds_before
    assert board(driver)[victim]["status"] == "NotReady"
    assert driver.find_element(By.CSS_SELECTOR, f'[data-testid="restore-{victim}"]')


def test_pause_step_and_scale_from_the_page(server_url: str, browser: Any) -> None:
    driver = browser
    open_lab(driver, server_url)
    click(driver, "pause")
    wait(driver).until(
        lambda d: (
            d.execute_script("return document.querySelector('.controls__state').dataset.state") == "paused"
        )
    )
    before = clock_seconds(driver)
    click(driver, "step-10")
    wait(driver).until(lambda d: clock_seconds(d) != before)
    assert clock_seconds(driver) == before + 10

    click(driver, "play")
    click(driver, "speed-600")
    click(driver, "create-sample")
    status = "#deploy-default-web-status"
    wait(driver).until(lambda d: "6/6" in text_of(d, status))
    replicas = driver.find_element(By.CSS_SELECTOR, '[data-testid="replicas-web"]')
    replicas.clear()
    replicas.send_keys("3")
    click(driver, "scale-web")
    wait(driver).until(lambda d: "3/3" in text_of(d, status))
    wait(driver).until(lambda d: len(web_pods(board(d))) == 3)
    assert text_of(driver, "#lab-error").strip() == ""


def test_stop_the_scheduler_from_the_page_and_pods_wait_for_it(server_url: str, browser: Any) -> None:
    driver = browser
    open_lab(driver, server_url)
    key = "component-kube-scheduler-control-plane"
    assert text_of(driver, f'[data-testid="status-{key}"]').strip() == "Running"
    click(driver, f"stop-{key}")
    wait(driver).until(lambda d: text_of(d, f'[data-testid="status-{key}"]').strip() == "Stopped")
    wait(driver).until(lambda d: "No kube-scheduler leads" in text_of(d, "#control-plane"))
    click(driver, "speed-60")
    click(driver, "create-sample")
    wait(driver).until(lambda d: text_of(d, "#pending").count("web-") == 6)
    assert not web_pods(board(driver)), "nobody schedules while the scheduler is stopped"

    click(driver, f"start-{key}")

    def all_six_running(d: Any) -> bool:
        pods = web_pods(board(d))
        return len(pods) == 6 and all(status == "Running" for _, _, status in pods)

    wait(driver).until(all_six_running)
    assert text_of(driver, f'[data-testid="status-{key}"]').strip() == "Running"
    assert "No kube-scheduler leads" not in text_of(driver, "#control-plane")


def test_scrub_back_to_before_a_node_died(server_url: str, browser: Any) -> None:
    driver = browser
    open_lab(driver, server_url)
    click(driver, "speed-60")
    wait(driver).until(lambda d: clock_seconds(d) >= 30)
    click(driver, "kill-worker-1")
    wait(driver).until(lambda d: board(d)["worker-1"]["status"] == "NotReady")
    killed_by = clock_seconds(driver)
    click(driver, "pause")

    scrubber = driver.find_element(By.CSS_SELECTOR, '[data-testid="scrubber"]')
    # Drag to 10 s of virtual time: set the range's value as a drag would, then let it settle.
    driver.execute_script(
        "arguments[0].value = 10; arguments[0].dispatchEvent(new Event('input', {bubbles: true}));", scrubber
    )
    assert text_of(driver, '[data-testid="scrubber-time"]').strip() == "00:00:10"
    frame = driver.find_element(By.CSS_SELECTOR, '[data-testid="rewind-frame"]')
    wait(driver).until(lambda d: frame.is_displayed() and "t=10" in (frame.get_attribute("src") or ""))
    assert not driver.find_element(By.ID, "nodes").is_displayed()  # the live map makes way
    driver.switch_to.frame(frame)
    wait(driver).until(lambda d: text_of(d, '[data-testid="rewind-time"]') == "00:00:10")
    assert board(driver)["worker-1"]["status"] == "Ready"
    assert not driver.find_elements(By.CSS_SELECTOR, "form[ws-send]")
    driver.switch_to.default_content()

    click(driver, "back-to-live")
    wait(driver).until(lambda d: d.find_element(By.ID, "nodes").is_displayed())
    assert not frame.is_displayed()
    assert board(driver)["worker-1"]["status"] == "NotReady"
    assert clock_seconds(driver) >= killed_by
