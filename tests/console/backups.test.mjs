// The console's backups and point-in-time recovery (issue 18) against `cruddur ddb serve
// --in-memory` in headless Chromium: a backup created from a table's page is listed, restored into
// a new table whose items (read through the API) equal the source's; point-in-time recovery turned
// on from the page, then restores to "latest" and to a date-time (which must leave out an item
// written after it); the Backups page pages by ExclusiveStartBackupArn; the backup deleted.
// Run by tests/console/run.sh with CRUDDUR_URL set; screenshots in ARTIFACTS_DIR.
import assert from 'node:assert/strict';

import {WAIT, base, ddb, launch, log, recordRequests, shot, sleep} from './lib.mjs';

const SOURCE = 'bk-source';
const OTHER = 'bk-other';
const {browser, problems, open} = await launch();
let failed = false;

async function createTable(name) {
  await ddb('CreateTable', {TableName: name, BillingMode: 'PAY_PER_REQUEST',
    KeySchema: [{AttributeName: 'pk', KeyType: 'HASH'}, {AttributeName: 'sk', KeyType: 'RANGE'}],
    AttributeDefinitions: [{AttributeName: 'pk', AttributeType: 'S'},
      {AttributeName: 'sk', AttributeType: 'N'}]});
  await waitActive(name);
}
async function waitActive(name) {
  for (let i = 0; i < 200; i++) {
    const {Table} = await ddb('DescribeTable', {TableName: name}).catch(() => ({}));
    if (Table && Table.TableStatus === 'ACTIVE') return;
    await sleep(100);
  }
  throw new Error(`${name} did not become ACTIVE`);
}
// A table's items through the API, in key order (as JSON text, to compare exactly).
async function items(name) {
  const all = [];
  let start;
  do {
    const page = await ddb('Scan', {TableName: name, ...(start ? {ExclusiveStartKey: start} : {})});
    all.push(...page.Items);
    start = page.LastEvaluatedKey;
  } while (start);
  return all.map((i) => JSON.stringify(i, Object.keys(i).sort())).sort();
}

