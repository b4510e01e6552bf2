// The web page of `cruddur serve` in headless Chromium (Debian's, driven by playwright-core):
// andrewbrown signs in (development mode), sees the seeded conversation with bayko, opens it and
// sends a message; starts a conversation with londo by handle; londo, signed in beforehand in a
// second browser context, sees it appear without a reload (polling) and replies, and the reply
// shows up on andrewbrown's open conversation. Also: API errors are shown, user text is never
// HTML, and the page breaks no Content-Security-Policy rule; the composers say Ctrl+Enter sends
// (and it does), empty fields show placeholders styled as hints, the open conversation carries
// no unread badge (others do, until opened), and messages of earlier days show date and time.
// Run by tests/web/run.sh with CRUDDUR_URL set to a seeded server; screenshots go to
// ARTIFACTS_DIR (default tests/web/artifacts).
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import {fileURLToPath} from 'node:url';

import {chromium} from 'playwright-core';

const here = path.dirname(fileURLToPath(import.meta.url));
const base = process.env.CRUDDUR_URL;
const artifacts = process.env.ARTIFACTS_DIR || path.join(here, 'artifacts');
const executablePath = process.env.CHROMIUM || '/usr/bin/chromium';
assert.ok(base, 'CRUDDUR_URL must name the server, e.g. http://127.0.0.1:4567');
fs.mkdirSync(artifacts, {recursive: true});

const WAIT = {timeout: 20000};
const problems = [];  // page errors and CSP violations, from every page

let step = 'start';
const log = (text) => {
  step = text;
  console.log(`# ${text}`);
};

async function openPage(browser, name, options = {}) {
  const context = await browser.newContext({viewport: {width: 1200, height: 800}, ...options});
  const page = await context.newPage();
  page.on('pageerror', (e) => problems.push(`${name}: page error: ${e.message}`));
  page.on('console', (m) => {
    if (m.type() === 'error' && !/status of 4\d\d/.test(m.text())) {
      problems.push(`${name}: console error: ${m.text()}`);
    }
  });
  return {context, page};
}

async function signIn(page, handle) {
  await page.goto(`${base}/`);
  await page.locator(`#user-list button[data-handle="${handle}"]`).click();
  await page.locator('#whoami').waitFor({state: 'visible'});
  assert.equal(await page.textContent('#me-name'), `@${handle}`);
}

const group = (page, handle) => page.locator(`#groups li[data-handle="${handle}"]`);
const message = (page, text) => page.locator('#messages li .message-text', {hasText: text});
const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));
const POLL_MS = 2000;  // the page's polling period (web/app.js)

