// The website's form and the sales inbox in a real browser (issue 7): Debian's Chromium, headless,
// driven by playwright-core, against the debug binary with a fresh PostgreSQL database and the
// aiosmtpd sink. Run by tests/browser/run (part of scripts/test). Screenshots go to docs/.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { spawn, execFileSync } from "node:child_process";
import { createInterface } from "node:readline";
import { mkdtempSync, readdirSync, readFileSync, mkdirSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, dirname } from "node:path";
import { fileURLToPath } from "node:url";
import { createServer } from "node:net";
import { chromium } from "playwright-core";

const root = join(dirname(fileURLToPath(import.meta.url)), "..", "..");
const binary = process.env.INQUIRY_DESK_BIN || join(root, "target", "debug", "inquiry-desk");
const chromiumPath = process.env.CHROMIUM || "/usr/bin/chromium";
const admin = process.env.TEST_DATABASE_URL || "postgres://postgres@127.0.0.1:5432/postgres";
const shots = join(root, "docs", "screenshots");

let service, sink, browser, base, key, mailDir;
const serviceLog = [];

function freePort() {
  return new Promise((resolve) => {
    const server = createServer();
    server.listen(0, "127.0.0.1", () => {
      const { port } = server.address();
      server.close(() => resolve(port));
    });
  });
}

function databaseUrl() {
  const url = new URL(admin);
  url.pathname = `/test_browser_${process.pid}_${Date.now()}`;
  return url.toString();
}

async function waitReady(url) {
  for (let i = 0; i < 600; i++) {
    try {
      const response = await fetch(`${url}/readyz`);
      if (response.status === 200) return;
    } catch {}
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`service not ready:\n${serviceLog.join("")}`);
}

before(async () => {
  mailDir = mkdtempSync(join(tmpdir(), "inquiry-desk-browser-mail-"));
  sink = spawn("python3", [join(root, "tests/support/smtp_sink.py"), mailDir, "0"], { stdio: ["ignore", "pipe", "inherit"] });
  const smtpPort = await new Promise((resolve, reject) => {
    createInterface({ input: sink.stdout }).once("line", (line) => resolve(Number(line.replace("PORT ", ""))));
    sink.once("exit", () => reject(new Error("SMTP sink did not start (pip install aiosmtpd)")));
  });
  const port = await freePort();
  base = `http://127.0.0.1:${port}`;
  const env = {
    ...process.env,
    DATABASE_URL: databaseUrl(),
    INQUIRY_DESK__SERVER__PORT: String(port),
    INQUIRY_DESK__SERVER__PUBLIC_BASE_URL: base,
    INQUIRY_DESK__NOTIFY__DEFAULT_RECIPIENTS: "sales@example.cn",
    INQUIRY_DESK__NOTIFY__SMTP__HOST: "127.0.0.1",
    INQUIRY_DESK__NOTIFY__SMTP__PORT: String(smtpPort),
    INQUIRY_DESK__NOTIFY__SMTP__TLS: "none",
    INQUIRY_DESK__INTAKE__MIN_FILL_TIME: "0s",
    INQUIRY_DESK__INTAKE__RATE_LIMIT_PER_MINUTE: "0",
    INQUIRY_DESK__LOG__FORMAT: "json",
    // A partner webhook nobody listens to, one attempt: its notifications die, for the retry.
    INQUIRY_DESK__NOTIFY__CHANNELS: JSON.stringify([{ name: "crm", kind: "webhook",
      webhook_url: "http://127.0.0.1:9/hooks", secret: "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw" }]),
    INQUIRY_DESK__NOTIFY__DEFAULT_CHANNELS: "crm",
    INQUIRY_DESK__NOTIFY__MAX_ATTEMPTS: "1",
  };
  delete env.APP_ENV;
  service = spawn(binary, ["serve"], { env, stdio: ["ignore", "pipe", "pipe"] });
  service.stdout.on("data", (d) => serviceLog.push(d.toString()));
  service.stderr.on("data", (d) => serviceLog.push(d.toString()));
  await waitReady(base);
  key = execFileSync(binary, ["keys", "create", "--name", "王经理", "--role", "admin"], { env }).toString().trim();
  assert.match(key, /^idk_[0-9a-f]{64}$/);
  // An earlier inquiry from the visitor who will use the form, on another article.
  await post({ phone: "13912345678", contact: "赵总", article_url: "https://www.example.cn/articles/7", article_title: "前海写字楼" });
  browser = await chromium.launch({ executablePath: chromiumPath, args: ["--no-sandbox"] });
  mkdirSync(shots, { recursive: true });
});

