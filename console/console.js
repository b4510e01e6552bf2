// The cruddur console: plain DOM code over the DynamoDB JSON API at POST / (the same requests any
// SDK sends, signed with SigV4). Every text from the server goes into the page as a text node
// (el() below), never as HTML. Views are chosen by the location hash: #/ (tables),
// #/table/NAME/TAB, #/create-table, #/partiql, #/backups.
'use strict';

// ---------------------------------------------------------------- DOM helpers

// el('td', {class: 'x', onclick: f}, 'text', child): strings become text nodes.
function el(tag, props = {}, ...children) {
  const node = document.createElement(tag);
  for (const [name, value] of Object.entries(props)) {
    if (value === undefined || value === null || value === false) continue;
    if (name.startsWith('on')) node.addEventListener(name.slice(2), value);
    else if (name === 'class') node.className = value;
    else if (name in node && typeof value !== 'string') node[name] = value;
    else node.setAttribute(name, value === true ? '' : value);
  }
  for (const child of children.flat()) {
    if (child === undefined || child === null || child === false) continue;
    node.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
  return node;
}
const $ = (id) => document.getElementById(id);
const field = (label, input) => el('label', {}, label, ' ', input);
const options = (values, selected) =>
  values.map((v) => el('option', {value: v, selected: v === selected}, v));
const button = (text, onclick, cls) => el('button', {type: 'button', class: cls, onclick}, text);

function showError(err) {
  const box = $('error');
  box.textContent = err ? String(err.message || err) : '';
  box.hidden = !err;
}

// ---------------------------------------------------------------- SigV4

const enc = new TextEncoder();
const hex = (bytes) => Array.from(bytes, (b) => b.toString(16).padStart(2, '0')).join('');

// SHA-256 for pages outside a secure context (a console opened by a LAN address over plain
// HTTP has no crypto.subtle). Round constants from the primes, as the standard defines them.
const SHA_K = [];
const SHA_H = [];
for (let n = 2, found = 0; found < 64; n++) {
  let prime = true;
  for (let d = 2; d * d <= n; d++) if (n % d === 0) prime = false;
  if (!prime) continue;
  const frac = (x) => ((x - Math.floor(x)) * 2 ** 32) >>> 0;
  if (found < 8) SHA_H.push(frac(Math.sqrt(n)));
  SHA_K.push(frac(Math.cbrt(n)));
  found++;
}
function sha256Js(data) {
  const bits = data.length * 8;
  const padded = new Uint8Array(((data.length + 72) >> 6) << 6);
  padded.set(data);
  padded[data.length] = 0x80;
  const view = new DataView(padded.buffer);
  view.setUint32(padded.length - 8, Math.floor(bits / 2 ** 32));
  view.setUint32(padded.length - 4, bits >>> 0);
  const h = SHA_H.slice();
  const w = new Uint32Array(64);
  const rotr = (x, n) => (x >>> n) | (x << (32 - n));
  for (let off = 0; off < padded.length; off += 64) {
    for (let i = 0; i < 16; i++) w[i] = view.getUint32(off + i * 4);
    for (let i = 16; i < 64; i++) {
      const s0 = rotr(w[i - 15], 7) ^ rotr(w[i - 15], 18) ^ (w[i - 15] >>> 3);
      const s1 = rotr(w[i - 2], 17) ^ rotr(w[i - 2], 19) ^ (w[i - 2] >>> 10);
      w[i] = (w[i - 16] + s0 + w[i - 7] + s1) >>> 0;
    }
    let [a, b, c, d, e, f, g, k] = h;
    for (let i = 0; i < 64; i++) {
      const t1 = (k + (rotr(e, 6) ^ rotr(e, 11) ^ rotr(e, 25)) + ((e & f) ^ (~e & g)) +
                  SHA_K[i] + w[i]) >>> 0;
      const t2 = ((rotr(a, 2) ^ rotr(a, 13) ^ rotr(a, 22)) + ((a & b) ^ (a & c) ^ (b & c))) >>> 0;
      [k, g, f, e, d, c, b, a] = [g, f, e, (d + t1) >>> 0, c, b, a, (t1 + t2) >>> 0];
    }
    [a, b, c, d, e, f, g, k].forEach((x, i) => { h[i] = (h[i] + x) >>> 0; });
  }
  const out = new Uint8Array(32);
  h.forEach((x, i) => new DataView(out.buffer).setUint32(i * 4, x));
  return out;
}
function hmacJs(key, data) {
  if (key.length > 64) key = sha256Js(key);
  const inner = new Uint8Array(64 + data.length);
  const outer = new Uint8Array(64 + 32);
  for (let i = 0; i < 64; i++) {
    inner[i] = (key[i] || 0) ^ 0x36;
    outer[i] = (key[i] || 0) ^ 0x5c;
  }
  inner.set(data, 64);
  outer.set(sha256Js(inner), 64);
  return sha256Js(outer);
}

const subtle = globalThis.crypto && globalThis.crypto.subtle;
const bytesOf = (x) => (typeof x === 'string' ? enc.encode(x) : x);
async function sha256(data) {
  data = bytesOf(data);
  return subtle ? new Uint8Array(await subtle.digest('SHA-256', data)) : sha256Js(data);
}
async function hmac(key, data) {
  key = bytesOf(key);
  data = bytesOf(data);
  if (!subtle) return hmacJs(key, data);
  const k = await subtle.importKey('raw', key, {name: 'HMAC', hash: 'SHA-256'}, false, ['sign']);
  return new Uint8Array(await subtle.sign('HMAC', k, data));
}

// The headers of a signed DynamoDB JSON request (Host is the browser's, and signed as such).
async function signedHeaders(creds, target, body) {
  const amzDate = new Date().toISOString().replace(/[-:]|\.\d{3}/g, '');
  const day = amzDate.slice(0, 8);
  const headers = {
    'content-type': 'application/x-amz-json-1.0',
    'host': location.host,
    'x-amz-date': amzDate,
    'x-amz-target': target,
  };
  const names = Object.keys(headers).sort();
  const canonical = ['POST', '/', '', ...names.map((n) => `${n}:${headers[n]}`), '',
    names.join(';'), hex(await sha256(body))].join('\n');
  const scope = `${day}/${creds.region}/dynamodb/aws4_request`;
  const toSign = ['AWS4-HMAC-SHA256', amzDate, scope, hex(await sha256(canonical))].join('\n');
  let key = await hmac('AWS4' + creds.secretAccessKey, day);
  for (const part of [creds.region, 'dynamodb', 'aws4_request']) key = await hmac(key, part);
  const signature = hex(await hmac(key, toSign));
  delete headers.host;
  headers.authorization = `AWS4-HMAC-SHA256 Credential=${creds.accessKeyId}/${scope}, ` +
      `SignedHeaders=${names.join(';')}, Signature=${signature}`;
  return headers;
}

// ---------------------------------------------------------------- API

const AUTH_ERRORS = ['UnrecognizedClientException', 'InvalidSignatureException',
  'MissingAuthenticationTokenException', 'IncompleteSignatureException',
  'InvalidClientTokenIdException', 'AccessDeniedException'];
// Without --auth any well-formed key is accepted; this one is used until the server refuses it.
const DEFAULT_CREDS = {accessKeyId: 'console', secretAccessKey: 'console', region: 'us-east-1'};
let creds = JSON.parse(sessionStorage.getItem('cruddur-console-creds') || 'null');

class ApiError extends Error {
  constructor(type, message) {
    super(message ? `${type}: ${message}` : type);
    this.type = type;
  }
}

async function call(op, body = {}, service = 'DynamoDB_20120810') {
  const text = JSON.stringify(body);
  const headers = await signedHeaders(creds || DEFAULT_CREDS, `${service}.${op}`, text);
  const res = await fetch('/', {method: 'POST', headers, body: text});
  const data = await res.json().catch(() => ({}));
  if (!res.ok) {
    const type = String(data.__type || `HTTP ${res.status}`).split('#').pop();
    const err = new ApiError(type, data.message || data.Message || '');
    if (AUTH_ERRORS.includes(type)) askForKey(err);
    throw err;
  }
  return data;
}
const streams = (op, body) => call(op, body, 'DynamoDBStreams_20120810');

let keyWaiters = [];
function askForKey(reason) {
  const form = $('key-form');
  const current = creds || DEFAULT_CREDS;
  form.accessKeyId.value = creds ? current.accessKeyId : '';
  form.secretAccessKey.value = '';
  form.region.value = current.region;
  $('key-error').textContent = reason ? String(reason.message) : '';
  $('key-error').hidden = !reason;
  if (!$('key-dialog').open) $('key-dialog').showModal();
  return new Promise((resolve) => keyWaiters.push(resolve));
}
$('key-form').addEventListener('submit', () => {
  const form = $('key-form');
  creds = {accessKeyId: form.accessKeyId.value.trim(),
    secretAccessKey: form.secretAccessKey.value, region: form.region.value.trim()};
  sessionStorage.setItem('cruddur-console-creds', JSON.stringify(creds));
  showWho();
  keyWaiters.forEach((resolve) => resolve());
  keyWaiters = [];
  route();
});
$('change-key').addEventListener('click', () => askForKey());
const showWho = () => { $('whoami').textContent = creds ? `key ${creds.accessKeyId}` : ''; };

// ---------------------------------------------------------------- values

// Plain JSON (what most people write) to DynamoDB's typed form and back. Plain JSON cannot hold
// sets, binary or numbers a JavaScript number would round; such items are edited typed.
function toTyped(x) {
  if (x === null) return {NULL: true};
  if (typeof x === 'string') return {S: x};
  if (typeof x === 'number') return {N: String(x)};
  if (typeof x === 'boolean') return {BOOL: x};
  if (Array.isArray(x)) return {L: x.map(toTyped)};
  if (typeof x === 'object') return {M: mapValues(x, toTyped)};
  throw new Error(`cannot store ${typeof x}`);
}
function toPlain(v, lenient = false) {
  const [type, x] = Object.entries(v)[0] || [];
  switch (type) {
    case 'S': case 'BOOL': return x;
    case 'NULL': return null;
    case 'N':
      if (String(Number(x)) === x) return Number(x);
      if (lenient) return Number(x);
      throw new Error(`the number ${x} would change in plain JSON; edit as DynamoDB JSON`);
    case 'L': return x.map((e) => toPlain(e, lenient));
    case 'M': return mapValues(x, (e) => toPlain(e, lenient));
    default:
      if (lenient) return type === 'NS' ? x.map(Number) : x;
      throw new Error(`a ${type} value has no plain JSON form; edit as DynamoDB JSON`);
  }
}
const mapValues = (obj, f) => Object.fromEntries(Object.entries(obj).map(([k, v]) => [k, f(v)]));
const plainItem = (item, lenient) => mapValues(item, (v) => toPlain(v, lenient));
const typedItem = (plain) => {
  if (!plain || typeof plain !== 'object' || Array.isArray(plain)) {
    throw new Error('an item is a JSON object');
  }
  return mapValues(plain, toTyped);
};

// One attribute value as a table cell shows it (strings bare, the rest as JSON).
function cellText(v) {
  if (v === undefined) return '';
  if ('S' in v) return v.S;
  const text = JSON.stringify(toPlain(v, true));
  return text.length > 200 ? text.slice(0, 200) + '…' : text;
}
function keyOf(item, keySchema) {
  return Object.fromEntries(keySchema.map((k) => [k.AttributeName, item[k.AttributeName]]));
}
const sameJson = (a, b) => JSON.stringify(a) === JSON.stringify(b);
const formatBytes = (n) => n === undefined ? '' : n < 1024 ? `${n} B` :
  n < 1048576 ? `${(n / 1024).toFixed(1)} KB` : `${(n / 1048576).toFixed(1)} MB`;
const keyText = (schema) => schema.map((k) => `${k.AttributeName} (${k.KeyType === 'HASH' ?
  'partition' : 'sort'})`).join(', ');
const attrType = (table, name) =>
  (table.AttributeDefinitions.find((a) => a.AttributeName === name) || {}).AttributeType || 'S';

// A typed value for a key or condition input: S as written, N as a number, B as base64.
function inputValue(type, text) {
  if (type === 'N') {
    if (text.trim() === '' || Number.isNaN(Number(text))) throw new Error(`'${text}' is not a number`);
    return {N: text.trim()};
  }
  if (type === 'BOOL') return {BOOL: text.trim() === 'true'};
  if (type === 'NULL') return {NULL: true};
  return {[type]: text};
}

// ---------------------------------------------------------------- routing

let viewToken = 0;  // bumped per view: loops of an older view stop
const main = () => $('main');

async function route() {
  const token = ++viewToken;
  showError(null);
  const [, view = '', name, tab] = location.hash.split('?')[0].split('/')
    .map(decodeURIComponent);
  try {
    if (view === 'table' && name) await tableView(name, tab || 'items', token);
    else if (view === 'create-table') createTableView();
    else if (view === 'partiql') partiqlView();
    else if (view === 'backups') backupsView();
    else await tablesView(token);
  } catch (err) {
    if (token === viewToken) showError(err);
  }
}
const current = (token) => token === viewToken;
const tableHref = (name, tab) => `#/table/${encodeURIComponent(name)}${tab ? '/' + tab : ''}`;

// ---------------------------------------------------------------- tables

async function describeAll() {
  const names = [];
  let start;
  do {
    const page = await call('ListTables', start ? {ExclusiveStartTableName: start} : {});
    names.push(...page.TableNames);
    start = page.LastEvaluatedTableName;
  } while (start);
  return Promise.all(names.map(async (name) => {
    const [{Table}, ttl] = await Promise.all([call('DescribeTable', {TableName: name}),
      call('DescribeTimeToLive', {TableName: name}).catch(() => ({}))]);
    return {table: Table, ttl: ttl.TimeToLiveDescription || {}};
  }));
}

function ttlText(ttl) {
  return ttl.TimeToLiveStatus === 'ENABLED' || ttl.TimeToLiveStatus === 'ENABLING'
    ? `${ttl.AttributeName} (${ttl.TimeToLiveStatus.toLowerCase()})` : 'off';
}
const streamText = (t) => t.StreamSpecification && t.StreamSpecification.StreamEnabled
  ? t.StreamSpecification.StreamViewType : 'off';
const indexNames = (t) => [...(t.GlobalSecondaryIndexes || []).map((i) => `${i.IndexName} (GSI)`),
  ...(t.LocalSecondaryIndexes || []).map((i) => `${i.IndexName} (LSI)`)].join(', ');

async function tablesView(token) {
  const tables = await describeAll();
  if (!current(token)) return;
  const rows = tables.map(({table: t, ttl}) => el('tr', {'data-table': t.TableName},
    el('td', {}, el('a', {href: tableHref(t.TableName)}, t.TableName)),
    el('td', {}, keyText(t.KeySchema)), el('td', {}, indexNames(t)),
    el('td', {class: 'num'}, t.ItemCount), el('td', {class: 'num'}, formatBytes(t.TableSizeBytes)),
    el('td', {}, streamText(t)), el('td', {}, ttlText(ttl)), el('td', {}, t.TableStatus)));
  main().replaceChildren(
    el('h1', {}, 'Tables'),
    tables.length === 0 ? el('p', {class: 'muted'}, 'No tables yet. ',
      el('a', {href: '#/create-table'}, 'Create one.')) :
      el('table', {id: 'tables', class: 'grid'},
        el('thead', {}, el('tr', {}, ['Name', 'Keys', 'Indexes', 'Items', 'Size', 'Stream', 'TTL',
          'Status'].map((h) => el('th', {}, h)))),
        el('tbody', {}, rows)));
}

// ---------------------------------------------------------------- one table

const TABS = [['items', 'Items'], ['query', 'Query / Scan'], ['stream', 'Stream'],
  ['indexes', 'Indexes'], ['backups', 'Backups'], ['overview', 'Settings']];

async function tableView(name, tab, token) {
  const [{Table: table}, ttl] = await Promise.all([call('DescribeTable', {TableName: name}),
    call('DescribeTimeToLive', {TableName: name}).then((r) => r.TimeToLiveDescription || {})]);
  if (!current(token)) return;
  const body = el('section', {id: 'tab-body'});
  main().replaceChildren(
    el('h1', {}, table.TableName),
    el('p', {class: 'muted'}, `${keyText(table.KeySchema)} · ${table.ItemCount} items · ` +
      `${formatBytes(table.TableSizeBytes)} · stream ${streamText(table)} · TTL ${ttlText(ttl)}`),
    el('nav', {class: 'tabs'}, TABS.map(([id, label]) =>
      el('a', {href: tableHref(name, id), class: id === tab ? 'active' : '', id: `tab-${id}`},
        label))),
    body);
  const views = {items: browseTab, query: queryTab, stream: streamTab, indexes: indexesTab,
    backups: backupsTab, overview: settingsTab};
  await (views[tab] || browseTab)(table, body, token, ttl);
}

// The key schemas one can read: the table's and each index's.
function sources(table) {
  return [{name: '', label: `table ${table.TableName}`, keys: table.KeySchema},
    ...[...(table.GlobalSecondaryIndexes || []), ...(table.LocalSecondaryIndexes || [])]
      .map((i) => ({name: i.IndexName, label: `index ${i.IndexName}`, keys: i.KeySchema}))];
}
function sourceSelect(table, onchange) {
  return el('select', {name: 'index', onchange},
    sources(table).map((s) => el('option', {value: s.name}, s.label)));
}

// A page of items as a grid: key attributes first, then the others in order of appearance.
function itemsGrid(items, table, keys) {
  const columns = [...new Set([...keys.map((k) => k.AttributeName),
    ...table.KeySchema.map((k) => k.AttributeName), ...items.flatMap(Object.keys)])];
  const shown = columns.slice(0, 16);
  return el('table', {class: 'grid items'},
    el('thead', {}, el('tr', {}, shown.map((c) => el('th', {}, c)))),
    el('tbody', {}, items.map((item) => el('tr', {
      class: 'clickable', title: 'Open this item',
      onclick: () => openItem(table, keyOf(item, table.KeySchema)),
    }, shown.map((c) => el('td', {}, cellText(item[c])))))));
}

// Pages of Scan or Query results with Limit + ExclusiveStartKey: one page in memory at a time,
// the start keys of earlier pages kept for Previous.
function pager(container, fetchPage, render) {
  const starts = [undefined];
  let page = 0;
  const info = el('span', {class: 'muted page-info'});
  const prev = button('Previous', () => { page--; load(); });
  const next = button('Next', () => { page++; load(); });
  const out = el('div', {class: 'page-items'});
  let loads = 0;  // answers can arrive out of order: only the latest load's is shown
  async function load() {
    const mine = ++loads;
    prev.disabled = next.disabled = true;
    try {
      const result = await fetchPage(starts[page]);
      if (mine !== loads) return;
      starts[page + 1] = result.LastEvaluatedKey;
      out.replaceChildren(render(result.Items || []));
      info.textContent = `page ${page + 1} · ${(result.Items || []).length} items` +
        (result.ScannedCount !== undefined ? ` (${result.ScannedCount} read)` : '');
      prev.disabled = page === 0;
      next.disabled = !result.LastEvaluatedKey;
    } catch (err) {
      if (mine !== loads) return;
      showError(err);
      prev.disabled = page === 0;
    }
  }
  container.replaceChildren(el('div', {class: 'row pager'}, prev, next, info), out);
  return {load, reload: load, restart: () => { starts.length = 1; page = 0; return load(); }};
}

let refreshAfterEdit = () => {};

function browseTab(table, body) {
  let source = sources(table)[0];
  let limit = 25;
  const list = el('div');
  const p = pager(list, (start) => call('Scan', {
    TableName: table.TableName, Limit: limit, ...(source.name ? {IndexName: source.name} : {}),
    ...(start ? {ExclusiveStartKey: start} : {}),
  }), (items) => items.length ? itemsGrid(items, table, source.keys) :
    el('p', {class: 'muted'}, 'No items.'));
  body.replaceChildren(el('div', {class: 'row'},
    field('Read from', sourceSelect(table, (e) => {
      source = sources(table).find((s) => s.name === e.target.value);
      p.restart();
    })),
    field('Page size', el('select', {name: 'limit', onchange: (e) => {
      limit = Number(e.target.value);
      p.restart();
    }}, options(['25', '50', '100', '200'], '25'))),
    el('span', {class: 'spacer'}),
    button('New item', () => editItem(table, null, null), 'primary')), list);
  refreshAfterEdit = p.reload;
  return p.load();
}

// ---------------------------------------------------------------- item editor

let editing = null;  // {table, key (null: new item)}

async function openItem(table, key) {
  try {
    const {Item} = await call('GetItem', {TableName: table.TableName, Key: key});
    if (!Item) throw new Error('the item is gone (deleted since the page was read)');
    editItem(table, key, Item);
  } catch (err) {
    showError(err);
  }
}

function editItem(table, key, item) {
  const template = item || Object.fromEntries(table.KeySchema.map((k) =>
    [k.AttributeName, {[attrType(table, k.AttributeName)]: attrType(table, k.AttributeName) === 'N' ?
      '0' : ''}]));
  editing = {table, key, item: template};
  const form = $('item-form');
  form.format.value = 'typed';
  $('item-text').value = JSON.stringify(template, null, 2);
  $('item-title').textContent = key ? `Item of ${table.TableName}` : `New item in ${table.TableName}`;
  $('item-delete').hidden = !key;
  itemError(null);
  $('item-dialog').showModal();
}
function itemError(err) {
  $('item-error').textContent = err ? String(err.message || err) : '';
  $('item-error').hidden = !err;
}
// The typed item the editor holds, in either format.
function editorItem(format) {
  const parsed = JSON.parse($('item-text').value);
  return format === 'plain' ? typedItem(parsed) : parsed;
}
let editorFormat = 'typed';
for (const radio of document.querySelectorAll('#item-form input[name=format]')) {
  radio.addEventListener('change', (e) => {
    try {
      const item = editorItem(editorFormat);
      $('item-text').value = JSON.stringify(e.target.value === 'plain' ? plainItem(item) : item,
        null, 2);
      editorFormat = e.target.value;
      itemError(null);
    } catch (err) {
      $('item-form').format.value = editorFormat;
      itemError(err);
    }
  });
}
$('item-form').addEventListener('submit', async (e) => {
  e.preventDefault();
  const {table, key} = editing;
  try {
    const item = editorItem(editorFormat);
    await call('PutItem', {TableName: table.TableName, Item: item});
    // A changed key makes this another item: the old one goes, as in AWS's console.
    if (key && !sameJson(keyOf(item, table.KeySchema), key)) {
      await call('DeleteItem', {TableName: table.TableName, Key: key});
    }
    closeEditor();
  } catch (err) {
    itemError(err);
  }
});
$('item-delete').addEventListener('click', async () => {
  const {table, key} = editing;
  if (!confirm('Delete this item?')) return;
  try {
    await call('DeleteItem', {TableName: table.TableName, Key: key});
    closeEditor();
  } catch (err) {
    itemError(err);
  }
});
$('item-cancel').addEventListener('click', () => $('item-dialog').close());
function closeEditor() {
  $('item-dialog').close();
  editorFormat = 'typed';
  refreshAfterEdit();
}

// ---------------------------------------------------------------- Query / Scan builder

const SORT_OPS = ['=', '<', '<=', '>', '>=', 'between', 'begins_with'];
const FILTER_OPS = ['=', '<>', '<', '<=', '>', '>=', 'begins_with', 'contains',
  'attribute_exists', 'attribute_not_exists'];

// The request the builder's inputs describe (throws on an input it cannot use).
function buildRequest(table, form, filters) {
  const source = sources(table).find((s) => s.name === form.index.value);
  const query = form.operation.value === 'Query';
  const names = {};
  const values = {};
  const name = (attr) => {
    const known = Object.keys(names).find((ref) => names[ref] === attr);
    if (known) return known;
    const ref = `#n${Object.keys(names).length}`;
    names[ref] = attr;
    return ref;
  };
  const value = (v) => {
    const ref = `:v${Object.keys(values).length}`;
    values[ref] = v;
    return ref;
  };
  const req = {TableName: table.TableName};
  if (source.name) req.IndexName = source.name;
  if (query) {
    const [pk, sk] = source.keys.map((k) => k.AttributeName);
    const parts = [`${name(pk)} = ${value(inputValue(attrType(table, pk), form.pk.value))}`];
    const op = form.skop.value;
    if (sk && form.sk.value !== '') {
      const type = attrType(table, sk);
      const ref = name(sk);
      if (op === 'between') {
        parts.push(`${ref} BETWEEN ${value(inputValue(type, form.sk.value))} AND ` +
          value(inputValue(type, form.sk2.value)));
      } else if (op === 'begins_with') {
        parts.push(`begins_with(${ref}, ${value(inputValue(type, form.sk.value))})`);
      } else {
        parts.push(`${ref} ${op} ${value(inputValue(type, form.sk.value))}`);
      }
    }
    req.KeyConditionExpression = parts.join(' AND ');
    if (form.descending.checked) req.ScanIndexForward = false;
  }
  const conditions = filters.filter((f) => f.attr.value.trim()).map((f) => {
    const ref = name(f.attr.value.trim());
    const op = f.op.value;
    if (op.startsWith('attribute_')) return `${op}(${ref})`;
    const v = value(inputValue(f.type.value, f.value.value));
    return ['begins_with', 'contains'].includes(op) ? `${op}(${ref}, ${v})` : `${ref} ${op} ${v}`;
  });
  if (conditions.length) req.FilterExpression = conditions.join(' AND ');
  const projection = form.projection.value.split(',').map((s) => s.trim()).filter(Boolean);
  if (projection.length) req.ProjectionExpression = projection.map(name).join(', ');
  if (Object.keys(names).length) req.ExpressionAttributeNames = names;
  if (Object.keys(values).length) req.ExpressionAttributeValues = values;
  if (Number(form.limit.value) > 0) req.Limit = Number(form.limit.value);
  return {op: query ? 'Query' : 'Scan', req};
}

// The same request as an aws CLI command line (POSIX shell quoting).
function cliCommand(op, req) {
  const quote = (s) => `'${String(s).replace(/'/g, `'\\''`)}'`;
  const flags = {
    TableName: 'table-name', IndexName: 'index-name',
    KeyConditionExpression: 'key-condition-expression', FilterExpression: 'filter-expression',
    ProjectionExpression: 'projection-expression',
    ExpressionAttributeNames: 'expression-attribute-names',
    ExpressionAttributeValues: 'expression-attribute-values',
  };
  const words = ['aws', 'dynamodb', op.toLowerCase(), '--endpoint-url', quote(location.origin)];
  for (const [member, flag] of Object.entries(flags)) {
    if (req[member] === undefined) continue;
    const v = typeof req[member] === 'object' ? JSON.stringify(req[member]) : req[member];
    words.push(`--${flag}`, typeof v === 'number' ? String(v) : quote(v));
  }
  if (req.ScanIndexForward === false) words.push('--no-scan-index-forward');
  // The CLI pages by itself: Limit per request is --page-size, and one page's worth --max-items.
  if (req.Limit) words.push('--page-size', String(req.Limit), '--max-items', String(req.Limit));
  return words.join(' ');
}

function queryTab(table, body) {
  const filters = [];
  const form = el('form', {id: 'query-form', class: 'builder', onsubmit: (e) => {
    e.preventDefault();
    run();
  }});
  const filterRows = el('div', {class: 'filters'});
  const keyRow = el('div', {class: 'row'});
  const cli = el('pre', {id: 'cli', class: 'cli'});
  const results = el('div', {id: 'query-results'});
  function addFilter() {
    const f = {attr: el('input', {placeholder: 'attribute', class: 'filter-attr'}),
      op: el('select', {class: 'filter-op'}, options(FILTER_OPS, '=')),
      type: el('select', {class: 'filter-type'}, options(['S', 'N', 'BOOL', 'NULL'], 'S')),
      value: el('input', {placeholder: 'value', class: 'filter-value'})};
    filters.push(f);
    filterRows.append(el('div', {class: 'row'}, 'filter', f.attr, f.op, f.type, f.value));
    update();
  }
  function keyInputs() {
    const source = sources(table).find((s) => s.name === form.index.value);
    const [pk, sk] = source.keys.map((k) => k.AttributeName);
    const query = form.operation.value === 'Query';
    keyRow.hidden = !query;
    keyRow.replaceChildren(
      field(`${pk} =`, el('input', {name: 'pk', placeholder: attrType(table, pk)})),
      sk ? field(sk, el('select', {name: 'skop'}, options(SORT_OPS, '='))) :
        el('input', {type: 'hidden', name: 'skop', value: '='}),
      el('input', {name: 'sk', placeholder: sk ? attrType(table, sk) : '', hidden: !sk}),
      el('input', {name: 'sk2', placeholder: 'and', hidden: true}),
      field('descending', el('input', {type: 'checkbox', name: 'descending'})));
    update();
  }
  function update() {
    if (form.sk2) form.sk2.hidden = !form.skop || form.skop.value !== 'between';
    try {
      const {op, req} = buildRequest(table, form, filters);
      cli.textContent = cliCommand(op, req);
    } catch (err) {
      cli.textContent = `(${err.message})`;
    }
  }
  function run() {
    let built;
    try {
      built = buildRequest(table, form, filters);
    } catch (err) {
      showError(err);
      return;
    }
    showError(null);
    const source = sources(table).find((s) => s.name === form.index.value);
    const p = pager(results, (start) => call(built.op,
      start ? {...built.req, ExclusiveStartKey: start} : built.req),
    (items) => items.length ? itemsGrid(items, table, source.keys) :
      el('p', {class: 'muted'}, 'No items match.'));
    refreshAfterEdit = p.reload;
    p.load();
  }
  form.append(
    el('div', {class: 'row'},
      field('Operation', el('select', {name: 'operation', onchange: keyInputs},
        options(['Query', 'Scan'], 'Query'))),
      field('on', sourceSelect(table, keyInputs)),
      field('Projection', el('input', {name: 'projection', placeholder: 'a, b.c (all when empty)'})),
      field('Page size', el('input', {name: 'limit', type: 'number', min: '1', value: '25'}))),
    keyRow, filterRows,
    el('div', {class: 'row'}, button('Add filter', addFilter),
      el('span', {class: 'spacer'}), el('button', {type: 'submit', class: 'primary'}, 'Run')),
    el('p', {class: 'muted'}, 'The same request with the aws CLI:'), cli);
  form.addEventListener('input', update);
  form.addEventListener('change', update);
  body.replaceChildren(form, results);
  keyInputs();
}

// ---------------------------------------------------------------- PartiQL

function partiqlView() {
  const table = decodeURIComponent((location.hash.split('?table=')[1] || ''));
  const text = el('textarea', {id: 'partiql-text', rows: 6, spellcheck: false},
    table ? `SELECT * FROM "${table}"` : 'SELECT * FROM "table-name"');
  const results = el('div', {id: 'partiql-results'});
  const limit = el('input', {name: 'limit', type: 'number', min: '1', placeholder: 'all'});
  const info = el('span', {class: 'muted page-info'});
  const more = button('Next page', () => run(token), '');
  let token;
  let runs = 0;  // as the pager: only the latest run's answer is shown
  more.disabled = true;
  async function run(nextToken) {
    const mine = ++runs;
    showError(null);
    try {
      const out = await call('ExecuteStatement', {Statement: text.value,
        ...(Number(limit.value) > 0 ? {Limit: Number(limit.value)} : {}),
        ...(nextToken ? {NextToken: nextToken} : {})});
      if (mine !== runs) return;
      const items = out.Items || [];
      token = out.NextToken;
      more.disabled = !token;
      info.textContent = `${items.length} items${token ? ' (more)' : ''}`;
      const columns = [...new Set(items.flatMap(Object.keys))].slice(0, 16);
      results.replaceChildren(items.length ? el('table', {class: 'grid items'},
        el('thead', {}, el('tr', {}, columns.map((c) => el('th', {}, c)))),
        el('tbody', {}, items.map((item) =>
          el('tr', {}, columns.map((c) => el('td', {}, cellText(item[c]))))))) :
        el('p', {class: 'muted'}, 'Done; no items returned.'));
    } catch (err) {
      if (mine === runs) showError(err);
    }
  }
  main().replaceChildren(el('h1', {}, 'PartiQL'),
    el('p', {class: 'muted'}, 'ExecuteStatement: SELECT, INSERT, UPDATE, DELETE. Names in double ' +
      'quotes, strings in single quotes.'),
    text, el('div', {class: 'row'}, button('Run', () => run(), 'primary'), more,
      field('Page size', limit), info), results);
}

// ---------------------------------------------------------------- stream

async function streamTab(table, body, token) {
  if (!table.LatestStreamArn || !streamText(table) || streamText(table) === 'off') {
    const type = el('select', {name: 'view-type'},
      options(['NEW_AND_OLD_IMAGES', 'NEW_IMAGE', 'OLD_IMAGE', 'KEYS_ONLY'], 'NEW_AND_OLD_IMAGES'));
    body.replaceChildren(el('p', {}, 'This table has no stream.'), el('div', {class: 'row'},
      type, button('Enable stream', async () => {
        await updateTable(table, {StreamSpecification: {StreamEnabled: true,
          StreamViewType: type.value}});
      }, 'primary')));
    return;
  }
  const list = el('ol', {id: 'stream-records', class: 'records', reversed: true});
  const status = el('span', {class: 'muted'});
  const live = el('input', {type: 'checkbox', checked: true, name: 'live'});
  const position = el('select', {name: 'position'}, options(['TRIM_HORIZON', 'LATEST'],
    'TRIM_HORIZON'));
  let shards = new Map();  // shard id -> iterator (null: shard read to its end)
  let count = 0;
  const restart = () => { shards = new Map(); count = 0; list.replaceChildren(); };
  position.addEventListener('change', restart);
  body.replaceChildren(el('div', {class: 'row'}, field('Live', live),
    field('From', position), button('Clear', () => list.replaceChildren()), status), list);

  async function poll() {
    const arn = table.LatestStreamArn;
    let start;
    do {
      const {StreamDescription: d} = await streams('DescribeStream',
        {StreamArn: arn, ...(start ? {ExclusiveStartShardId: start} : {})});
      for (const shard of d.Shards) {
        if (shards.has(shard.ShardId)) continue;
        // A child shard starts where its parent ended: from its beginning.
        const from = shard.ParentShardId && shards.has(shard.ParentShardId) ? 'TRIM_HORIZON' :
          position.value;
        const it = await streams('GetShardIterator',
          {StreamArn: arn, ShardId: shard.ShardId, ShardIteratorType: from});
        shards.set(shard.ShardId, it.ShardIterator);
      }
      start = d.LastEvaluatedShardId;
    } while (start);
    for (const [id, iterator] of shards) {
      if (!iterator) continue;
      const out = await streams('GetRecords', {ShardIterator: iterator, Limit: 100});
      shards.set(id, out.NextShardIterator || null);
      for (const r of out.Records) showRecord(r);
    }
    status.textContent = `${count} records from ${shards.size} shards`;
  }
  function showRecord(r) {
    count++;
    const d = r.dynamodb || {};
    const image = (name) => d[name] ? el('div', {class: 'image'}, el('b', {}, `${name}: `),
      JSON.stringify(plainItem(d[name], true))) : null;
    const when = d.ApproximateCreationDateTime ?
      new Date(d.ApproximateCreationDateTime * 1000).toLocaleTimeString() : '';
    list.prepend(el('li', {class: `record ${r.eventName}`},
      el('div', {}, el('b', {class: 'event'}, r.eventName), ' ', when, ' ',
        el('span', {class: 'muted'}, `seq ${d.SequenceNumber}`)),
      el('div', {class: 'image'}, el('b', {}, 'Keys: '), JSON.stringify(plainItem(d.Keys || {},
        true))), image('NewImage'), image('OldImage')));
    while (list.children.length > 500) list.lastChild.remove();
  }
  while (current(token)) {
    if (live.checked) {
      try {
        await poll();
      } catch (err) {
        if (current(token)) showError(err);
      }
    }
    await new Promise((resolve) => setTimeout(resolve, 1000));
  }
}

// ---------------------------------------------------------------- indexes and settings

async function updateTable(table, changes) {
  await call('UpdateTable', {TableName: table.TableName, ...changes});
  await route();
}

function keyFields(prefix, optional) {
  return [
    el('input', {name: `${prefix}Name`, placeholder: optional ? 'sort key (optional)' :
      'partition key', required: !optional}),
    el('select', {name: `${prefix}Type`}, options(['S', 'N', 'B'], 'S'))];
}
function keyDefinition(form) {
  const schema = [{AttributeName: form.pkName.value.trim(), KeyType: 'HASH'}];
  const defs = [{AttributeName: form.pkName.value.trim(), AttributeType: form.pkType.value}];
  if (form.skName.value.trim()) {
    schema.push({AttributeName: form.skName.value.trim(), KeyType: 'RANGE'});
    defs.push({AttributeName: form.skName.value.trim(), AttributeType: form.skType.value});
  }
  return {schema, defs};
}
const provisioned = (table) => table.BillingModeSummary ?
  table.BillingModeSummary.BillingMode === 'PROVISIONED' :
  (table.ProvisionedThroughput || {}).ReadCapacityUnits > 0;

function indexesTab(table, body) {
  const rows = [...(table.GlobalSecondaryIndexes || []).map((i) => ['GSI', i]),
    ...(table.LocalSecondaryIndexes || []).map((i) => ['LSI', i])].map(([kind, i]) =>
    el('tr', {'data-index': i.IndexName}, el('td', {}, i.IndexName), el('td', {}, kind),
      el('td', {}, keyText(i.KeySchema)),
      el('td', {}, i.Projection.ProjectionType +
        (i.Projection.NonKeyAttributes ? ` (${i.Projection.NonKeyAttributes.join(', ')})` : '')),
      el('td', {}, i.IndexStatus || ''), el('td', {class: 'num'}, i.ItemCount),
      el('td', {class: 'num'}, formatBytes(i.IndexSizeBytes)),
      el('td', {}, kind === 'GSI' ? button('Delete', () => {
        if (!confirm(`Delete index ${i.IndexName}?`)) return;
        updateTable(table, {GlobalSecondaryIndexUpdates: [{Delete: {IndexName: i.IndexName}}]})
          .catch(showError);
      }, 'danger') : '')));
  const form = el('form', {id: 'gsi-form', class: 'builder', onsubmit: async (e) => {
    e.preventDefault();
    const {schema, defs} = keyDefinition(form);
    const projection = {ProjectionType: form.projection.value};
    if (form.projection.value === 'INCLUDE') {
      projection.NonKeyAttributes = form.nonKey.value.split(',').map((s) => s.trim())
        .filter(Boolean);
    }
    const create = {IndexName: form.indexName.value.trim(), KeySchema: schema,
      Projection: projection};
    if (provisioned(table)) {
      create.ProvisionedThroughput = {ReadCapacityUnits: 5, WriteCapacityUnits: 5};
    }
    try {
      await updateTable(table, {AttributeDefinitions: defs,
        GlobalSecondaryIndexUpdates: [{Create: create}]});
    } catch (err) {
      showError(err);
    }
  }},
  el('h2', {}, 'Create a global secondary index'),
  el('div', {class: 'row'}, el('input', {name: 'indexName', placeholder: 'index name',
    required: true}), ...keyFields('pk'), ...keyFields('sk', true)),
  el('div', {class: 'row'}, field('Projection', el('select', {name: 'projection'},
    options(['ALL', 'KEYS_ONLY', 'INCLUDE'], 'ALL'))),
  el('input', {name: 'nonKey', placeholder: 'attributes for INCLUDE: a, b'}),
  el('button', {type: 'submit', class: 'primary'}, 'Create index')));
  body.replaceChildren(rows.length ? el('table', {id: 'indexes', class: 'grid'},
    el('thead', {}, el('tr', {}, ['Name', 'Kind', 'Keys', 'Projection', 'Status', 'Items', 'Size',
      ''].map((h) => el('th', {}, h)))), el('tbody', {}, rows)) :
    el('p', {class: 'muted'}, 'No secondary indexes.'), form);
}

function settingsTab(table, body, token, ttl) {
  const defs = table.AttributeDefinitions.map((a) => `${a.AttributeName}: ${a.AttributeType}`);
  const facts = [
    ['ARN', table.TableArn], ['Status', table.TableStatus],
    ['Created', new Date(table.CreationDateTime * 1000).toLocaleString()],
    ['Keys', keyText(table.KeySchema)], ['Attribute types', defs.join(', ')],
    ['Billing', provisioned(table) ? `provisioned (${table.ProvisionedThroughput.ReadCapacityUnits}` +
      ` read, ${table.ProvisionedThroughput.WriteCapacityUnits} write)` : 'on demand'],
    ['Items', table.ItemCount], ['Size', formatBytes(table.TableSizeBytes)],
    ['Stream', streamText(table) + (table.LatestStreamArn ? ` · ${table.LatestStreamArn}` : '')],
    ['TTL', ttlText(ttl)],
  ];
  const streamOn = streamText(table) !== 'off';
  const ttlOn = ttl.TimeToLiveStatus === 'ENABLED';
  const ttlName = el('input', {name: 'ttl-attribute', placeholder: 'attribute',
    value: ttl.AttributeName || ''});
  body.replaceChildren(
    el('dl', {class: 'facts'}, facts.flatMap(([k, v]) => [el('dt', {}, k), el('dd', {}, v)])),
    el('div', {class: 'row'}, streamOn ?
      button('Disable stream', () => updateTable(table, {StreamSpecification:
        {StreamEnabled: false}}).catch(showError)) :
      el('a', {href: tableHref(table.TableName, 'stream')}, 'Enable the stream…')),
    el('div', {class: 'row'}, 'TTL attribute', ttlName, button(ttlOn ? 'Disable TTL' : 'Enable TTL',
      async () => {
        try {
          await call('UpdateTimeToLive', {TableName: table.TableName, TimeToLiveSpecification:
            {Enabled: !ttlOn, AttributeName: ttlName.value.trim()}});
          await route();
        } catch (err) {
          showError(err);
        }
      })),
    el('div', {class: 'row'},
      el('a', {href: `#/partiql?table=${encodeURIComponent(table.TableName)}`}, 'PartiQL…'),
      el('span', {class: 'spacer'}),
      button('Delete table', async () => {
        if (!confirm(`Delete table ${table.TableName} and all its items?`)) return;
        try {
          await call('DeleteTable', {TableName: table.TableName});
          location.hash = '#/';
        } catch (err) {
          showError(err);
        }
      }, 'danger')));
}