const browser = await chromium.launch({
  executablePath,
  headless: true,
  args: ['--headless=new', '--no-sandbox', '--disable-gpu', '--disable-dev-shm-usage'],
});
const pages = {};
let failed = false;
try {
  const stamp = `${Date.now()}-${Math.floor(Math.random() * 1e6)}`;

  log('andrewbrown signs in and sees the seeded conversation with bayko');
  const andrew = await openPage(browser, 'andrewbrown');
  pages.andrewbrown = andrew.page;
  const a = andrew.page;
  await signIn(a, 'andrewbrown');
  await group(a, 'bayko').waitFor(WAIT);
  assert.match(await group(a, 'bayko').textContent(), /Andrew Bayko/);
  assert.equal(await a.evaluate(() => sessionStorage.getItem('cruddur.handle')), 'andrewbrown');

  log('the new-conversation fields are empty, their placeholders styled as hints, not values');
  for (const id of ['new-handle', 'new-message']) {
    const field = await a.evaluate((id) => {
      const node = document.getElementById(id);
      const value = getComputedStyle(node);
      const hint = getComputedStyle(node, '::placeholder');
      return {value: node.value, placeholder: node.placeholder, valueColor: value.color,
              valueStyle: value.fontStyle, hintColor: hint.color, hintStyle: hint.fontStyle};
    }, id);
    assert.equal(field.value, '', `#${id} starts empty`);
    assert.ok(field.placeholder, `#${id} has a placeholder`);
    assert.equal(field.valueStyle, 'normal', `#${id}: typed text is upright`);
    assert.equal(field.hintStyle, 'italic', `#${id}: its placeholder is italic`);
    assert.notEqual(field.hintColor, field.valueColor, `#${id}: its placeholder is greyed`);
  }
  // A bare handle ("londo") read as one already filled in: the hint says it is an example.
  assert.match(await a.getAttribute('#new-handle', 'placeholder'), /^a handle, e\.g\. @londo$/);

  log('londo signs in (second context) before andrewbrown writes to him');
  const londo = await openPage(browser, 'londo');
  pages.londo = londo.page;
  const l = londo.page;
  await signIn(l, 'londo');
  await l.locator('#groups-empty, #groups li').first().waitFor(WAIT);
  assert.equal(await group(l, 'andrewbrown').count(), 0);
  await l.evaluate(() => { window.notReloaded = true; });  // a reload would clear it

  log('andrewbrown opens the conversation with bayko: messages oldest first');
  await group(a, 'bayko').locator('button').click();
  await a.locator('#conversation-title', {hasText: '@bayko'}).waitFor(WAIT);
  await a.locator('#messages li').first().waitFor(WAIT);
  const seededCount = await a.locator('#messages li').count();
  assert.ok(seededCount > 0);
  const times = await a.locator('#messages li time').evaluateAll(
      (nodes) => nodes.map((n) => Date.parse(n.dateTime)));
  assert.deepEqual(times, [...times].sort((x, y) => x - y), 'messages are oldest first');
  if (await a.locator('#load-older').isVisible()) {
    await a.locator('#load-older').click();
    await a.waitForFunction((n) => document.querySelectorAll('#messages li').length > n,
                            seededCount, WAIT);
  }

  log('the composer says Ctrl+Enter sends, and it does');
  const hint = a.locator('#reply-form .send-hint');
  assert.ok(await hint.isVisible(), 'the hint is shown under the reply box');
  assert.equal((await hint.textContent()).trim(), 'Ctrl+Enter to send');
  assert.match(await a.getAttribute('#reply-send', 'title'), /Ctrl\+Enter/);
  assert.ok(await a.locator('#new-form .send-hint', {hasText: 'Ctrl+Enter to send'}).isVisible());
  const byKey = `Sent with Ctrl+Enter ${stamp}`;
  await a.fill('#reply-text', byKey);
  await a.press('#reply-text', 'Control+Enter');
  await message(a, byKey).waitFor(WAIT);
  assert.equal(await a.inputValue('#reply-text'), '');
  // A message of today shows its time only.
  const todayTime = await a.locator('#messages li').last().locator('time').textContent();
  assert.match(todayTime, /^\d{1,2}:\d{2}(\s?[AP]M)?$/u, `a time of today: ${todayTime}`);

  log('andrewbrown sends a message and sees it');
  const hello = `Hello Bayko from the web test ${stamp}`;
  await a.fill('#reply-text', hello);
  await a.click('#reply-send');
  await message(a, hello).waitFor(WAIT);
  assert.equal(await a.locator('#messages li').last().locator('.message-text').textContent(), hello);
  assert.match(await a.locator('#messages li').last().getAttribute('class'), /mine/);
  assert.equal(await a.inputValue('#reply-text'), '');
  await group(a, 'bayko').locator('.group-text', {hasText: hello}).waitFor(WAIT);
  await a.screenshot({path: path.join(artifacts, 'andrewbrown-sent.png')});

  log('user text stays text');
  const html = `<img src=x onerror="window.injected=1"><b>bold ${stamp}</b>`;
  await a.fill('#reply-text', html);
  await a.click('#reply-send');
  await message(a, `bold ${stamp}`).waitFor(WAIT);
  assert.equal(await message(a, `bold ${stamp}`).textContent(), html);
  assert.equal(await a.locator('#messages img, #messages b').count(), 0);
  assert.equal(await a.evaluate(() => window.injected), undefined);

  log('API errors are shown: unknown handle, yourself, blank');
  await a.fill('#new-handle', `nobody${stamp.slice(-6)}`);
  await a.fill('#new-message', 'anyone there?');
  await a.click('#new-send');
  await a.locator('#error', {hasText: 'There is no user @nobody'}).waitFor(WAIT);
  await a.fill('#new-handle', 'andrewbrown');
  await a.click('#new-send');
  await a.locator('#error', {hasText: 'yourself'}).waitFor(WAIT);
  await a.fill('#new-handle', 'londo');
  await a.fill('#new-message', '   ');
  await a.click('#new-send');
  await a.locator('#error', {hasText: 'Write a message first'}).waitFor(WAIT);

  log('andrewbrown starts a conversation with londo by handle');
  const opener = `Hello Londo, a new conversation ${stamp}`;
  await a.fill('#new-handle', '@londo');
  await a.fill('#new-message', opener);
  await a.click('#new-send');
  await a.locator('#conversation-title', {hasText: '@londo'}).waitFor(WAIT);
  await message(a, opener).waitFor(WAIT);
  await a.locator('#error').waitFor({state: 'hidden', ...WAIT});
  await group(a, 'londo').waitFor(WAIT);

  // From here on, record any unread badge on the conversation andrewbrown has open.
  await a.evaluate(() => {
    window.badgeOnOpen = [];
    const check = () => {
      const open = document.querySelector('#groups li.active');
      const badge = open && open.querySelector('.badge');
      if (badge) window.badgeOnOpen.push(`${open.dataset.handle}: ${badge.textContent}`);
    };
    new MutationObserver(check).observe(document.getElementById('groups'),
                                        {childList: true, subtree: true});
  });

  log('londo sees it appear without a reload, opens it and replies');
  await group(l, 'andrewbrown').locator('.group-text', {hasText: opener}).waitFor(WAIT);
  assert.equal(await l.evaluate(() => window.notReloaded), true, 'the page was not reloaded');
  assert.match(await group(l, 'andrewbrown').textContent(), /Andrew Brown/);
  await l.screenshot({path: path.join(artifacts, 'londo-new-conversation.png')});
  await group(l, 'andrewbrown').locator('button').click();
  await message(l, opener).waitFor(WAIT);
  const reply = `Hi Andrew, Londo here ${stamp}`;
  await l.fill('#reply-text', reply);
  await l.click('#reply-send');
  await message(l, reply).waitFor(WAIT);

  log('the reply appears in andrewbrown\'s open conversation, after his message');
  await message(a, reply).waitFor(WAIT);
  const texts = await a.locator('#messages li .message-text').allTextContents();
  assert.deepEqual(texts.slice(-2), [opener, reply]);
  assert.doesNotMatch(await a.locator('#messages li').last().getAttribute('class') || '', /mine/);
  await group(a, 'londo').locator('.group-text', {hasText: reply}).waitFor(WAIT);
  const order = await a.locator('#groups li').evaluateAll((n) => n.map((x) => x.dataset.handle));
  assert.equal(order[0], 'londo', 'the newest conversation is first');
  await a.screenshot({path: path.join(artifacts, 'andrewbrown-conversation.png')});

  log('no unread badge on the open conversation, while the reply came in and a poll after');
  await sleep(POLL_MS + 500);
  assert.deepEqual(await a.evaluate(() => window.badgeOnOpen), []);

  log('a conversation that is not open gets a badge; opening it clears the badge at once');
  await group(a, 'bayko').locator('button').click();
  await a.locator('#conversation-title', {hasText: '@bayko'}).waitFor(WAIT);
  const unseen = `Are you still there? ${stamp}`;
  await l.fill('#reply-text', unseen);
  await l.click('#reply-send');
  await message(l, unseen).waitFor(WAIT);
  await group(a, 'londo').locator('.badge', {hasText: '1'}).waitFor(WAIT);
  await a.screenshot({path: path.join(artifacts, 'andrewbrown-unread.png')});
  await group(a, 'londo').locator('button').click();
  assert.equal(await group(a, 'londo').locator('.badge').count(), 0, 'cleared when opened');
  await message(a, unseen).waitFor(WAIT);
  await sleep(POLL_MS + 500);  // the server agrees: it stays cleared
  assert.equal(await group(a, 'londo').locator('.badge').count(), 0, 'still cleared');
  assert.deepEqual(await a.evaluate(() => window.badgeOnOpen), []);
  await group(a, 'bayko').locator('button').click();  // londo's stays read when closed
  await a.locator('#conversation-title', {hasText: '@bayko'}).waitFor(WAIT);
  await sleep(POLL_MS + 500);
  assert.equal(await group(a, 'londo').locator('.badge').count(), 0, 'read stays read');

  log('three days later, messages show their date and time (UTC, en-US)');
  const later = await openPage(browser, 'andrewbrown-later', {timezoneId: 'UTC', locale: 'en-US'});
  pages['andrewbrown-later'] = later.page;
  const z = later.page;
  await z.clock.setFixedTime(Date.now() + 3 * 24 * 3600 * 1000);
  await signIn(z, 'andrewbrown');
  await group(z, 'bayko').locator('button').click();
  await message(z, byKey).waitFor(WAIT);
  const shown = await z.locator('#messages li time').evaluateAll(
      (nodes) => nodes.map((n) => ({text: n.textContent, iso: n.dateTime, title: n.title})));
  assert.ok(shown.length > 0);
  const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov',
                  'Dec'];
  for (const {text, iso, title} of shown) {
    const d = new Date(iso);
    const hour = String(d.getUTCHours() % 12 || 12).padStart(2, '0');
    const minute = String(d.getUTCMinutes()).padStart(2, '0');
    const day = `${MONTHS[d.getUTCMonth()]} ${d.getUTCDate()}`;
    assert.ok(text.includes(day), `the date of ${iso}: ${text}`);
    assert.ok(text.includes(`${hour}:${minute}`), `the time of ${iso}: ${text}`);
    assert.ok(title.includes(String(d.getUTCFullYear())), `the full date on hover: ${title}`);
  }
  await z.screenshot({path: path.join(artifacts, 'andrewbrown-three-days-later.png')});

  log('switching user clears the token');
  await l.click('#sign-out');
  await l.locator('#sign-in').waitFor({state: 'visible'});
  assert.equal(await l.evaluate(() => sessionStorage.getItem('cruddur.token')), null);

  assert.deepEqual(problems, [], 'no page errors or CSP violations');
  console.log('ok: web page test passed');
} catch (e) {
  failed = true;
  console.error(`FAILED at step "${step}": ${e.stack || e}`);
  if (problems.length) console.error(problems.join('\n'));
  for (const [name, page] of Object.entries(pages)) {
    await page.screenshot({path: path.join(artifacts, `failure-${name}.png`)}).catch(() => {});
  }
} finally {
  await browser.close();
}
process.exit(failed ? 1 : 0);
