/**
 * The simulated modem's model of `AT+CMMS` (TS 27.005 §3.5.6) and of firmware without phase 2+
 * or without `AT+CMMS`, on a manual clock: a submit that finds no relay link waits
 * `relayLinkSetupMs` more; `AT+CMMS=1` keeps the link `cmmsHoldMs` after each result and then
 * falls back to 0; `AT+CMMS=2` keeps it until changed.
 */
import { describe, expect, it } from 'vitest';
import { SIM_PROFILES } from '../../../../src/sim/modem/profiles.ts';
import { SUBMIT_HOWDY } from '../../../fixtures/pdu/vectors.ts';
import { OK_, info, readyHarness, type EngineHarness } from './engine-harness.ts';

const cms = (code: number): string => `\r\n+CMS ERROR: ${code}\r\n`;

/** Sends one SMS and returns how long (manual clock) its `+CMGS` took. */
async function sendTakesMs(h: EngineHarness, stepMs = 10, limitMs = 1000): Promise<number> {
  h.exchange('AT+CMGS=24\r');
  h.send(`${SUBMIT_HOWDY.hex}\u001a`);
  h.take();
  for (let waited = 0; waited <= limitMs; waited += stepMs) {
    if (h.take().includes('+CMGS:')) return waited;
    await h.settle(stepMs);
  }
  throw new Error('no +CMGS');
}

describe('simulated relay link and AT+CMMS', () => {
  it('without AT+CMMS every submit sets up the link', async () => {
    const h = readyHarness({ cmgsLatencyMs: 10, relayLinkSetupMs: 100 });
    expect(await sendTakesMs(h)).toBe(110);
    expect(await sendTakesMs(h)).toBe(110);
    expect(h.engine.stats.relayLinkSetups).toBe(2);
  });

  it('AT+CMMS=1 keeps the link for cmmsHoldMs after a result, then falls back to 0', async () => {
    const h = readyHarness({ cmgsLatencyMs: 10, relayLinkSetupMs: 100, cmmsHoldMs: 1000 });
    expect(h.exchange('AT+CMMS=1\r')).toBe(OK_);
    expect(await sendTakesMs(h)).toBe(110);
    expect(await sendTakesMs(h)).toBe(10);
    expect(h.exchange('AT+CMMS?\r')).toBe(info('+CMMS: 1') + OK_);
    await h.settle(1001);
    expect(h.exchange('AT+CMMS?\r')).toBe(info('+CMMS: 0') + OK_);
    expect(await sendTakesMs(h)).toBe(110);
    expect(h.engine.stats.relayLinkSetups).toBe(2);
  });

  it('AT+CMMS=2 keeps the link until changed', async () => {
    const h = readyHarness({ cmgsLatencyMs: 10, relayLinkSetupMs: 100, cmmsHoldMs: 1000 });
    h.exchange('AT+CMMS=2\r');
    await sendTakesMs(h);
    await h.settle(60_000);
    expect(await sendTakesMs(h)).toBe(10);
    h.exchange('AT+CMMS=0\r');
    expect(await sendTakesMs(h)).toBe(110);
  });

  it('firmware without AT+CMMS answers +CMS ERROR: 500; without phase 2+ AT+CSMS=1 answers 303', () => {
    const h = readyHarness({ profile: { ...SIM_PROFILES.generic, moreMessagesToSend: false, phase2Plus: false } });
    expect(h.exchange('AT+CMMS=1\r')).toBe(cms(500));
    expect(h.exchange('AT+CSMS=?\r')).toBe(info('+CSMS: (0)') + OK_);
    expect(h.exchange('AT+CSMS=1\r')).toBe(cms(303));
    expect(h.exchange('AT+CSMS=0\r')).toBe(info('+CSMS: 1,1,1') + OK_);
  });
});