function createTableView() {
  const form = el('form', {id: 'create-form', class: 'builder', onsubmit: async (e) => {
    e.preventDefault();
    const {schema, defs} = keyDefinition(form);
    const req = {TableName: form.tableName.value.trim(), KeySchema: schema,
      AttributeDefinitions: defs, BillingMode: form.billing.value};
    if (form.billing.value === 'PROVISIONED') {
      req.ProvisionedThroughput = {ReadCapacityUnits: Number(form.rcu.value),
        WriteCapacityUnits: Number(form.wcu.value)};
    }
    if (form.stream.value !== 'off') {
      req.StreamSpecification = {StreamEnabled: true, StreamViewType: form.stream.value};
    }
    try {
      await call('CreateTable', req);
      if (form.ttl.value.trim()) {
        await call('UpdateTimeToLive', {TableName: req.TableName, TimeToLiveSpecification:
          {Enabled: true, AttributeName: form.ttl.value.trim()}});
      }
      location.hash = tableHref(req.TableName);
    } catch (err) {
      showError(err);
    }
  }},
  el('div', {class: 'row'}, field('Name', el('input', {name: 'tableName', required: true}))),
  el('div', {class: 'row'}, 'Keys', ...keyFields('pk'), ...keyFields('sk', true)),
  el('div', {class: 'row'}, field('Billing', el('select', {name: 'billing'},
    options(['PAY_PER_REQUEST', 'PROVISIONED'], 'PAY_PER_REQUEST'))),
  field('read', el('input', {name: 'rcu', type: 'number', min: '1', value: '5'})),
  field('write', el('input', {name: 'wcu', type: 'number', min: '1', value: '5'}))),
  el('div', {class: 'row'}, field('Stream', el('select', {name: 'stream'},
    options(['off', 'NEW_AND_OLD_IMAGES', 'NEW_IMAGE', 'OLD_IMAGE', 'KEYS_ONLY'], 'off'))),
  field('TTL attribute', el('input', {name: 'ttl', placeholder: 'none'}))),
  el('button', {type: 'submit', class: 'primary'}, 'Create table'));
  main().replaceChildren(el('h1', {}, 'Create table'), form);
}

