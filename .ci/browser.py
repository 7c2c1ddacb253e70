"""Headless Chromium for the course's browser checks (Debian's chromium and chromium-driver).

Used by .ci/check_layout.py (the built book) and .ci/lab_test.py (JupyterLab). Chromium is
started offline-safe: no sync, no component updates, no background networking, a fresh profile
that is deleted afterwards. `missing()` says why no browser can run here (None when one can).
"""

from __future__ import annotations

import contextlib
import os
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path

CHROMIUM = ("chromium", "chromium-browser", "google-chrome")
DRIVER = ("chromedriver",)
FLAGS = (
    "--headless=new", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
    "--disable-dev-shm-usage", "--mute-audio",
)  # fmt: skip


def _which(names: tuple[str, ...], env: str) -> str | None:
    if os.environ.get(env):
        return os.environ[env]
    return next((path for path in map(shutil.which, names) if path), None)


def chromium_path() -> str | None:
    return _which(CHROMIUM, "CHROMIUM")


def driver_path() -> str | None:
    return _which(DRIVER, "CHROMEDRIVER")


def missing() -> str | None:
    """Why the browser checks cannot run here, or None when they can."""
    if chromium_path() is None:
        return "Chromium not found (Debian: apt-get install -y chromium chromium-driver; or set CHROMIUM)"
    if driver_path() is None:
        return "chromedriver not found (Debian: apt-get install -y chromium-driver; or set CHROMEDRIVER)"
    try:
        import selenium  # noqa: F401
    except ImportError:
        return "the selenium package is not installed (pip install -e '.[dev]')"
    return None


@contextlib.contextmanager
def chromium(
    width: int = 1280, height: int = 1000, performance_log: bool = False, overlay_scrollbars: bool = False
) -> Iterator:
    """A Selenium WebDriver on headless Chromium; quits the browser and removes its profile on exit.

    ``performance_log`` records every network request (``driver.get_log("performance")``);
    ``overlay_scrollbars`` draws scrollbars as macOS and phones do: over the content, and only
    while scrolling, unless the page styles them.
    """
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    profile = Path(tempfile.mkdtemp(prefix="chromium-profile-"))
    options = webdriver.ChromeOptions()
    options.binary_location = chromium_path()
    for flag in FLAGS:
        options.add_argument(flag)
    options.add_argument(f"--user-data-dir={profile}")
    options.add_argument(f"--window-size={width},{height}")
    if performance_log:  # every network request, to find any that leaves the machine
        options.set_capability("goog:loggingPrefs", {"performance": "ALL"})
    service = Service(executable_path=driver_path(), log_output=os.devnull)
    driver = webdriver.Chrome(options=options, service=service)
    driver.overlay_scrollbars = overlay_scrollbars
    try:
        if overlay_scrollbars:  # Chromium's mobile emulation draws overlay scrollbars (no flag does on Linux)
            driver.execute_cdp_cmd(
                "Emulation.setDeviceMetricsOverride",
                {"width": width, "height": height, "deviceScaleFactor": 1, "mobile": True},
            )
        yield driver
    finally:
        try:
            driver.quit()
        finally:
            shutil.rmtree(profile, ignore_errors=True)


def full_page_screenshot(driver, out: Path, width: int = 1280, max_height: int = 40000) -> Path:
    """A PNG of the whole page, not only the window (at most ``max_height`` pixels from the top).

    The viewport is stretched to the page's height (so that scrollbars and sticky parts are
    drawn as a reader sees them), captured in slices and stitched; the window is restored after.
    """
    import base64
    import io

    from PIL import Image

    metrics = driver.execute_cdp_cmd("Page.getLayoutMetrics", {})
    view = metrics["cssLayoutViewport"]
    height = min(int(metrics["cssContentSize"]["height"]), max_height)
    mobile = getattr(driver, "overlay_scrollbars", False)
    driver.execute_cdp_cmd(
        "Emulation.setDeviceMetricsOverride",
        {"width": width, "height": height, "deviceScaleFactor": 1, "mobile": mobile},
    )
    try:
        page = Image.new("RGB", (width, height), "white")
        for top in range(0, height, 4000):
            clip = {"x": 0, "y": top, "width": width, "height": min(4000, height - top), "scale": 1}
            shot = driver.execute_cdp_cmd("Page.captureScreenshot", {"format": "png", "clip": clip})
            page.paste(Image.open(io.BytesIO(base64.b64decode(shot["data"]))), (0, top))
    finally:
        if mobile:
            driver.execute_cdp_cmd(
                "Emulation.setDeviceMetricsOverride",
                {"width": view["clientWidth"], "height": view["clientHeight"], "deviceScaleFactor": 1, "mobile": True},
            )
        else:
            driver.execute_cdp_cmd("Emulation.clearDeviceMetricsOverride", {})
    out.parent.mkdir(parents=True, exist_ok=True)
    page.save(out, optimize=True)
    return out
