/**
 * Helper process of `relay-throughput --observed`: watches the gateway as operators would while
 * the load runs. It keeps the status page's event stream open (`/api/v1/events`) and scrapes
 * `/metrics` once a second, from a process of its own so that only the gateway's side of that
 * work lands in the measured process. JSON lines (bench/support/json-child.ts): first
 * `{"ready":true}` once the stream is open; `{"op":"stats"}` answers how many scrapes and events
 * it saw and how many failed.
 *
 * Usage: `tsx bench/support/admin-observer.ts <admin url> <token>`.
 */
import { createInterface } from 'node:readline';

const [url, token] = process.argv.slice(2);
const headers = { authorization: `Bearer ${token ?? ''}` };
const counts = { scrapes: 0, scrapeFailures: 0, events: 0, metricsBytes: 0 };
const reply = (value: object): void => void process.stdout.write(`${JSON.stringify(value)}\n`);

async function readEvents(body: ReadableStream<Uint8Array>): Promise<void> {
  const decoder = new TextDecoder();
  for await (const chunk of body) counts.events += (decoder.decode(chunk, { stream: true }).match(/^event: status$/gm) ?? []).length;
}

async function scrape(): Promise<void> {
  try {
    const response = await fetch(`${url}/metrics`, { headers });
    const text = await response.text();
    if (!response.ok) throw new Error(`HTTP ${response.status}`);
    counts.scrapes += 1;
    counts.metricsBytes = text.length;
  } catch {
    counts.scrapeFailures += 1;
  }
}

async function main(): Promise<void> {
  const stream = await fetch(`${url}/api/v1/events`, { headers });
  if (!stream.ok || stream.body === null) throw new Error(`events: HTTP ${stream.status}`);
  void readEvents(stream.body).catch(() => undefined);
  const timer = setInterval(() => void scrape(), 1000);
  await scrape();
  const input = createInterface({ input: process.stdin });
  input.on('line', () => reply({ ...counts }));
  input.on('close', () => {
    clearInterval(timer);
    process.exit(0);
  });
  reply({ ready: true });
}

main().catch((error: unknown) => {
  reply({ error: error instanceof Error ? error.message : String(error) });
  process.exitCode = 1;
});