// ---------------------------------------------------------------- backups and PITR

const timeText = (seconds) => seconds === undefined ? '' : new Date(seconds * 1000).toLocaleString();

// Backups (all tables', or one table's) 25 a page (ListBackups paged by ExclusiveStartBackupArn),
// with forms to create one, restore one into a new table and delete one.
function backupsPanel(tableName) {
  const note = el('p', {id: 'backup-note', class: 'muted'});
  const list = el('div', {id: 'backups'});
  const restored = (what, target) => note.replaceChildren(`${what} into `,
    el('a', {href: tableHref(target)}, target), ' (the new table is CREATING until it is filled).');
  const p = pager(list, async (start) => {
    const out = await call('ListBackups', {BackupType: 'ALL', Limit: 25,
      ...(tableName ? {TableName: tableName} : {}),
      ...(start ? {ExclusiveStartBackupArn: start} : {})});
    return {Items: out.BackupSummaries || [], LastEvaluatedKey: out.LastEvaluatedBackupArn};
  }, (backups) => backups.length ? el('table', {class: 'grid'},
    el('thead', {}, el('tr', {}, ['Name', 'Table', 'Type', 'Status', 'Created', 'Size',
      'Restore to a new table', ''].map((h) => el('th', {}, h)))),
    el('tbody', {}, backups.map(backupRow))) : el('p', {class: 'muted'}, 'No backups.'));
  function backupRow(b) {
    const target = el('input', {name: 'target', placeholder: 'new table name'});
    return el('tr', {'data-backup': b.BackupName},
      el('td', {}, b.BackupName), el('td', {}, el('a', {href: tableHref(b.TableName)}, b.TableName)),
      el('td', {}, b.BackupType), el('td', {}, b.BackupStatus),
      el('td', {}, timeText(b.BackupCreationDateTime)),
      el('td', {class: 'num'}, formatBytes(b.BackupSizeBytes)),
      el('td', {}, target, ' ', button('Restore', async () => {
        try {
          await call('RestoreTableFromBackup', {BackupArn: b.BackupArn,
            TargetTableName: target.value.trim()});
          restored(`Restoring ${b.BackupName}`, target.value.trim());
        } catch (err) {
          showError(err);
        }
      })),
      el('td', {}, button('Delete', async () => {
        if (!confirm(`Delete backup ${b.BackupName}?`)) return;
        try {
          await call('DeleteBackup', {BackupArn: b.BackupArn});
          await p.reload();
        } catch (err) {
          showError(err);
        }
      }, 'danger')));
  }
  const form = el('form', {id: 'backup-form', class: 'builder', onsubmit: async (e) => {
    e.preventDefault();
    try {
      await call('CreateBackup', {TableName: form.tableName.value.trim(),
        BackupName: form.backupName.value.trim()});
      form.backupName.value = '';
      await p.restart();
    } catch (err) {
      showError(err);
    }
  }}, el('div', {class: 'row'},
    field('Table', el('input', {name: 'tableName', required: true, value: tableName || '',
      readOnly: Boolean(tableName)})),
    field('Backup name', el('input', {name: 'backupName', required: true})),
    el('button', {type: 'submit', class: 'primary'}, 'Create backup')));
  p.load();
  return {panel: [form, note, list], restored};
}

