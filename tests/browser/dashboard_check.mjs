// Drives the mdefleet dashboard in Debian's headless Chromium and checks what
// an operator relies on (docs/testing.md, "Browser test"):
//   - a wrong token is refused with a message and the form asks again; the
//     right one is kept in sessionStorage only (not localStorage, not the URL);
//   - the fleet summary shows the devices;
//   - the running job's progress advances without a page reload, and its
//     failing step is named;
//   - the device whose hostname is an HTML/JS injection string shows it as
//     literal text, with nothing injected (no element, no script run, no
//     dialog, no CSP violation);
//   - the page shows a banner while the server is unreachable, and recovers;
//   - no request leaves the server's origin or asks for an unexpected path;
//   - no console error and no uncaught exception.
// It saves full-page screenshots of the fleet view (--screenshot PATH) and of
// the job and device views beside it (PATH-job.png, PATH-device.png).
//
//   node tests/browser/dashboard_check.mjs --url http://127.0.0.1:PORT
//       --token TOKEN --job-id ID --xss-hostname STRING --screenshot PATH
//       [--expect-failing-step NAME] [--chromium /usr/bin/chromium]
//       [--timeout-seconds 90]
//
// Exits 0 when every check passed; otherwise prints "dashboard check FAILED:
// <what>" with the page's console and request log, and exits 1 (2 for bad
// arguments).
import path from 'node:path';
import {parseArgs} from 'node:util';

let chromium;
try {
  ({chromium} = await import('playwright-core'));
} catch (e) {
  console.error('dashboard check FAILED: playwright-core is not installed; ' +
                'run `npm ci` in tests/browser (' + e.message + ')');
  process.exit(2);
}

function usage(message) {
  console.error(`dashboard_check: ${message}\n` +
      'usage: node dashboard_check.mjs --url URL --token TOKEN --job-id ID ' +
      '--xss-hostname STRING --screenshot PATH [--expect-failing-step NAME] ' +
      '[--chromium PATH] [--timeout-seconds N]');
  process.exit(2);
}

let opts;
try {
  ({values: opts} = parseArgs({
    options: {
      'url': {type: 'string'},
      'token': {type: 'string'},
      'job-id': {type: 'string'},
      'xss-hostname': {type: 'string'},
      'screenshot': {type: 'string'},
      'expect-failing-step': {type: 'string'},
      'chromium': {type: 'string', default: '/usr/bin/chromium'},
      'timeout-seconds': {type: 'string', default: '90'},
    },
  }));
} catch (e) {
  usage(e.message);
}
for (const required of ['url', 'token', 'job-id', 'xss-hostname', 'screenshot']) {
  if (!opts[required]) usage(`--${required} is required`);
}
const TIMEOUT_MS = Number(opts['timeout-seconds']) * 1000;
if (!(TIMEOUT_MS > 0)) usage('--timeout-seconds must be a positive number');
let base;
try {
  base = new URL(opts.url);
} catch (e) {
  usage(`--url: ${e.message}`);
}
const JOB_ID = opts['job-id'];
const XSS = opts['xss-hostname'];
const SHOT = path.resolve(opts.screenshot);
const sibling = (suffix) => {
  const ext = path.extname(SHOT) || '.png';
  return SHOT.slice(0, SHOT.length - path.extname(SHOT).length) + suffix + ext;
};

// ---- what the page does, recorded for the final checks
const log = [];
const foreignRequests = [];
const unexpectedRequests = [];
const consoleErrors = [];
const cspMessages = [];
const pageErrors = [];
const dialogs = [];
let outage = false;  // while the check itself cuts the API off
let refusing = false;  // while the check tries a wrong token

const basePath = base.pathname.endsWith('/') ? base.pathname :
    base.pathname.replace(/[^/]*$/, '');
const allowedPaths = new Set(['', 'index.html', 'inert.js', 'app.js', 'style.css']
    .map((p) => basePath + p));

function step(message) {
  const line = `check: ${message}`;
  log.push(line);
  console.log(line);
}

class CheckFailure extends Error {}
function fail(message) {
  throw new CheckFailure(message);
}
const distinct = (list) => [...new Set(list)].join(' | ');

const browser = await chromium.launch({
  executablePath: opts.chromium,
  headless: true,
  // --no-sandbox: CI runs as root, where Chromium refuses its sandbox; the
  // page comes from a test server on loopback.
  args: ['--no-sandbox', '--disable-gpu', '--disable-dev-shm-usage',
         '--no-first-run', '--disable-background-networking'],
});
const context = await browser.newContext({
  viewport: {width: 1366, height: 768},
  serviceWorkers: 'block',
});
const page = await context.newPage();
page.setDefaultTimeout(TIMEOUT_MS);

