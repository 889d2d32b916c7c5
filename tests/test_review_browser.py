"""The review screen in a real browser: Playwright driving Debian's chromium
against ``congvan serve`` started in a subprocess (with its extraction worker).

Covered: access without login, login, upload (the worker extracts it), the
highlight on click, correcting a lead, approval, the audit history, a
document holding <script>, roles, logout.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

from tests.review_helpers import PASSWORDS, ROOT, make_data_dir

pytestmark = [pytest.mark.browser, pytest.mark.slow]

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    data = make_data_dir(tmp_path_factory.mktemp("review-browser") / "data")
    port = _free_port()
    log = (data.parent / "serve.log").open("wb")
    proc = subprocess.Popen(
        [sys.executable, "-m", "pipeline.cli", "serve", "--data", str(data), "--port", str(port)],
        cwd=ROOT, stdout=log, stderr=subprocess.STDOUT, env={**os.environ, "PYTHONPATH": str(ROOT)},
    )
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    while True:
        try:
            with urllib.request.urlopen(base + "/login", timeout=2) as r:
                if r.status == 200:
                    break
        except OSError:
            pass
        if proc.poll() is not None or time.monotonic() > deadline:
            proc.kill()
            raise RuntimeError("congvan serve did not start: " + (data.parent / "serve.log").read_text(errors="replace"))
        time.sleep(0.2)
    yield base
    proc.terminate()
    proc.wait(timeout=20)
    log.close()


@pytest.fixture(scope="module")
def browser():
    from playwright.sync_api import sync_playwright

    assert Path(CHROMIUM).exists(), f"{CHROMIUM} is missing: `make setup` installs Debian's chromium"
    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield b
        b.close()


@pytest.fixture()
def page(browser):
    context = browser.new_context(viewport={"width": 1400, "height": 900})
    pg = context.new_page()
    pg.set_default_timeout(15_000)
    yield pg
    context.close()


def login(page, base: str, user: str, path: str = "/documents") -> None:
    page.goto(base + path)
    page.fill("input[name=username]", user)
    page.fill("input[name=password]", PASSWORDS[user])
    page.click("form.login button[type=submit]")
    page.wait_for_url(base + path)


def test_without_login_every_page_leads_to_the_login_form_and_back(page, server):
    page.goto(server + "/documents/2")
    assert "/login" in page.url and page.locator("input[name=username]").is_visible()
    page.goto(server + "/admin/users")
    assert "/login" in page.url
    login(page, server, "clerk", "/documents/2")  # after the login, the page asked for
    assert page.locator("h1").inner_text().startswith("Văn bản #2")


def test_a_wrong_password_shows_an_error(page, server):
    page.goto(server + "/login")
    page.fill("input[name=username]", "admin")
    page.fill("input[name=password]", "not-the-password")
    page.click("form.login button[type=submit]")
    assert "Sai tên đăng nhập hoặc mật khẩu" in page.locator(".error").inner_text()


def test_clicking_a_value_highlights_its_source(page, server):
    login(page, server, "clerk", "/documents/2")
    assert page.locator("mark").count() == 0
    page.click("td[data-field=number]")
    assert page.locator("mark#hl").inner_text().replace(" ", "") == "8129/UBND-KT"
    lead = page.locator("#task-0 .agency.lead").first
    name = lead.inner_text()
    lead.click()
    # the task's span is marked and, inside it, the lead's own words (across a line break)
    assert " ".join(page.locator("mark#hl-inner").inner_text().split()) == name
    assert "Sau khi xem xét" in page.locator("mark#hl").inner_text()
    assert page.locator("mark#hl-inner").is_visible()
    assert "selected" in (lead.get_attribute("class") or "")


def test_clicking_a_value_draws_its_box_on_the_pdf_page(page, server):
    login(page, server, "clerk", "/documents/3")
    page.click("button[data-tab=pages-pane]")
    page.locator(".page-wrap[data-page='1'] img").wait_for()
    lead = page.locator(".agency.lead", has_text="Ban Dân tộc tỉnh").first
    lead.click()
    box = page.locator(".page-wrap .box").first
    box.wait_for()
    assert box.is_visible() and page.locator(".page-wrap .box").count() == 1
    # the box is in % of its page: measure once that page's image has loaded (lazy images)
    img_el = box.locator("xpath=../img")
    img_el.evaluate("i => (i.complete && i.naturalHeight) || new Promise(r => i.addEventListener('load', () => r(true)))")
    b, img = box.bounding_box(), img_el.bounding_box()
    assert img["x"] <= b["x"] and b["x"] + b["width"] <= img["x"] + img["width"] + 1 and 5 < b["height"] < 40
    assert page.locator("#pages-pane").is_visible()  # stays on the page images
    assert page.locator("mark#hl-inner").inner_text() == "Ban Dân tộc tỉnh"  # the text is marked too


def test_correct_a_lead_approve_and_see_the_history(page, server):
    login(page, server, "reviewer", "/documents/1")
    task = page.locator("#task-0")
    assert task.locator(".agency.lead").all_inner_texts() == ["Sở Nội vụ"]
    clicks = 0
    task.locator("summary").click()
    clicks += 1
    task.locator("textarea[name=lead]").fill("Sở Tư pháp")
    task.locator("form.task-form button[type=submit]").click()
    clicks += 1
    page.wait_for_load_state()
    assert "Đã lưu" in page.locator(".flash").inner_text()
    assert page.locator("#task-0 .agency.lead").all_inner_texts() == ["Sở Tư pháp"]
    page.click("#approve")
    clicks += 1
    page.wait_for_load_state()
    assert page.locator("#doc-status").inner_text() == "đã duyệt"
    assert clicks == 3  # reported in the notes: open the task's form, save, approve
    rows = page.locator("#history tbody tr").all_inner_texts()
    assert "duyệt" in rows[0] and "reviewer" in rows[0]
    assert "tasks[1].lead" in rows[1] and "Sở Nội vụ" in rows[1] and "Sở Tư pháp" in rows[1]
    assert page.locator("#task-0 summary").count() == 0  # approved: no more edit forms


def test_a_document_holding_script_shows_it_as_text(page, server):
    dialogs: list[str] = []
    page.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
    login(page, server, "clerk", "/documents/1")
    assert '<script>alert("xss")</script>' in page.locator("td[data-field=subject]").inner_text()
    page.click("#task-0 td.text")
    assert "<script>alert(1)</script>" in page.locator("mark#hl").inner_text()
    assert page.locator("b").count() == 0  # the document's <b> is text, not markup
    assert page.locator("script:not([src]):not([type='application/json'])").count() == 0
    assert dialogs == []


def test_upload_several_files_and_the_worker_extracts_them(page, server, tmp_path):
    good = tmp_path / "cong-van-moi.txt"
    good.write_bytes((ROOT / "corpus/docs/101.txt").read_bytes())
    bad = tmp_path / "khong-phai.pdf"
    bad.write_bytes(b"MZ this is a program")
    login(page, server, "clerk")
    page.set_input_files("#files", [str(good), str(bad)])
    t0 = time.monotonic()
    page.click("#upload")
    page.wait_for_load_state()
    flash = page.locator(".flash").inner_text()
    assert "cong-van-moi.txt: đã nhận" in flash and "khong-phai.pdf: từ chối" in flash
    row = page.locator("tr", has_text="cong-van-moi.txt")
    # the list reloads itself while a document is being extracted
    page.wait_for_function(
        "() => [...document.querySelectorAll('tr')].some(r => r.textContent.includes('cong-van-moi.txt')"
        " && r.textContent.includes('chờ kiểm tra'))",
        timeout=90_000,
    )
    print(f"upload to reviewable: {time.monotonic() - t0:.1f}s")
    assert row.locator(".badge").inner_text() == "chờ kiểm tra"
    row.locator("a").first.click()
    assert page.locator("#tasks tbody.task").count() > 0


def test_a_clerk_sees_no_approve_button_and_no_user_admin(page, server):
    login(page, server, "clerk", "/documents/2")
    assert page.locator("#approve").count() == 0
    assert page.locator("a[href='/admin/users']").count() == 0
    page.goto(server + "/admin/users")
    assert "quản trị" in page.locator("p.error").inner_text()


def test_logout_ends_the_session(page, server):
    login(page, server, "clerk")
    page.click("#logout")
    page.wait_for_url("**/login")
    page.goto(server + "/documents")
    assert "/login" in page.url