after(async () => {
  await browser?.close();
  service?.kill("SIGTERM");
  sink?.kill();
  rmSync(mailDir, { recursive: true, force: true });
});

/** Console errors and CSP violations of a page: none are expected, except the browser's own
 * note of the 422 and 401 answers the tests provoke on purpose. */
function watch(page) {
  const problems = [];
  const provoked = /^Failed to load resource: the server responded with a status of (422|401)/;
  page.on("console", (m) => { if (m.type() === "error" && !provoked.test(m.text())) problems.push(m.text()); });
  page.on("pageerror", (e) => problems.push(e.message));
  return problems;
}

let leadId;

/** The base64 parts of a MIME message, decoded. */
function decodedParts(raw) {
  const parts = [];
  const re = /Content-Transfer-Encoding: base64\r?\n(?:[^\r\n]+\r?\n)*\r?\n([A-Za-z0-9+/=\r\n]+)/g;
  for (const m of raw.matchAll(re)) parts.push(Buffer.from(m[1].replace(/\s/g, ""), "base64").toString("utf8"));
  return parts;
}

test("the embedded form checks as the visitor types, shows the server's errors and thanks", async () => {
  const context = await browser.newContext({ viewport: { width: 1200, height: 1500 }, locale: "zh-CN" });
  const page = await context.newPage();
  const problems = watch(page);
  // The form's posts carry an Idempotency-Key per content: a changed body gets a new one.
  const keys = [];
  page.on("request", (r) => {
    if (r.method() === "POST" && r.url().endsWith("/api/v1/inquiries")) keys.push(r.headers()["idempotency-key"]);
  });
  const demo = await page.goto(`${base}/embed/demo?utm_source=wechat&utm_campaign=e2e`);
  assert.match(demo.headers()["content-security-policy"], /script-src 'self'/);
  const form = page.locator("form[data-inquiry-desk]");
  await form.locator("[name=need]").fill("求租宝安区单层厂房 2000 平方米，层高 8 米，带 10 吨行车");
  await form.locator("[name=use]").fill("精密电子组装");
  await form.locator("[name=tax]").fill("年纳税约 500 万元");
  await form.locator("[name=company]").fill("深圳市华信精密电子有限公司");
  await form.locator("[name=contact]").fill("赵总");
  // Typed with a Chinese input method in full-width mode: the form and the server fold it.
  await form.locator("[name=email]").fill("zhao＠huaxin.example.cn");
  await form.locator("[name=wechat]").fill("微信同号");

  // A wrong phone: the Chinese message appears beside the field as soon as it is left.
  await form.locator("[name=phone]").fill("12345");
  await form.locator("[name=email]").focus();
  const phoneError = form.locator("#idk-phone-error");
  await phoneError.waitFor();
  assert.equal(await phoneError.textContent(), "请输入有效的手机号码");
  await form.screenshot({ path: join(shots, "form-desktop.png") });

  // One the browser lets through but the server refuses: its message is shown the same way.
  await form.locator("[name=phone]").fill("+86 1234567");
  await form.locator("button[type=submit]").click();
  await page.waitForFunction(() => document.querySelector(".idk-status")?.textContent.includes("请修改"));
  assert.equal(await phoneError.textContent(), "请输入有效的手机号码");
  assert.equal(await page.locator(".idk-thanks").count(), 0);

  // Fixed, pasted from a contact card: bidi marks around it and en dashes inside.
  await form.locator("[name=phone]").fill("\u202a+86 139–1234–5678\u202c");
  await form.locator("[name=email]").focus();
  assert.equal(await phoneError.textContent(), "", "the form accepts what the server accepts");
  await form.locator("button[type=submit]").click();
  await page.locator(".idk-thanks").waitFor();
  assert.match(await page.locator(".idk-thanks").textContent(), /感谢您的咨询/);
  assert.equal(keys.length, 2);
  for (const k of keys) assert.match(k, /^form-[0-9a-f]{32}$/);
  assert.notEqual(keys[0], keys[1], "the corrected phone is another submission");
  assert.deepEqual(problems, []);
  await context.close();

  // Stored with the page it came from and its UTM, and mailed to sales.
  const list = await (await fetch(`${base}/api/v1/inquiries?q=${encodeURIComponent("华信精密")}`, {
    headers: { Authorization: `Bearer ${key}` },
  })).json();
  assert.equal(list.items.length, 1);
  const lead = list.items[0];
  leadId = lead.id;
  assert.equal(lead.phone, "+8613912345678");
  assert.equal(lead.email, "zhao@huaxin.example.cn");
  assert.equal(lead.wechat, "+8613912345678", "微信同号 is the phone");
  assert.equal(lead.attribution.utm_source, "wechat");
  assert.match(lead.article.url, /\/embed\/demo/);
  assert.match(lead.article.title, /厂房出租/);
  const link = `${base}/inbox#/inquiries/${leadId}`;
  const mailed = () => readdirSync(mailDir)
    .map((f) => readFileSync(join(mailDir, f), "utf8"))
    .filter((raw) => decodedParts(raw).some((part) => part.includes(link)));
  for (let i = 0; i < 100 && mailed().length === 0; i++) await new Promise((r) => setTimeout(r, 100));
  assert.equal(mailed().length, 1, "one mail, linking to the lead in the inbox");
});

