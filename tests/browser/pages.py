"""What the browser tests share: waiting, clicking controls that are re-rendered at any moment,
and reading text in one script call (a pushed fragment can replace an element between calls)."""

from __future__ import annotations

from typing import Any

from selenium.common.exceptions import (
    ElementClickInterceptedException,
    NoSuchElementException,
    StaleElementReferenceException,
)
from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import WebDriverWait


def wait(driver: Any, seconds: float = 30.0) -> WebDriverWait:  # type: ignore[type-arg]
    return WebDriverWait(
        driver, seconds, poll_frequency=0.1, ignored_exceptions=[StaleElementReferenceException]
    )


def click(driver: Any, testid: str) -> None:
    """Click a control, waiting until it is in the page (it may be re-rendered at any moment)."""
    click_css(driver, f'[data-testid="{testid}"]')


def click_css(driver: Any, selector: str) -> None:
    """Click the element a CSS selector names, as a learner would: scrolled into the middle of
    the view (not under the top bar), and again if it was replaced, not there yet, or moved under
    another element between finding and clicking (rows are inserted above it at any moment)."""

    def press(d: Any) -> bool:
        element = d.find_element(By.CSS_SELECTOR, selector)
        d.execute_script("arguments[0].scrollIntoView({block: 'center'})", element)
        element.click()
        return True

    WebDriverWait(
        driver,
        10,
        poll_frequency=0.1,
        ignored_exceptions=[
            StaleElementReferenceException,
            NoSuchElementException,
            ElementClickInterceptedException,
        ],
    ).until(press)


def text_of(driver: Any, selector: str) -> str:
    """An element's text ("" if absent), read in one script call."""
    script = "const el = document.querySelector(arguments[0]); return el ? el.textContent : ''"
    return str(driver.execute_script(script, selector))
