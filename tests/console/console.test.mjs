// The console at /console of `cruddur ddb serve --in-memory` (no --auth) in headless Chromium:
// create a table (stream + TTL) from the page, browse it page by page (every Scan carries Limit),
// an item value that is HTML shows as text, open/edit (plain and typed JSON)/create/delete items,
// the Query/Scan builder with its aws CLI line, PartiQL with NextToken paging, the stream's
// records live, a GSI created and deleted, the table deleted. Every request the page sends is a
// signed DynamoDB API request to POST /. Screenshots in ARTIFACTS_DIR.
// Run by tests/console/run.sh with CRUDDUR_URL set.
import assert from 'node:assert/strict';
import {execSync} from 'node:child_process';

import {WAIT, base, ddb, launch, log, recordRequests, shot, sleep} from './lib.mjs';

const TABLE = 'console-test';
const XSS = '<img src=x onerror="window.__xss=1">';
const {browser, problems, open} = await launch();
let failed = false;
try {
  const page = await open('console');
  const requests = recordRequests(page);
  const rows = page.locator('#tab-body table.items tbody tr');

  log('the console answers at /console; GET / is still the health answer');
  assert.match(await (await fetch(`${base}/`)).text(), /^healthy: dynamodb\.us-east-1\.amazonaws\.com $/);
  await page.goto(`${base}/console`);
  await page.locator('main h1', {hasText: 'Tables'}).waitFor(WAIT);

  log('create a table with a stream and TTL from the page');
  await page.locator('header a', {hasText: 'Create table'}).click();
  const create = page.locator('#create-form');
  await create.locator('[name=tableName]').fill(TABLE);
  await create.locator('[name=pkName]').fill('pk');
  await create.locator('[name=skName]').fill('sk');
  await create.locator('[name=stream]').selectOption('NEW_AND_OLD_IMAGES');
  await create.locator('[name=ttl]').fill('expires');
  await shot(page, '01-create-table');
  await create.locator('button[type=submit]').click();
  await page.locator('main h1', {hasText: TABLE}).waitFor(WAIT);
  const described = (await ddb('DescribeTable', {TableName: TABLE})).Table;
  assert.equal(described.StreamSpecification.StreamViewType, 'NEW_AND_OLD_IMAGES');
  assert.deepEqual(described.KeySchema.map((k) => k.AttributeName), ['pk', 'sk']);
  const ttl = (await ddb('DescribeTimeToLive', {TableName: TABLE})).TimeToLiveDescription;
  assert.equal(ttl.AttributeName, 'expires');

  log('60 items and one whose value is HTML, written by a client');
  const puts = [];
  for (let i = 0; i < 60; i++) {
    puts.push({PutRequest: {Item: {pk: {S: `p${i % 2}`}, sk: {S: `s${String(i).padStart(2, '0')}`},
      n: {N: String(i)}, tags: {SS: ['a', 'b']}, nested: {M: {deep: {L: [{N: '1'}, {BOOL: true}]}}}}}});
  }
  for (let i = 0; i < puts.length; i += 25) {
    await ddb('BatchWriteItem', {RequestItems: {[TABLE]: puts.slice(i, i + 25)}});
  }
  await ddb('PutItem', {TableName: TABLE, Item: {pk: {S: 'x'}, sk: {S: 'xss'}, html: {S: XSS}}});

  log('the tables list shows keys, counts, stream and TTL');
  await page.goto(`${base}/console#/`);
  const listed = page.locator(`#tables tr[data-table="${TABLE}"]`);
  await listed.waitFor(WAIT);
  const listedText = await listed.textContent();
  assert.match(listedText, /pk \(partition\), sk \(sort\)/);
  assert.match(listedText, /61/);
  assert.match(listedText, /NEW_AND_OLD_IMAGES/);
  assert.match(listedText, /expires/);
  await shot(page, '02-tables');

  log('browse page by page: 25 + 25 + 11 items, each Scan with Limit 25');
  const firstBrowse = requests.length;
  await listed.locator('a').click();
  await rows.first().waitFor(WAIT);
  const seenKeys = new Set();
  let xssShown = false;
  for (const [index, expected] of [25, 25, 11].entries()) {
    // The page number too: page 2 has as many rows as page 1, so the count alone can match
    // before the next page is drawn.
    await page.waitForFunction(([p, n]) =>
      document.querySelectorAll('#tab-body table.items tbody tr').length === n &&
      document.querySelector('.page-info').textContent.startsWith(`page ${p} · ${n} items`),
    [index + 1, expected], WAIT);
    for (const text of await rows.locator('td:nth-child(2)').allTextContents()) seenKeys.add(text);
    if (await page.locator('#tab-body td', {hasText: XSS}).count() === 1) xssShown = true;
    if (expected === 25) {
      if (seenKeys.size === 25) await shot(page, '03-browse');
      await page.locator('.pager button', {hasText: 'Next'}).click();
    }
  }
  assert.equal(seenKeys.size, 61, 'every item once over the three pages');
  assert.ok(await page.locator('.pager button', {hasText: 'Next'}).isDisabled());
  const scans = requests.slice(firstBrowse).filter((r) => r.op === 'Scan');
  assert.ok(scans.length >= 3 && scans.every((r) => r.body.Limit === 25), JSON.stringify(scans));
  assert.deepEqual(scans.map((r) => Boolean(r.body.ExclusiveStartKey)), [false, true, true],
    JSON.stringify(scans.map((r) => r.body)));

  log('an HTML value is shown as text, never run');
  assert.ok(xssShown, 'the HTML value shows as text in its cell');
  assert.equal(await page.evaluate(() => window.__xss), undefined);
  assert.equal(await page.locator('main img').count(), 0);

  log('open an item, edit it as plain JSON, save');
  await page.locator('.pager button', {hasText: 'Previous'}).click();
  await page.locator('.pager button', {hasText: 'Previous'}).click();
  await page.waitForFunction(() => document.querySelector('.page-info').textContent.startsWith('page 1'));
  const p1 = rows.filter({hasText: 's01'}).first();
  await p1.click();
  await page.locator('#item-dialog[open]').waitFor(WAIT);
  const typedText = JSON.parse(await page.locator('#item-text').inputValue());
  assert.deepEqual(typedText.tags, {SS: ['a', 'b']});
  // Sets have no plain JSON form: the switch refuses and says so.
  await page.locator('#item-form input[value=plain]').click();
  await page.locator('#item-error', {hasText: 'SS value has no plain JSON form'}).waitFor(WAIT);
  assert.ok(await page.locator('#item-form input[value=typed]').isChecked());
  const withoutSet = {...typedText};
  delete withoutSet.tags;
  await page.locator('#item-text').fill(JSON.stringify(withoutSet));
  await page.locator('#item-form input[value=plain]').check();
  const plain = JSON.parse(await page.locator('#item-text').inputValue());
  assert.deepEqual(plain, {pk: 'p1', sk: 's01', n: 1, nested: {deep: [1, true]}});
  plain.note = 'edited in plain JSON';
  plain.n = 101;
  await page.locator('#item-text').fill(JSON.stringify(plain, null, 2));
  await shot(page, '04-edit-item');
  await page.locator('#item-save').click();
  await page.locator('#item-dialog[open]').waitFor({state: 'detached', ...WAIT}).catch(() => {});
  await page.waitForFunction(() => !document.getElementById('item-dialog').open, null, WAIT);
  let stored = (await ddb('GetItem', {TableName: TABLE, Key: {pk: {S: 'p1'}, sk: {S: 's01'}}})).Item;
  assert.deepEqual(stored, {pk: {S: 'p1'}, sk: {S: 's01'}, n: {N: '101'},
    note: {S: 'edited in plain JSON'}, nested: {M: {deep: {L: [{N: '1'}, {BOOL: true}]}}}});

  log('edit in typed form: a number set');
  await rows.filter({hasText: 's01'}).first().click();
  await page.locator('#item-dialog[open]').waitFor(WAIT);
  const typed = JSON.parse(await page.locator('#item-text').inputValue());
  typed.scores = {NS: ['1', '2.5']};
  await page.locator('#item-text').fill(JSON.stringify(typed));
  await page.locator('#item-save').click();
  await page.waitForFunction(() => !document.getElementById('item-dialog').open, null, WAIT);
  stored = (await ddb('GetItem', {TableName: TABLE, Key: {pk: {S: 'p1'}, sk: {S: 's01'}}})).Item;
  assert.deepEqual(stored.scores.NS.sort(), ['1', '2.5']);

  log('a bad item is refused with DynamoDB\'s message, the dialog stays open');
  await rows.filter({hasText: 's01'}).first().click();
  await page.locator('#item-dialog[open]').waitFor(WAIT);
  await page.locator('#item-text').fill('{"pk": {"S": "p1"}}');
  await page.locator('#item-save').click();
  await page.locator('#item-error', {hasText: 'ValidationException'}).waitFor(WAIT);
  await page.locator('#item-cancel').click();

  log('create an item, then delete it from its dialog');
  await page.locator('#tab-body button', {hasText: 'New item'}).click();
  await page.locator('#item-dialog[open]').waitFor(WAIT);
  await page.locator('#item-form input[value=plain]').check();
  await page.locator('#item-text').fill('{"pk": "new", "sk": "one", "from": "the console"}');
  await page.locator('#item-save').click();
  await page.waitForFunction(() => !document.getElementById('item-dialog').open, null, WAIT);
  const newKey = {pk: {S: 'new'}, sk: {S: 'one'}};
  assert.equal((await ddb('GetItem', {TableName: TABLE, Key: newKey})).Item.from.S, 'the console');
  await page.evaluate(() => { location.hash = '#/'; });
  await page.evaluate((t) => { location.hash = `#/table/${t}/items`; }, TABLE);
  await rows.filter({hasText: 'the console'}).first().click();
  await page.locator('#item-dialog[open]').waitFor(WAIT);
  await page.locator('#item-delete').click();
  await page.waitForFunction(() => !document.getElementById('item-dialog').open, null, WAIT);
  assert.equal((await ddb('GetItem', {TableName: TABLE, Key: newKey})).Item, undefined);

  log('Query builder: key condition, sort key range, filter, projection, descending');
  await page.locator('#tab-query').click();
  const q = page.locator('#query-form');
  await q.locator('[name=pk]').fill('p0');
  await q.locator('[name=skop]').selectOption('between');
  await q.locator('[name=sk]').fill('s10');
  await q.locator('[name=sk2]').fill('s29');
  await q.locator('button', {hasText: 'Add filter'}).click();
  await q.locator('.filter-attr').fill('n');
  await q.locator('.filter-op').selectOption('>=');
  await q.locator('.filter-type').selectOption('N');
  await q.locator('.filter-value').fill('20');
  await q.locator('[name=projection]').fill('pk, sk, n');
  await q.locator('[name=descending]').check();
  const cli = await page.locator('#cli').textContent();
  for (const part of ['aws dynamodb query', `--table-name '${TABLE}'`,
    `--key-condition-expression '#n0 = :v0 AND #n1 BETWEEN :v1 AND :v2'`,
    `--filter-expression '#n2 >= :v3'`, '--no-scan-index-forward', '--projection-expression',
    `"#n0":"pk"`, `":v3":{"N":"20"}`, `--endpoint-url '${base}'`, `'#n0, #n1, #n2'`,
    '--page-size 25 --max-items 25']) {
    assert.ok(cli.includes(part), `CLI line has ${part}: ${cli}`);
  }
  await q.locator('button[type=submit]').click();
  await page.locator('#query-results tbody tr').first().waitFor(WAIT);
  const sks = await page.locator('#query-results tbody tr td:nth-child(2)').allTextContents();
  assert.deepEqual(sks, ['s28', 's26', 's24', 's22', 's20']);
  assert.deepEqual(await page.locator('#query-results thead th').allTextContents(), ['pk', 'sk', 'n']);
  await shot(page, '05-query');
  // The CLI line, run, gives the same items.
  const fromCli = JSON.parse(execSync(`${cli} --output json`, {env: {...process.env,
    AWS_ACCESS_KEY_ID: 'cli', AWS_SECRET_ACCESS_KEY: 'cli', AWS_DEFAULT_REGION: 'us-east-1'}}));
  assert.deepEqual(fromCli.Items.map((i) => i.sk.S), sks);
  const query = requests.filter((r) => r.op === 'Query').pop().body;
  assert.equal(query.ScanIndexForward, false);
  assert.equal(query.ExpressionAttributeValues[':v1'].S, 's10');

  log('Scan from the same builder');
  await q.locator('[name=operation]').selectOption('Scan');
  await q.locator('.filter-value').fill('58');
  assert.match(await page.locator('#cli').textContent(), /^aws dynamodb scan /);
  await q.locator('button[type=submit]').click();
  await page.waitForFunction(() => document.querySelectorAll('#query-results tbody tr').length === 2 ||
    /page 1 · [0-9]+ items/.test(document.querySelector('#query-results .page-info')?.textContent), null, WAIT);

  log('PartiQL: SELECT with a page size, NextToken for the next page; an UPDATE');
  await page.locator('header a', {hasText: 'PartiQL'}).click();
  await page.locator('#partiql-text').fill(`SELECT * FROM "${TABLE}" WHERE pk = 'p1'`);
  await page.locator('main [name=limit]').fill('20');
  await page.locator('main button', {hasText: 'Run'}).click();
  await page.locator('#partiql-results tbody tr').first().waitFor(WAIT);
  assert.equal(await page.locator('#partiql-results tbody tr').count(), 20);
  await shot(page, '06-partiql');
  await page.locator('main button', {hasText: 'Next page'}).click();
  await page.waitForFunction(() => document.querySelectorAll('#partiql-results tbody tr').length === 10,
    null, WAIT);
  const statements = requests.filter((r) => r.op === 'ExecuteStatement');
  assert.ok(statements.pop().body.NextToken, 'the second page sends the first one\'s NextToken');
  await page.locator('#partiql-text').fill(`UPDATE "${TABLE}" SET via = 'partiql' WHERE pk = 'p0' AND sk = 's00'`);
  await page.locator('main button', {hasText: 'Run'}).click();
  await page.locator('#partiql-results', {hasText: 'no items returned'}).waitFor(WAIT);
  stored = (await ddb('GetItem', {TableName: TABLE, Key: {pk: {S: 'p0'}, sk: {S: 's00'}}})).Item;
  assert.equal(stored.via.S, 'partiql');
  await page.locator('#partiql-text').fill('SELECT * FROM "no-such-table"');
  await page.locator('main button', {hasText: 'Run'}).click();
  await page.locator('#error', {hasText: 'ResourceNotFoundException'}).waitFor(WAIT);

  log('stream: the records so far, then a new write appears live');
  await page.evaluate((t) => { location.hash = `#/table/${t}/stream`; }, TABLE);
  const records = page.locator('#stream-records li');
  await page.waitForFunction(() => document.querySelectorAll('#stream-records li').length >= 61,
    null, WAIT);
  assert.ok(await records.filter({hasText: 'REMOVE'}).count() >= 1, 'the deleted item');
  assert.ok(await records.filter({hasText: 'MODIFY'}).count() >= 3, 'the edits');
  await ddb('PutItem', {TableName: TABLE, Item: {pk: {S: 'live'}, sk: {S: 'one'}, said: {S: 'hello'}}});
  await records.filter({hasText: '"said":"hello"'}).first().waitFor(WAIT);
  assert.match(await records.first().textContent(), /INSERT.*"said":"hello"/s);
  await shot(page, '07-stream');
  for (const op of ['DescribeStream', 'GetShardIterator', 'GetRecords']) {
    const r = requests.find((x) => x.op === op);
    assert.ok(r && r.headers['x-amz-target'] === `DynamoDBStreams_20120810.${op}`, op);
  }

  log('create a GSI, read through it, delete it');
  await page.locator('#tab-indexes').click();
  const gsi = page.locator('#gsi-form');
  await gsi.locator('[name=indexName]').fill('by-n');
  await gsi.locator('[name=pkName]').fill('n');
  await gsi.locator('[name=pkType]').selectOption('N');
  await gsi.locator('[name=projection]').selectOption('KEYS_ONLY');
  await gsi.locator('button[type=submit]').click();
  await page.locator('#indexes tr[data-index="by-n"]').waitFor(WAIT);
  let gsis = (await ddb('DescribeTable', {TableName: TABLE})).Table.GlobalSecondaryIndexes;
  assert.equal(gsis[0].IndexName, 'by-n');
  await shot(page, '08-indexes');
  await page.locator('#tab-items').click();
  await page.locator('#tab-body [name=index]').selectOption('by-n');
  await page.waitForFunction(() => document.querySelector('#tab-body table.items thead th')
    ?.textContent === 'n', null, WAIT);
  assert.equal(requests.filter((r) => r.op === 'Scan').pop().body.IndexName, 'by-n');
  await page.locator('#tab-indexes').click();
  await page.locator('#indexes tr[data-index="by-n"] button', {hasText: 'Delete'}).click();
  await page.waitForFunction(() => !document.querySelector('#indexes tr[data-index="by-n"]'), null,
    WAIT);
  gsis = (await ddb('DescribeTable', {TableName: TABLE})).Table.GlobalSecondaryIndexes;
  assert.ok(!gsis || gsis.length === 0 || gsis[0].IndexStatus === 'DELETING');

  log('settings: disable the stream, delete the table');
  await page.locator('#tab-overview').click();
  await page.locator('#tab-body button', {hasText: 'Disable stream'}).click();
  await page.locator('#tab-body a', {hasText: 'Enable the stream'}).waitFor(WAIT);
  await shot(page, '09-settings');
  await page.locator('#tab-body button', {hasText: 'Delete table'}).click();
  await page.locator('main h1', {hasText: 'Tables'}).waitFor(WAIT);
  const names = (await ddb('ListTables', {})).TableNames;
  assert.ok(!names.includes(TABLE), names.join(','));

  log('every request was a signed DynamoDB API call to POST /');
  assert.ok(requests.length > 20);
  for (const r of requests) {
    assert.match(r.headers.authorization, /^AWS4-HMAC-SHA256 Credential=console\/\d{8}\/us-east-1\/dynamodb\/aws4_request, SignedHeaders=content-type;host;x-amz-date;x-amz-target, Signature=[0-9a-f]{64}$/);
  }
  assert.deepEqual(problems, []);
  console.log('ok: console test passed');
} catch (err) {
  failed = true;
  console.error(err);
  if (problems.length) console.error(problems.join('\n'));
  for (const context of browser.contexts()) {
    for (const p of context.pages()) await shot(p, 'failure').catch(() => {});
  }
} finally {
  await browser.close();
}
process.exit(failed ? 1 : 0);
