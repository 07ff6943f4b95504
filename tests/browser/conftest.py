"""A headless Chromium for the browser tests (the live daphne is in `tests/conftest.py`).

Chromium and chromedriver take seconds of CPU to start, so each test module starts one and its
tests take turns with it; before and after each test the browser is put back as a fresh profile
would meet it (one blank tab: no page, and so no live socket keeping a lab ticking; no cookies,
so no session; no site data or cache). A browser that no longer answers is replaced.
"""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parents[2]
CHROMIUM_FLAGS = (
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-dev-shm-usage",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--window-size=1400,1000",
)


class Chromium:
    """One module's headless Chromium, driven through Debian's chromedriver."""

    def __init__(self, profiles: pytest.TempPathFactory) -> None:
        chromium = shutil.which("chromium") or shutil.which("chromium-browser")
        chromedriver = shutil.which("chromedriver")
        if not chromium or not chromedriver:
            pytest.skip(
                "browser tests need chromium and chromedriver (apt-get install chromium chromium-driver)"
            )
        self._binary, self._chromedriver = chromium, chromedriver
        self._profiles = profiles
        self.driver: Any = None

    def _start(self) -> Any:
        from selenium import webdriver
        from selenium.webdriver.chrome.service import Service

        options = webdriver.ChromeOptions()
        options.binary_location = self._binary
        for flag in CHROMIUM_FLAGS:
            options.add_argument(flag)
        options.add_argument(f"--user-data-dir={self._profiles.mktemp('chromium') / 'profile'}")
        driver = webdriver.Chrome(service=Service(self._chromedriver), options=options)
        driver.set_page_load_timeout(30)
        return driver

    def fresh(self, origin: str) -> Any:
        """The browser with one blank tab and nothing kept from earlier tests."""
        from selenium.common.exceptions import WebDriverException

        if self.driver is not None:
            try:
                self._blank(origin)
                return self.driver
            except WebDriverException:
                self.quit()
        self.driver = self._start()
        return self.driver

    def _blank(self, origin: str) -> None:
        driver = self.driver
        handles = driver.window_handles
        for handle in handles[1:]:
            driver.switch_to.window(handle)
            driver.close()
        driver.switch_to.window(handles[0])
        driver.get("about:blank")  # leaves the lab's page: its socket closes
        driver.execute_cdp_cmd("Network.clearBrowserCookies", {})
        driver.execute_cdp_cmd("Network.clearBrowserCache", {})
        driver.execute_cdp_cmd("Storage.clearDataForOrigin", {"origin": origin, "storageTypes": "all"})

    def leave(self, origin: str) -> None:
        """After a test: close its page now, as quitting the browser used to."""
        from selenium.common.exceptions import WebDriverException

        if self.driver is not None:
            try:
                self._blank(origin)
            except WebDriverException:
                self.quit()

    def quit(self) -> None:
        if self.driver is not None:
            driver, self.driver = self.driver, None
            driver.quit()


@pytest.fixture(scope="module")
def chromium(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Chromium]:
    """The module's Chromium (started by the first test that asks for `browser`)."""
    browser = Chromium(tmp_path_factory)
    try:
        yield browser
    finally:
        browser.quit()


@pytest.fixture
def browser(chromium: Chromium, server_url: str) -> Iterator[object]:
    """A headless Chromium as a fresh profile would meet the test (see the module docstring)."""
    driver = chromium.fresh(server_url)
    try:
        yield driver
    finally:
        chromium.leave(server_url)
