"""The playground in a real browser: Debian's headless Chromium, driven by
Selenium through Debian's chromedriver (nothing is downloaded), against
`netdsl serve` on loopback. A person's session: type a spec, see the diagram
gain a node, type an `add` of mismatched widths, see the error underlined at
its line and column and the node red in the diagram, fix it, see both clear.

The screenshot of the page with the error is kept in build/test-artifacts/.
"""

from __future__ import annotations

import shutil
import time

import pytest

from conftest import ROOT
from serving import Served, wait_for

CHROMIUM, CHROMEDRIVER = shutil.which("chromium"), shutil.which("chromedriver")
ARTIFACTS = ROOT / "build" / "test-artifacts"
ERROR_FILL = "#fee2e2"  # netdsl.backends.dot.ERROR_FILL

pytestmark = pytest.mark.skipif(
    CHROMIUM is None or CHROMEDRIVER is None,
    reason="Debian's chromium and chromium-driver (scripts/setup.sh)",
)


def chromium():
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for arg in (
        "--headless=new",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-dev-shm-usage",
        "--window-size=1400,900",
    ):
        options.add_argument(arg)
    return webdriver.Chrome(service=Service(CHROMEDRIVER), options=options)


@pytest.fixture
def page(tmp_path):
    with Served(tmp_path) as server:
        driver = chromium()
        try:
            driver.get(server.url)
            wait_for(
                lambda: driver.execute_script("return window.playground && window.playground.view != null")
            )
            yield driver
        finally:
            driver.quit()


def node_names(driver) -> set[str]:
    return set(
        driver.execute_script(
            "return [...document.querySelectorAll('#diagram g.node > title')].map(t => t.textContent)"
        )
    )


def red_nodes(driver) -> set[str]:
    return set(
        driver.execute_script(
            f"""const red = s => s.getAttribute('fill') === '{ERROR_FILL}';
            return [...document.querySelectorAll('#diagram g.node')]
             .filter(g => [...g.querySelectorAll('path, polygon')].some(red))
             .map(g => g.querySelector('title').textContent)"""
        )
    )


def underlines(driver) -> list[dict]:
    """Every error underline in the editor: its text, line and column (from 1)."""
    return driver.execute_script(
        """const view = window.playground.view;
           return [...document.querySelectorAll('.cm-lintRange-error')].map(el => {
             const pos = view.posAtDOM(el, 0), line = view.state.doc.lineAt(pos);
             return {text: el.textContent, line: line.number, column: pos - line.from + 1};
           });"""
    )


def type_keys(driver, *keys) -> None:
    from selenium.webdriver.common.action_chains import ActionChains

    ActionChains(driver).send_keys(*keys).perform()


def go_to(driver, line: int, column: int, select: int = 0) -> None:
    """Put the cursor at (line, column), selecting `select` characters, as a
    click (or a drag) would; what is typed next is typed by the keyboard."""
    driver.execute_script(
        "const v = window.playground.view, at = v.state.doc.line(arguments[0]).from + arguments[1] - 1;"
        "v.dispatch({selection: {anchor: at, head: at + arguments[2]}}); v.focus();",
        line,
        column,
        select,
    )


def text(driver) -> str:
    return driver.execute_script("return window.playground.view.state.doc.toString()")


def test_type_see_the_diagram_break_it_see_the_error_fix_it(page):
    from selenium.webdriver.common.keys import Keys

    driver = page
    driver.find_element("css selector", ".cm-content").click()
    type_keys(
        driver, "input x: 4", Keys.ENTER, "a = x -> dense(2", Keys.END, Keys.ENTER, "output y = a -> dense(1"
    )
    wait_for(lambda: node_names(driver) == {"x", "a", "y"})
    wait_for(lambda: driver.find_element("id", "counts").text == "none")  # the last keystroke's analysis

    # A new line: the diagram gains its node.
    go_to(driver, 2, len("a = x -> dense(2)") + 1)
    type_keys(driver, Keys.ENTER, "b = x -> dense(3")
    wait_for(lambda: "b" in node_names(driver))

    # add() of a 2-wide and a 3-wide value.
    go_to(driver, 4, len("output y = ") + 1, select=1)
    type_keys(driver, "add(a, b")
    assert text(driver).splitlines()[3] == "output y = add(a, b) -> dense(1)"
    wait_for(lambda: underlines(driver))
    assert underlines(driver) == [{"text": "add(a, b)", "line": 4, "column": 12}]
    wait_for(lambda: red_nodes(driver) == {"y_add_1"})
    problem = driver.find_element("css selector", "#problems li.error")
    assert problem.find_element("css selector", ".where").text == "4:12"
    assert problem.find_element("css selector", ".code").text == "error[ND301]"
    assert "add() needs operands of identical shape: 'a' is (2,), 'b' is (3,)" in problem.text
    assert problem.find_element("css selector", ".help").text.startswith("help: project to a common width")
    type_keys(driver, Keys.ESCAPE)  # close the completion list before the picture
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    shot = ARTIFACTS / "playground.png"
    driver.save_screenshot(str(shot))
    print(f"screenshot: {shot}")

    # Fix the width: underline, problem and red node all clear.
    go_to(driver, 3, len("b = x -> dense(") + 1, select=1)
    type_keys(driver, "2")
    wait_for(lambda: not underlines(driver) and not red_nodes(driver))
    assert node_names(driver) == {"x", "a", "b", "y_add_1", "y"}
    wait_for(lambda: driver.find_element("id", "counts").text == "none")
    latencies = driver.execute_script("return window.playground.stats.latencies.map(l => l.ms)")
    assert latencies and all(ms > 0 for ms in latencies)


def test_hover_and_completion_in_the_page(page):
    from selenium.webdriver.common.keys import Keys

    driver = page
    driver.find_element("css selector", ".cm-content").click()
    type_keys(driver, "input x: 4", Keys.ENTER, "output y = x -> den")

    def options():
        return [li.text for li in driver.find_elements("css selector", ".cm-tooltip-autocomplete li")]

    wait_for(lambda: options() and options()[0].startswith("dense"))
    assert "dense(units, activation=linear, use_bias=true)" in options()[0]  # the signature, from the server
    # CodeMirror ignores Enter for `interactionDelay` (75 ms) after the list (re)opens, so that a key
    # pressed as the list appears is not taken as a choice; a person reads the list first.
    time.sleep(0.3)
    type_keys(driver, Keys.ENTER)
    wait_for(lambda: text(driver).endswith("-> dense"))
    type_keys(driver, "(3")
    wait_for(lambda: node_names(driver) == {"x", "y"})
    assert text(driver).splitlines()[1] == "output y = x -> dense(3)"
