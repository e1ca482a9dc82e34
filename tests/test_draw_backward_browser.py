"""draw_backward's page in a real browser: headless Chromium, driven by Selenium.

The page is saved, opened from disk, stepped with the Next button, the arrow keys and Play,
and at each stop the test reads what the browser shows: which node is highlighted, the
gradient text on the picture, the callout beside the node and the panel below it.

Nothing reaches for the network: Debian's ``/usr/bin/chromium`` and ``/usr/bin/chromedriver``
are named explicitly and Selenium Manager is kept offline (``SE_OFFLINE=true``), so it never
tries to download a browser or a driver. ``bash scripts/quickstart.sh test`` installs both
(``chromium`` and ``chromium-driver``, as root) and Selenium (the ``browser`` extra); the test
skips only where they are not installed (e.g. not root, so apt-get could not run).
"""

from __future__ import annotations

import os
import shutil
import time

import pytest

from autograd_lite import draw_backward
from autograd_lite.documents import NETWORK_222_START, network_222

from .test_draw_backward import page_data

CHROMIUM = "/usr/bin/chromium"
CHROMEDRIVER = "/usr/bin/chromedriver"

pytestmark = [
    pytest.mark.skipif(
        not (os.access(CHROMIUM, os.X_OK) and os.access(CHROMEDRIVER, os.X_OK)),
        reason="Debian's chromium and chromium-driver are not installed "
        "(bash scripts/quickstart.sh test installs them when run as root)",
    ),
    pytest.mark.skipif(shutil.which("dot") is None, reason="Graphviz's `dot` is not installed"),
]


@pytest.fixture
def browser(tmp_path, monkeypatch):
    webdriver = pytest.importorskip(
        "selenium.webdriver", reason="Selenium is not installed (pip install -e '.[browser]')"
    )
    from selenium.webdriver.chrome.service import Service

    monkeypatch.setenv("SE_OFFLINE", "true")  # Selenium Manager must never download
    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for argument in (
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-quic",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        f"--user-data-dir={tmp_path / 'chromium-profile'}",
        "--window-size=1400,900",
    ):
        options.add_argument(argument)
    driver = webdriver.Chrome(service=Service(executable_path=CHROMEDRIVER), options=options)
    try:
        yield driver
    finally:
        driver.quit()


def _state(driver) -> dict:
    """What the page shows now, read from the browser's DOM."""
    return driver.execute_script(
        """
        const root = document.querySelector('.agb');
        const titles = (cls) => Array.from(root.querySelectorAll('g.' + cls + ' > title'))
            .map((t) => t.textContent).sort();
        const texts = {};
        root.querySelectorAll('g.node').forEach((g) => {
            texts[g.querySelector('title').textContent] =
                Array.from(g.querySelectorAll('text')).map((t) => t.textContent);
        });
        const callout = root.querySelector('.agb-callout');
        return {
            position: Number(root.getAttribute('data-position')),
            current: titles('agb-current'),
            targets: titles('agb-target'),
            arriving: titles('agb-arriving'),
            sending: titles('agb-sending'),
            texts: texts,
            title: root.querySelector('.agb-title').textContent,
            lines: root.querySelector('.agb-lines').textContent,
            callout: callout.style.display === 'none' ? null : callout.textContent,
            counter: root.querySelector('.agb-counter').textContent,
        };
        """
    )


def _expected_texts(data: dict, position: int) -> dict[str, str]:
    texts = {name: node["initial"] for name, node in data["grad_nodes"].items()}
    for step in data["steps"][:position]:
        texts.update(step["grads"])
    return texts


def _check_position(driver, data: dict, position: int) -> dict:
    state = _state(driver)
    assert state["position"] == position
    assert state["counter"] == f"step {position} of {len(data['steps'])}"
    for name, text in _expected_texts(data, position).items():
        assert text in state["texts"][name], (name, text, state["texts"][name])
    if position == 0:
        assert state["current"] == [] and state["callout"] is None
        assert state["title"] == data["start"]["title"]
        return state
    step = data["steps"][position - 1]
    assert state["current"] == sorted(step["current"])
    assert state["targets"] == sorted(step["targets"])
    assert state["arriving"] == sorted(f"{a}->{b}" for a, b in step["arriving"])
    assert state["sending"] == sorted({f"{a}->{b}" for a, b in step["sending"]})
    assert state["title"] == step["title"]
    assert state["lines"].startswith("\n".join(step["lines"]))
    assert state["callout"] == "\n".join(step["callout"])
    return state


def test_stepping_through_document_002_in_chromium(browser, tmp_path) -> None:
    from selenium.webdriver.common.by import By
    from selenium.webdriver.common.keys import Keys

    network = network_222(dict(NETWORK_222_START))
    path = draw_backward(network.error).save(tmp_path / "backward.html")
    data = page_data(path.read_text(encoding="utf-8"))
    fresh = network_222(dict(NETWORK_222_START))
    fresh.error.backward()

    browser.get(path.as_uri())
    _check_position(browser, data, 0)
    assert "grad ?" in _state(browser)["texts"][data["steps"][0]["inputs"][0]["node"]]

    next_button = browser.find_element(By.CSS_SELECTOR, ".agb-next")
    for position in (1, 2, 3):  # Next, three times
        next_button.click()
        _check_position(browser, data, position)
    state = _state(browser)
    assert state["current"] == sorted(data["steps"][2]["current"])

    body = browser.find_element(By.TAG_NAME, "body")
    while _state(browser)["position"] < 13:  # the arrow key, up to out_o1's step
        body.send_keys(Keys.ARROW_RIGHT)
    state = _check_position(browser, data, 13)
    # document 002: dE/dout_o1 * dout_o1/dnet_o1 = dE/dnet_o1, the engine's numbers
    upstream, local = fresh["out_o1"].grad, fresh["out_o1"]._local_grads[0]
    net_o1 = fresh["net_o1"].grad
    assert state["title"] == "Step 13 of 27: out_o1 (sigmoid)"
    assert f"{upstream:.4g} x {local:.4g} = {net_o1:.4g} -> net_o1" in state["callout"]
    net_o1_name = data["steps"][12]["inputs"][0]["node"]
    assert f"grad {net_o1:.4g}" in state["texts"][net_o1_name]
    assert state["targets"] == [net_o1_name]

    body.send_keys(Keys.ARROW_LEFT)  # back: net_o1's gradient is unknown again
    state = _check_position(browser, data, 12)
    assert "grad ?" in state["texts"][net_o1_name]

    browser.find_element(By.CSS_SELECTOR, ".agb-play").click()
    deadline = time.monotonic() + 10
    while _state(browser)["position"] < 14 and time.monotonic() < deadline:
        time.sleep(0.1)
    browser.find_element(By.CSS_SELECTOR, ".agb-play").click()  # pause
    paused = _state(browser)["position"]
    assert paused >= 14
    _check_position(browser, data, paused)

    body.send_keys(Keys.END)
    state = _check_position(browser, data, 27)
    for name, value in (("w5", fresh["w5"]), ("w1", fresh["w1"]), ("b1", fresh["b1"])):
        texts = next(texts for texts in state["texts"].values() if name in texts)
        assert f"grad {value.grad:.4g}" in texts
    assert browser.find_element(By.CSS_SELECTOR, ".agb-next").get_attribute("disabled")
