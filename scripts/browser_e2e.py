#!/usr/bin/env python3
"""Real-browser end-to-end run of Sluice's upload page with headless Chromium and Selenium.

Usage: browser_e2e.py BASE_URL --work-dir DIR --artifacts DIR [--timeout SECONDS]
BASE_URL is a running server, e.g. http://127.0.0.1:8080. Written against Selenium 4.x with
Debian's /usr/bin/chromium and /usr/bin/chromedriver (never a driver from the network); run it
through scripts/browser-e2e, which sets up the venv and the server.

The steps, one `ok` line each:
1. the page loads: title, <html lang="en">, the file input and options, no severe console errors;
2. a 30 MiB file with a non-ASCII name, sent through the file input with the upload throttled to
   8 MiB/s: the bar shows values between 0 and the size, ends at the size and 100 %, the link
   downloads the same bytes with the UTF-8 name in Content-Disposition, the options reached the
   server;
3. screenshots in the artifacts directory: the desktop page after the upload, a phone (390x844)
   after load, whose layout must fit the phone's width;
4. with Accept-Language: ru the page says <html lang="ru">;
5. the file's page link shows the file name.
Exits non-zero on the first failure, after a screenshot (failure.png) and the page source
(failure.html) in the artifacts directory.
"""

import argparse
import ctypes
import hashlib
import json
import os
import re
import signal
import sys
import time
import urllib.error
import urllib.request
from datetime import datetime, timedelta, timezone
from importlib.metadata import version
from urllib.parse import unquote, urlsplit

from selenium import webdriver
from selenium.common.exceptions import WebDriverException
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.by import By
from steps import MIB, Failure, check, make_file, note, step

CHROMIUM = "/usr/bin/chromium"
CHROMEDRIVER = "/usr/bin/chromedriver"

FILE_SIZE = 30 * MIB
FILENAME = "видео тест.bin"
UPLOAD_THROTTLE = 8 * MIB  # bytes per second
MAX_DAYS = 2
MAX_DOWNLOADS = 5
PASSWORD = "пароль-1"
PHONE = {"width": 390, "height": 844, "deviceScaleFactor": 2, "mobile": True}
PR_SET_CHILD_SUBREAPER = 36
ARTIFACTS = ("desktop-after-upload.png", "phone.png", "ru.png", "download-page.png",
             "failure.png", "failure.html")

# One round trip for the state of every .upload on the page.
UPLOADS_JS = """
return Array.from(document.querySelectorAll('.upload')).map(u => {
  const bar = u.querySelector('progress.bar');
  const text = sel => { const e = u.querySelector(sel); return e ? e.textContent.trim() : null; };
  const href = sel => { const e = u.querySelector(sel); return e ? e.href : null; };
  return {
    state: u.dataset.state || null,
    value: bar ? bar.value : null,
    max: bar ? bar.max : null,
    percent: text('.percent'),
    error: text('.error'),
    fileLink: href('a.file-link'),
    pageLink: href('a.page-link'),
    hasCopy: !!u.querySelector('button.copy'),
    text: u.innerText,
  };
});
"""





def primary_language(tag):
    return (tag or "").split("-")[0].lower()


