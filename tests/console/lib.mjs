// What the console tests share: a DynamoDB client for setting up data behind the page's back
// (the server runs without --auth, so any well-formed SigV4 header passes), Chromium, and a log.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import {fileURLToPath} from 'node:url';

import {chromium} from 'playwright-core';

const here = path.dirname(fileURLToPath(import.meta.url));
export const base = process.env.CRUDDUR_URL;
export const artifacts = process.env.ARTIFACTS_DIR || path.join(here, 'artifacts');
assert.ok(base, 'CRUDDUR_URL must name the server, e.g. http://127.0.0.1:8000');
fs.mkdirSync(artifacts, {recursive: true});

export const WAIT = {timeout: 20000};
export const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));
export const log = (text) => console.log(`# ${text}`);

const AUTH = 'AWS4-HMAC-SHA256 Credential=test/20240101/us-east-1/dynamodb/aws4_request, ' +
  'SignedHeaders=host;x-amz-date, Signature=0000';

export async function ddb(op, body, service = 'DynamoDB_20120810') {
  const res = await fetch(`${base}/`, {method: 'POST', body: JSON.stringify(body), headers: {
    'Content-Type': 'application/x-amz-json-1.0', 'X-Amz-Target': `${service}.${op}`,
    'X-Amz-Date': '20240101T000000Z', 'Authorization': AUTH}});
  const data = await res.json();
  if (!res.ok) throw new Error(`${op}: ${JSON.stringify(data)}`);
  return data;
}

// Chromium with every page error, console error and CSP violation collected in `problems`.
export async function launch() {
  const browser = await chromium.launch({
    executablePath: process.env.CHROMIUM || '/usr/bin/chromium', headless: true,
    args: ['--headless=new', '--no-sandbox', '--disable-gpu', '--disable-dev-shm-usage'],
  });
  const problems = [];
  async function open(name) {
    const context = await browser.newContext({viewport: {width: 1280, height: 860}});
    const page = await context.newPage();
    page.on('pageerror', (e) => problems.push(`${name}: page error: ${e.message}`));
    page.on('console', (m) => {
      // Failed requests the page reports itself (4xx answers) are expected in some steps.
      if (m.type() === 'error' && !/status of 4\d\d/.test(m.text())) {
        problems.push(`${name}: console error: ${m.text()}`);
      }
    });
    page.on('dialog', (d) => d.accept());  // the confirm() of deletes
    await page.addInitScript(() => document.addEventListener('securitypolicyviolation',
      (e) => console.error(`CSP violation: ${e.violatedDirective} ${e.blockedURI}`)));
    return page;
  }
  return {browser, problems, open};
}

export async function shot(page, name) {
  await page.screenshot({path: path.join(artifacts, `${name}.png`), fullPage: true});
}

// The operations and bodies of the DynamoDB requests a page sends, as they are made.
export function recordRequests(page) {
  const seen = [];
  page.on('request', (r) => {
    const target = r.headers()['x-amz-target'];
    if (r.method() === 'POST' && target) {
      seen.push({op: target.split('.')[1], body: JSON.parse(r.postData() || '{}'),
        headers: r.headers()});
    }
  });
  return seen;
}
