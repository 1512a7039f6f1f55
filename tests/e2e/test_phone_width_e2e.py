"""No page scrolls sideways on a phone: every page of the tour (which is checked against the
app's url_map, so a new page is covered as soon as the tour lists it), at 360 and 390 px, in
Russian and Uzbek (the longest words), as a visitor, an owner and the admin."""

import pytest

from tests.e2e.browser import screenshot
from tests.e2e.test_page_tour_e2e import _login, _pages, site  # noqa: F401 (the fixture)

pytestmark = pytest.mark.e2e

WIDTHS = (360, 390)
OVERFLOW_JS = """() => {
  const width = window.innerWidth;
  const wide = [...document.querySelectorAll('body *')]
    .filter(el => el.getBoundingClientRect().right > width + 1 && el.offsetParent !== null
                  && !el.closest('.table-responsive, .offcanvas-lg, pre, .kb-preview'))
    .slice(0, 5).map(el => el.tagName + '.' + el.className + '#' + el.id);
  return {scroll: document.documentElement.scrollWidth, inner: width, wide};
}"""

FITS_JS = """(sel) => {
  const el = document.querySelector(sel);
  return el.scrollWidth <= el.parentElement.clientWidth;
}"""
ONE_LINE_JS = """(sel) => {
  const el = document.querySelector(sel);
  return el.getBoundingClientRect().height < 1.5 * parseFloat(getComputedStyle(el).lineHeight);
}"""


@pytest.mark.parametrize("who", ["visitor", "owner", "admin"])
def test_no_page_scrolls_sideways_on_a_phone(browser, live_server, site, who):  # noqa: F811
    too_wide = []
    for width in WIDTHS:
        context = browser.new_context(
            base_url=live_server.url, locale="ru-RU", viewport={"width": width, "height": 844}
        )
        context.set_default_timeout(15000)
        page = context.new_page()
        if who != "visitor":
            _login(page, site[who])
        for lang in ("ru", "uz"):
            context.add_cookies([{"name": "lang", "value": lang, "url": live_server.url}])
            if who != "visitor":
                page.request.post("/language", form={"lang": lang}, headers=_csrf(page))
            for endpoint, path in _pages(site)[who]:
                page.goto(path)
                assert page.locator("html").get_attribute("lang") == lang, (endpoint, lang)
                found = page.evaluate(OVERFLOW_JS)
                if (
                    endpoint == "admin.stats"
                ):  # a KPI word stays whole ("Telegram", not "Telegra/m")
                    assert page.evaluate(ONE_LINE_JS, "#top-platform"), (width, lang)
                if found["scroll"] > found["inner"]:
                    too_wide.append((width, lang, endpoint, found["scroll"], found["wide"]))
                    screenshot(page, f"phone-{width}-{lang}-{endpoint.replace('.', '-')}")
        context.close()
    assert too_wide == []


def _csrf(page) -> dict:
    page.goto("/")
    return {"X-CSRFToken": page.locator("meta[name=csrf-token]").get_attribute("content")}