test("the form fits a phone-sized screen and works without JavaScript", async () => {
  const phone = await browser.newContext({ viewport: { width: 375, height: 900 }, deviceScaleFactor: 2, isMobile: true, hasTouch: true });
  const page = await phone.newPage();
  await page.goto(`${base}/embed/demo`);
  const form = page.locator("form[data-inquiry-desk]");
  const box = await form.boundingBox();
  assert.ok(box.width <= 375, `the form is ${box.width}px wide`);
  const widest = await page.evaluate(() => document.documentElement.scrollWidth);
  assert.ok(widest <= 375, `the page scrolls sideways (${widest}px)`);
  await form.screenshot({ path: join(shots, "form-phone.png") });
  await phone.close();

  const noScript = await browser.newContext({ javaScriptEnabled: false });
  const plain = await noScript.newPage();
  await plain.goto(`${base}/embed/demo`);
  await plain.fill("[name=need]", "求租仓库 3000 平方米");
  await plain.fill("[name=contact]", "钱经理");
  await plain.fill("[name=phone]", "13812345678");
  await Promise.all([plain.waitForURL(`${base}/thanks`), plain.click("button[type=submit]")]);
  assert.match(await plain.textContent("h1"), /感谢您的咨询/);
  await noScript.close();
});

test("on a host the service does not let scripts reach, the form is sent as a plain form post", async () => {
  // What a browser sees when the page's host is not one the service's CORS allows: the
  // script's requests fail while the network is up. The lead must still arrive, once.
  const context = await browser.newContext();
  const page = await context.newPage();
  const blocked = (route) =>
    route.request().resourceType() === "fetch" ? route.abort("failed") : route.continue();
  await page.route("**/api/v1/form-token", blocked);
  await page.route("**/api/v1/inquiries", blocked);
  await page.goto(`${base}/embed/demo`);
  const form = page.locator("form[data-inquiry-desk]");
  await form.locator("[name=need]").fill("求租龙华区厂房 1500 平方米");
  await form.locator("[name=contact]").fill("周经理");
  await form.locator("[name=phone]").fill("13922223333");
  await Promise.all([page.waitForURL(`${base}/thanks`), form.locator("button[type=submit]").click()]);
  assert.match(await page.textContent("h1"), /感谢您的咨询/);
  await context.close();
  const list = await (await fetch(`${base}/api/v1/inquiries?phone=13922223333`, {
    headers: { Authorization: `Bearer ${key}` },
  })).json();
  assert.equal(list.items.length, 1, "stored once");
  assert.equal(list.items[0].status, "new", "a person's lead, not spam");
});

