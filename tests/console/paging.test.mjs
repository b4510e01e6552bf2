// A table of many items (CONSOLE_BIG_ITEMS, default 200000, written with BatchWriteItem, eight
// requests in flight) opened in the console: the tables list and the table's page come up, and
// the items are browsed page by page. Every Scan the page sends carries a Limit, and no answer
// carries more than a page of items, so the page never holds the table (the browser would not
// survive 1 million items at once; a page costs the same whatever the table's size). Times are
// printed: the load, the first page, each next page.
// Run by tests/console/run.sh with CRUDDUR_URL set.
import assert from 'node:assert/strict';

import {WAIT, base, ddb, launch, log, recordRequests, shot} from './lib.mjs';

const TABLE = 'big';
const COUNT = Number(process.env.CONSOLE_BIG_ITEMS || 200000);
const PAGES = 6;
const {browser, problems, open} = await launch();
let failed = false;
try {
  await ddb('CreateTable', {TableName: TABLE, BillingMode: 'PAY_PER_REQUEST',
    KeySchema: [{AttributeName: 'id', KeyType: 'HASH'}],
    AttributeDefinitions: [{AttributeName: 'id', AttributeType: 'S'}]});

  log(`writing ${COUNT} items`);
  const started = Date.now();
  let next = 0;
  const payload = 'x'.repeat(100);
  async function writer() {
    while (next < COUNT) {
      const from = next;
      next = Math.min(COUNT, next + 25);
      let items = [];
      for (let i = from; i < next; i++) {
        items.push({PutRequest: {Item: {id: {S: `item-${String(i).padStart(7, '0')}`},
          n: {N: String(i)}, payload: {S: payload}}}});
      }
      while (items.length) {  // a real loader resends what DynamoDB left unprocessed
        const out = await ddb('BatchWriteItem', {RequestItems: {[TABLE]: items}});
        items = (out.UnprocessedItems[TABLE] || []);
      }
    }
  }
  await Promise.all(Array.from({length: 8}, writer));
  const loadSeconds = (Date.now() - started) / 1000;
  console.log(`  loaded ${COUNT} items in ${loadSeconds.toFixed(1)} s ` +
    `(${Math.round(COUNT / loadSeconds)} items/s)`);

  const page = await open('paging');
  const requests = recordRequests(page);
  const sizes = [];
  page.on('response', async (r) => {
    const target = r.request().headers()['x-amz-target'] || '';
    if (target.endsWith('.Scan')) sizes.push((await r.body()).length);
  });

  log('the tables list shows the count');
  let t = Date.now();
  await page.goto(`${base}/console`);
  const row = page.locator(`#tables tr[data-table="${TABLE}"]`);
  await row.waitFor(WAIT);
  assert.equal(await row.locator('td:nth-child(4)').textContent(), String(COUNT));
  console.log(`  tables list in ${Date.now() - t} ms`);

  log(`${PAGES} pages of 100, each a Scan with Limit 100`);
  t = Date.now();
  // The first page's Scan (Limit 25) is held back until after the one the page-size change sends
  // (Limit 100) has been answered: the page must show the latest request's page, not the last
  // answer to arrive.
  let held = 0;
  await page.route(`${base}/`, async (route) => {
    if ((route.request().postData() || '').includes('"Limit":25')) {
      held++;
      await new Promise((resolve) => setTimeout(resolve, 1500));
    }
    await route.continue();
  });
  const stale = page.waitForResponse(
    (r) => (r.request().postData() || '').includes('"Limit":25'), WAIT);
  await row.locator('a').click();
  await page.locator('#tab-body [name=limit]').selectOption('100');
  const seen = new Set();
  for (let p = 1; p <= PAGES; p++) {
    await page.waitForFunction((n) => document.querySelector('.page-info')?.textContent
      .startsWith(`page ${n} · 100 items`), p, WAIT);
    console.log(`  page ${p} in ${Date.now() - t} ms`);
    if (p === 1) {
      await (await stale).finished();
      await page.waitForTimeout(200);  // the late answer's handler has run by now
      assert.match(await page.locator('.page-info').textContent(), /^page 1 · 100 items/,
        'a late answer to an earlier request does not replace the page');
    }
    for (const id of await page.locator('#tab-body tbody tr td:first-child').allTextContents()) {
      seen.add(id);
    }
    if (p === 2) await shot(page, '11-big-table');
    t = Date.now();
    if (p < PAGES) await page.locator('.pager button', {hasText: 'Next'}).click();
  }
  assert.equal(held, 1, 'the Limit 25 Scan was held back');
  assert.equal(seen.size, PAGES * 100, 'each page shows 100 items not shown before');
  const scans = requests.filter((r) => r.op === 'Scan');
  assert.ok(scans.length >= PAGES);
  for (const s of scans) assert.ok(s.body.Limit === 25 || s.body.Limit === 100, JSON.stringify(s.body));
  assert.ok(Math.max(...sizes) < 100 * 400, `a page's answer is small: ${Math.max(...sizes)} bytes`);
  const other = requests.filter((r) => !['ListTables', 'DescribeTable', 'DescribeTimeToLive',
    'Scan'].includes(r.op));
  assert.deepEqual(other.map((r) => r.op), [], 'nothing but listing, describing and paged Scans');
  assert.deepEqual(problems, []);
  console.log('ok: console paging test passed');
} catch (err) {
  failed = true;
  console.error(err);
  if (problems.length) console.error(problems.join('\n'));
} finally {
  await browser.close();
}
process.exit(failed ? 1 : 0);