function backupsView() {
  main().replaceChildren(el('h1', {}, 'Backups'), ...backupsPanel(null).panel);
}

// A table's point-in-time recovery (status, restorable window, on/off, restore) and backups.
async function backupsTab(table, body, token) {
  const name = table.TableName;
  const {ContinuousBackupsDescription: d} = await call('DescribeContinuousBackups',
    {TableName: name});
  if (!current(token)) return;
  const pitr = d.PointInTimeRecoveryDescription || {};
  const on = pitr.PointInTimeRecoveryStatus === 'ENABLED';
  const {panel, restored} = backupsPanel(name);
  const latest = el('input', {type: 'checkbox', name: 'latest', checked: true});
  const when = el('input', {type: 'datetime-local', name: 'when', step: '1', disabled: true});
  latest.addEventListener('change', () => { when.disabled = latest.checked; });
  const form = el('form', {id: 'pitr-form', class: 'builder', hidden: !on, onsubmit: async (e) => {
    e.preventDefault();
    const target = form.target.value.trim();
    try {
      const at = new Date(when.value).getTime() / 1000;  // datetime-local is local time
      if (!latest.checked && Number.isNaN(at)) throw new Error('pick a date and time, or latest');
      await call('RestoreTableToPointInTime', {SourceTableName: name, TargetTableName: target,
        ...(latest.checked ? {UseLatestRestorableTime: true} : {RestoreDateTime: at})});
      restored(`Restoring ${name} as of ${latest.checked ? 'latest' : when.value}`, target);
    } catch (err) {
      showError(err);
    }
  }}, el('h2', {}, 'Restore to a point in time'), el('div', {class: 'row'},
    field('New table', el('input', {name: 'target', required: true})),
    field('Latest', latest), field('or at (local time)', when),
    el('button', {type: 'submit', class: 'primary'}, 'Restore')));
  body.replaceChildren(el('h2', {}, 'Point-in-time recovery'),
    el('dl', {id: 'pitr', class: 'facts'}, [['Status', pitr.PointInTimeRecoveryStatus || ''],
      ['Earliest restorable', timeText(pitr.EarliestRestorableDateTime)],
      ['Latest restorable', timeText(pitr.LatestRestorableDateTime)]]
      .flatMap(([k, v]) => [el('dt', {}, k), el('dd', {}, v)])),
    el('div', {class: 'row'}, button(on ? 'Disable point-in-time recovery' :
      'Enable point-in-time recovery', async () => {
      try {
        await call('UpdateContinuousBackups', {TableName: name,
          PointInTimeRecoverySpecification: {PointInTimeRecoveryEnabled: !on}});
        await route();
      } catch (err) {
        showError(err);
      }
    })), form, el('h2', {}, 'Backups'), ...panel);
}

// ---------------------------------------------------------------- start

async function start() {
  // The region the server signs for is in its health answer: "healthy: dynamodb.REGION....".
  try {
    const health = await (await fetch('/')).text();
    const region = (health.match(/dynamodb\.([a-z0-9-]+)\./) || [])[1];
    if (region) DEFAULT_CREDS.region = region;
  } catch (err) {
    // The default region stays.
  }
  showWho();
  window.addEventListener('hashchange', route);
  await route();
}
start();
