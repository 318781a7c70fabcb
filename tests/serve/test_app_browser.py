"""The web app in a real browser: headless Chromium (Debian's chromium + chromium-driver) driven by selenium
against the Gradio app on loopback. Load the page, upload a clip, type an instruction, run, get the output
player and the seed; generate and ask a question in the other tabs; a corrupt upload shows a message in the
page. With AUDIO_OMNI_SCREENSHOTS=DIR the test also saves a screenshot of each tab there (docs/images/ holds
the README's).

Built for a 2-core machine that a training run keeps busy: the app serves the tiny debug model (debug-small,
untrained) at 1 sampling step, so a model call costs well under a second of CPU; every step waits for an
explicit condition in the page (tabs rendered, upload finished, field holds the typed value, seed or error
shown), bounded by a generous timeout, never for a fixed time. A wait that runs out fails with what it waited
for, the error messages the page shows, its text and a screenshot."""

from __future__ import annotations

import os
import shutil
import socket
import time
from pathlib import Path

import pytest
from serving import TEST_LIMITS

from audio_omni.serve.app import launch_app
from audio_omni.serve.worker import ModelWorker

CHROMIUM_FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                  "--disable-background-networking", "--disable-component-update", "--disable-sync",
                  "--disable-dev-shm-usage", "--window-size=1280,1100"]
#: the page rendered, a tab shown, an upload finished, a field updated: a few seconds on an idle machine; the
#: first render (Gradio's scripts parsed by a starved browser) took 24 s while a pip install shared the cores
PAGE_SECONDS = 600
#: one model call through the app's queue, spectrogram included: about a second idle
RESULT_SECONDS = 900
BROWSER_STARTS = 3  # chromium that misses chromedriver's start deadline on a starved machine gets new tries
MODEL = "debug-small"  # conftest's serve_model: tiny and untrained


def _browser_paths() -> tuple[str, str]:
    browser = shutil.which("chromium") or shutil.which("chromium-browser")
    driver = shutil.which("chromedriver")
    if not (browser and driver):
        message = "chromium and chromium-driver are not installed (bash scripts/install_browser.sh)"
        if os.environ.get("AUDIO_OMNI_REQUIRE_BROWSER"):  # .ci/run sets it: its install must bring the browser
            pytest.fail(message)
        pytest.skip(message)
    return browser, driver


def _start_chromium(binary: str, driver_path: str, profiles: Path):
    from selenium import webdriver
    from selenium.common.exceptions import WebDriverException

    failures = []
    for attempt in range(BROWSER_STARTS):
        options = webdriver.ChromeOptions()
        options.binary_location = binary
        options.page_load_strategy = "none"  # get() returns at once; the tests wait for what they need
        for flag in [*CHROMIUM_FLAGS, f"--user-data-dir={profiles / f'profile-{attempt}'}"]:
            options.add_argument(flag)
        try:
            return webdriver.Chrome(options=options, service=webdriver.ChromeService(executable_path=driver_path))
        except WebDriverException as err:
            failures.append(f"try {attempt + 1}: {err.msg}")
    pytest.fail(f"chromium did not start in {BROWSER_STARTS} tries:\n" + "\n".join(failures))


