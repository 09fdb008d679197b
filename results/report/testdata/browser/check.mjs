// Opens a report in headless Chromium, offline, in a 1400 x 1000 window, and
// prints one JSON line: {"images":N,"broken":[...],"consoleErrors":[...],
// "requests":[...],"title":"...","tables":N,"firstHeading":"...",
// "pageWidth":N,"viewportWidth":N,"overflowing":[...]} (overflowing: the
// labels of the table boxes whose table is wider than the box).
// Usage: node check.mjs /abs/path/report.html [/usr/bin/chromium]
import { chromium } from "playwright-core";

const [file, exe = "/usr/bin/chromium"] = process.argv.slice(2);
if (!file) {
  console.error("usage: node check.mjs REPORT.html [CHROMIUM]");
  process.exit(2);
}
const browser = await chromium.launch({
  executablePath: exe,
  args: ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync"],
});
const timer = setTimeout(() => { console.error("timed out"); process.exit(3); }, 60000);
try {
  const context = await browser.newContext({ offline: true, viewport: { width: 1400, height: 1000 } });
  const page = await context.newPage();
  const consoleErrors = [];
  const requests = [];
  page.on("console", (m) => { if (m.type() === "error") consoleErrors.push(m.text()); });
  page.on("pageerror", (e) => consoleErrors.push(String(e)));
  page.on("request", (r) => { if (!r.url().startsWith("file:") && !r.url().startsWith("data:")) requests.push(r.url()); });
  await page.goto("file://" + file, { waitUntil: "load" });
  const result = await page.evaluate(() => {
    const imgs = [...document.images];
    return {
      images: imgs.length,
      broken: imgs.filter((i) => !i.complete || i.naturalWidth === 0).map((i) => i.alt),
      tables: document.querySelectorAll("table").length,
      title: document.title,
      firstHeading: document.querySelector("h2")?.id ?? "",
      firstAfterTitle: document.querySelector("h1 ~ h2")?.id ?? "",
      pageWidth: document.documentElement.scrollWidth,
      viewportWidth: window.innerWidth,
      overflowing: [...document.querySelectorAll("div.scroll")]
        .filter((d) => d.scrollWidth > d.clientWidth).map((d) => d.getAttribute("aria-label")),
    };
  });
  console.log(JSON.stringify({ ...result, consoleErrors, requests }));
} finally {
  clearTimeout(timer);
  await browser.close();
}
