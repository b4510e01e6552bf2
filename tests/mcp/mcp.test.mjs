// `cruddur ddb mcp` driven by the official MCP TypeScript SDK (@modelcontextprotocol/sdk), over
// stdio (StdioClientTransport spawning the binary) and over Streamable HTTP (with the bearer
// token; refused with 401 when missing or wrong). Run by tests/mcp/run.sh, which prepares:
//   CRUDDUR_BIN, STDIO_DATA_DIR (a data dir with cruddur-messages created by schema-load),
//   MCP_URL and MCP_TOKEN (a running `ddb mcp --mcp-port 0`, its table created the same way).
import assert from 'node:assert/strict';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';

const bin = process.env.CRUDDUR_BIN;
const table = 'cruddur-messages';
const ALL_TOOLS = ['list_tables', 'describe_table', 'get_item', 'put_item', 'update_item',
  'delete_item', 'query', 'scan', 'execute_partiql', 'read_stream'];

function newClient() {
  return new Client({ name: 'cruddur-mcp-test', version: '1.0.0' });
}

// Calls a tool and returns its parsed JSON text; `isError` tells whether a failure is expected.
async function call(client, name, args, { isError = false } = {}) {
  const result = await client.callTool({ name, arguments: args });
  assert.equal(result.content.length, 1, `${name}: one content`);
  assert.equal(result.content[0].type, 'text');
  assert.equal(Boolean(result.isError), isError, `${name}: isError ${result.content[0].text}`);
  return JSON.parse(result.content[0].text);
}

function message(group, n) {
  return {
    pk: { S: `MSG#${group}` },
    sk: { S: `2026-12-03T10:00:${String(n).padStart(2, '0')}.000000+00:00` },
    message: { S: `message ${n}` },
    message_uuid: { S: `uuid-${n}` },
  };
}

async function stdioSession(args) {
  const client = newClient();
  const transport = new StdioClientTransport({
    command: bin,
    args: ['--data-dir', process.env.STDIO_DATA_DIR, 'ddb', 'mcp', ...args],
    stderr: 'inherit',
  });
  await client.connect(transport);
  return client;
}

async function testTools(client, label) {
  const { tools } = await client.listTools();
  assert.deepEqual(tools.map((t) => t.name).sort(), [...ALL_TOOLS].sort(), `${label}: tools`);
  for (const tool of tools) {
    assert.equal(tool.inputSchema.type, 'object', `${tool.name}: inputSchema`);
    assert.ok(tool.description.length > 20, `${tool.name}: description`);
  }

  const listed = await call(client, 'list_tables', {});
  assert.ok(listed.TableNames.includes(table), `${label}: list_tables ${JSON.stringify(listed)}`);
  const described = await call(client, 'describe_table', { TableName: table });
  assert.equal(described.Table.TableName, table);

  // put 7 messages, read one back, change it, delete another
  for (let n = 1; n <= 7; n++) {
    assert.deepEqual(await call(client, 'put_item', { TableName: table, Item: message('g1', n) }), {});
  }
  const key3 = { pk: message('g1', 3).pk, sk: message('g1', 3).sk };
  const got = await call(client, 'get_item', { TableName: table, Key: key3 });
  assert.deepEqual(got.Item, message('g1', 3));
  const updated = await call(client, 'update_item', {
    TableName: table, Key: key3, UpdateExpression: 'SET #m = :m',
    ExpressionAttributeNames: { '#m': 'message' }, ExpressionAttributeValues: { ':m': { S: 'edited' } },
    ReturnValues: 'ALL_NEW',
  });
  assert.equal(updated.Attributes.message.S, 'edited');
  const key7 = { pk: message('g1', 7).pk, sk: message('g1', 7).sk };
  await call(client, 'delete_item', { TableName: table, Key: key7 });
  assert.deepEqual(await call(client, 'get_item', { TableName: table, Key: key7 }), {});

  // query pages of 2 newest first: 6 items in 3 full pages, then an empty last one or none
  const seen = [];
  let start;
  for (let page = 0; page < 10; page++) {
    const args = {
      TableName: table, KeyConditionExpression: 'pk = :pk', ScanIndexForward: false, Limit: 2,
      ExpressionAttributeValues: { ':pk': { S: 'MSG#g1' } },
    };
    if (start) args.ExclusiveStartKey = start;
    const answer = await call(client, 'query', args);
    assert.ok(answer.Items.length <= 2);
    seen.push(...answer.Items.map((i) => i.message.S));
    start = answer.LastEvaluatedKey;
    if (!start) break;
  }
  assert.deepEqual(seen, ['message 6', 'message 5', 'message 4', 'edited', 'message 2', 'message 1']);

  // scan pages of 4 until LastEvaluatedKey is gone: every item once
  const scanned = new Set();
  let pages = 0;
  start = undefined;
  do {
    const answer = await call(client, 'scan', { TableName: table, Limit: 4, ...(start ? { ExclusiveStartKey: start } : {}) });
    assert.ok(answer.Items.length <= 4);
    for (const item of answer.Items) scanned.add(`${item.pk.S}|${item.sk.S}`);
    start = answer.LastEvaluatedKey;
    pages++;
  } while (start && pages < 20);
  assert.equal(scanned.size, 6, `scan saw ${[...scanned]}`);
  assert.ok(pages >= 2, `scan took ${pages} pages`);

  const selected = await call(client, 'execute_partiql', {
    Statement: `SELECT message FROM "${table}" WHERE pk = ? AND sk = ?`,
    Parameters: [key3.pk, key3.sk],
  });
  assert.deepEqual(selected.Items, [{ message: { S: 'edited' } }]);
  await call(client, 'execute_partiql', {
    Statement: `INSERT INTO "${table}" VALUE {'pk': 'MSG#g2', 'sk': 's', 'message': 'by partiql'}`,
  });
  const inserted = await call(client, 'get_item', { TableName: table, Key: { pk: { S: 'MSG#g2' }, sk: { S: 's' } } });
  assert.equal(inserted.Item.message.S, 'by partiql');

  // the stream (NEW_IMAGE, from schema-load) carried the writes, newest last
  const stream = await call(client, 'read_stream', { TableName: table, Limit: 3 });
  assert.equal(stream.Records.length, 3);
  assert.deepEqual(stream.Records.map((r) => r.eventName), ['MODIFY', 'REMOVE', 'INSERT']);
  assert.equal(stream.Records[2].dynamodb.NewImage.message.S, 'by partiql');

  // DynamoDB's errors come back as isError results with its type and message
  const missing = await call(client, 'get_item', { TableName: 'no-such-table', Key: key3 }, { isError: true });
  assert.equal(missing.__type, 'ResourceNotFoundException');
  assert.ok(missing.message.length > 0);
  const invalid = await call(client, 'query', { TableName: table, KeyConditionExpression: 'nope =' }, { isError: true });
  assert.equal(invalid.__type, 'ValidationException');

  // the data-model resource
  const { resources } = await client.listResources();
  const uri = `dynamodb://table/${table}`;
  assert.ok(resources.some((r) => r.uri === uri), `resources: ${JSON.stringify(resources)}`);
  const read = await client.readResource({ uri });
  const model = JSON.parse(read.contents[0].text);
  assert.equal(read.contents[0].mimeType, 'application/json');
  assert.deepEqual(model.KeySchema.map((k) => k.AttributeName), ['pk', 'sk']);
  assert.equal(model.GlobalSecondaryIndexes[0].IndexName, 'message-group-sk-index');
  assert.equal(model.AccessPatterns.length, 4);
  await assert.rejects(client.readResource({ uri: 'dynamodb://table/no-such-table' }), /not found/i);
  console.log(`ok: ${label}: ${tools.length} tools, CRUD, query/scan paging, PartiQL, stream, resource`);
}