// CSP violations reported by the page itself (no inline script needed: an
// init script is injected by the DevTools protocol, outside the page's CSP).
await page.addInitScript(() => {
  window.__cspViolations = [];
  document.addEventListener('securitypolicyviolation', (e) => {
    window.__cspViolations.push(`${e.violatedDirective} blocked ${e.blockedURI}`);
  });
});
page.on('request', (req) => {
  const u = new URL(req.url());
  if (u.protocol === 'data:') return;
  if (u.origin !== base.origin) {
    foreignRequests.push(req.url());
  } else if (!allowedPaths.has(u.pathname) &&
             !u.pathname.startsWith(basePath + 'api/v1/')) {
    unexpectedRequests.push(req.url());
  }
});
page.on('console', (msg) => {
  const text = msg.text();
  if (/Content.Security.Policy|Refused to/i.test(text)) cspMessages.push(text);
  if (msg.type() !== 'error') return;
  // Requests the check aborts on purpose log "Failed to load resource".
  if (outage && /Failed to load resource|ERR_/.test(text)) return;
  // So do the 401 answers to the wrong token the check enters on purpose.
  if (refusing && /Failed to load resource.* 401/.test(text)) return;
  consoleErrors.push(text);
});
page.on('pageerror', (err) => pageErrors.push(String(err)));
page.on('dialog', async (d) => {
  dialogs.push(`${d.type()}: ${d.message()}`);
  await d.dismiss().catch(() => {});
});

const testid = (id) => `[data-testid="${id}"]`;

// Nothing from the injection string may have become markup or code.
async function assertNothingInjected(where) {
  const found = await page.evaluate(() => {
    const problems = [];
    if (window.pwned !== undefined) problems.push(`window.pwned = ${window.pwned}`);
    if (document.querySelector('img[src="x"], img')) problems.push('an <img> element');
    if (document.querySelector('#pwned')) problems.push('an element #pwned');
    const scripts = [...document.scripts].map((s) => s.getAttribute('src') || 'inline');
    if (scripts.length !== 2 || !/(^|\/)inert\.js$/.test(scripts[0]) ||
        !/(^|\/)app\.js$/.test(scripts[1])) {
      problems.push(`scripts: ${scripts.join(', ')}`);
    }
    for (const el of document.querySelectorAll('*')) {
      for (const a of el.getAttributeNames()) {
        if (a.toLowerCase().startsWith('on')) problems.push(`<${el.tagName} ${a}>`);
      }
    }
    if ([...document.querySelectorAll('b')].some((b) => b.textContent === 'bold')) {
      problems.push('a <b> element from a label');
    }
    return problems;
  });
  if (found.length) fail(`injected markup on the ${where} view: ${found.join('; ')}`);
  if (cspMessages.length) {
    fail(`CSP violation on the ${where} view (the page tried to run or load ` +
         `something it must not): ${distinct(cspMessages)}`);
  }
}

// Waits until `fn(arg)` holds in the page. On a timeout, reports injected
// markup first when there is some (the likelier cause), else `what`.
async function waitUntil(what, fn, arg) {
  try {
    await page.waitForFunction(fn, arg);
  } catch (e) {
    if (e.name !== 'TimeoutError') throw e;
    await assertNothingInjected('current');
    fail(`timed out after ${TIMEOUT_MS / 1000} s waiting until ${what}`);
  }
}

async function readNumber(selector) {
  const text = (await page.locator(selector).first().textContent()) || '';
  const n = Number(text.trim());
  if (!Number.isFinite(n)) fail(`${selector} holds "${text}", not a number`);
  return n;
}

