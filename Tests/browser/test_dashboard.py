"""The console in a real headless browser (Debian's chromium + chromium-driver, selenium):
anonymous live ticks, sign-in with an API key, and every page a signed-in admin sees, with a
screenshot of each under .build/screenshots/. Run by scripts/test with Debian's python3:
    STREAMHUB_BIN=.build/debug/streamhub /usr/bin/python3 -m unittest discover -s Tests/browser
"""
import json
import os
import shutil
import socket
import subprocess
import tempfile
import time
import unittest
import urllib.request

from selenium import webdriver
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import WebDriverWait

REPO = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
ADMIN_KEY = "shk_browser_0123456789abcdefghijklmnop"
SHOTS = os.path.join(REPO, ".build", "screenshots")


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_for(what, check, timeout=20):
    deadline = time.time() + timeout
    while True:
        value = check()
        if value:
            return value
        if time.time() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.05)


class Hub:
    """`streamhub serve` of this build with the Deribit and ORCA simulators and the console."""

    def __init__(self):
        self.dir = tempfile.mkdtemp(prefix="browser-hub-")
        self.port = free_port()
        config = os.path.join(self.dir, "hub.yaml")
        r = lambda p: os.path.join(REPO, p)
        with open(config, "w") as f:
            f.write(f"""server: {{host: 127.0.0.1, port: {self.port}, dataDir: {self.dir}/data, publicDir: {r('public')}, shutdownGraceSeconds: 1}}
feeds:
  deribit: {{enabled: true, simulate: true}}
  orca: {{enabled: true, simulate: true}}
properties: {{seedDirectory: {r('config/properties')}}}
mappings: {{seedFile: {r('config/mappings.yaml')}}}
flags: {{seedFile: {r('config/flags.yaml')}}}
auth: {{jwtSecret: browser-test-secret-0123456789abcdef, anonymous: true, rolesFile: {r('config/roles.yaml')}, bootstrapAdminKey: {ADMIN_KEY}, passwordRounds: 10000}}
alerts: {{evaluateSeconds: 1, rules: [{{name: feeds, kind: sourceNotLive, forSeconds: 30}}, {{name: serve-any, kind: stageLatency, stage: serve, threshold: 0}}]}}
""")
        binary = os.environ.get("STREAMHUB_BIN", os.path.join(REPO, ".build", "debug", "streamhub"))
        # Its output goes to a file: an inherited pipe would outlive a test that fails.
        self.log = open(os.path.join(self.dir, "hub.log"), "w")
        self.process = subprocess.Popen([binary, "serve", "--config", config, "--log-level", "error"], cwd=REPO, stdout=self.log, stderr=self.log)
        try:
            wait_for("the hub", self.healthy, timeout=60)
        except AssertionError:
            self.stop()
            raise

    def healthy(self):
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{self.port}/healthz", timeout=1) as r:
                return json.load(r)["status"] == "ok"
        except Exception:
            return False

    def stop(self):
        self.process.terminate()
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.process.kill()
        self.log.close()
        shutil.rmtree(self.dir, ignore_errors=True)


class DashboardTests(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.hub = Hub()
        options = webdriver.ChromeOptions()
        options.binary_location = "/usr/bin/chromium"
        for arg in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--window-size=1400,900"):
            options.add_argument(arg)
        try:
            cls.browser = webdriver.Chrome(service=Service(executable_path="/usr/bin/chromedriver"), options=options)
        except Exception:
            cls.hub.stop()
            raise
        cls.base = f"http://127.0.0.1:{cls.hub.port}/"
        os.makedirs(SHOTS, exist_ok=True)

    @classmethod
    def tearDownClass(cls):
        cls.browser.quit()
        cls.hub.stop()

    def shot(self, name):
        self.browser.save_screenshot(os.path.join(SHOTS, f"{name}.png"))

    def text(self, css):
        return self.browser.find_element(By.CSS_SELECTOR, css).text

    def nav(self):
        return [a.text for a in self.browser.find_elements(By.CSS_SELECTOR, "#nav a")]

    def test_1_anonymous_live_ticks_update(self):
        self.browser.get(self.base)
        wait_for("ticks", lambda: len(self.browser.find_elements(By.CSS_SELECTOR, "#live-rows tr")) >= 2)
        self.assertEqual(self.text("#who"), "anonymous")
        self.assertEqual(self.nav(), ["Live", "Sources"], "anonymous may read streams, nothing else")
        row = "#live-rows tr:first-child td:nth-child(2)"
        first = int(self.text(row))
        wait_for("the offset moves", lambda: int(self.text(row)) > first)
        self.shot("live")

    def test_2_sign_in_with_an_api_key_and_visit_every_page(self):
        self.browser.get(self.base + "#signin")
        wait_for("the form", lambda: self.browser.find_elements(By.ID, "si-apikey"))
        self.browser.find_element(By.ID, "si-apikey").send_keys("shk_browser_wrong-secret-0123456789")
        self.browser.find_element(By.CSS_SELECTOR, "#si-key button").click()
        wait_for("the refusal", lambda: self.text("#si-key-error"))
        self.assertIn("API key", self.text("#si-key-error"))
        self.shot("signin")
        field = self.browser.find_element(By.ID, "si-apikey")
        field.clear()
        field.send_keys(ADMIN_KEY)
        self.browser.find_element(By.CSS_SELECTOR, "#si-key button").click()
        wait_for("signed in", lambda: self.text("#who").startswith("admin"))
        self.assertEqual(self.nav(), ["Live", "Sources", "Performance", "Alerts", "Usage"])

        self.browser.get(self.base + "#sources")
        wait_for("sources", lambda: len(self.browser.find_elements(By.CSS_SELECTOR, "#src-rows tr")) == 2)
        states = [td.text for td in self.browser.find_elements(By.CSS_SELECTOR, "#src-rows td:nth-child(2)")]
        self.assertEqual(states, ["live", "live"])
        time.sleep(2)  # a few sparkline points for the screenshot
        self.shot("sources")

        self.browser.get(self.base + "#performance")
        wait_for("the windows table", lambda: len(self.browser.find_elements(By.CSS_SELECTOR, "#perf-table tbody tr")) == 4)
        wait_for("charts drawn", lambda: self.browser.execute_script("return window.Chart !== undefined && document.querySelectorAll('canvas').length === 4"))
        time.sleep(4)
        self.shot("performance")

        self.browser.get(self.base + "#alerts")
        wait_for("the firing rule", lambda: "firing" in self.text("#al-rules tbody"), timeout=30)
        self.shot("alerts")

        self.browser.get(self.base + "#usage")
        wait_for("usage rows", lambda: self.browser.find_elements(By.CSS_SELECTOR, "#us-top tbody tr"))
        self.browser.find_element(By.ID, "us-by").send_keys("route")
        self.browser.find_element(By.CSS_SELECTOR, "#us-form button").click()
        wait_for("routes", lambda: "GET /api/streams" in self.text("#us-top tbody"))
        self.browser.find_element(By.ID, "us-user").send_keys("nobody-at-all")
        self.browser.find_element(By.CSS_SELECTOR, "#us-form button").click()
        wait_for("the error beside the form", lambda: self.text("#us-error"))
        self.assertIn("user", self.text("#us-error"))
        self.shot("usage")


if __name__ == "__main__":
    unittest.main()
