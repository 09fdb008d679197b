// Opens a report in headless Chromium (1400x1000), offline, reads the
// front page's ranking, changes the what-if form step by step and prints
// one JSON line: {"initial":{...},"sameAsGo":bool,"steps":[{"name","rows":[...],"text"}],
// "consoleErrors":[...],"requests":[...]}. Each row is {key,feasible,servers}.
// Usage: node front.mjs /abs/path/report.html CHROMIUM [SCREENSHOT.png]
import { chromium } from "playwright-core";

const [file, exe, shot] = process.argv.slice(2);
if (!file || !exe) {
  console.error("usage: node front.mjs REPORT.html CHROMIUM [SCREENSHOT.png]");
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
  if (shot) await page.screenshot({ path: shot });
  const rows = () => page.evaluate(() => ({
    rows: [...document.querySelectorAll("#advice-rows tr")].map((tr) => ({
      key: tr.dataset.key || "", feasible: tr.dataset.feasible || "",
      servers: tr.dataset.servers === "-" || !tr.dataset.servers ? 0 : Number(tr.dataset.servers),
    })),
    text: document.getElementById("advice-rows").innerText,
  }));
  const front = await page.evaluate(() => {
    const f = window.pushbenchFront;
    if (!f) return null;
    return {
      sameAsGo: f.sameAsGo, error: f.initial.error,
      rows: f.initial.rows.map((r) => ({ key: r.key, feasible: r.feasible, servers: r.servers })),
    };
  });
  const steps = [{ name: "loaded", ...(await rows()) }];
  const clients = Number(await page.inputValue("input[name=clients]"));
  await page.fill("input[name=clients]", String(clients * 100));
  steps.push({ name: "clients x100", ...(await rows()) });
  await page.check("input[name=tls]");
  steps.push({ name: "clients x100, tls", ...(await rows()) });
  await page.fill("input[name=tabs]", "8");
  steps.push({ name: "clients x100, tls, 8 tabs", ...(await rows()) });
  await page.click("#whatif-reset");
  steps.push({ name: "reset", ...(await rows()) });
  console.log(JSON.stringify({ front, steps, consoleErrors, requests }));
} finally {
  clearTimeout(timer);
  await browser.close();
}
