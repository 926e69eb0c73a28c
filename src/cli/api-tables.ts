/**
 * The admin API's answers as text for people: aligned tables and short summaries. Pure.
 */

/** Rows under a header, columns padded to their widest cell. */
export function table(header: readonly string[], rows: readonly (readonly string[])[]): string[] {
  const widths = header.map((title, i) => Math.max(title.length, ...rows.map((row) => (row[i] ?? '').length)));
  const line = (cells: readonly string[]): string => cells.map((cell, i) => (i === cells.length - 1 ? cell : cell.padEnd(widths[i] ?? 0))).join('  ').trimEnd();
  return [line(header), ...rows.map(line)];
}

/** `12 s ago`, `5 min ago`, `3 h ago`, `2 d ago`. */
export function ago(iso: string, nowMs: number): string {
  const sec = Math.max(0, Math.round((nowMs - Date.parse(iso)) / 1000));
  if (sec < 120) return `${sec} s ago`;
  if (sec < 7200) return `${Math.round(sec / 60)} min ago`;
  if (sec < 172_800) return `${Math.round(sec / 3600)} h ago`;
  return `${Math.round(sec / 86_400)} d ago`;
}

const text = (value: unknown): string => (value === null || value === undefined ? '-' : String(value));

interface ModemView {
  name: string; state: string; signalDbm: number | null; registration: string | null; operator: string | null;
  counters: Record<string, number>; atTrace: boolean; lastError: { code: string; message: string } | null;
  storage?: { name: string; used: number; total: number } | null;
}

/** `smsbridge modems`. */
export function modemsTable(modems: readonly ModemView[]): string[] {
  return table(['MODEM', 'STATE', 'SIGNAL', 'REGISTRATION', 'OPERATOR', 'SENT', 'FAILED', 'RECEIVED', 'STORAGE', 'AT TRACE', 'LAST ERROR'], modems.map((m) => [
    m.name, m.state, m.signalDbm === null ? '-' : `${m.signalDbm} dBm`, text(m.registration), text(m.operator),
    text(m.counters['sent']), text((m.counters['sendFailed'] ?? 0) + (m.counters['sendUnknown'] ?? 0)), text(m.counters['received']),
    m.storage === null || m.storage === undefined ? '-' : `${m.storage.used}/${m.storage.total} ${m.storage.name}`,
    m.atTrace ? 'on' : 'off', m.lastError === null ? '-' : `${m.lastError.code}: ${m.lastError.message}`,
  ]));
}

interface DeviceView {
  endpoint: string; bearer: string; binding: string; registered: boolean; presence?: string; msisdn: string | null; udp: string | null; lastSeen: string; expiresAt: string;
  /** SMS parts sent to the device today (UTC); absent from gateways before SMS budgets. */
  smsSpentToday?: number;
}

/** `smsbridge devices`. */
export function devicesTable(devices: readonly DeviceView[], nowMs: number): string[] {
  return table(['ENDPOINT', 'BEARER', 'BINDING', 'REGISTERED', 'PRESENCE', 'MSISDN', 'UDP ADDRESS', 'LAST SEEN', 'SMS TODAY'], devices.map((d) => [
    d.endpoint, d.bearer, d.binding, d.registered ? 'yes' : 'no', text(d.presence), d.msisdn === null ? '-' : `+${d.msisdn}`, text(d.udp), ago(d.lastSeen, nowMs), text(d.smsSpentToday),
  ]));
}

interface StatusView {
  version: string; uptimeSec: number; redis: { commands: string; consumer: string };
  modems: { total: number; ready: number }; devices: { total: number; registered: number; sms: number; udp: number };
  relay: Record<string, number>; heldRequests?: number; sms: Record<string, number>; unknownSenders: number;
}

/** `smsbridge status`. */
export function statusLines(s: StatusView): string[] {
  const r = (key: string): number => s.relay[key] ?? 0;
  return [
    `gateway   ${s.version}, up ${s.uptimeSec} s; redis ${s.redis.commands}`,
    `modems    ${s.modems.ready} of ${s.modems.total} ready`,
    `devices   ${s.devices.total} (${s.devices.sms} by SMS, ${s.devices.udp} by UDP), ${s.devices.registered} registered`,
    `relay     uplink ${r('uplinkSms')} SMS + ${r('uplinkUdp')} UDP; downlink ${r('downlinkSms')} SMS + ${r('downlinkUdp')} UDP; core ${r('toCore')} out, ${r('fromCore')} in`,
    `held      ${s.heldRequests ?? 0} core requests now; since start ${r('held')} held, ${r('heldDelivered')} delivered to their device, ${r('heldAnsweredByGateway')} answered by the gateway (5.03/5.04), ${r('refused')} refused at once`,
    `dropped   ${r('malformed')} malformed, ${r('unknownDevice')} unknown device, ${r('refusedRegistrations')} refused registrations, ${s.unknownSenders} unknown senders, ${r('failed')} failed`,
    `sms       ${s.sms['messages'] ?? 0} messages in ${s.sms['parts'] ?? 0} parts; ${s.sms['failed'] ?? 0} failed, ${s.sms['unknown'] ?? 0} unknown`,
  ];
}

/** `smsbridge queues`: one row per queue, one column per state, in the order the API lists them. */
export function queuesTable(queues: readonly { name: string; counts: Record<string, number> }[]): string[] {
  const states = [...new Set(queues.flatMap((queue) => Object.keys(queue.counts)))];
  return table(['QUEUE', ...states.map((state) => state.toUpperCase())], queues.map((queue) => [queue.name, ...states.map((state) => text(queue.counts[state]))]));
}
