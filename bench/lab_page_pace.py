"""Whether the lab page keeps up with a fast clock: a real daphne and a headless Chromium.

Opens a lab, then for each phase (1x idle, 600x, 600x with the sample Deployment, 600x after
killing worker-1) watches the page for some wall seconds and prints what the browser's main
thread did (Chrome DevTools Protocol performance metrics: task, script, layout and style time
per wall second), the websocket messages it received (per second, bytes) and how far the
virtual clock moved (its effective speed). A server that cannot keep up shows as few messages
and a slow clock; a page that cannot keep up shows as main-thread milliseconds per second.

    python bench/lab_page_pace.py        # 12 wall seconds per phase
    python bench/lab_page_pace.py 30
"""

from __future__ import annotations

import json
import shutil
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from selenium import webdriver
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.by import By

from tests.browser.conftest import CHROMIUM_FLAGS
from tests.live_server import run_live_server

PHASES = (
    ("1x idle", ""),
    ("600x", "speed-600"),
    ("600x + sample", "create-sample"),
    ("600x, node killed", "kill-worker-1"),
)
METRICS = ("TaskDuration", "ScriptDuration", "LayoutDuration", "RecalcStyleDuration")


def metrics(driver: Any) -> dict[str, float]:
    answer = driver.execute_cdp_cmd("Performance.getMetrics", {})
    return {m["name"]: float(m["value"]) for m in answer["metrics"]}


def clock_seconds(driver: Any) -> int:
    text = driver.execute_script("return document.querySelector('.clock__time').textContent")
    hours, minutes, seconds = (int(x) for x in str(text).split(":"))
    return hours * 3600 + minutes * 60 + seconds


def frames_received(driver: Any) -> list[str]:
    """Websocket payloads received since the last call (from Chromium's performance log)."""
    payloads = []
    for entry in driver.get_log("performance"):
        message = json.loads(entry["message"])["message"]
        if message["method"] == "Network.webSocketFrameReceived":
            payloads.append(message["params"]["response"]["payloadData"])
    return payloads


def main(seconds: float) -> None:
    work = Path(tempfile.mkdtemp(prefix="lab-page-pace-"))
    server = run_live_server(work)
    url = next(server).url
    options = webdriver.ChromeOptions()
    options.binary_location = shutil.which("chromium") or ""
    for flag in CHROMIUM_FLAGS:
        options.add_argument(flag)
    options.add_argument(f"--user-data-dir={work / 'profile'}")
    options.set_capability("goog:loggingPrefs", {"performance": "ALL"})
    driver = webdriver.Chrome(service=Service(shutil.which("chromedriver")), options=options)
    try:
        driver.get(url + "/")
        driver.find_element(By.XPATH, "//button[normalize-space()='Open a lab']").click()
        while driver.execute_script("return document.body.dataset.socket") != "open":
            time.sleep(0.1)
        driver.execute_cdp_cmd("Performance.enable", {"timeDomain": "threadTicks"})
        frames_received(driver)
        print(
            f"{'phase':20} {'msg/s':>6} {'KB/s':>7} {'KB/msg':>7} {'task':>6} {'script':>6} {'layout':>6} "
            f"{'style':>6} {'speed':>6}   (main-thread ms per wall second)"
        )
        for label, testid in PHASES:
            if testid:
                driver.execute_script(f"document.querySelector('[data-testid={testid}]').click()")
            before, clock_before, start = metrics(driver), clock_seconds(driver), time.monotonic()
            time.sleep(seconds)
            after, clock_after, wall = metrics(driver), clock_seconds(driver), time.monotonic() - start
            payloads = frames_received(driver)
            size = sum(len(p) for p in payloads)
            per_second = [(after.get(m, 0) - before.get(m, 0)) * 1000 / wall for m in METRICS]
            print(
                f"{label:20} {len(payloads) / wall:6.1f} {size / wall / 1024:7.1f} "
                f"{size / max(1, len(payloads)) / 1024:7.1f} "
                + " ".join(f"{v:6.0f}" for v in per_second)
                + f" {(clock_after - clock_before) / wall:5.0f}x"
            )
    finally:
        driver.quit()
        for _ in server:
            pass


if __name__ == "__main__":
    main(float(sys.argv[1]) if len(sys.argv) > 1 else 12.0)