let exitCode = 0;
try {
  step(`opening ${base.href}`);
  await page.goto(base.href, {waitUntil: 'load'});
  await page.locator(testid('login-form')).waitFor({state: 'visible'});

  step('a wrong token is refused and the form asks again');
  refusing = true;
  await page.locator(testid('token-input')).fill('mdf_api_not_a_real_token_0000');
  await page.locator(testid('login-submit')).click();
  await waitUntil('the login form says the token was refused (401)', (sel) => {
    const el = document.querySelector(sel);
    return el && !el.hidden && /401/.test(el.textContent);
  }, testid('login-message'));
  if (!(await page.locator(testid('login-form')).isVisible())) {
    fail('the login form is not shown again after a refused token');
  }
  const kept = await page.evaluate(() => sessionStorage.length);
  if (kept !== 0) fail('a refused token stayed in sessionStorage');
  refusing = false;

  step('the viewer token opens the dashboard');
  await page.locator(testid('token-input')).fill(opts.token);
  await page.locator(testid('login-submit')).click();
  await waitUntil('the fleet summary counts devices', (sel) => {
    const el = document.querySelector(sel);
    return el && Number(el.textContent) > 0;
  }, testid('summary-total'));
  const storage = await page.evaluate((token) => ({
    session: Object.values(sessionStorage).includes(token),
    local: localStorage.length,
    inUrl: location.href.includes(token),
  }), opts.token);
  if (!storage.session) fail('the token is not kept in sessionStorage');
  if (storage.local !== 0) fail('the page wrote to localStorage');
  if (storage.inUrl) fail('the token is in the URL');
  const total = await readNumber(testid('summary-total'));
  const cells = await page.$$eval(`${testid('summary-cell')}[data-count]`,
      (els) => els.map((e) => Number(e.getAttribute('data-count'))));
  const inCells = cells.reduce((a, b) => a + b, 0);
  if (inCells === 0) fail('the summary matrix shows no devices');
  step(`summary shows ${total} devices`);

  step(`the running job ${JOB_ID} is listed with a progress bar`);
  const card = page.locator(`${testid('job-card')}[data-job-id="${JOB_ID}"]`);
  await card.waitFor({state: 'visible'});
  if ((await card.locator(`${testid('job-progress')} .seg`).count()) === 0) {
    fail('the job card has an empty progress bar');
  }
  // A page reload would drop this marker: progress must come without one.
  await page.evaluate(() => {
    window.__sameDocument = true;
  });

  await card.locator(testid('job-link')).click();
  const detail = page.locator(`${testid('job-detail')}[data-job-id="${JOB_ID}"]`);
  await detail.waitFor({state: 'visible'});
  await detail.locator(testid('job-finished')).waitFor({state: 'visible'});
  if (!(await page.evaluate(() => location.hash)).includes(encodeURIComponent(JOB_ID))) {
    fail('the job view is not linkable: its id is not in the URL hash');
  }

  // Progress: the finished count, read every half second, grows from one
  // read to a later one.
  const finishedSel = `${testid('job-detail')} ${testid('job-finished')}`;
  const first = await readNumber(finishedSel);
  step(`job detail shows ${first} finished task(s); waiting for progress`);
  let previous = first;
  let later = first;
  const progressDeadline = Date.now() + TIMEOUT_MS;
  while (later <= previous) {
    if (Date.now() > progressDeadline) {
      fail(`progress did not advance: ${first} finished tasks for ` +
           `${TIMEOUT_MS / 1000} s`);
    }
    previous = later;
    await page.waitForTimeout(500);
    later = await readNumber(finishedSel);
  }
  if (!(await page.evaluate(() => window.__sameDocument === true))) {
    fail('the page reloaded to show progress');
  }
  step(`progress advanced from ${previous} to ${later} finished without a reload`);

  const expected = opts['expect-failing-step'];
  await waitUntil(`the job view names a failing step ${expected || ''}`, ([sel, name]) => {
    return [...document.querySelectorAll(sel)].some(
        (e) => (name ? e.textContent === name : e.textContent.trim() !== ''));
  }, [`${testid('job-detail')} ${testid('failing-step-name')}`, expected || '']);
  const failing = await page.$$eval(`${testid('job-detail')} ${testid('failing-step-name')}`,
                                    (els) => els.map((e) => e.textContent));
  step(`failing step(s) shown: ${failing.join(', ')}`);

  step('the injection hostname is a task row as text');
  await waitUntil('a task row of the job shows the injection hostname as text',
      ([sel, xss]) => [...document.querySelectorAll(sel)].some((e) => e.textContent === xss),
      [`${testid('job-detail')} ${testid('task-hostname')}`, XSS]);
  await assertNothingInjected('job');
  await page.screenshot({path: sibling('-job'), fullPage: true});

  step('device text is inert: controls and bidi overrides show as escapes');
  // inert.js loaded under the page's CSP; no text node of the page holds a
  // raw control, C1, U+2028/U+2029 or bidi character.
  const inerted = await page.evaluate(
      () => globalThis.mdefleetInert.inert('a\u202eb\x1b[2J\r\n\u0085'));
  if (inerted !== 'a\\u202eb\\x1b[2J\\r\\n\\u0085') {
    fail(`inert() in the page gave ${JSON.stringify(inerted)}`);
  }
  const raw = await page.evaluate(() => {
    const bad = /[\u0000-\u0008\u000b-\u001f\u007f-\u009f\u2028\u2029\u202a-\u202e\u2066-\u2069\u200e\u200f\u061c]/;
    const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
    for (let n = walker.nextNode(); n; n = walker.nextNode()) {
      if (bad.test(n.data)) return n.data;
    }
    return null;
  });
  if (raw !== null) fail(`a raw control character in the page: ${JSON.stringify(raw)}`);

  step('an unreachable server shows the error banner, then recovers');
  outage = true;
  await page.route('**/api/v1/**', (route) => route.abort('connectionrefused'));
  await page.locator(testid('error-banner')).waitFor({state: 'visible', timeout: 15000});
  const banner = await page.locator(testid('error-banner')).textContent();
  if (!/reach/i.test(banner)) fail(`the banner says "${banner}"`);
  await page.unroute('**/api/v1/**');
  await page.locator(testid('error-banner')).waitFor({state: 'hidden', timeout: 15000});
  outage = false;
  const ago = await page.locator(testid('updated-ago')).textContent();
  if (!/updated \d+s ago/.test(ago)) fail(`the freshness note says "${ago}"`);

  step('the devices list and device view show the hostname as text');
  await page.locator(testid('nav-devices')).click();
  await waitUntil('the devices list shows the injection hostname as text',
      ([sel, xss]) => [...document.querySelectorAll(sel)].some((e) => e.textContent === xss),
      [testid('device-hostname-cell'), XSS]);
  await assertNothingInjected('devices');
  const deviceId = await page.evaluate(([sel, xss]) => {
    const cell = [...document.querySelectorAll(sel)].find((e) => e.textContent === xss);
    return cell.closest('[data-device-id]').getAttribute('data-device-id');
  }, [testid('device-hostname-cell'), XSS]);
  await page.locator(`${testid('device-row')}[data-device-id="${deviceId}"] ` +
                     testid('device-hostname-cell')).click();
  await page.locator(`${testid('device-detail')}[data-device-id="${deviceId}"] ` +
                     testid('device-hostname')).waitFor({state: 'visible'});
  const shown = await page.locator(testid('device-hostname')).textContent();
  if (shown !== XSS) fail(`the device view shows "${shown}" instead of the hostname`);
  if ((await page.locator(testid('device-facts')).count()) !== 1) {
    fail('the device view has no facts');
  }
  await assertNothingInjected('device');
  await page.screenshot({path: sibling('-device'), fullPage: true});
  step(`device ${deviceId} shows its hostname literally`);

  step('back to the fleet view for the screenshot');
  await page.locator(testid('nav-home')).click();
  await page.locator(`${testid('job-card')}[data-job-id="${JOB_ID}"]`).waitFor();
  await page.locator(`${testid('summary-total')}`).waitFor();
  await assertNothingInjected('fleet');
  await page.screenshot({path: SHOT, fullPage: true});

  const violations = await page.evaluate(() => window.__cspViolations || []);
  if (violations.length || cspMessages.length) {
    fail(`CSP violations: ${distinct([...violations, ...cspMessages])}`);
  }
  if (dialogs.length) fail(`dialogs opened: ${distinct(dialogs)}`);
  if (foreignRequests.length) {
    fail(`requests left the server's origin: ${distinct(foreignRequests)}`);
  }
  if (unexpectedRequests.length) {
    fail(`unexpected requests: ${distinct(unexpectedRequests)}`);
  }
  if (pageErrors.length) fail(`uncaught exceptions: ${distinct(pageErrors)}`);
  if (consoleErrors.length) fail(`console errors: ${distinct(consoleErrors)}`);
  console.log(`dashboard check passed; screenshots: ${SHOT}, ${sibling('-job')}, ` +
              sibling('-device'));
} catch (e) {
  exitCode = 1;
  const what = e instanceof CheckFailure ? e.message : `${e.name}: ${e.message}`;
  console.error(`dashboard check FAILED: ${what}`);
  console.error(`  url: ${page.url()}`);
  for (const [name, list] of [['console errors', consoleErrors],
                              ['CSP messages', cspMessages],
                              ['uncaught exceptions', pageErrors],
                              ['dialogs', dialogs],
                              ['foreign requests', foreignRequests],
                              ['unexpected requests', unexpectedRequests]]) {
    if (!list.length) continue;
    const counted = new Map();
    for (const item of list) counted.set(item, (counted.get(item) || 0) + 1);
    console.error(`  ${name}:`);
    for (const [item, n] of counted) console.error(`    ${n > 1 ? `${n}× ` : ''}${item}`);
  }
  try {
    const banner = page.locator(testid('error-banner'));
    if (await banner.isVisible()) {
      console.error(`  banner: ${await banner.textContent({timeout: 1000})}`);
    }
    await page.screenshot({path: sibling('-failure'), fullPage: true, timeout: 5000});
    console.error(`  screenshot of the failure: ${sibling('-failure')}`);
  } catch (ignored) {
    // The page may be gone; the message above says why.
  }
} finally {
  await browser.close().catch(() => {});
}
process.exit(exitCode);
