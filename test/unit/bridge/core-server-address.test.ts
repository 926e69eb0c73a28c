/**
 * CoreServerAddress: which datagrams are the core's when the core is given by host name, and when the
 * name is resolved again. The resolver is injected (a pure unit); the real resolver is covered
 * by the gateway test that names the core `localhost`.
 */
import { describe, expect, it } from 'vitest';
import { CoreServerAddress, systemResolver, type HostResolver } from '../../../src/bridge/core-server-address.ts';
import { GatewayError } from '../../../src/shared/errors.ts';

function scriptedResolver(answers: (readonly string[] | Error)[]): HostResolver & { calls: number } {
  const resolver = Object.assign(
    async () => {
      const answer = answers[Math.min(resolver.calls, answers.length - 1)]!;
      resolver.calls += 1;
      if (answer instanceof Error) throw answer;
      return answer;
    },
    { calls: 0 },
  );
  return resolver;
}

describe('CoreServerAddress', () => {
  it('an IP literal matches itself (and its IPv4-mapped form) on the configured port only', () => {
    const core = new CoreServerAddress('127.0.0.1', 5683);
    expect(core.isName).toBe(false);
    expect(core.matches('127.0.0.1', 5683)).toBe(true);
    expect(core.matches('::ffff:127.0.0.1', 5683)).toBe(true);
    expect(core.matches('127.0.0.1', 5684)).toBe(false);
    expect(core.matches('127.0.0.2', 5683)).toBe(false);
    expect(core.sendAddress).toBe('127.0.0.1');
  });

  it('a host name matches nothing before it is resolved, then each of its addresses', async () => {
    const resolver = scriptedResolver([['10.1.2.3', '10.1.2.4']]);
    const core = new CoreServerAddress('leshan.example', 5683, { resolver });
    // The defect: comparing the source with the host string drops every datagram of a named core.
    expect(core.matches('leshan.example', 5683)).toBe(false);
    expect(core.matches('10.1.2.3', 5683)).toBe(false);
    await core.resolve();
    expect(core.matches('10.1.2.3', 5683)).toBe(true);
    expect(core.matches('10.1.2.4', 5683)).toBe(true);
    expect(core.sendAddress).toBe('10.1.2.3');
  });

  it('a failed resolution is GW_ERR_CORE_UNRESOLVED and keeps the addresses it had', async () => {
    const events: unknown[] = [];
    const resolver = scriptedResolver([['10.1.2.3'], new Error('ENOTFOUND'), []]);
    const core = new CoreServerAddress('leshan.example', 5683, { resolver, onResolved: (result) => events.push(result.error?.code ?? result.addresses) });
    await core.resolve();
    await expect(core.resolve()).rejects.toMatchObject({ code: 'GW_ERR_CORE_UNRESOLVED' });
    await expect(core.resolve()).rejects.toBeInstanceOf(GatewayError);
    expect(core.matches('10.1.2.3', 5683)).toBe(true);
    expect(events).toEqual([['10.1.2.3'], 'GW_ERR_CORE_UNRESOLVED', 'GW_ERR_CORE_UNRESOLVED']);
  });

  it('refreshSoon resolves again at most once per interval, and picks up a moved core', async () => {
    let nowMs = 0;
    const resolver = scriptedResolver([['10.1.2.3'], ['10.9.9.9']]);
    const moved = new Promise<void>((resolve) => {
      const core = new CoreServerAddress('leshan.example', 5683, {
        resolver, now: () => nowMs, minRefreshIntervalMs: 30_000,
        onResolved: (result) => {
          if (result.addresses[0] === '10.9.9.9') resolve();
        },
      });
      void core.resolve().then(() => {
        core.refreshSoon(); // too soon: no look-up
        expect(resolver.calls).toBe(1);
        nowMs = 30_000;
        core.refreshSoon();
        core.refreshSoon(); // one look-up in flight at a time
      });
    });
    await moved;
    expect(resolver.calls).toBe(2);
  });

  it('the system resolver finds localhost in IPv4', async () => {
    expect(await systemResolver('localhost', 4)).toContain('127.0.0.1');
  });
});
