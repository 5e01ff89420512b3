"""Screenshots of pages for a human to look at: headless Debian chromium via Playwright.

    python scripts/screenshots.py --base http://127.0.0.1:8000 --login admin@acme.lexcloud.test \
        --password Demo-pass1! /dashboard/ /my-account/ 'org:/account/users/'

'org:' paths are prefixed with /o/<the user's organization id>. PNGs go to screenshots/<width>/.
"""
import argparse
import re
from pathlib import Path

from playwright.sync_api import sync_playwright

ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
        "--disable-component-update", "--disable-sync"]


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("paths", nargs="+")
    parser.add_argument("--base", default="http://127.0.0.1:8000")
    parser.add_argument("--login", required=True)
    parser.add_argument("--password", default="Demo-pass1!")
    parser.add_argument("--widths", default="1280,390")
    parser.add_argument("--out", default="screenshots")
    args = parser.parse_args()
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path="/usr/bin/chromium", args=ARGS)
        for width in (int(w) for w in args.widths.split(",")):
            page = browser.new_page(viewport={"width": width, "height": 900 if width > 600 else 844},
                                    base_url=args.base)
            page.goto("/accounts/login/")
            page.fill("#id_username", args.login)
            page.click("[data-testid=login-next]")
            page.fill("#id_password", args.password)
            page.click("button[type=submit]")
            page.wait_for_load_state()
            org_id = page.evaluate("""() => { const a = document.querySelector('[data-testid=org-switcher] a.active');
                                              return a ? a.getAttribute('href').split('/')[2] : ''; }""")
            folder = Path(args.out) / str(width)
            folder.mkdir(parents=True, exist_ok=True)
            for path in args.paths:
                url = f"/o/{org_id}{path[4:]}" if path.startswith("org:") else path
                page.goto(url)
                page.wait_for_load_state()
                name = re.sub(r"[^a-z0-9]+", "_", path.lower()).strip("_") or "root"
                page.screenshot(path=str(folder / f"{name}.png"), full_page=True)
                print(folder / f"{name}.png", page.url)
        browser.close()


if __name__ == "__main__":
    main()
