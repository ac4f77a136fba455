"""The console in a real headless browser (Debian's chromium + chromium-driver, selenium):
anonymous live ticks, sign-in with an API key, and every page a signed-in admin sees, with a
screenshot of each under .build/screenshots/. Run by scripts/test with Debian's python3:
    STREAMHUB_BIN=.build/debug/streamhub /usr/bin/python3 -m unittest discover -s Tests/browser
"""
import json
import os
import sys
import time
import unittest
import urllib.request

from selenium import webdriver
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import Select
from selenium.webdriver.support.ui import WebDriverWait

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "support"))
from hubprocess import REPO, rest, wait_for  # noqa: E402
from hubprocess import Hub as HubProcess  # noqa: E402

ADMIN_KEY = "shk_browser_0123456789abcdefghijklmnop"
SHOTS = os.path.join(REPO, ".build", "screenshots")


def Hub():
    """`streamhub serve` of this build with the Deribit and ORCA simulators and the console."""
    feeds = """
  deribit: {enabled: true, simulate: true, optionCurrencies: [BTC], maxOptionsPerCurrency: 2}
  orca: {enabled: true, simulate: true}
  binance: {enabled: true, simulate: true, symbols: [BTC/USDT]}
  coinbase: {enabled: true, simulate: true, symbols: [BTC/USD], simulatorDislocationEverySeconds: 10}"""
    alerts = "alerts: {evaluateSeconds: 1, rules: [{name: feeds, kind: sourceNotLive, forSeconds: 30}, {name: serve-any, kind: stageLatency, stage: serve, threshold: 0}]}\n"
    return HubProcess(ADMIN_KEY, feeds=feeds, extra=alerts, public_dir=os.path.join(REPO, "public"))


def chrome():
    options = webdriver.ChromeOptions()
    options.binary_location = "/usr/bin/chromium"
    for arg in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--window-size=1400,900"):
        options.add_argument(arg)
    return webdriver.Chrome(service=Service(executable_path="/usr/bin/chromedriver"), options=options)


