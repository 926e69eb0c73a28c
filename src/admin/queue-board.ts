/**
 * The queue board (bull-board) at `/queues/`, behind the admin API's tokens. A browser cannot
 * send a bearer header with the board's own requests, so it carries the token in a cookie:
 * `/queues/login` is a page whose script takes the token from the address's fragment
 * (`/queues/login#token=…`, never sent to the server), from the status page's tab storage, or
 * from a form, and POSTs it once as `Authorization: Bearer`; that answer sets the cookie
 * `smsbridge-board` (HttpOnly, SameSite=Strict, Path=/queues, 12 h) and the page goes on to the
 * board. Every board request is then checked like an API request (admin-server.ts): the cookie's
 * token compared in constant time, 401 without a valid one, 403 for the read-only token on the
 * board's changing routes (retry, clean, pause …: anything but GET and HEAD). The token is never
 * logged and never put in an address.
 */
import { createBullBoard } from '@bull-board/api';
import { BullMQAdapter } from '@bull-board/api/bullMQAdapter';
import { FastifyAdapter } from '@bull-board/fastify';
import type { Queue } from 'bullmq';
import type { FastifyInstance } from 'fastify';
import { access, type RouteAccess } from './admin-routes.ts';

/** Where the board is mounted. */
export const BOARD_PATH = '/queues';
/** The cookie that carries the token for the board's requests. */
export const BOARD_COOKIE = 'smsbridge-board';
/** How long the cookie lives. */
export const BOARD_COOKIE_MAX_AGE_SEC = 12 * 3600;

declare module 'fastify' {
  interface FastifyContextConfig {
    /** A route of the queue board: the token may come from {@link BOARD_COOKIE}. */
    board?: boolean;
  }
}

/**
 * The `Authorization` value the board cookie stands for (`Bearer <token>`), or undefined when the
 * `Cookie` header has none. Only board routes ask this.
 */
export function boardAuthorization(cookieHeader: string | undefined): string | undefined {
  if (cookieHeader === undefined) return undefined;
  for (const part of cookieHeader.split(';')) {
    const [name, ...value] = part.trim().split('=');
    if (name !== BOARD_COOKIE) continue;
    try {
      return `Bearer ${decodeURIComponent(value.join('='))}`;
    } catch {
      return undefined; // not percent-encoding we wrote: no token
    }
  }
  return undefined;
}

const LOGIN_PAGE = `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>lwm2m-sms-bridge queue board</title><link rel="icon" href="data:,">
<style>body{font:14px system-ui,sans-serif;margin:1.5em}#message{color:rgb(220,40,40)}</style></head>
<body><h1>lwm2m-sms-bridge queue board</h1>
<form id="login"><label>Admin token <input id="token" type="password" size="40" autocomplete="off"></label> <button>Open the board</button></form>
<p id="message"></p>
<script>
"use strict";
const KEY = 'smsbridge-token';
const message = document.getElementById('message');
async function login(token) {
  const response = await fetch('${BOARD_PATH}/login', { method: 'POST', headers: { authorization: 'Bearer ' + token }, credentials: 'same-origin' });
  if (response.ok) { sessionStorage.setItem(KEY, token); location.replace('${BOARD_PATH}/'); return; }
  message.textContent = response.status === 401 ? 'the token was refused' : 'the gateway answered HTTP ' + response.status;
}
const hash = new URLSearchParams(location.hash.slice(1));
history.replaceState(null, '', location.pathname);
const given = hash.get('token') || sessionStorage.getItem(KEY);
if (given) login(given);
document.getElementById('login').addEventListener('submit', (e) => { e.preventDefault(); login(document.getElementById('token').value); });
</script></body></html>
`;

/** Who may call a board route: GET and HEAD read, everything else changes the queues. */
function boardAccess(method: string | string[]): RouteAccess {
  const methods = Array.isArray(method) ? method : [method];
  return methods.every((m) => m === 'GET' || m === 'HEAD') ? 'read' : 'write';
}

/** Mounts the board over `queues`, and its login page and route, on `app`. */
export async function registerQueueBoard(app: FastifyInstance, queues: readonly Queue[]): Promise<void> {
  app.get(`${BOARD_PATH}/login`, { ...access('public'), schema: { hide: true } }, async (_request, reply) => reply.type('text/html; charset=utf-8').header('cache-control', 'no-store').send(LOGIN_PAGE));
  app.post(`${BOARD_PATH}/login`, { ...access('read'), schema: { hide: true } }, async (request, reply) => {
    const token = /^Bearer[ ]+(\S+)\s*$/i.exec(request.headers.authorization ?? '')?.[1] ?? '';
    return reply
      .header('set-cookie', `${BOARD_COOKIE}=${encodeURIComponent(token)}; Path=${BOARD_PATH}; HttpOnly; SameSite=Strict; Max-Age=${BOARD_COOKIE_MAX_AGE_SEC}`)
      .header('cache-control', 'no-store')
      .code(204).send();
  });
  const serverAdapter = new FastifyAdapter();
  serverAdapter.setBasePath(BOARD_PATH);
  createBullBoard({ queues: queues.map((queue) => new BullMQAdapter(queue)), serverAdapter, options: { uiConfig: { boardTitle: 'lwm2m-sms-bridge' } } });
  await app.register(async (scope) => {
    scope.addHook('onRoute', (route) => {
      route.config = { ...(route.config ?? {}), access: boardAccess(route.method), board: true };
    });
    await scope.register(serverAdapter.registerPlugin(), { prefix: BOARD_PATH });
  });
}
