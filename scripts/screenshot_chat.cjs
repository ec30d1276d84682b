// Takes docs/chat_page.png: a short conversation on the local chat page.
// Needs a running Relay (`make run`), Debian's chromium and playwright-core:
//   npm install --prefix /tmp/pw playwright-core && NODE_PATH=/tmp/pw/node_modules node scripts/screenshot_chat.cjs
const { chromium } = require("playwright-core");

(async () => {

const url = process.env.RELAY_URL || "http://localhost:5005/webhooks/chat/?sender=web-maya";
const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM || "/usr/bin/chromium",
  args: ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--no-first-run"],
});
const page = await browser.newPage({ viewport: { width: 720, height: 900 } });
await page.goto(url);

async function say(text) {
  const before = await page.locator(".msg.bot").count();
  await page.fill("#text", text);
  await page.press("#text", "Enter");
  await page.waitForFunction((n) => document.querySelectorAll(".msg.bot").length > n, before);
}

await say("hi!");
await say("where is my order?");
const before = await page.locator(".msg.bot").count();
await page.locator(".buttons button").nth(1).click();
await page.waitForFunction((n) => document.querySelectorAll(".msg.bot").length > n, before);
await say("can I still cancel it?");
await page.screenshot({ path: "docs/chat_page.png" });
await browser.close();
})();