class Browser:
    """Headless Chromium under Debian's chromedriver, in a process group of its own.

    This process becomes a child subreaper, so Chromium's helpers that detach themselves (the
    crashpad handlers double-fork into their own sessions) are re-parented to it instead of to
    init: after quit() every process that is still a child of this one was started by this
    browser, and is killed and reaped.
    """

    def __init__(self, work_dir, pgid_file):
        self.pgid_file = pgid_file
        self.console = []  # every console entry read so far, for the failure report
        try:
            libc = ctypes.CDLL(None, use_errno=True)
            libc.prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0)
        except (OSError, AttributeError):
            pass
        options = webdriver.ChromeOptions()
        options.binary_location = CHROMIUM
        for arg in ("--headless=new", "--no-sandbox", "--window-size=1366,900",
                    "--disable-dev-shm-usage", "--lang=en-US",
                    f"--user-data-dir={os.path.join(work_dir, 'chromium-profile')}"):
            options.add_argument(arg)
        options.add_experimental_option("prefs", {"intl.accept_languages": "en-US,en"})
        options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
        self.driver_log = os.path.join(work_dir, "chromedriver.log")
        # Chromium's own temporary files (org.chromium.Chromium.*), its crash database (else in
        # ~/.config/chromium) and cache go to the work dir too, which scripts/browser-e2e removes.
        env = {**os.environ, "TMPDIR": work_dir, "XDG_CONFIG_HOME": os.path.join(work_dir, "config"),
               "XDG_CACHE_HOME": os.path.join(work_dir, "cache")}
        service = Service(CHROMEDRIVER, log_output=self.driver_log, env=env,
                          popen_kw={"start_new_session": True})
        self.service = service
        try:
            self.driver = webdriver.Chrome(service=service, options=options)
        except WebDriverException as e:
            self.driver = None
            self.reap()
            tail = ""
            try:
                with open(self.driver_log, encoding="utf-8", errors="replace") as f:
                    tail = "".join(f.readlines()[-20:])
            except OSError:
                pass
            raise Failure(f"could not start Chromium through {CHROMEDRIVER}: {e.msg or e}\n"
                          f"--- chromedriver log (last 20 lines) ---\n{tail}")
        # The group that scripts/browser-e2e kills if this process dies before reaping it.
        with open(pgid_file, "w") as f:
            f.write(f"{service.process.pid}\n")
        self.driver.set_page_load_timeout(30)
        self.driver.set_script_timeout(30)

    def cdp(self, command, params=None):
        return self.driver.execute_cdp_cmd(command, params or {})

    def severe_console_errors(self):
        """The console's SEVERE entries since the last call, without Chromium's own favicon request."""
        entries = self.driver.get_log("browser")
        self.console.extend(entries)
        return [e["message"] for e in entries
                if e.get("level") == "SEVERE" and "favicon.ico" not in e.get("message", "")]

    def screenshot(self, path):
        check(self.driver.save_screenshot(path), f"could not save the screenshot {path}")
        check(os.path.getsize(path) > 1000, f"the screenshot {path} is (nearly) empty")

    def quit(self):
        if self.driver is not None:
            try:
                self.driver.quit()
            except Exception as e:  # the browser may be gone already; reap what is left anyway
                print(f"browser e2e: driver.quit() failed: {e}", file=sys.stderr)
            self.driver = None
        self.reap()

    def reap(self):
        pgid = self.service.process.pid if getattr(self.service, "process", None) else None
        if pgid is not None:
            try:
                os.killpg(pgid, signal.SIGKILL)
            except (ProcessLookupError, PermissionError):
                pass
        for pid in children_of(os.getpid()):
            try:
                os.kill(pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
        deadline = time.monotonic() + 5
        while time.monotonic() < deadline:
            try:
                pid, _ = os.waitpid(-1, os.WNOHANG)
            except ChildProcessError:
                break  # no children left
            if pid == 0:
                time.sleep(0.05)
        left = children_of(os.getpid()) + (group_members(pgid) if pgid is not None else [])
        if left:
            print(f"browser e2e: warning: Chromium processes left behind: {sorted(set(left))}",
                  file=sys.stderr)
        elif os.path.exists(self.pgid_file):
            os.remove(self.pgid_file)


def proc_stats():
    """(pid, ppid, pgrp) of every process, from /proc."""
    out = []
    for name in os.listdir("/proc"):
        if not name.isdigit():
            continue
        try:
            with open(f"/proc/{name}/stat") as f:
                stat = f.read()
        except OSError:
            continue
        fields = stat[stat.rindex(")") + 2:].split()  # after "pid (comm) "
        out.append((int(name), int(fields[1]), int(fields[2])))
    return out


def children_of(pid):
    return [p for p, ppid, _ in proc_stats() if ppid == pid]


def group_members(pgid):
    return [p for p, _, pgrp in proc_stats() if pgrp == pgid]


def server_alive(base):
    """Whether the server still answers /healthz (a crashed one refuses the connection)."""
    try:
        with urllib.request.urlopen(base + "/healthz", timeout=5) as response:
            return response.status == 200
    except OSError:
        return False


def read_uploads(driver):
    return driver.execute_script(UPLOADS_JS)


def step_page_loads(browser, base):
    driver = browser.driver
    driver.get(base + "/")
    time.sleep(0.5)  # scripts that run after load (a WebSocket, fetches) may still log errors
    content_type = driver.execute_script("return document.contentType")
    check(content_type == "text/html",
          f"GET / for a browser (Accept: text/html) answered {content_type}, not the HTML page")
    title = driver.title.strip()
    check(title, "the page has no <title>")
    lang = driver.execute_script("return document.documentElement.lang")
    check(primary_language(lang) == "en",
          f'<html lang="{lang}"> for Accept-Language: en-US, expected "en"')
    inputs = driver.find_elements(By.CSS_SELECTOR, "input#file-input[type=file][multiple]")
    check(len(inputs) == 1, "no input#file-input[type=file][multiple] on the page")
    for option in ("max-days", "max-downloads", "password"):
        check(driver.find_elements(By.CSS_SELECTOR, f"input#{option}"), f"no input#{option} on the page")
    errors = browser.severe_console_errors()
    check(not errors, "severe console errors on load:\n  " + "\n  ".join(errors))
    step(f'1. the page loads: title "{title}", <html lang="{lang}">, file input and options, '
         f"no console errors")


def set_option(driver, element_id, value):
    element = driver.find_element(By.ID, element_id)
    element.clear()
    element.send_keys(str(value))
    check(element.get_attribute("value") == str(value),
          f"input#{element_id} does not take the value {value}")


def step_upload(browser, base, work_dir, timeout):
    driver = browser.driver
    path = os.path.join(work_dir, FILENAME)
    sha256 = make_file(path, FILE_SIZE)
    set_option(driver, "max-days", MAX_DAYS)
    set_option(driver, "max-downloads", MAX_DOWNLOADS)

    browser.cdp("Network.enable")
    browser.cdp("Network.emulateNetworkConditions", {
        "offline": False, "latency": 0, "downloadThroughput": -1, "uploadThroughput": UPLOAD_THROTTLE})
    started = time.monotonic()
    driver.find_element(By.ID, "file-input").send_keys(path)

    samples = []  # (seconds, value, max, percent text)
    deadline = started + timeout
    upload = None
    next_health_check = started + 2
    while True:
        uploads = read_uploads(driver)
        now = time.monotonic()
        if uploads:
            check(len(uploads) == 1, f"one file was sent but the page shows {len(uploads)} .upload elements")
            upload = uploads[0]
            samples.append((now - started, upload["value"], upload["max"], upload["percent"]))
            if upload["state"] == "done":
                break
            check(upload["state"] in ("uploading", None),
                  f'the upload ended in data-state="{upload["state"]}", error: {upload["error"]!r}')
        elif now - started > 15:
            raise Failure("no .upload element appeared within 15 s of choosing the file")
        if now >= next_health_check:
            check(server_alive(base), f"the server stopped answering /healthz during the upload "
                  f"(bar at {upload and upload['value']}/{upload and upload['max']}); see its log")
            next_health_check = now + 2
        check(now < deadline, f"the upload was not done within {timeout} s; last state "
              f"{upload and upload['state']!r}, bar {upload and upload['value']}/{upload and upload['max']}")
        time.sleep(0.04)
    elapsed = time.monotonic() - started
    browser.cdp("Network.emulateNetworkConditions", {
        "offline": False, "latency": 0, "downloadThroughput": -1, "uploadThroughput": -1})

    values = [v for _, v, m, _ in samples if m == FILE_SIZE]
    intermediate = sorted({v for v in values if 0 < v < FILE_SIZE})
    check(intermediate,
          f"the progress bar never showed a value between 0 and {FILE_SIZE} in {len(samples)} samples "
          f"over {elapsed:.1f} s (values seen: {sorted(set(v for _, v, _, _ in samples))}, "
          f"max: {sorted(set(m for _, _, m, _ in samples))})")
    sized = [(t, v) for t, v, m, _ in samples if m == FILE_SIZE]
    for (_, v0), (t1, v1) in zip(sized, sized[1:]):
        check(v1 >= v0, f"the progress bar went back from {v0} to {v1} at {t1:.2f} s")
    check(upload["max"] == FILE_SIZE, f"progress.bar max is {upload['max']} when done, expected the size {FILE_SIZE}")
    check(upload["value"] == FILE_SIZE, f"progress.bar value is {upload['value']} when done, expected {FILE_SIZE}")
    check(upload["percent"] is not None and re.search(r"(^|\D)100\s*%", upload["percent"]),
          f".percent says {upload['percent']!r} when done, expected 100 %")
    check(FILENAME in (upload["text"] or ""), f"the .upload element does not show the name {FILENAME!r}")
    check(upload["hasCopy"], "the done .upload element has no button.copy")
    file_link, page_link = upload["fileLink"], upload["pageLink"]
    check(file_link, "the done .upload element has no a.file-link with an href")
    check(page_link, "the done .upload element has no a.page-link with an href")
    check(file_link.startswith(base + "/"), f"a.file-link {file_link!r} does not start with {base}/")
    check(unquote(urlsplit(file_link).path.rsplit("/", 1)[-1]) == FILENAME,
          f"a.file-link {file_link!r} does not end in the file name {FILENAME!r}")
    errors = browser.severe_console_errors()
    check(not errors, "severe console errors during the upload:\n  " + "\n  ".join(errors))

    digest = hashlib.sha256()
    with urllib.request.urlopen(file_link, timeout=60) as response:
        check(response.status == 200, f"GET {file_link} answered {response.status}")
        disposition = response.headers.get("Content-Disposition", "")
        while block := response.read(MIB):
            digest.update(block)
    check(digest.hexdigest() == sha256,
          f"the download's SHA-256 {digest.hexdigest()} differs from the file's {sha256}")
    match = re.search(r"filename\*\s*=\s*UTF-8''([^;\s]+)", disposition, re.IGNORECASE)
    check(match and unquote(match.group(1)) == FILENAME,
          f"Content-Disposition {disposition!r} does not carry filename*=UTF-8''{FILENAME}")

    with urllib.request.urlopen(file_link + "?info=1", timeout=30) as response:
        info = json.load(response)
    check(info.get("maxDownloads") == MAX_DOWNLOADS,
          f"input#max-downloads was {MAX_DOWNLOADS} but the file says maxDownloads {info.get('maxDownloads')!r}")
    check(info.get("downloadsLeft") == MAX_DOWNLOADS - 1,
          f"after one download the file says downloadsLeft {info.get('downloadsLeft')!r}, expected {MAX_DOWNLOADS - 1}")
    expires = info.get("expiresAt")
    check(expires, f"input#max-days was {MAX_DAYS} but the file says expiresAt {expires!r}")
    expires_at = datetime.fromisoformat(expires.replace("Z", "+00:00"))
    expected = datetime.now(timezone.utc) + timedelta(days=MAX_DAYS)
    check(abs(expires_at - expected) < timedelta(minutes=10),
          f"input#max-days was {MAX_DAYS} but the file expires at {expires}")

    percents = sorted({p for _, v, m, p in samples if m == FILE_SIZE and 0 < v < FILE_SIZE})
    step(f"2. uploaded {FILE_SIZE // MIB} MiB as {FILENAME!r} at {UPLOAD_THROTTLE // MIB} MiB/s in "
         f"{elapsed:.1f} s: the bar showed {len(intermediate)} values between 0 and max "
         f"({len(percents)} distinct .percent texts), ended at {FILE_SIZE} and "
         f"{upload['percent']!r}; the download matches (SHA-256, UTF-8 Content-Disposition), "
         f"max-days and max-downloads reached the server")
    return file_link, page_link


def step_screenshots(browser, base, artifacts):
    driver = browser.driver
    desktop = os.path.join(artifacts, "desktop-after-upload.png")
    driver.execute_script("document.activeElement && document.activeElement.blur()")
    time.sleep(0.5)  # let the bar's CSS transition end
    browser.screenshot(desktop)

    browser.cdp("Emulation.setDeviceMetricsOverride", PHONE)
    browser.cdp("Emulation.setTouchEmulationEnabled", {"enabled": True})
    try:
        driver.get(base + "/")
        time.sleep(0.3)
        phone = os.path.join(artifacts, "phone.png")
        browser.screenshot(phone)
        width, scroll_width = driver.execute_script(
            "return [window.innerWidth, document.documentElement.scrollWidth]")
        check(width == PHONE["width"],
              f"on a {PHONE['width']} px phone the page lays out {width} px wide "
              f'(no <meta name="viewport" content="width=device-width">?); see {phone}')
        check(scroll_width <= width,
              f"on a {PHONE['width']} px phone the page is {scroll_width} px wide and scrolls "
              f"sideways; see {phone}")
        picker = driver.execute_script("""
            const i = document.getElementById('file-input');
            const target = i.labels && i.labels.length ? i.labels[0] : i.closest('label') || i;
            const visible = e => { const r = e.getBoundingClientRect(); return r.width > 0 && r.height > 0; };
            return visible(i) || visible(target) || !!document.querySelector('[class*=drop], [id*=drop]');""")
        check(picker, f"on a phone neither the file input nor a drop zone is visible; see {phone}")
        errors = browser.severe_console_errors()
        check(not errors, "severe console errors on the phone:\n  " + "\n  ".join(errors))
    finally:
        browser.cdp("Emulation.setTouchEmulationEnabled", {"enabled": False})
        browser.cdp("Emulation.clearDeviceMetricsOverride")
    step(f"3. screenshots: {desktop}, {phone} (fits {PHONE['width']}x{PHONE['height']})")


def step_russian(browser, base, artifacts):
    driver = browser.driver
    user_agent = driver.execute_script("return navigator.userAgent")
    # Both the request header and navigator.languages, whichever the page goes by.
    browser.cdp("Network.setUserAgentOverride", {"userAgent": user_agent, "acceptLanguage": "ru"})
    try:
        driver.get(base + "/")
        time.sleep(0.3)
        path = os.path.join(artifacts, "ru.png")
        browser.screenshot(path)
        lang = driver.execute_script("return document.documentElement.lang")
        check(primary_language(lang) == "ru", f'<html lang="{lang}"> for Accept-Language: ru, expected "ru"')
        text = driver.execute_script("return document.body.innerText")
        check(re.search("[а-яА-ЯёЁ]", text), f'<html lang="ru"> but the page shows no Russian text; see {path}')
        errors = browser.severe_console_errors()
        check(not errors, "severe console errors on the Russian page:\n  " + "\n  ".join(errors))
    finally:
        browser.cdp("Network.setUserAgentOverride", {"userAgent": user_agent, "acceptLanguage": "en-US,en"})
    step(f'4. with Accept-Language: ru the page says <html lang="{lang}"> and speaks Russian ({path})')


def step_download_page(browser, page_link, artifacts):
    driver = browser.driver
    driver.get(page_link)
    time.sleep(0.3)
    path = os.path.join(artifacts, "download-page.png")
    browser.screenshot(path)
    text = driver.execute_script("return document.body ? document.body.innerText : ''")
    check(FILENAME in text, f"the page link {page_link} does not show the name {FILENAME!r}; see {path}")
    errors = browser.severe_console_errors()
    check(not errors, "severe console errors on the download page:\n  " + "\n  ".join(errors))
    step(f"5. the page link {page_link} shows {FILENAME!r} ({path})")


def step_password(browser, base, work_dir, timeout):
    """A file sent with the page's password field answers 401 (a Basic challenge, so a browser
    asks) until the password comes."""
    driver = browser.driver
    driver.get(base + "/")
    time.sleep(0.3)
    path = os.path.join(work_dir, "locked.bin")
    sha256 = make_file(path, MIB)
    set_option(driver, "password", PASSWORD)
    driver.find_element(By.ID, "file-input").send_keys(path)
    deadline = time.monotonic() + timeout
    while True:
        uploads = read_uploads(driver)
        if uploads and uploads[0]["state"] == "done":
            break
        check(not uploads or uploads[0]["state"] in ("uploading", None),
              f"the upload with a password ended in {uploads and uploads[0]['state']!r}: {uploads and uploads[0]['error']!r}")
        check(time.monotonic() < deadline, f"the upload with a password was not done within {timeout} s")
        time.sleep(0.05)
    file_link = uploads[0]["fileLink"]
    try:
        urllib.request.urlopen(file_link, timeout=30)
        raise Failure(f"{file_link}, uploaded with a password, was served without it")
    except urllib.error.HTTPError as error:
        challenge = error.headers.get("WWW-Authenticate", "")
        check(error.code == 401 and challenge.startswith("Basic "),
              f"{file_link} without its password answered {error.code} with WWW-Authenticate {challenge!r}")
    request = urllib.request.Request(file_link, headers={"X-Password": PASSWORD.encode().decode("latin-1")})
    with urllib.request.urlopen(request, timeout=30) as response:
        check(hashlib.sha256(response.read()).hexdigest() == sha256, "the password-protected download differs")
    step(f"6. a file uploaded with the password field answers 401 ({challenge}) without it, "
         f"and its bytes with X-Password")


def on_sigterm(*_):
    raise Failure("interrupted (SIGTERM)")


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("base_url")
    parser.add_argument("--work-dir", required=True)
    parser.add_argument("--artifacts", required=True)
    parser.add_argument("--timeout", type=float, default=120, help="for the upload, in seconds")
    args = parser.parse_args()
    base = args.base_url.rstrip("/")
    os.makedirs(args.artifacts, exist_ok=True)
    for name in ARTIFACTS:  # so that none is left from an earlier run
        try:
            os.remove(os.path.join(args.artifacts, name))
        except FileNotFoundError:
            pass
    # A SIGTERM from scripts/browser-e2e unwinds through the finally below, which quits the browser.
    signal.signal(signal.SIGTERM, on_sigterm)
    print(f"browser e2e: selenium {version('selenium')}, {CHROMIUM}, {CHROMEDRIVER}, {base}", flush=True)

    browser = None
    status = 1
    try:
        browser = Browser(args.work_dir, os.path.join(args.work_dir, "chromedriver.pgid"))
        caps = browser.driver.capabilities
        note(f"{caps.get('browserName')} {caps.get('browserVersion')}, "
             f"chromedriver {caps.get('chrome', {}).get('chromedriverVersion', '?').split(' ')[0]}")
        step_page_loads(browser, base)
        _, page_link = step_upload(browser, base, args.work_dir, args.timeout)
        step_screenshots(browser, base, args.artifacts)
        step_russian(browser, base, args.artifacts)
        step_download_page(browser, page_link, args.artifacts)
        step_password(browser, base, args.work_dir, args.timeout)
        status = 0
    except Failure as e:
        print(f"browser e2e: FAILED: {e}", file=sys.stderr)
    except WebDriverException as e:
        print(f"browser e2e: FAILED: WebDriver: {e.msg or e}", file=sys.stderr)
    except Exception as e:
        print(f"browser e2e: FAILED: {type(e).__name__}: {e}", file=sys.stderr)
    finally:
        if status != 0 and browser is not None and browser.driver is not None:
            report_failure(browser, args.artifacts)
        if browser is not None:
            browser.quit()
    if status == 0:
        print("browser e2e: all steps passed", flush=True)
    return status


def report_failure(browser, artifacts):
    try:
        print(f"--- page at failure: {browser.driver.current_url} ---", file=sys.stderr)
        browser.driver.save_screenshot(os.path.join(artifacts, "failure.png"))
        with open(os.path.join(artifacts, "failure.html"), "w", encoding="utf-8") as f:
            f.write(browser.driver.page_source)
        print(f"screenshot and source: {artifacts}/failure.png, failure.html", file=sys.stderr)
        browser.severe_console_errors()
    except Exception as e:
        print(f"(no screenshot of the failure: {e})", file=sys.stderr)
    if browser.console:
        print("--- browser console ---", file=sys.stderr)
        for entry in browser.console[-30:]:
            print(f"{entry.get('level')}: {entry.get('message')}", file=sys.stderr)


if __name__ == "__main__":
    sys.exit(main())
