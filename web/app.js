// Cruddur messages: the web page of `cruddur serve`. Plain browser JavaScript, no build step and
// no third-party code. Every piece of user data goes into the page through textContent only.
'use strict';

(() => {
  const POLL_MS = 2000;
  const MAX_CHARS = 1024;
  const TOKEN_KEY = 'cruddur.token';
  const HANDLE_KEY = 'cruddur.handle';

  // The API's 422 codes (the original's), as sentences.
  const CODE_TEXT = {
    message_blank: 'Write a message first.',
    message_exceed_max_chars: `Messages are limited to ${MAX_CHARS} characters.`,
    user_reciever_handle_blank: 'Enter the handle of the person to write to.',
    user_reciever_handle_not_found: 'There is no user with that handle.',
    user_reciever_handle_self: 'You cannot start a conversation with yourself.',
    message_group_uuid_blank: 'No conversation selected.',
    cognito_user_id_blank: 'You are not signed in.',
  };

  const $ = (id) => document.getElementById(id);

  const state = {
    token: sessionStorage.getItem(TOKEN_KEY) || '',
    handle: sessionStorage.getItem(HANDLE_KEY) || '',
    groups: [],            // newest first
    groupsCursor: '',      // the next page of conversations ('' when none)
    open: null,            // {uuid, handle, display_name}
    messages: [],          // oldest first
    olderCursor: '',       // older messages of the open conversation
    timer: 0,
    polling: false,
  };

  // ---- helpers --------------------------------------------------------------------------------

  function el(tag, className, text) {
    const node = document.createElement(tag);
    if (className) node.className = className;
    if (text !== undefined) node.textContent = text;
    return node;
  }

  function showError(text) {
    const box = $('error');
    box.textContent = text;
    box.hidden = !text;
  }

  // Today: the time. Another day: the date — with the time too when `withTime` (a message,
  // where the time matters; the conversation list keeps it short). The year only when it is not
  // this one.
  function formatTime(iso, withTime) {
    const date = new Date(iso);
    if (Number.isNaN(date.getTime())) return iso || '';
    const now = new Date();
    const time = {hour: '2-digit', minute: '2-digit'};
    if (date.toDateString() === now.toDateString()) return date.toLocaleTimeString([], time);
    const day = {month: 'short', day: 'numeric'};
    if (date.getFullYear() !== now.getFullYear()) day.year = 'numeric';
    return withTime ? date.toLocaleString([], {...day, ...time}) : date.toLocaleDateString([], day);
  }

  // A <time> showing formatTime, with the full date and time on hover.
  function timeElement(className, iso, withTime) {
    const node = el('time', className, formatTime(iso, withTime));
    node.dateTime = iso || '';
    const date = new Date(iso);
    if (!Number.isNaN(date.getTime())) {
      node.title = date.toLocaleString([], {dateStyle: 'full', timeStyle: 'short'});
    }
    return node;
  }

  // created_at is ISO-8601 UTC; compare as instants (a missing one sorts first).
  const timeOf = (item) => Date.parse(item.created_at) || 0;

  class ApiError extends Error {
    constructor(status, text) {
      super(text);
      this.status = status;
    }
  }

  // The reason of an API error answer: {error} or the 422 list of codes.
  function reasonOf(status, body) {
    if (Array.isArray(body)) return body.map((c) => CODE_TEXT[c] || c).join(' ');
    if (body && typeof body.error === 'string') return body.error;
    return `The server answered ${status}.`;
  }

  async function api(path, {method = 'GET', body, auth = true} = {}) {
    const headers = {Accept: 'application/json'};
    if (auth) headers.Authorization = `Bearer ${state.token}`;
    if (body !== undefined) headers['Content-Type'] = 'application/json';
    let response;
    try {
      response = await fetch(path, {
        method, headers, body: body === undefined ? undefined : JSON.stringify(body),
        cache: 'no-store',
      });
    } catch (e) {
      throw new ApiError(0, 'Cannot reach the server.');
    }
    const text = await response.text();
    let data = null;
    try { data = text ? JSON.parse(text) : null; } catch (e) { data = null; }
    if (!response.ok) {
      if (response.status === 401 && auth) signOut('Your session has expired: sign in again.');
      throw new ApiError(response.status, reasonOf(response.status, data));
    }
    return {data, next: response.headers.get('X-Next-Cursor') || ''};
  }

  // Runs an action of the user; an API error is shown instead of thrown.
  async function userAction(button, action) {
    if (button) button.disabled = true;
    try {
      await action();
      showError('');
    } catch (e) {
      showError(e instanceof ApiError ? e.message : String(e));
    } finally {
      if (button) button.disabled = false;
    }
  }

  // ---- sign-in --------------------------------------------------------------------------------

  async function showSignIn() {
    stopPolling();
    $('inbox').hidden = true;
    $('whoami').hidden = true;
    $('sign-in').hidden = false;
    const list = $('user-list');
    list.replaceChildren();
    try {
      const {data} = await api('/api/dev/users', {auth: false});
      for (const user of data) {
        const button = el('button', '', `${user.display_name} `);
        button.type = 'button';
        button.dataset.handle = user.handle;
        button.append(el('span', 'muted', `@${user.handle}`));
        button.addEventListener('click', () => userAction(button, () => devSignIn(user.handle)));
        const item = el('li');
        item.append(button);
        list.append(item);
      }
      $('dev-sign-in').hidden = false;
      $('token-form').hidden = true;
    } catch (e) {
      $('dev-sign-in').hidden = true;
      $('token-form').hidden = false;  // Cognito mode: /api/dev answers 404
      if (e.status !== 404) showError(e.message);
    }
  }

  async function devSignIn(handle) {
    const {data} = await api('/api/dev/token', {method: 'POST', body: {handle}, auth: false});
    signIn(data.token, data.handle);
  }

  // The username claim of a pasted token, for the header only (the server checks the token).
  function usernameOf(token) {
    try {
      const payload = token.split('.')[1].replace(/-/g, '+').replace(/_/g, '/');
      const claims = JSON.parse(atob(payload));
      return claims.username || claims['cognito:username'] || '';
    } catch (e) {
      return '';
    }
  }

  function signIn(token, handle) {
    state.token = token;
    state.handle = handle;
    sessionStorage.setItem(TOKEN_KEY, token);
    sessionStorage.setItem(HANDLE_KEY, handle);
    showInbox();
  }

  function signOut(message) {
    sessionStorage.removeItem(TOKEN_KEY);
    sessionStorage.removeItem(HANDLE_KEY);
    Object.assign(state, {token: '', handle: '', groups: [], groupsCursor: '', open: null,
                          messages: [], olderCursor: ''});
    showSignIn();
    showError(message || '');
  }

  // ---- conversation list ----------------------------------------------------------------------

  function mergeGroups(page, replaceFirstPage) {
    const byUuid = new Map(replaceFirstPage ? [] : state.groups.map((g) => [g.uuid, g]));
    if (replaceFirstPage) {
      // Keep conversations of later pages that the first page no longer covers.
      const oldest = page.length ? Math.min(...page.map(timeOf)) : Infinity;
      for (const g of state.groups) if (timeOf(g) < oldest) byUuid.set(g.uuid, g);
    }
    for (const g of page) byUuid.set(g.uuid, g);
    state.groups = [...byUuid.values()].sort((a, b) => timeOf(b) - timeOf(a));
  }

  async function refreshGroups() {
    const {data, next} = await api('/api/message_groups');
    const hadMore = state.groups.length > data.length;
    mergeGroups(data, true);
    if (!hadMore) state.groupsCursor = next;
    renderGroups();
  }

  async function moreGroups() {
    if (!state.groupsCursor) return;
    const {data, next} = await api(
        `/api/message_groups?cursor=${encodeURIComponent(state.groupsCursor)}`);
    mergeGroups(data, false);
    state.groupsCursor = next;
    renderGroups();
  }

  function renderGroups() {
    const list = $('groups');
    const items = state.groups.map((g) => {
      const button = el('button');
      button.type = 'button';
      const head = el('span', 'group-head');
      const who = el('span');
      who.append(el('span', 'group-name', g.display_name), ' ',
                 el('span', 'group-handle', `@${g.handle}`));
      // Unread counts come from the server's cache when it has one. The open conversation has
      // none: its messages are on screen (and the server marks them read as the page polls).
      const open = state.open && state.open.uuid === g.uuid;
      if (!open && Number.isInteger(g.unread) && g.unread > 0) {
        who.append(' ', el('span', 'badge', String(g.unread)));
      }
      head.append(who, timeElement('group-time', g.created_at, false));
      button.append(head, el('span', 'group-text', g.message));
      button.addEventListener('click', () => userAction(null, () => openConversation(g)));
      const item = el('li', state.open && state.open.uuid === g.uuid ? 'active' : '');
      item.dataset.uuid = g.uuid;
      item.dataset.handle = g.handle;
      item.append(button);
      return item;
    });
    list.replaceChildren(...items);
    $('groups-empty').hidden = state.groups.length > 0;
    $('groups-more').hidden = !state.groupsCursor;
  }

  // ---- one conversation -----------------------------------------------------------------------

  function mergeMessages(page) {
    const known = new Set(state.messages.map((m) => m.uuid));
    const fresh = page.filter((m) => !known.has(m.uuid));
    if (!fresh.length) return false;
    // A stable sort keeps the server's order for messages of the same instant.
    state.messages = [...state.messages, ...fresh].sort((a, b) => timeOf(a) - timeOf(b));
    return true;
  }

  async function openConversation(group) {
    state.open = {uuid: group.uuid, handle: group.handle, display_name: group.display_name};
    const listed = state.groups.find((g) => g.uuid === group.uuid);
    if (listed) listed.unread = 0;  // read now: no badge when it is closed again
    state.messages = [];
    state.olderCursor = '';
    renderConversation(true);
    renderGroups();
    const {data, next} = await api(`/api/messages/${encodeURIComponent(group.uuid)}`);
    if (!state.open || state.open.uuid !== group.uuid) return;  // another one was opened since
    mergeMessages(data);
    state.olderCursor = next;
    renderConversation(true);
    $('reply-text').focus();
  }

  async function refreshConversation() {
    const open = state.open;
    if (!open) return;
    const {data} = await api(`/api/messages/${encodeURIComponent(open.uuid)}`);
    if (state.open !== open) return;
    const list = $('messages');
    const atBottom = list.scrollHeight - list.scrollTop - list.clientHeight < 40;
    if (mergeMessages(data)) renderConversation(atBottom);
  }

  async function loadOlder() {
    const open = state.open;
    if (!open || !state.olderCursor) return;
    const {data, next} = await api(
        `/api/messages/${encodeURIComponent(open.uuid)}?cursor=${encodeURIComponent(state.olderCursor)}`);
    if (state.open !== open) return;
    const list = $('messages');
    const fromBottom = list.scrollHeight - list.scrollTop;
    mergeMessages(data);
    state.olderCursor = next;
    renderConversation(false);
    list.scrollTop = list.scrollHeight - fromBottom;  // keep what the reader was looking at
  }

  function renderConversation(scrollToEnd) {
    const open = state.open;
    $('conversation-empty').hidden = !!open;
    $('conversation-body').hidden = !open;
    if (!open) return;
    const title = $('conversation-title');
    title.replaceChildren(open.display_name || open.handle, ' ',
                          el('span', 'muted', `@${open.handle}`));
    $('load-older').hidden = !state.olderCursor;
    const list = $('messages');
    list.replaceChildren(...state.messages.map((m) => {
      const item = el('li', m.handle === state.handle ? 'mine' : '');
      item.dataset.uuid = m.uuid;
      const meta = el('div', 'message-meta', `${m.display_name} · `);
      meta.append(timeElement('', m.created_at, true));
      item.append(meta, el('div', 'message-text', m.message));
      return item;
    }));
    if (scrollToEnd) list.scrollTop = list.scrollHeight;
  }

  async function sendReply() {
    const box = $('reply-text');
    const text = box.value;
    const open = state.open;
    if (!open) return;
    const {data} = await api('/api/messages', {
      method: 'POST', body: {message_group_uuid: open.uuid, message: text},
    });
    box.value = '';
    updateCount();
    if (state.open === open) {
      mergeMessages([data]);
      renderConversation(true);
    }
    // The list follows the newest message once the stream consumer has moved it; show it now.
    const group = state.groups.find((g) => g.uuid === open.uuid);
    if (group) {
      Object.assign(group, {message: data.message, created_at: data.created_at});
      mergeGroups([], false);
      renderGroups();
    }
  }

  async function startConversation() {
    const handle = $('new-handle').value.trim().replace(/^@/, '');
    const message = $('new-message').value;
    if (!handle) throw new ApiError(0, CODE_TEXT.user_reciever_handle_blank);
    let user;
    try {
      ({data: user} = await api(`/api/users/@${encodeURIComponent(handle)}/short`));
    } catch (e) {
      if (e.status === 404) throw new ApiError(404, `There is no user @${handle}.`);
      throw e;
    }
    const {data} = await api('/api/messages', {method: 'POST', body: {handle: user.handle, message}});
    $('new-handle').value = '';
    $('new-message').value = '';
    await openConversation({uuid: data.message_group_uuid, handle: user.handle,
                            display_name: user.display_name});
    await refreshGroups();
  }

  function updateCount() {
    const n = [...$('reply-text').value].length;
    const count = $('reply-count');
    count.textContent = `${n} / ${MAX_CHARS}`;
    count.classList.toggle('error-text', n > MAX_CHARS);
  }

  // ---- polling --------------------------------------------------------------------------------

  async function poll() {
    if (state.polling || document.hidden || !state.token) return;
    state.polling = true;
    try {
      await refreshGroups();
      await refreshConversation();
    } catch (e) {
      if (state.token) showError(e.message);
    } finally {
      state.polling = false;
    }
  }

  function startPolling() {
    stopPolling();
    state.timer = setInterval(poll, POLL_MS);
  }

  function stopPolling() {
    if (state.timer) clearInterval(state.timer);
    state.timer = 0;
  }

  async function showInbox() {
    $('sign-in').hidden = true;
    $('inbox').hidden = false;
    $('whoami').hidden = false;
    $('me-name').textContent = state.handle ? `@${state.handle}` : 'signed in';
    renderConversation(false);
    await userAction(null, refreshGroups);
    startPolling();
  }

  // ---- wiring ---------------------------------------------------------------------------------

  // Ctrl+Enter (⌘+Enter on a Mac) in a composer submits its form; the hints under the composers
  // and the buttons' titles say which.
  const SEND_KEY = /Mac|iPhone|iPad/.test(navigator.platform || '') ? '⌘' : 'Ctrl';

  function sendOnCtrlEnter(textarea, form) {
    $(textarea).addEventListener('keydown', (event) => {
      if (event.key === 'Enter' && (event.ctrlKey || event.metaKey)) {
        event.preventDefault();
        $(form).requestSubmit();
      }
    });
  }

  function showSendKey() {
    if (SEND_KEY === 'Ctrl') return;  // as written in the page
    for (const key of document.querySelectorAll('.send-hint kbd:first-child')) {
      key.textContent = SEND_KEY;
    }
    for (const button of [$('reply-send'), $('new-send')]) {
      button.title = button.title.replace('Ctrl+', `${SEND_KEY}+`);
    }
    for (const box of [$('reply-text'), $('new-message')]) {
      box.setAttribute('aria-keyshortcuts', 'Meta+Enter');
    }
  }

  function onSubmit(form, button, action) {
    $(form).addEventListener('submit', (event) => {
      event.preventDefault();
      userAction($(button), action);
    });
  }

  document.addEventListener('DOMContentLoaded', () => {
    showSendKey();
    onSubmit('reply-form', 'reply-send', sendReply);
    onSubmit('new-form', 'new-send', startConversation);
    onSubmit('token-form', null, async () => {
      const token = $('token-input').value.trim();
      if (token) signIn(token, usernameOf(token));
    });
    $('reply-text').addEventListener('input', updateCount);
    sendOnCtrlEnter('reply-text', 'reply-form');
    sendOnCtrlEnter('new-message', 'new-form');
    $('load-older').addEventListener('click', () => userAction($('load-older'), loadOlder));
    $('groups-more').addEventListener('click', () => userAction($('groups-more'), moreGroups));
    $('sign-out').addEventListener('click', () => signOut(''));
    document.addEventListener('visibilitychange', () => { if (!document.hidden) poll(); });
    if (state.token) showInbox(); else showSignIn();
  });
})();
