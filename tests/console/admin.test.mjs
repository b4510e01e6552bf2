// dynamodb-admin (npm; its server talks to ours with AWS SDK v3) in headless Chromium against
// `cruddur ddb serve`: create a table from its form, see it listed, put an item with its editor,
// browse the table and see the item, delete the item, delete the table. Each step is checked
// against our server through the DynamoDB API, not only on dynamodb-admin's pages.
// Run by tests/console/run.sh with CRUDDUR_URL (our server) and ADMIN_URL (dynamodb-admin) set.
import assert from 'node:assert/strict';

import {WAIT, ddb, launch, log, shot} from './lib.mjs';

const admin = process.env.ADMIN_URL;
assert.ok(admin, 'ADMIN_URL must name the dynamodb-admin server');
const TABLE = 'admin-test';
const {browser, problems, open} = await launch();
let failed = false;
try {
  const page = await open('dynamodb-admin');
  await ddb('CreateTable', {TableName: 'already-there', BillingMode: 'PAY_PER_REQUEST',
    KeySchema: [{AttributeName: 'k', KeyType: 'HASH'}],
    AttributeDefinitions: [{AttributeName: 'k', AttributeType: 'S'}]});

  log('list tables');
  await page.goto(`${admin}/`);
  await page.locator('li[data-table-name="already-there"]').waitFor(WAIT);

  log('create a table from its form');
  await page.goto(`${admin}/create-table`);
  await page.locator('#TableName').fill(TABLE);
  await page.locator('#HashAttributeName').fill('pk');
  await page.locator('select[name=HashAttributeType]').selectOption('S');
  await page.locator('#RangeAttributeName').fill('sk');
  await page.locator('select[name=RangeAttributeType]').selectOption('N');
  await page.locator('#ReadCapacityUnits').fill('5');
  await page.locator('#WriteCapacityUnits').fill('5');
  await page.locator('#saveButton').click();
  await page.locator(`li[data-table-name="${TABLE}"]`).waitFor(WAIT);
  await shot(page, 'admin-01-tables');
  const table = (await ddb('DescribeTable', {TableName: TABLE})).Table;
  assert.deepEqual(table.KeySchema, [{AttributeName: 'pk', KeyType: 'HASH'},
    {AttributeName: 'sk', KeyType: 'RANGE'}]);
  assert.deepEqual(table.AttributeDefinitions.find((a) => a.AttributeName === 'sk').AttributeType, 'N');

  log('put an item with its editor');
  await page.goto(`${admin}/tables/${TABLE}/add-item`);
  await page.waitForFunction(() => typeof editor !== 'undefined', null, WAIT);
  await page.evaluate(() => editor.setValue(JSON.stringify(
    {pk: 'from-admin', sk: 7, note: 'put by dynamodb-admin', list: [1, 'two']})));
  await page.locator('#saveButton').click();
  await page.waitForURL(/\/items\//, WAIT);
  const key = {pk: {S: 'from-admin'}, sk: {N: '7'}};
  const stored = (await ddb('GetItem', {TableName: TABLE, Key: key})).Item;
  assert.deepEqual(stored.note, {S: 'put by dynamodb-admin'});
  assert.deepEqual(stored.list, {L: [{N: '1'}, {S: 'two'}]});

  log('browse the table');
  await page.goto(`${admin}/tables/${TABLE}`);
  await page.locator('td', {hasText: 'put by dynamodb-admin'}).first().waitFor(WAIT);
  await shot(page, 'admin-02-browse');

  log('delete the item');
  await page.goto(`${admin}/tables/${TABLE}/items/${encodeURIComponent('from-admin,7')}`);
  await page.locator('button.btn-danger', {hasText: 'Delete'}).click();
  await page.waitForURL(new RegExp(`/tables/${TABLE}$`), WAIT);
  assert.equal((await ddb('GetItem', {TableName: TABLE, Key: key})).Item, undefined);

  log('delete the table');
  await page.goto(`${admin}/`);
  await page.locator(`li[data-table-name="${TABLE}"] a`, {hasText: 'Delete'}).click();
  await page.waitForFunction((t) => !document.querySelector(`li[data-table-name="${t}"]`), TABLE,
    WAIT);
  const names = (await ddb('ListTables', {})).TableNames;
  assert.deepEqual(names, ['already-there']);
  await shot(page, 'admin-03-deleted');

  assert.deepEqual(problems, []);
  console.log('ok: dynamodb-admin test passed');
} catch (err) {
  failed = true;
  console.error(err);
  if (problems.length) console.error(problems.join('\n'));
  for (const context of browser.contexts()) {
    for (const p of context.pages()) await shot(p, 'admin-failure').catch(() => {});
  }
} finally {
  await browser.close();
}
process.exit(failed ? 1 : 0);
