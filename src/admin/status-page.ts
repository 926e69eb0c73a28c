/**
 * `GET /status`: a live status page for people. The page itself holds no data and needs no
 * token; its script takes the token from the address's fragment (`/status#token=…`, never sent
 * to the server) or asks for it, keeps it in the tab's sessionStorage, and reads
 * `/api/v1/events` with it (fetch, since EventSource cannot send an Authorization header):
 * Redis's connection (red while away), modems with state and signal bars (red when not ready),
 * devices with bearer, binding, presence (awake/asleep), last seen and SMS parts spent today, the
 * day's SMS spend, and the job counts of each queue, updated as the events come; a link to the
 * queue board (queue-board.ts), which takes the tab's token from the same storage.
 */
import type { FastifyInstance } from 'fastify';
import { access } from './admin-routes.ts';

const PAGE = `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>lwm2m-sms-bridge status</title>
<link rel="icon" href="data:,">
<meta name="viewport" content="width=device-width, initial-scale=1">
<style>
body{font:14px system-ui,sans-serif;margin:1.5em;color:#222}
h1{font-size:1.3em}h2{font-size:1.1em;margin-top:1.5em}
table{border-collapse:collapse;min-width:40em}th,td{padding:.3em .8em;text-align:left;border-bottom:1px solid #ddd}
th{background:#f4f4f4}
.state{font-weight:600;border-radius:3px;padding:.1em .5em}
.ok{background:rgb(200,240,200)}.warn{background:rgb(255,235,170)}.bad{background:rgb(220,40,40);color:#fff}
.bars span{display:inline-block;width:4px;margin-right:1px;background:#ccc;vertical-align:bottom}.bars span.on{background:#2a7}
.awake{color:#2a7;font-weight:600}.asleep{color:#888}
#connection{color:#666}#connection.lost{color:rgb(220,40,40)}
form{margin:1em 0}
</style></head>
<body>
<h1>lwm2m-sms-bridge</h1>
<p id="connection">connecting…</p>
<p>Redis <span id="redis" class="state">-</span></p>
<form id="login" hidden><label>Admin token <input id="token" type="password" size="40" autocomplete="off"></label> <button>Show</button></form>
<h2>Modems</h2>
<table id="modems"><thead><tr><th>Modem</th><th>State</th><th>Signal</th><th>Registration</th><th>Operator</th><th>Sent</th><th>Received</th><th>Last error</th></tr></thead><tbody></tbody></table>
<h2>Queues</h2>
<p id="queues-unknown" hidden>unknown while Redis is away</p>
<table id="queues"><thead><tr><th>Queue</th></tr></thead><tbody></tbody></table>
<p><a id="board" href="/queues/login">Queue board</a></p>
<h2>Devices</h2>
<p>SMS spend today (UTC): <span id="spend">-</span> parts</p>
<table id="devices"><thead><tr><th>Endpoint</th><th>Bearer</th><th>Binding</th><th>Registered</th><th>Presence</th><th>Last seen</th><th>SMS today</th></tr></thead><tbody></tbody></table>
<script>
"use strict";
const KEY = 'smsbridge-token';
const hash = new URLSearchParams(location.hash.slice(1));
if (hash.get('token')) { sessionStorage.setItem(KEY, hash.get('token')); history.replaceState(null, '', location.pathname); }
const connection = document.getElementById('connection');
const login = document.getElementById('login');
login.addEventListener('submit', (e) => { e.preventDefault(); sessionStorage.setItem(KEY, document.getElementById('token').value); login.hidden = true; connect(); });
function cell(text, cls) { const td = document.createElement('td'); td.textContent = text == null ? '-' : String(text); if (cls) td.className = cls; return td; }
function stateClass(state) { return state === 'ready' ? 'ok' : state === 'degraded' || state === 'initialising' || state === 'opening' ? 'warn' : 'bad'; }
function bars(dbm) {
  const n = dbm == null ? 0 : dbm >= -73 ? 4 : dbm >= -83 ? 3 : dbm >= -93 ? 2 : dbm >= -103 ? 1 : 0;
  const td = document.createElement('td'); td.className = 'bars'; td.title = dbm == null ? 'unknown' : dbm + ' dBm';
  for (let i = 0; i < 4; i++) { const s = document.createElement('span'); s.style.height = (4 + 3 * i) + 'px'; if (i < n) s.className = 'on'; td.append(s); }
  td.append(' ' + (dbm == null ? '-' : dbm + ' dBm')); return td;
}
function ago(iso) { const s = Math.max(0, Math.round((Date.now() - Date.parse(iso)) / 1000)); return s < 120 ? s + ' s ago' : s < 7200 ? Math.round(s / 60) + ' min ago' : Math.round(s / 3600) + ' h ago'; }
function render(status) {
  const redis = document.getElementById('redis');
  redis.textContent = status.redis === 'ready' ? 'ready' : status.redis + ' (away: queue counts and wake-ups are unavailable)';
  redis.className = 'state ' + (status.redis === 'ready' ? 'ok' : 'bad');
  const modems = document.querySelector('#modems tbody'); modems.replaceChildren();
  for (const m of status.modems) {
    const tr = document.createElement('tr'); tr.dataset.modem = m.name; tr.dataset.state = m.state;
    const state = document.createElement('td'); const badge = document.createElement('span'); badge.className = 'state ' + stateClass(m.state); badge.textContent = m.state; state.append(badge);
    tr.append(cell(m.name), state, bars(m.signalDbm), cell(m.registration), cell(m.operator), cell(m.counters.sent), cell(m.counters.received), cell(m.lastError ? m.lastError.code : null));
    modems.append(tr);
  }
  const queues = status.queues || [];
  document.getElementById('queues-unknown').hidden = status.queues !== null;
  const states = [...new Set(queues.flatMap((q) => Object.keys(q.counts)))];
  const head = document.querySelector('#queues thead tr'); head.replaceChildren();
  for (const title of ['Queue', ...states]) { const th = document.createElement('th'); th.textContent = title; head.append(th); }
  const queueRows = document.querySelector('#queues tbody'); queueRows.replaceChildren();
  for (const q of queues) {
    const tr = document.createElement('tr'); tr.dataset.queue = q.name;
    tr.append(cell(q.name)); for (const state of states) { const td = cell(q.counts[state]); td.dataset.state = state; tr.append(td); }
    queueRows.append(tr);
  }
  const devices = document.querySelector('#devices tbody'); devices.replaceChildren();
  for (const d of status.devices) {
    const tr = document.createElement('tr'); tr.dataset.endpoint = d.endpoint;
    tr.append(cell(d.endpoint), cell(d.bearer), cell(d.binding), cell(d.registered ? 'yes' : 'no'), cell(d.presence, d.presence === 'awake' ? 'awake' : 'asleep'), cell(ago(d.lastSeen)), cell(d.smsSpentToday));
    devices.append(tr);
  }
  document.getElementById('spend').textContent = status.smsSpendToday == null ? '-' : String(status.smsSpendToday);
}
let latest = null;
setInterval(() => { if (latest) render(latest); }, 5000); // "last seen" keeps counting between events
async function connect() {
  const token = sessionStorage.getItem(KEY);
  if (!token) { login.hidden = false; connection.textContent = 'a token is needed'; return; }
  try {
    const response = await fetch('/api/v1/events', { headers: { authorization: 'Bearer ' + token } });
    if (response.status === 401) { sessionStorage.removeItem(KEY); login.hidden = false; connection.textContent = 'the token was refused'; return; }
    if (!response.ok || !response.body) throw new Error('HTTP ' + response.status);
    connection.textContent = 'live'; connection.className = '';
    const reader = response.body.pipeThrough(new TextDecoderStream()).getReader();
    let buffer = '';
    for (;;) {
      const { value, done } = await reader.read();
      if (done) break;
      buffer += value;
      let end;
      while ((end = buffer.indexOf('\\n\\n')) >= 0) {
        const block = buffer.slice(0, end); buffer = buffer.slice(end + 2);
        const data = block.split('\\n').filter((l) => l.startsWith('data: ')).map((l) => l.slice(6)).join('\\n');
        if (data) { latest = JSON.parse(data); render(latest); }
      }
    }
    throw new Error('the gateway closed the stream');
  } catch (error) {
    connection.textContent = 'connection lost (' + error.message + '); retrying'; connection.className = 'lost';
    setTimeout(connect, 2000);
  }
}
connect();
</script>
</body></html>
`;

/** Registers the page on `app`. */
export function registerStatusPage(app: FastifyInstance): void {
  app.get('/status', { ...access('public'), schema: { hide: true } }, async (_request, reply) => reply.type('text/html; charset=utf-8').header('cache-control', 'no-store').send(PAGE));
}
