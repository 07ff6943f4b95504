"""A learner opens a lab in a real browser, kills a node at 600x and watches the cluster heal."""

from __future__ import annotations

import re
from typing import Any

import pytest
from selenium.common.exceptions import StaleElementReferenceException
from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import WebDriverWait

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


def wait(driver: Any, seconds: float = 30.0) -> WebDriverWait:  # type: ignore[type-arg]
    return WebDriverWait(
        driver, seconds, poll_frequency=0.1, ignored_exceptions=[StaleElementReferenceException]
    )


def click(driver: Any, testid: str) -> None:
    """Click a control, waiting until it is in the page (it may be re-rendered at any moment)."""
    wait(driver, 10).until(
        lambda d: d.find_element(By.CSS_SELECTOR, f'[data-testid="{testid}"]').click() or True
    )


def board(driver: Any) -> dict[str, dict[str, Any]]:
    return driver.execute_script(PODS_BY_NODE)


def text_of(driver: Any, selector: str) -> str:
    """An element's text ("" if absent), read in one script call: elements are swapped any time."""
    script = "const el = document.querySelector(arguments[0]); return el ? el.textContent : ''"
    return str(driver.execute_script(script, selector))


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

    def back_elsewhere(d: Any) -> bool:
        pods = web_pods(board(d), exclude=victim)
        return len(pods) == 6 and all(status == "Running" for _, _, status in pods)

    wait(driver).until(back_elsewhere)
    survivors = {name for _, name, _ in web_pods(board(driver), exclude=victim)}
    assert not lost & survivors, "replacement pods are new pods"
    assert "6/6" in text_of(driver, "#deploy-default-web-status")
    events = text_of(driver, "#events")
    assert "NodeNotReady" in events or "NotReady" in events

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