test("a form left open for more than a day still files a real lead", async () => {
  // The fill-time token is 24 hours good; a tab left open overnight sends none rather than an
  // expired one (which the server would file as a bot's).
  const context = await browser.newContext();
  const page = await context.newPage();
  await page.goto(`${base}/embed/demo`);
  const form = page.locator("form[data-inquiry-desk]");
  await page.waitForFunction(() => document.querySelector("form[data-inquiry-desk]").elements._ts.value !== "");
  // The token arrived 25 hours ago (as the page's clock tells it).
  await page.evaluate(() => {
    document.querySelector("form[data-inquiry-desk]").idkTokenAt = Date.now() - 25 * 3600 * 1000;
  });
  const sent = [];
  page.on("request", (r) => {
    if (r.method() === "POST" && r.url().endsWith("/api/v1/inquiries")) sent.push(JSON.parse(r.postData()));
  });
  await form.locator("[name=need]").fill("求租光明区仓库 800 平方米");
  await form.locator("[name=contact]").fill("吴小姐");
  await form.locator("[name=phone]").fill("13933334444");
  await form.locator("button[type=submit]").click();
  await page.locator(".idk-thanks").waitFor();
  await context.close();
  assert.equal(sent.length, 1);
  assert.equal(sent[0]._ts, "", "no token rather than an expired one");
  const list = await (await fetch(`${base}/api/v1/inquiries?phone=13933334444`, {
    headers: { Authorization: `Bearer ${key}` },
  })).json();
  assert.equal(list.items.length, 1);
  assert.equal(list.items[0].status, "new");
});

/** Posts an inquiry through the public API, as another page's form would. */
async function post(fields) {
  const response = await fetch(`${base}/api/v1/inquiries`, {
    method: "POST",
    headers: { "Content-Type": "application/json", Accept: "application/json" },
    body: JSON.stringify({ need: "求租仓库", contact: "孙经理", ...fields }),
  });
  assert.ok(response.status === 201, `status ${response.status}`);
  return (await response.json()).id;
}