try {
  const page = await open('backups');
  const requests = recordRequests(page);
  const backupRows = page.locator('#backups tbody tr');

  log('a table of 40 items and another with 25 backups, made by a client');
  await createTable(SOURCE);
  await createTable(OTHER);
  for (let i = 0; i < 40; i += 20) {
    await ddb('BatchWriteItem', {RequestItems: {[SOURCE]: Array.from({length: 20}, (_, j) => ({
      PutRequest: {Item: {pk: {S: `p${(i + j) % 3}`}, sk: {N: String(i + j)},
        body: {S: `item <b>${i + j}</b>`}, tags: {SS: ['x', `t${i + j}`]}}}}))}});
  }
  for (let i = 0; i < 25; i++) {
    await ddb('CreateBackup', {TableName: OTHER, BackupName: `other-${String(i).padStart(2, '0')}`});
  }

  log('create a backup from the table page; only its own backups are listed there');
  await page.goto(`${base}/console#/table/${SOURCE}/backups`);
  await page.locator('#pitr').waitFor(WAIT);
  await page.locator('#backup-form [name=backupName]').fill('first');
  await page.locator('#backup-form button[type=submit]').click();
  const first = page.locator('#backups tr[data-backup="first"]');
  await first.waitFor(WAIT);
  assert.equal(await backupRows.count(), 1);
  assert.match(await first.textContent(), new RegExp(`^first${SOURCE}USER(CREATING|AVAILABLE)`));
  const listed = requests.filter((r) => r.op === 'ListBackups').pop().body;
  assert.equal(listed.TableName, SOURCE);
  const {BackupSummaries: summaries} = await ddb('ListBackups', {TableName: SOURCE});
  assert.deepEqual(summaries.map((b) => b.BackupName), ['first']);
  const arn = summaries[0].BackupArn;
  for (let i = 0; i < 200; i++) {
    const {BackupDescription: d} = await ddb('DescribeBackup', {BackupArn: arn});
    if (d.BackupDetails.BackupStatus === 'AVAILABLE') break;
    await sleep(100);
  }
  const sourceItems = await items(SOURCE);
  assert.equal(sourceItems.length, 40);

  log('restore the backup into a new table: the same items');
  await page.reload();
  await first.waitFor(WAIT);
  await first.locator('[name=target]').fill('bk-restored');
  await first.locator('button', {hasText: 'Restore'}).click();
  await page.locator('#backup-note a', {hasText: 'bk-restored'}).waitFor(WAIT);
  await shot(page, 'backups-01-table');
  assert.deepEqual(requests.filter((r) => r.op === 'RestoreTableFromBackup').pop().body,
    {BackupArn: arn, TargetTableName: 'bk-restored'});
  await waitActive('bk-restored');
  assert.deepEqual(await items('bk-restored'), sourceItems);

  log('enable point-in-time recovery from the page');
  assert.ok(await page.locator('#pitr-form').isHidden());
  await page.locator('#tab-body button', {hasText: 'Enable point-in-time recovery'}).click();
  await page.locator('#tab-body button', {hasText: 'Disable point-in-time recovery'}).waitFor(WAIT);
  const pitr = (await ddb('DescribeContinuousBackups', {TableName: SOURCE}))
    .ContinuousBackupsDescription.PointInTimeRecoveryDescription;
  assert.equal(pitr.PointInTimeRecoveryStatus, 'ENABLED');
  const facts = await page.locator('#pitr dd').allTextContents();
  assert.equal(facts[0], 'ENABLED');
  assert.ok(facts[1] && facts[2], `restorable window shown: ${facts}`);
  await page.locator('#pitr-form').waitFor(WAIT);

  log('restore to a date-time before an item was added, and to latest after it');
  await sleep(1500);
  const at = Math.floor(Date.now() / 1000);
  await sleep((at + 1) * 1000 - Date.now() + 300);
  const late = {pk: {S: 'late'}, sk: {N: '1'}};
  await ddb('PutItem', {TableName: SOURCE, Item: late});
  const atText = await page.evaluate((t) => {
    const d = new Date(t * 1000);
    const two = (n) => String(n).padStart(2, '0');
    return `${d.getFullYear()}-${two(d.getMonth() + 1)}-${two(d.getDate())}T` +
      `${two(d.getHours())}:${two(d.getMinutes())}:${two(d.getSeconds())}`;
  }, at);
  const pitrForm = page.locator('#pitr-form');
  await pitrForm.locator('[name=target]').fill('bk-at-time');
  await pitrForm.locator('[name=latest]').uncheck();
  await pitrForm.locator('[name=when]').fill(atText);
  await pitrForm.locator('button[type=submit]').click();
  await page.locator('#backup-note a', {hasText: 'bk-at-time'}).waitFor(WAIT);
  assert.equal(requests.filter((r) => r.op === 'RestoreTableToPointInTime').pop().body
    .RestoreDateTime, at);
  await waitActive('bk-at-time');
  assert.deepEqual(await items('bk-at-time'), sourceItems);

  await pitrForm.locator('[name=target]').fill('bk-latest');
  await pitrForm.locator('[name=latest]').check();
  await pitrForm.locator('button[type=submit]').click();
  await page.locator('#backup-note a', {hasText: 'bk-latest'}).waitFor(WAIT);
  assert.equal(requests.filter((r) => r.op === 'RestoreTableToPointInTime').pop().body
    .UseLatestRestorableTime, true);
  await waitActive('bk-latest');
  const latestItems = await items('bk-latest');
  assert.deepEqual(latestItems, await items(SOURCE));
  assert.equal(latestItems.length, 41);
  await shot(page, 'backups-02-pitr');

  log('the Backups page lists every table\'s backups, 25 a page');
  await page.locator('header a', {hasText: 'Backups'}).click();
  await page.waitForFunction(() => document.querySelector('.page-info')?.textContent ===
    'page 1 · 25 items', null, WAIT);
  await page.locator('.pager button', {hasText: 'Next'}).click();
  await page.waitForFunction(() => document.querySelector('.page-info')?.textContent ===
    'page 2 · 1 items', null, WAIT);
  const paged = requests.filter((r) => r.op === 'ListBackups').pop().body;
  assert.equal(paged.Limit, 25);
  assert.ok(paged.ExclusiveStartBackupArn, JSON.stringify(paged));
  assert.equal(paged.TableName, undefined);
  await shot(page, 'backups-03-all');

  log('delete the backup from the page');
  await first.locator('button', {hasText: 'Delete'}).click();
  await first.waitFor({state: 'detached', ...WAIT});
  const left = (await ddb('ListBackups', {BackupType: 'ALL'})).BackupSummaries;
  assert.equal(left.length, 25);
  assert.ok(!left.some((b) => b.BackupArn === arn));

  log('every request was a signed DynamoDB API call to POST /');
  for (const r of requests) {
    assert.match(r.headers.authorization, /^AWS4-HMAC-SHA256 Credential=console\/\d{8}\/us-east-1\/dynamodb\/aws4_request, SignedHeaders=content-type;host;x-amz-date;x-amz-target, Signature=[0-9a-f]{64}$/);
  }
  assert.deepEqual(problems, []);
  console.log('ok: backups test passed');
} catch (err) {
  failed = true;
  console.error(err);
  if (problems.length) console.error(problems.join('\n'));
  for (const context of browser.contexts()) {
    for (const p of context.pages()) await shot(p, 'failure-backups').catch(() => {});
  }
} finally {
  await browser.close();
}
process.exit(failed ? 1 : 0);