async function testReadOnly() {
  const client = await stdioSession(['--read-only']);
  const { tools } = await client.listTools();
  const names = tools.map((t) => t.name);
  for (const write of ['put_item', 'update_item', 'delete_item']) assert.ok(!names.includes(write), write);
  assert.ok(names.includes('get_item') && names.includes('execute_partiql'));
  const key = { pk: { S: 'MSG#ro' }, sk: { S: 's' } };
  await assert.rejects(client.callTool({ name: 'put_item', arguments: { TableName: table, Item: key } }),
    /read-only/);
  const refused = await call(client, 'execute_partiql',
    { Statement: `INSERT INTO "${table}" VALUE {'pk': 'MSG#ro', 'sk': 's'}` }, { isError: true });
  assert.equal(refused.__type, 'AccessDeniedException');
  assert.deepEqual(await call(client, 'get_item', { TableName: table, Key: key }), {});
  const read = await call(client, 'execute_partiql', { Statement: `SELECT * FROM "${table}" WHERE pk = 'MSG#g2'` });
  assert.equal(read.Items.length, 1);
  await client.close();
  console.log('ok: read-only: write tools hidden and refused, PartiQL writes refused, reads run');
}

async function testHttpAuth(url, token) {
  const body = JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'initialize',
    params: { protocolVersion: '2025-06-18', capabilities: {}, clientInfo: { name: 'raw', version: '1' } } });
  const headers = { 'Content-Type': 'application/json', Accept: 'application/json, text/event-stream' };
  const none = await fetch(url, { method: 'POST', headers, body });
  assert.equal(none.status, 401, 'no token');
  const wrong = await fetch(url, { method: 'POST', headers: { ...headers, Authorization: `Bearer ${token}x` }, body });
  assert.equal(wrong.status, 401, 'wrong token');
  const right = await fetch(url, { method: 'POST', headers: { ...headers, Authorization: `Bearer ${token}` }, body });
  assert.equal(right.status, 200);
  assert.ok(right.headers.get('mcp-session-id'), 'Mcp-Session-Id issued');
  assert.equal((await right.json()).result.protocolVersion, '2025-06-18');
  const noSession = await fetch(url, { method: 'POST', headers: { ...headers, Authorization: `Bearer ${token}` },
    body: JSON.stringify({ jsonrpc: '2.0', id: 2, method: 'tools/list' }) });
  assert.equal(noSession.status, 400, 'no session');

  // the SDK's client is refused too with a wrong token
  const bad = newClient();
  await assert.rejects(bad.connect(new StreamableHTTPClientTransport(new URL(url),
    { requestInit: { headers: { Authorization: 'Bearer wrong' } } })));
  console.log('ok: http: missing and wrong tokens get 401, a session id is issued at initialize');
}

const stdio = await stdioSession([]);
await testTools(stdio, 'stdio');
await stdio.close();
await testReadOnly();

const url = process.env.MCP_URL;
const token = process.env.MCP_TOKEN;
await testHttpAuth(url, token);
const http = newClient();
const transport = new StreamableHTTPClientTransport(new URL(url),
  { requestInit: { headers: { Authorization: `Bearer ${token}` } } });
await http.connect(transport);
assert.ok(transport.sessionId, 'the SDK holds the session id');
await testTools(http, 'http');
await transport.terminateSession();
await http.close();
console.log('mcp tests passed');