class Page:
    """The app in the browser, with waits that poll an explicit condition and say what they waited for."""

    def __init__(self, driver, directory: Path):
        self.driver = driver
        self.directory = directory
        self.waited: list[tuple[float, float, str]] = []  # (seconds, limit, what): how close a run came to a limit

    def wait(self, condition, what: str, timeout: float = PAGE_SECONDS):
        """The first truthy value of ``condition()``, polled until ``timeout``. An element not there yet or
        re-rendered under us, a click that lands on something else, or a browser command that missed its
        deadline counts as 'not yet'."""
        from selenium.common.exceptions import (
            ElementClickInterceptedException,
            ElementNotInteractableException,
            NoSuchElementException,
            StaleElementReferenceException,
            TimeoutException,
        )
        from selenium.webdriver.support.ui import WebDriverWait

        not_yet = (NoSuchElementException, StaleElementReferenceException, ElementNotInteractableException,
                   ElementClickInterceptedException, TimeoutException)
        started = time.monotonic()
        try:
            return WebDriverWait(self.driver, timeout, poll_frequency=0.5, ignored_exceptions=not_yet).until(
                lambda _: condition())
        except TimeoutException:
            raise AssertionError(f"waited {timeout:g} s for {what}; {self.state()}") from None
        finally:
            self.waited.append((time.monotonic() - started, timeout, what))

    def state(self) -> str:
        """What a failure message shows: the page's error messages, its text, and where its screenshot lies."""
        shot = self.directory / "failure.png"
        try:
            self.driver.save_screenshot(str(shot))
            body = self.driver.find_element("tag name", "body").text
        except Exception as err:  # noqa: BLE001 - the browser itself may be what failed
            return f"the browser did not answer ({type(err).__name__}: {err})"
        return f"error messages in the page: {self.errors()}; screenshot: {shot}; the page says:\n{body}"

    def errors(self) -> list[str]:
        """The texts of the error messages (Gradio's toasts) the page shows."""
        return [e.text for e in self.driver.find_elements("css selector", "[data-testid=toast-body].error")]

    def element(self, css: str):
        """The element, once it is shown."""
        element = self.driver.find_element("css selector", css)
        return element if element.is_displayed() else None

    def present(self, css: str) -> bool:
        """Whether the page holds such an element (shown or not: an audio player's <audio> is hidden)."""
        return bool(self.driver.find_elements("css selector", css))

    def click(self, css: str, what: str) -> None:
        def clicked():
            element = self.element(css)
            if element is None or not element.is_enabled():
                return False
            element.click()
            return True

        self.wait(clicked, f"{what} to take a click")

    def type(self, elem_id: str, text: str) -> None:
        """Type ``text`` into the textbox ``elem_id`` and wait until the field holds exactly that."""
        css = f"#{elem_id} textarea, #{elem_id} input"

        def typed():
            field = self.element(css)
            if field is None:
                return False
            if field.get_attribute("value") != text:
                field.clear()
                field.send_keys(text)
            return field.get_attribute("value") == text

        self.wait(typed, f"the field {elem_id} to hold {text!r}")

    def upload(self, elem_id: str, path: str) -> None:
        """Hand ``path`` to the audio field ``elem_id`` and wait until the upload has reached the server (the
        field then links the stored file); running before that would send no audio."""
        self.driver.find_element("css selector", f"#{elem_id} input[type=file]").send_keys(path)
        name = Path(path).name

        def uploaded():
            links = self.driver.find_elements("css selector", f"#{elem_id} a[data-testid=download-link]")
            return any((link.get_attribute("href") or "").endswith(f"/{name}") for link in links)

        self.wait(uploaded, f"the upload of {name} to finish")

    def open_tab(self, name: str) -> None:
        def opened():
            for button in self.driver.find_elements("css selector", "[role=tab]"):
                if button.text.strip() == name:
                    button.click()
                    return button.get_attribute("aria-selected") == "true"
            return False

        self.wait(opened, f"the tab {name!r} to open")

    def set_steps(self, tab: str, steps: int) -> None:
        """Sampling steps in the tab's Advanced panel, checked on the slider itself (what the app reads)."""
        self.click(f"#{tab}-advanced", f"the {tab} tab's Advanced panel")
        slider = f"#{tab}-steps input[type=range]"

        def set_():
            if self.driver.find_element("css selector", slider).get_attribute("value") == str(steps):
                return True
            number = self.element(f"#{tab}-steps input[type=number]")
            if number is not None:
                number.clear()
                number.send_keys(f"{steps}\t")  # the slider takes a typed number when the field loses focus
            return False

        self.wait(set_, f"the {tab} tab's sampling steps to read {steps}")

    def outcome(self, elem_id: str, what: str) -> str:
        """The value the run puts in the read-only field ``elem_id``; an error message in the page fails at once
        with its text."""
        field = f"#{elem_id} textarea, #{elem_id} input"

        def shown():
            if errors := self.errors():
                return ("error", errors)
            value = self.driver.find_element("css selector", field).get_attribute("value")
            return ("value", value) if value else None

        kind, value = self.wait(shown, what, RESULT_SECONDS)
        assert kind == "value", f"the page answered with an error instead of {what}: {value}"
        return value

    def screenshot(self, name: str) -> None:
        directory = os.environ.get("AUDIO_OMNI_SCREENSHOTS")
        if directory:
            Path(directory).mkdir(parents=True, exist_ok=True)
            self.driver.save_screenshot(str(Path(directory) / f"app-{name}.png"))