class DashboardTests(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.hub = Hub()
        try:
            cls.browser = chrome()
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
        """The visible text of the first match, read in one script (see `texts`)."""
        found = self.texts(css)
        if not found:
            raise AssertionError(f"no element matches {css}")
        return found[0]

    def texts(self, css):
        """The visible texts of every match, read in one script: the page may re-render between
        a find and a read (the nav is rebuilt when the role arrives), so no element is held."""
        return self.browser.execute_script(
            "return Array.from(document.querySelectorAll(arguments[0]), e => e.innerText.trim())", css)

    def nav(self):
        return self.texts("#nav a")

    def test_1_anonymous_live_ticks_update(self):
        self.browser.get(self.base)
        wait_for("ticks", lambda: len(self.browser.find_elements(By.CSS_SELECTOR, "#live-rows tr")) >= 2)
        self.assertEqual(self.text("#who"), "anonymous")
        self.assertEqual(self.nav(), ["Live", "Sources", "Properties"], "the anonymous role reads streams and properties")
        row = "#live-rows tr:first-child td:nth-child(2)"
        first = int(self.text(row))
        wait_for("the offset moves", lambda: int(self.text(row)) > first)
        # The channel browser lists what the anonymous role may see (tickers, odds; no books).
        wait_for("the channel browser", lambda: len(self.browser.find_elements(By.CSS_SELECTOR, "#live-channels a")) > 3)
        listed = self.texts("#live-channels a")
        self.assertIn("ticker.deribit.BTC-PERPETUAL", listed)
        self.assertFalse([c for c in listed if c.startswith("book.")], "books are not granted to anonymous")
        self.shot("live")
        # The pages follow the anonymous role as the hub has it: given state:read, Arbitrage appears.
        admin = self.admin_token()
        role = rest(self.hub.port, "GET", "/api/roles/anonymous", token=admin)["role"]
        grants = json.loads(json.dumps(role["grants"]))
        grants["scopes"] = grants["scopes"] + ["state:read"]
        rest(self.hub.port, "PUT", "/api/roles/anonymous", {"description": role["description"], "grants": grants}, token=admin)
        try:
            self.browser.refresh()
            wait_for("the wider anonymous nav", lambda: self.nav() == ["Live", "Sources", "Arbitrage", "Properties"])
        finally:
            rest(self.hub.port, "PUT", "/api/roles/anonymous", {"description": role["description"], "grants": role["grants"]}, token=admin)

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
        self.assertEqual(self.nav(), ["Live", "Sources", "Arbitrage", "Properties", "Performance", "Alerts", "Usage", "Flags", "Users"])

        self.browser.get(self.base + "#sources")
        wait_for("sources", lambda: len(self.browser.find_elements(By.CSS_SELECTOR, "#src-rows tr")) == 4)
        # Read in one call: the table is redrawn every second.
        states = self.browser.execute_script("return [...document.querySelectorAll('#src-rows td:nth-child(2)')].map(td => td.textContent)")
        self.assertEqual(states, ["live"] * 4)
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

    def sign_in(self, browser, username, password):
        """Signs `browser` in with a password through the console's form."""
        browser.get(self.base + "#signin")
        wait_for("the form", lambda: browser.find_elements(By.ID, "si-username"))
        browser.find_element(By.ID, "si-username").send_keys(username)
        browser.find_element(By.ID, "si-pass").send_keys(password)
        browser.find_element(By.CSS_SELECTOR, "#si-password button").click()
        wait_for(f"{username} signed in", lambda: browser.find_element(By.ID, "who").text.startswith(username))

    def admin_token(self):
        return rest(self.hub.port, "POST", "/api/auth/token", {"apiKey": ADMIN_KEY})["accessToken"]

    def test_2b_live_fields_and_book_ladder_for_a_signed_in_admin(self):
        self.browser.get(self.base + "#live")
        wait_for("the browser", lambda: self.browser.find_elements(By.CSS_SELECTOR, '#live-channels a[data-pattern="book.deribit.BTC-PERPETUAL"]'))
        fields = self.browser.find_element(By.ID, "live-fields")
        fields.send_keys("bids,asks,mid")
        self.browser.find_element(By.CSS_SELECTOR, '#live-channels a[data-pattern="book.deribit.BTC-PERPETUAL"]').click()
        wait_for("the ladder", lambda: len(self.browser.find_elements(By.CSS_SELECTOR, "#live-book tbody tr")) >= 5)
        self.assertEqual(self.text("#live-book-title"), "Book book.deribit.BTC-PERPETUAL")
        # Read in one call: the ladder is redrawn with every publication.
        cells = self.browser.execute_script("return [...document.querySelectorAll('#live-book tbody tr:first-child td')].map(td => td.textContent)")
        self.assertLess(float(cells[1]), float(cells[2]), "best bid below best ask")
        fields.clear()
        fields.send_keys("nonsense")
        self.browser.find_element(By.CSS_SELECTOR, '#live-channels a[data-pattern="ticker.deribit.ETH-PERPETUAL"]').click()
        wait_for("the refusal beside the form", lambda: self.text("#live-error"))
        self.assertIn("1006", self.text("#live-error"))
        self.shot("live-book")

        # The odds board: ORCA best lines with their bookmakers.
        fields.clear()
        pattern = self.browser.find_element(By.ID, "live-pattern")
        pattern.clear()
        pattern.send_keys("odds.orca.*")
        self.browser.find_element(By.CSS_SELECTOR, "#live-sub button").click()
        wait_for("the odds board", lambda: len(self.browser.find_elements(By.CSS_SELECTOR, "#live-odds tbody tr")) >= 2)
        wait_for("a best line with its bookmaker", lambda: self.browser.execute_script(
            "return [...document.querySelectorAll('#live-odds tbody tr')].some(tr => tr.children[4].textContent !== '')"))
        self.assertIn("(", self.text("#live-odds tbody"), "bookmakers with their no-vig probability")
        self.shot("live-odds")

    def test_3_a_rollout_slider_change_is_stored(self):
        self.browser.get(self.base + "#flags")
        row = 'tr[data-name="beta-features"] .fl-rollout'
        wait_for("the flags", lambda: self.browser.find_elements(By.CSS_SELECTOR, row))
        slider = self.browser.find_element(By.CSS_SELECTOR, row)
        self.browser.execute_script("arguments[0].value = 40; arguments[0].dispatchEvent(new Event('change'))", slider)
        wait_for("saved", lambda: "rollout 40 %" in self.text("#fl-status"))
        flag = rest(self.hub.port, "GET", "/api/features/beta-features", token=self.admin_token())["feature"]
        self.assertEqual(flag["strategies"][0]["parameters"]["rollout"], "40")
        wait_for("the audit trail", lambda: "feature.update" in self.text("#fl-audit"))
        self.shot("flags")

        # The flag editor as a form: a role strategy with a constraint and two variants.
        self.browser.find_element(By.CSS_SELECTOR, 'tr[data-name="beta-features"] .fl-edit').click()
        editor = "#fl-editor"
        at = lambda path: self.browser.find_element(By.CSS_SELECTOR, f'{editor} [data-path="{path}"]')
        click = lambda css: self.browser.find_element(By.CSS_SELECTOR, f"{editor} {css}").click()
        wait_for("the editor", lambda: self.browser.find_elements(By.CSS_SELECTOR, f'{editor} [data-path="strategies.0.name"]'))
        Select(at("strategies.0.name")).select_by_visible_text("userWithRole")
        at("strategies.0.parameters.roles").send_keys("analyst,admin")
        click('button[data-action="add-constraint"][data-list="strategies.0.constraints"]')
        at("strategies.0.constraints.0.contextName").send_keys("environment")
        at("strategies.0.constraints.0.values").send_keys("production")
        for name in ("blue", "green"):
            click('button[data-action="add-variant"][data-list="variants"]')
            field = self.browser.find_elements(By.CSS_SELECTOR, f'{editor} [data-path$=".name"][data-path^="variants."]')[-1]
            field.clear()
            field.send_keys(name)
        self.shot("flags-editor")
        click("#fl-editor-save")
        wait_for("saved", lambda: "beta-features: saved" in self.text("#fl-status"))
        flag = rest(self.hub.port, "GET", "/api/features/beta-features", token=self.admin_token())["feature"]
        self.assertEqual(flag["strategies"][0]["name"], "userWithRole")
        self.assertEqual(flag["strategies"][0]["parameters"], {"roles": "analyst,admin"})
        self.assertEqual([(c["contextName"], c["operator"], c["values"]) for c in flag["strategies"][0]["constraints"]], [("environment", "IN", ["production"])])
        self.assertEqual([v["name"] for v in flag["variants"]], ["blue", "green"])
        self.assertIn("userWithRole (roles=analyst,admin) when environment IN production", self.text('tr[data-name="beta-features"]'))

        # A refused value is shown beside the input the hub names.
        self.browser.find_element(By.CSS_SELECTOR, 'tr[data-name="beta-features"] .fl-edit').click()
        wait_for("the editor", lambda: self.browser.find_elements(By.CSS_SELECTOR, f'{editor} [data-path="strategies.0.constraints.0.operator"]'))
        Select(at("strategies.0.constraints.0.operator")).select_by_visible_text("NUM_GT")
        click("#fl-editor-save")
        beside = f'{editor} [data-path="strategies.0.constraints.0.value"].invalid + .field-error'
        wait_for("the error beside the value", lambda: self.browser.find_elements(By.CSS_SELECTOR, beside))
        self.assertTrue(self.text(beside).startswith("strategies[0].constraints[0].value: must be a number"), self.text(beside))
        self.shot("flags-editor-error")

        # The same flag as JSON: a refused strategy name with its field.
        click('button[data-action="mode"]')
        edited = {"enabled": True, "strategies": [{"name": "everyoneOnTuesdays"}]}
        self.browser.execute_script("arguments[0].value = arguments[1]", self.browser.find_element(By.ID, "fl-editor-json"), json.dumps(edited))
        click("#fl-editor-save")
        wait_for("the refusal", lambda: self.text("#fl-editor-error"))
        self.assertTrue(self.text("#fl-editor-error").startswith("strategies[0].name:"), self.text("#fl-editor-error"))
        click('button[data-action="cancel"]')

    def test_4_turning_premium_data_off_strips_a_live_premium_session(self):
        admin = self.admin_token()
        rest(self.hub.port, "POST", "/api/users", {"username": "pat", "roles": ["premium"], "password": "pat's long password"}, token=admin)
        second = chrome()
        try:
            self.sign_in(second, "pat", "pat's long password")
            field = second.find_element(By.ID, "live-pattern")
            field.clear()
            field.send_keys("options.deribit.*")
            second.find_element(By.CSS_SELECTOR, "#live-sub button").click()
            mark_iv = "#live-rows tr td:nth-child(8)"  # channel, off, bid, ask, mid, spreadBps, last, markIv
            cell = lambda: second.execute_script(f"return [...document.querySelectorAll('{mark_iv}')].map(td => td.textContent)")
            wait_for("mark IV for premium", lambda: any(cell()))
            self.browser.get(self.base + "#flags")
            toggle = 'tr[data-name="premium-data"] .fl-toggle'
            wait_for("the flags", lambda: self.browser.find_elements(By.CSS_SELECTOR, toggle))
            started = time.time()
            self.browser.find_element(By.CSS_SELECTOR, toggle).click()
            wait_for("premium-data off", lambda: "premium-data: off" in self.text("#fl-status"))
            wait_for("the gated field gone in the other session", lambda: cell() and not any(cell()), timeout=5)
            self.assertLess(time.time() - started, 3, "seen by the other session within a second of the change (plus the click)")
            second.save_screenshot(os.path.join(SHOTS, "live-premium-after-flag-off.png"))
        finally:
            second.quit()
            self.browser.find_element(By.CSS_SELECTOR, 'tr[data-name="premium-data"] .fl-toggle').click()

    def test_5_create_a_user_and_an_api_key(self):
        self.browser.get(self.base + "#users")
        wait_for("the form", lambda: self.browser.find_elements(By.ID, "us-new-username"))
        self.browser.find_element(By.ID, "us-new-username").send_keys("kim")
        self.browser.find_element(By.ID, "us-new-password").send_keys("short")
        self.browser.find_element(By.ID, "us-new-roles").send_keys("viewer")
        self.browser.find_element(By.CSS_SELECTOR, "#us-create button").click()
        beside = '#us-create .field-error[data-field="password"]'
        wait_for("the error beside the password", lambda: self.text(beside))
        self.assertIn("at least 12 characters", self.text(beside))
        field = self.browser.find_element(By.ID, "us-new-password")
        field.clear()
        field.send_keys("kim's long password")
        self.browser.find_element(By.CSS_SELECTOR, "#us-create button").click()
        row = 'tr[data-username="kim"]'
        wait_for("kim listed", lambda: self.browser.find_elements(By.CSS_SELECTOR, row))
        self.assertIn("viewer", self.text(row))
        self.browser.find_element(By.CSS_SELECTOR, f"{row} .us-newkey").click()
        key = wait_for("the key, shown once", lambda: self.browser.find_elements(By.ID, "us-key-value") and self.text("#us-key-value"))
        self.assertTrue(key.startswith("shk_"))
        tokens = rest(self.hub.port, "POST", "/api/auth/token", {"apiKey": key})
        self.assertEqual(tokens["user"]["username"], "kim", "the key works")
        self.shot("users")

    def test_6_a_role_edit_unsubscribes_a_live_session_with_the_reason(self):
        admin = self.admin_token()
        rest(self.hub.port, "POST", "/api/users", {"username": "lee", "roles": ["viewer"], "password": "lee's long password"}, token=admin)
        viewer = rest(self.hub.port, "GET", "/api/roles/viewer", token=admin)["role"]
        second = chrome()
        try:
            self.sign_in(second, "lee", "lee's long password")
            wait_for("lee's live ticks", lambda: len(second.find_elements(By.CSS_SELECTOR, "#live-rows tr")) >= 2)

            self.browser.get(self.base + "#users")
            form = 'form.us-role[data-role="viewer"]'
            wait_for("the viewer role", lambda: self.browser.find_elements(By.CSS_SELECTOR, form))
            # The grants form: remove the ticker rule, save.
            rows = self.browser.find_elements(By.CSS_SELECTOR, f"{form} .ge-rule")
            ticker = [r for r in rows if r.find_element(By.CSS_SELECTOR, ".ge-pattern").get_attribute("value") == "ticker.*.*"]
            self.assertEqual(len(ticker), 1)
            ticker[0].find_element(By.CSS_SELECTOR, ".ge-remove").click()
            self.browser.find_element(By.CSS_SELECTOR, f"{form} .us-role-save").click()
            wait_for("saved", lambda: "role viewer saved" in self.text("#us-status"))
            status = wait_for("the reason in lee's browser", lambda: "unsubscribed" in second.find_element(By.ID, "live-status").text and second.find_element(By.ID, "live-status").text)
            self.assertIn("role 'viewer' changed", status)
            second.save_screenshot(os.path.join(SHOTS, "live-unsubscribed-by-role-edit.png"))
        finally:
            second.quit()
            rest(self.hub.port, "PUT", "/api/roles/viewer", {"description": viewer["description"], "grants": viewer["grants"]}, token=admin)

    def test_6b_create_a_role_with_the_grants_form(self):
        self.browser.get(self.base + "#users")
        form = "#us-role-create"
        wait_for("the form", lambda: self.browser.find_elements(By.CSS_SELECTOR, f"{form} .ge-add"))
        self.browser.find_element(By.ID, "us-role-id").send_keys("desk")
        self.browser.find_element(By.ID, "us-role-description").send_keys("FX desk")
        self.browser.find_element(By.CSS_SELECTOR, f"{form} .ge-add").click()
        self.browser.find_element(By.CSS_SELECTOR, f"{form} .ge-add").click()
        patterns = self.browser.find_elements(By.CSS_SELECTOR, f"{form} .ge-pattern")
        patterns[0].send_keys("ticker.*.*")
        patterns[1].send_keys("ticker.deribit")  # two segments: refused
        Select(self.browser.find_elements(By.CSS_SELECTOR, f"{form} .ge-kind")[1]).select_by_visible_text("deny")
        self.browser.find_element(By.CSS_SELECTOR, f'{form} .ge-tier[value="public"]').click()
        self.browser.find_element(By.CSS_SELECTOR, f'{form} .ge-scope[value="state:read"]').click()
        self.browser.find_element(By.CSS_SELECTOR, f'{form} .ge-scope[value="publish:write"]').click()
        self.browser.find_element(By.CSS_SELECTOR, f"{form} .ge-publish").send_keys("announcements.desk.*")
        self.browser.find_element(By.ID, "us-role-create-button").click()
        beside = f'{form} .ge-rule[data-field="grants.channels[1]"].invalid + .field-error'
        wait_for("the error beside the second rule", lambda: self.browser.find_elements(By.CSS_SELECTOR, beside))
        self.assertTrue(self.text(beside).startswith("grants.channels[1]: 'ticker.deribit'"), self.text(beside))
        self.shot("users-role-error")
        patterns[1].send_keys(".*")
        self.browser.find_element(By.ID, "us-role-create-button").click()
        wait_for("created", lambda: "role desk created" in self.text("#us-status"))
        role = rest(self.hub.port, "GET", "/api/roles/desk", token=self.admin_token())["role"]
        self.assertEqual(role["description"], "FX desk")
        self.assertEqual(role["grants"]["channels"], [{"allow": "ticker.*.*"}, {"deny": "ticker.deribit.*"}])
        self.assertEqual(role["grants"]["tiers"], ["public"])
        self.assertEqual(role["grants"]["scopes"], ["state:read", "publish:write"])
        self.assertEqual(role["grants"]["publish"], ["announcements.desk.*"])
        wait_for("listed with its rules", lambda: len(self.browser.find_elements(By.CSS_SELECTOR, 'form.us-role[data-role="desk"] .ge-rule')) == 2)

    def test_7_arbitrage_and_properties(self):
        # The demo's Coinbase simulator jumps 1.5 % every 10 s here: an opportunity opens, then
        # fades out when the price comes back.
        self.browser.get(self.base + "#arbitrage")
        wait_for("the list", lambda: self.text("#arb-status").endswith("open"))
        row = 'tr[data-channel="arb.crypto.BTC-USD"]'
        # An open (not fading) row, read in one call.
        read = f"return [...document.querySelectorAll('{row}:not(.retracting) td')].map(td => td.textContent)"
        cells = wait_for("an opportunity", lambda: (lambda c: c if len(c) == 6 and c[2] else None)(self.browser.execute_script(read)), timeout=40)
        self.assertEqual(cells[:2], ["crypto", "BTC-USD"])
        self.assertGreater(float(cells[2]), 0.5, "edge in % after fees")
        self.assertIn("binance", cells[3])
        self.shot("arbitrage")
        wait_for("retracted and faded out", lambda: not self.browser.find_elements(By.CSS_SELECTOR, row), timeout=30)
        self.browser.get(self.base + "#properties")
        wait_for("the registry", lambda: len(self.browser.find_elements(By.CSS_SELECTOR, "#pr-table tbody tr")) > 20)
        self.browser.find_element(By.ID, "pr-search").send_keys("markIv")
        wait_for("one match", lambda: len(self.browser.find_elements(By.CSS_SELECTOR, "#pr-table tbody tr")) == 1)
        self.browser.find_element(By.CSS_SELECTOR, '#pr-table a[data-name="markIv"]').click()
        wait_for("its lineage", lambda: self.text("#pr-detail-title") == "Lineage of markIv")
        # The lineage graph: every derived property and its inputs; choosing spreadBps lights
        # what it comes from however far (spread and mid, then bid and ask) and nothing else.
        self.browser.find_element(By.CSS_SELECTOR, '#pr-graph g.lg-node[data-name="spreadBps"]').click()
        wait_for("spreadBps chosen", lambda: self.text("#pr-detail-title") == "Lineage of spreadBps")
        lit = self.browser.execute_script("return [...document.querySelectorAll('#pr-graph path.lg-edge.lit')].map(p => p.dataset.from + '>' + p.dataset.to).sort()")
        self.assertEqual(lit, ["ask>mid", "ask>spread", "bid>mid", "bid>spread", "mid>spreadBps", "spread>spreadBps"])
        self.assertGreater(len(self.browser.find_elements(By.CSS_SELECTOR, "#pr-graph g.lg-node.derived")), 15)
        wait_for("the type matrix", lambda: len(self.browser.find_elements(By.CSS_SELECTOR, "#pr-matrix tbody tr")) > 20)
        wait_for("the quarantine", lambda: "values refused" in self.text("#pr-quarantine"))
        self.shot("properties")


if __name__ == "__main__":
    unittest.main()