test("the inbox signs in, finds the lead, moves it to contacted and adds a note", async () => {
  assert.ok(leadId, "the form test created a lead");
  // Enough leads for two pages.
  for (let i = 0; i < 31; i++) await post({ phone: `1370000${String(i).padStart(4, "0")}` });
  const context = await browser.newContext({ viewport: { width: 1280, height: 1250 }, locale: "zh-CN" });
  const page = await context.newPage();
  const problems = watch(page);
  // The link from the notification email opens the lead after sign-in.
  const response = await page.goto(`${base}/inbox#/inquiries/${leadId}`);
  const csp = response.headers()["content-security-policy"];
  assert.match(csp, /script-src 'self'/);
  assert.doesNotMatch(csp, /unsafe-inline/);
  assert.match(csp, /frame-ancestors 'none'/);
  assert.equal(response.headers()["x-frame-options"], "DENY");

  await page.fill("#key", `idk_${"0".repeat(64)}`);
  await page.click("#signin-form button");
  await page.waitForFunction(() => document.getElementById("signin-error").textContent.includes("密钥无效"));

  await page.fill("#key", key);
  await page.click("#signin-form button");
  await page.locator("#detail h2").waitFor();
  assert.match(await page.textContent("#detail h2"), /赵总/);
  assert.equal(await page.getAttribute(`#detail a[href^="tel:"]`, "href"), "tel:+8613912345678");
  assert.match(await page.textContent("#detail"), /约 500 万元\/年/);

  // The earlier inquiry from the same phone (posted before the form test) is listed.
  assert.match(await page.textContent("#detail"), /该手机号的其他咨询/);
  // The fields carry the labels of the server's field catalogue.
  const labels = await page.locator("#detail dt").allTextContents();
  for (const label of ["需求", "联系人", "手机号", "邮箱"]) assert.ok(labels.includes(label), `${label} in ${labels}`);
  assert.match(await page.textContent("#detail .related"), /前海写字楼/);

  // Assignee.
  await page.fill("#assignee", "李娜");
  await page.click("#detail form.row button");
  await page.waitForFunction(() => document.getElementById("timeline")?.textContent.includes("负责人：李娜"));

  // "Load more" fetches the next keyset page.
  await page.locator("#list li").nth(29).waitFor();
  assert.equal(await page.locator("#list li").count(), 30);
  assert.equal(await page.isVisible("#more"), true);
  await page.click("#more");
  await page.waitForFunction(() => document.querySelectorAll("#list li").length > 30);

  // Admins export what the filters select.
  await page.click('#tabs button[data-status="new"]');
  const [download] = await Promise.all([page.waitForEvent("download"), page.click("#export")]);
  assert.equal(download.suggestedFilename(), "inquiries.csv");
  const csv = readFileSync(await download.path(), "utf8");
  assert.match(csv, /联系人/);
  assert.match(csv, /孙经理/);
  await page.click('#tabs button[data-status=""]');

  // Search finds it; the list shows it newest first.
  await page.fill("#q", "华信");
  await page.waitForFunction(() => document.querySelectorAll("#list li").length === 1);
  assert.match(await page.textContent("#list li"), /赵总/);

  // Only the allowed moves are offered.
  const moves = await page.$$eval("#detail .actions button", (b) => b.map((x) => x.dataset.status));
  assert.deepEqual(moves.sort(), ["contacted", "lost", "qualified", "spam"]);
  await page.click('#detail .actions button[data-status="contacted"]');
  await page.waitForFunction(() => document.getElementById("status")?.textContent === "已联系");

  await page.fill("#note", "已电话联系，约周五看厂");
  await page.click(".note-form button");
  await page.waitForFunction(() => document.getElementById("timeline")?.textContent.includes("约周五看厂"));
  const timeline = await page.textContent("#timeline");
  assert.match(timeline, /状态：新线索 → 已联系/);
  assert.match(timeline, /备注：已电话联系，约周五看厂/);
  assert.match(timeline, /王经理/);

  // The key lives in this tab's session only.
  const storage = await page.evaluate(() => [localStorage.length, sessionStorage.getItem("inquiry-desk.key") !== null, document.cookie]);
  assert.deepEqual(storage, [0, true, ""]);
  assert.equal(await page.isVisible("#export"), true, "admins get the export button");
  assert.equal(await page.isVisible("#more"), false, "one match: nothing more to load");
  await page.evaluate(() => window.scrollTo(0, 0));
  await page.screenshot({ path: join(shots, "inbox.png") });
  assert.deepEqual(problems, []);

  // Stored through the API, not only on screen.
  const detail = await (await fetch(`${base}/api/v1/inquiries/${leadId}`, { headers: { Authorization: `Bearer ${key}` } })).json();
  assert.equal(detail.status, "contacted");
  assert.ok(detail.timeline.some((e) => e.kind === "note" && e.data.body === "已电话联系，约周五看厂"));
  await context.close();
});

test("a network failure is reported in Chinese", async () => {
  const context = await browser.newContext();
  const page = await context.newPage();
  await page.goto(`${base}/inbox`);
  await page.evaluate((k) => sessionStorage.setItem("inquiry-desk.key", k), key);
  await page.reload();
  await page.locator("#list li").first().waitFor();
  await context.setOffline(true);
  await page.fill("#q", "断网");
  await page.waitForFunction(() => document.getElementById("banner")?.textContent.includes("网络连接失败"));
  await context.close();
});

