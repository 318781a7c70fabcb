"""The web app in a real browser: headless Chromium (Debian's chromium + chromium-driver) driven by selenium
against the Gradio app on loopback. Load the page, upload a clip, type an instruction, run, get the output
player and the seed; generate and ask a question in the other tabs; a corrupt upload shows a message in the
page. With AUDIO_OMNI_SCREENSHOTS=DIR the test also saves a screenshot of each tab there (docs/images/ holds
the README's)."""

from __future__ import annotations

import os
import shutil
import socket
import time
from pathlib import Path

import pytest

from audio_omni.serve.app import launch_app

CHROMIUM_FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                  "--disable-background-networking", "--disable-component-update", "--disable-sync",
                  "--disable-dev-shm-usage", "--window-size=1280,1100"]
WAIT_SECONDS = 600  # a run on a busy 2-core machine; an idle one answers in seconds


def _browser_paths() -> tuple[str, str]:
    browser = shutil.which("chromium") or shutil.which("chromium-browser")
    driver = shutil.which("chromedriver")
    if not (browser and driver):
        message = "chromium and chromium-driver are not installed (apt-get install chromium chromium-driver)"
        if os.environ.get("AUDIO_OMNI_REQUIRE_BROWSER"):  # .ci/run sets it: CI installs the browser
            pytest.fail(message)
        pytest.skip(message)
    return browser, driver


@pytest.fixture
def browser(tmp_path):
    from selenium import webdriver

    binary, driver_path = _browser_paths()
    options = webdriver.ChromeOptions()
    options.binary_location = binary
    for flag in [*CHROMIUM_FLAGS, f"--user-data-dir={tmp_path / 'profile'}"]:
        options.add_argument(flag)
    driver = webdriver.Chrome(options=options, service=webdriver.ChromeService(executable_path=driver_path))
    driver.set_page_load_timeout(120)
    driver.set_script_timeout(120)  # a 2-core machine under load answers slowly; the default is 30 s
    yield driver
    driver.quit()


@pytest.fixture
def app_url(make_worker):
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    demo = launch_app(make_worker(), "127.0.0.1", port, block=False)
    yield f"http://127.0.0.1:{port}/"
    demo.close()


def _find(driver, css: str, timeout: float = 60):
    from selenium.webdriver.support import expected_conditions as ec
    from selenium.webdriver.support.ui import WebDriverWait

    return WebDriverWait(driver, timeout).until(ec.presence_of_element_located(("css selector", css)))


def _text_field(driver, elem_id: str):
    return _find(driver, f"#{elem_id} textarea, #{elem_id} input")


def _wait_for(driver, condition, timeout: float = WAIT_SECONDS, what: str = ""):
    deadline = time.monotonic() + timeout
    from selenium.common.exceptions import TimeoutException

    while time.monotonic() < deadline:
        try:
            value = condition()
        except TimeoutException:  # a starved browser missed one script deadline; the page may still come
            value = None
        if value:
            return value
        time.sleep(0.5)
    page = driver.find_element("tag name", "body").text
    raise AssertionError(f"timed out waiting for {what}; the page says:\n{page}")


def _open_tab(driver, name: str) -> None:
    for button in driver.find_elements("css selector", "[role=tab]"):
        if button.text.strip() == name:
            button.click()
            return
    raise AssertionError(f"no tab {name!r}")


def _screenshot(driver, name: str) -> None:
    directory = os.environ.get("AUDIO_OMNI_SCREENSHOTS")
    if directory:
        Path(directory).mkdir(parents=True, exist_ok=True)
        driver.save_screenshot(str(Path(directory) / f"app-{name}.png"))


def _edit(driver, clip: str, instruction: str) -> None:
    _find(driver, "#edit-input input[type=file]").send_keys(clip)
    field = _text_field(driver, "edit-instruction")
    field.clear()
    field.send_keys(instruction)
    _find(driver, "#edit-run").click()


def test_each_tab_runs_in_the_browser_and_shows_its_result(browser, app_url, example_clip):
    browser.get(app_url)
    tabs = _wait_for(browser, lambda: [tab.text.strip() for tab in browser.find_elements("css selector", "[role=tab]")],
                     60, "the tabs")
    assert tabs == ["Edit", "Generate", "Understand"]
    _one_step(browser, "edit")
    _edit(browser, example_clip, "Remove the cow.")
    seed = _wait_for(browser, lambda: _text_field(browser, "edited-seed").get_attribute("value"), what="the seed")
    assert seed.isdigit()
    _find(browser, "#edited-output audio, #edited-output a[download]")
    _find(browser, "#edited-spectrogram img")
    _screenshot(browser, "edit")

    _open_tab(browser, "Generate")  # the model's window (duration 0), one step
    _one_step(browser, "generate")
    _text_field(browser, "generate-prompt").send_keys("rain on a tin roof")
    _find(browser, "#generate-run").click()
    seed = _wait_for(browser, lambda: _text_field(browser, "generated-seed").get_attribute("value"), what="the seed")
    assert seed.isdigit()
    _find(browser, "#generated-output audio, #generated-output a[download]")
    _screenshot(browser, "generate")

    _open_tab(browser, "Understand")
    _text_field(browser, "understand-question").send_keys("Which instruments suit a lullaby?")
    _find(browser, "#understand-run").click()
    _wait_for(browser, lambda: _text_field(browser, "understand-answer").get_attribute("value"), what="the answer")
    _screenshot(browser, "understand")


def _one_step(driver, tab: str) -> None:
    """Sampling steps: 1 (the tab's Advanced panel), so that a run takes seconds."""
    _find(driver, f"#{tab}-advanced").click()
    steps = _find(driver, f"#{tab}-steps input[type=number]")
    steps.clear()
    steps.send_keys("1\t")


def test_a_corrupt_upload_shows_a_message_in_the_page(browser, app_url, tmp_path):
    corrupt = tmp_path / "corrupt.wav"
    corrupt.write_bytes(b"RIFF\x24\x00\x00\x00WAVEfmt " + os.urandom(4000))
    browser.get(app_url)
    _find(browser, "#edit-run")
    _edit(browser, str(corrupt), "Remove the cow.")
    body = _wait_for(browser, lambda: "corrupt" in (text := browser.find_element("tag name", "body").text) and text,
                     what="the error message")
    assert "cannot read 'corrupt.wav'" in body and "Traceback" not in body