@pytest.fixture(scope="module")
def chromium(tmp_path_factory):
    """One headless chromium for the module's tests (each test opens the app in a new tab of it)."""
    driver = _start_chromium(*_browser_paths(), tmp_path_factory.mktemp("chromium"))
    driver.set_script_timeout(120)  # a starved browser answers slowly; the default is 30 s
    yield driver
    driver.quit()


@pytest.fixture(scope="module")
def app_url(serve_model):
    """The web app over the tiny debug model, with the test limits, on a free loopback port."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    worker = ModelWorker(serve_model, MODEL, TEST_LIMITS)
    demo = launch_app(worker, "127.0.0.1", port, block=False)
    yield f"http://127.0.0.1:{port}/"
    demo.close()
    worker.close()


@pytest.fixture
def page(chromium, app_url, tmp_path) -> Page:
    """The app in a new tab (a fresh page and Gradio session), its tabs rendered."""
    chromium.switch_to.new_window("tab")  # blank until the app arrives: no earlier page can answer a wait
    chromium.get(app_url)
    view = Page(chromium, tmp_path)
    tabs = view.wait(lambda: [tab.text.strip() for tab in chromium.find_elements("css selector", "[role=tab]")
                              if tab.text.strip()] or None, "the page's tabs")
    assert tabs == ["Edit", "Generate", "Understand"]
    # The page runs the tiny debug model, whose 1-step runs cost well under a second of CPU.
    assert f"({MODEL})" in chromium.find_element("tag name", "body").text
    yield view
    slowest = ", ".join(f"{what} {seconds:.0f} s of {limit:g}" for seconds, limit, what in sorted(view.waited)[-3:])
    print(f"\nslowest waits: {slowest}")  # shown with -s or -rP: the margin the limits left on this machine
    chromium.close()  # the tab
    chromium.switch_to.window(chromium.window_handles[0])


def test_each_tab_runs_in_the_browser_and_shows_its_result(page, example_clip):
    page.set_steps("edit", 1)
    page.upload("edit-input", example_clip)
    page.type("edit-instruction", "Remove the cow.")
    page.click("#edit-run", "the Edit button")
    assert page.outcome("edited-seed", "the seed of the edit").isdigit()
    page.wait(lambda: page.present("#edited-output audio, #edited-output a[download]"), "the edited audio player")
    page.wait(lambda: page.present("#edited-spectrogram img"), "the spectrograms")
    page.screenshot("edit")

    page.open_tab("Generate")  # the model's window (duration 0), one step
    page.set_steps("generate", 1)
    page.type("generate-prompt", "rain on a tin roof")
    page.click("#generate-run", "the Generate button")
    assert page.outcome("generated-seed", "the seed of the generation").isdigit()
    page.wait(lambda: page.present("#generated-output audio, #generated-output a[download]"),
              "the generated audio player")
    page.screenshot("generate")

    page.open_tab("Understand")
    page.type("understand-question", "Which instruments suit a lullaby?")
    page.click("#understand-run", "the Ask button")
    page.outcome("understand-answer", "the answer")
    page.screenshot("understand")


def test_a_corrupt_upload_shows_a_message_in_the_page(page, tmp_path):
    corrupt = tmp_path / "corrupt.wav"
    corrupt.write_bytes(b"RIFF\x24\x00\x00\x00WAVEfmt " + os.urandom(4000))
    page.upload("edit-input", str(corrupt))
    page.type("edit-instruction", "Remove the cow.")
    page.click("#edit-run", "the Edit button")
    errors = page.wait(page.errors, "the error message")
    assert any("cannot read 'corrupt.wav'" in text for text in errors), errors
    assert "Traceback" not in page.driver.find_element("tag name", "body").text
