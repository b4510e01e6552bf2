// The console of `cruddur ddb serve --auth KEY:SECRET --console`: the server checks every
// signature, so the page must ask for the key and sign with it. The default key is refused and
// the page asks; a wrong secret is refused again (InvalidSignatureException, shown); the right
// one lists and creates tables. Then the same with crypto.subtle hidden (a page opened over plain
// HTTP by a LAN address has none): the page's own SHA-256/HMAC sign, and the server accepts them.
// The JS SHA-256 and HMAC are also compared with WebCrypto's on many lengths.
// Run by tests/console/run.sh with CRUDDUR_URL, ACCESS_KEY and SECRET_KEY set.
import assert from 'node:assert/strict';

import {WAIT, base, launch, log, shot} from './lib.mjs';

const accessKey = process.env.ACCESS_KEY;
const secret = process.env.SECRET_KEY;
assert.ok(accessKey && secret, 'ACCESS_KEY and SECRET_KEY must be set');
const {browser, problems, open} = await launch();
let failed = false;

async function signIn(page, key, secretKey) {
  await page.locator('#key-dialog[open]').waitFor(WAIT);
  await page.locator('#key-form [name=accessKeyId]').fill(key);
  await page.locator('#key-form [name=secretAccessKey]').fill(secretKey);
  await page.locator('#key-form button[type=submit]').click();
}

async function createTable(page, name) {
  await page.locator('header a', {hasText: 'Create table'}).click();
  await page.locator('#create-form [name=tableName]').fill(name);
  await page.locator('#create-form [name=pkName]').fill('id');
  await page.locator('#create-form button[type=submit]').click();
  await page.locator('main h1', {hasText: name}).waitFor(WAIT);
  await page.locator('header a', {hasText: 'Tables'}).click();
  await page.locator(`#tables tr[data-table="${name}"]`).waitFor(WAIT);
}

try {
  log('the default key is refused: the page asks for one');
  const page = await open('auth');
  await page.goto(`${base}/console`);
  await page.locator('#key-error', {hasText: 'UnrecognizedClientException'}).waitFor(WAIT);
  await shot(page, '10-credentials');

  log('a wrong secret is refused with InvalidSignatureException');
  await signIn(page, accessKey, 'not-the-secret');
  await page.locator('#key-error', {hasText: 'InvalidSignatureException'}).waitFor(WAIT);

  log('the right key: tables are listed and one is created');
  await signIn(page, accessKey, secret);
  await page.locator('main h1', {hasText: 'Tables'}).waitFor(WAIT);
  assert.equal(await page.locator('#whoami').textContent(), `key ${accessKey}`);
  await createTable(page, 'signed-with-webcrypto');

  log('the JS SHA-256 and HMAC equal WebCrypto\'s');
  const mismatches = await page.evaluate(async () => {
    const bad = [];
    for (let n = 0; n < 200; n += 1) {
      const data = new Uint8Array(n).map((_, i) => (i * 31 + n) & 255);
      const want = hex(new Uint8Array(await crypto.subtle.digest('SHA-256', data)));
      if (hex(sha256Js(data)) !== want) bad.push(`sha256 of ${n} bytes`);
    }
    for (const keyLength of [1, 16, 63, 64, 65, 100]) {
      const key = new Uint8Array(keyLength).fill(7);
      const data = enc.encode('a message to sign');
      const k = await crypto.subtle.importKey('raw', key, {name: 'HMAC', hash: 'SHA-256'}, false,
        ['sign']);
      const want = hex(new Uint8Array(await crypto.subtle.sign('HMAC', k, data)));
      if (hex(hmacJs(key, data)) !== want) bad.push(`hmac with a ${keyLength}-byte key`);
    }
    return bad;
  });
  assert.deepEqual(mismatches, []);

  log('without crypto.subtle the page signs with its own SHA-256, and the server agrees');
  const plain = await open('no-subtle');
  await plain.addInitScript(() => Object.defineProperty(crypto, 'subtle', {value: undefined}));
  await plain.goto(`${base}/console`);
  assert.equal(await plain.evaluate(() => subtle), undefined);
  await signIn(plain, accessKey, secret);
  await plain.locator('#tables tr[data-table="signed-with-webcrypto"]').waitFor(WAIT);
  await createTable(plain, 'signed-in-javascript');

  assert.deepEqual(problems, []);
  console.log('ok: console auth test passed');
} catch (err) {
  failed = true;
  console.error(err);
  if (problems.length) console.error(problems.join('\n'));
  for (const context of browser.contexts()) {
    for (const p of context.pages()) await shot(p, 'auth-failure').catch(() => {});
  }
} finally {
  await browser.close();
}
process.exit(failed ? 1 : 0);