test("a lead opened by a repeat's receipt pages its long timeline and lists its notifications", async () => {
  const phone = "13566667777";
  const first = await post({ phone, need: "求租厂房5000平方米" });
  let receipt;
  // 110 repeats: more than one timeline page (100 events).
  for (let i = 0; i < 110; i++) receipt = await post({ phone, need: "求租厂房5000平方米" });
  assert.notEqual(receipt, first, "a repeat has a receipt of its own");
  const context = await browser.newContext({ viewport: { width: 1280, height: 900 }, locale: "zh-CN" });
  const page = await context.newPage();
  const problems = watch(page);
  await page.goto(`${base}/inbox`);
  await page.evaluate((k) => sessionStorage.setItem("inquiry-desk.key", k), key);
  await page.goto(`${base}/inbox#/inquiries/${receipt}`);
  await page.reload();
  await page.locator("#timeline li").nth(99).waitFor();
  assert.equal(await page.locator("#timeline li").count(), 100);
  assert.match(await page.textContent("#detail"), /提交次数\s*111/);
  assert.match(await page.textContent("#notifications"), /新询盘通知 → sales@example\.cn/);
  await page.click("#timeline-more");
  await page.waitForFunction(() => document.querySelectorAll("#timeline li").length > 100);
  const events = await page.locator("#timeline li").count();
  const detail = await (await fetch(`${base}/api/v1/inquiries/${first}`, { headers: { Authorization: `Bearer ${key}` } })).json();
  assert.equal(detail.id, first);
  assert.ok(events >= 111, `${events} events on screen`);
  assert.equal(await page.isVisible("#timeline-more"), false, "the last page has no button");
  assert.match(await page.textContent("#timeline"), /同一访客再次提交（第 110 次），内容未保留/);
  assert.deepEqual(problems, []);
  await context.close();
});

test("the API docs page renders under its Content-Security-Policy", async () => {
  const context = await browser.newContext();
  const page = await context.newPage();
  const problems = watch(page);
  const violations = [];
  page.on("console", (m) => { if (/Content Security Policy/i.test(m.text())) violations.push(m.text()); });
  const response = await page.goto(`${base}/api/v1/docs/`);
  assert.match(response.headers()["content-security-policy"], /frame-ancestors 'none'/);
  await page.locator(".swagger-ui .info .title").waitFor({ timeout: 15000 });
  assert.match(await page.textContent(".swagger-ui .info .title"), /inquiry-desk/i);
  await page.locator(".opblock-summary-path").first().waitFor();
  assert.ok(await page.locator(".opblock").count() > 20, "every operation is listed");
  assert.deepEqual(violations, []);
  assert.deepEqual(problems, []);
  // Framed by another origin, it does not render.
  const framer = await context.newPage();
  const blocked = [];
  framer.on("console", (m) => blocked.push(m.text()));
  await framer.setContent(`<iframe src="${base}/api/v1/docs/"></iframe>`);
  await framer.waitForTimeout(1000);
  const framed = framer.frames().find((f) => f.url().includes("/api/v1/docs/"));
  const rendered = framed ? await framed.locator(".swagger-ui").count().catch(() => 0) : 0;
  assert.equal(rendered, 0, "the docs page refuses to be framed");
  await context.close();
});

test("an admin sees each channel's notification and sends a dead one again", async () => {
  const id = await post({ phone: "13700001111", need: "求租仓库1000平方米" });
  const context = await browser.newContext({ viewport: { width: 1280, height: 900 }, locale: "zh-CN" });
  const page = await context.newPage();
  const problems = watch(page);
  await page.goto(`${base}/inbox`);
  await page.evaluate((k) => sessionStorage.setItem("inquiry-desk.key", k), key);
  // The worker tries the webhook once (nothing listens): dead.
  for (let i = 0; i < 50; i++) {
    await page.goto(`${base}/inbox#/inquiries/${id}`);
    await page.reload();
    await page.locator("#notifications").waitFor();
    if (/「crm」：发送失败/.test(await page.textContent("#notifications"))) break;
    await new Promise((r) => setTimeout(r, 200));
  }
  const notices = await page.textContent("#notifications");
  assert.match(notices, /新询盘通知 → sales@example\.cn/);
  assert.match(notices, /新询盘通知 → 群机器人\/Webhook「crm」：发送失败，尝试 1 次，could not connect/);
  await page.click("#notifications button.retry");
  await page.waitForFunction(() => document.getElementById("timeline")?.textContent.includes("重新发送：群机器人/Webhook「crm」"));
  assert.match(await page.textContent("#timeline"), /上次失败：could not connect/);
  assert.deepEqual(problems, []);
  await context.close();
});
