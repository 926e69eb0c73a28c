/**
 * The report of bench/device-scale.ts: its types, the Markdown table (console and
 * docs/benchmarks.md) and the results entry (latest run and history row).
 */
import { median, round } from './numbers.ts';
import { runResults, type ResultsEntry, type RunFacts } from './results-doc.ts';

/** Parameters of one run. */
export interface DeviceScaleOptions {
  readonly devices: number;
  /** Devices waiting for an answer at most. */
  readonly window: number;
  /** Addresses the devices' sockets are spread over (127.0.0.10 …). */
  readonly deviceHosts: number;
  /**
   * Pairs of measurements (the bare forwarder and the gateway, one after the other, the order
   * alternating from pair to pair): each ratio is the median of the pairs' ratios, so that a
   * moment of other load on the machine moves one pair, not the result.
   */
  readonly pairs: number;
}

/** The figures of one system in one measurement. */
export interface SystemFigures {
  readonly registrationsPerSec: number;
  /** CPU time of the system-under-test process during the Register rounds ÷ Registers (steadier than the rate on a busy machine). */
  readonly cpuUsPerRegister: number;
  /**
   * CPU time of redis-server during the Register rounds ÷ Registers: the gateway's records are
   * written there, on the same two CPUs (0 for the bare forwarder, which has no Redis).
   */
  readonly redisCpuUsPerRegister: number;
  readonly registerFailures: number;
  /** RSS with the whole fleet minus RSS before any device, ÷ N (start-up growth such as compiled code included). */
  readonly rssPerDeviceBytes: number;
  readonly heapPerDeviceBytes: number;
  /**
   * What one more device adds: RSS with the whole fleet minus RSS with the first half (both
   * after traffic), ÷ the second half. What 100,000 devices cost per device; the RSS target uses it.
   */
  readonly rssPerAddedDeviceBytes: number;
  readonly heapPerAddedDeviceBytes: number;
  readonly cpuUsPerUpdate: number;
  readonly updateFailures: number;
  readonly sockets: number;
}

/** gateway ÷ bare of one pair, or the medians over the pairs. */
export interface ScaleRatios {
  /** RSS per added device (the target's). */
  readonly rss: number;
  /** RSS per device of the whole fleet. */
  readonly rssWholeFleet: number;
  readonly registrationRate: number;
  /** CPU per Register, the gateway's process alone. */
  readonly cpuPerRegister: number;
  /** CPU per Register, the gateway's process and its Redis together. */
  readonly cpuPerRegisterWithRedis: number;
  readonly cpuPerUpdate: number;
}

/** What the benchmark prints as its last line. */
export interface DeviceScaleReport extends RunFacts {
  readonly bench: 'device-scale';
  readonly options: DeviceScaleOptions;
  /** The gateway's figures: each the median over the pairs. */
  readonly gateway: SystemFigures & {
    readonly restartMs: number;
    /** Gateway.start with no devices (what does not grow with the fleet). */
    readonly emptyStartMs: number;
    /** CPU time of the restart and of the empty start (steadier than wall time on a busy machine). */
    readonly restartCpuMs: number;
    readonly emptyStartCpuMs: number;
    readonly restartSocketsBound: number;
    readonly restartPending: number;
    /** Devices left waiting at the restart by the bind's error code (EADDRINUSE: another program holds the address). */
    readonly restartUnboundBy: Readonly<Record<string, number>>;
    /** Wall time of each phase of the restart's Gateway.start, ms (see src/gateway/start-phases.ts). */
    readonly restartPhasesMs: Readonly<Record<string, number>>;
    readonly rssPerDeviceAfterRestartBytes: number;
    /** Devices with exchange state right after the last Update round (their entries live 247 s). */
    readonly devicesWithExchanges: number;
  };
  /** The bare forwarder's figures: each the median over the pairs. */
  readonly bare: SystemFigures;
  /** Each pair's ratios, in the order run. */
  readonly pairRatios: readonly ScaleRatios[];
  /** The medians of {@link pairRatios}: what the targets are checked on. */
  readonly ratios: ScaleRatios;
  /** Restart time scaled to 100,000 devices: emptyStartMs + (restartMs − emptyStartMs) × 100,000 ÷ N, ms. */
  readonly restartMsPer100k: number;
  /** The same for CPU time: on an idle machine the restart is CPU-bound, so this is what it would take there. */
  readonly restartCpuMsPer100k: number;
  readonly targets: { readonly rss: boolean; readonly registrationRate: boolean; readonly cpuPerUpdate: boolean; readonly restart: boolean };
  readonly pass: boolean;
}

/** gateway ÷ bare of one pair. */
export function pairRatios(gateway: SystemFigures, bare: SystemFigures): ScaleRatios {
  return {
    rss: round(gateway.rssPerAddedDeviceBytes / bare.rssPerAddedDeviceBytes, 3),
    rssWholeFleet: round(gateway.rssPerDeviceBytes / bare.rssPerDeviceBytes, 3),
    registrationRate: round(gateway.registrationsPerSec / bare.registrationsPerSec, 3),
    cpuPerRegister: round(gateway.cpuUsPerRegister / bare.cpuUsPerRegister, 3),
    cpuPerRegisterWithRedis: round((gateway.cpuUsPerRegister + gateway.redisCpuUsPerRegister) / bare.cpuUsPerRegister, 3),
    cpuPerUpdate: round(gateway.cpuUsPerUpdate / bare.cpuUsPerUpdate, 3),
  };
}

/** Each numeric field the median over `all` (failures: the sum, sockets: the last). */
export function medianFigures(all: readonly SystemFigures[]): SystemFigures {
  const of = (pick: (figures: SystemFigures) => number, digits: number): number => round(median(all.map(pick)), digits);
  return {
    registrationsPerSec: of((f) => f.registrationsPerSec, 0),
    cpuUsPerRegister: of((f) => f.cpuUsPerRegister, 1),
    redisCpuUsPerRegister: of((f) => f.redisCpuUsPerRegister, 1),
    registerFailures: all.reduce((sum, f) => sum + f.registerFailures, 0),
    rssPerDeviceBytes: of((f) => f.rssPerDeviceBytes, 0),
    heapPerDeviceBytes: of((f) => f.heapPerDeviceBytes, 0),
    rssPerAddedDeviceBytes: of((f) => f.rssPerAddedDeviceBytes, 0),
    heapPerAddedDeviceBytes: of((f) => f.heapPerAddedDeviceBytes, 0),
    cpuUsPerUpdate: of((f) => f.cpuUsPerUpdate, 1),
    updateFailures: all.reduce((sum, f) => sum + f.updateFailures, 0),
    sockets: all.at(-1)?.sockets ?? 0,
  };
}

/** The medians of every pair's ratios. */
export function medianRatios(all: readonly ScaleRatios[]): ScaleRatios {
  const of = (pick: (ratios: ScaleRatios) => number): number => round(median(all.map(pick)), 3);
  return {
    rss: of((r) => r.rss), rssWholeFleet: of((r) => r.rssWholeFleet), registrationRate: of((r) => r.registrationRate),
    cpuPerRegister: of((r) => r.cpuPerRegister), cpuPerRegisterWithRedis: of((r) => r.cpuPerRegisterWithRedis), cpuPerUpdate: of((r) => r.cpuPerUpdate),
  };
}

/** The figures as a Markdown table (the console and docs/benchmarks.md use the same). */
export function deviceScaleTable(report: DeviceScaleReport): string {
  const g = report.gateway;
  const b = report.bare;
  const r = report.ratios;
  const kb = (bytes: number): string => `${(bytes / 1024).toFixed(1)} KB`;
  const mark = (ok: boolean): string => (ok ? '' : ' ✗');
  // Each pair's ratio after the median, when there is more than one pair.
  const each = (pick: (ratios: ScaleRatios) => number): string => (report.pairRatios.length > 1 ? ` (${report.pairRatios.map(pick).join(', ')})` : '');
  const waiting = (by: Readonly<Record<string, number>>): string => (Object.keys(by).length === 0 ? '' : `: ${Object.entries(by).map(([errno, n]) => `${n} ${errno}`).join(', ')}`);
  const phase = (phases: Readonly<Record<string, number>>, name: string): number => round(phases[name] ?? 0, 0);
  return [
    '| figure | gateway | bare dgram forwarder | gateway ÷ bare: median (each pair) | target |',
    '|:---|---:|---:|---:|:---|',
    `| registrations/s | ${g.registrationsPerSec} | ${b.registrationsPerSec} | ${r.registrationRate}${mark(report.targets.registrationRate)}${each((x) => x.registrationRate)} | ≥ 0.7 |`,
    `| CPU per Register | ${g.cpuUsPerRegister} µs | ${b.cpuUsPerRegister} µs | ${r.cpuPerRegister}${each((x) => x.cpuPerRegister)} | |`,
    `| CPU per Register with Redis's | ${round(g.cpuUsPerRegister + g.redisCpuUsPerRegister, 1)} µs (Redis ${g.redisCpuUsPerRegister} µs) | ${b.cpuUsPerRegister} µs | ${r.cpuPerRegisterWithRedis}${each((x) => x.cpuPerRegisterWithRedis)} | |`,
    `| RSS after GC per added device | ${kb(g.rssPerAddedDeviceBytes)} | ${kb(b.rssPerAddedDeviceBytes)} | ${r.rss}${mark(report.targets.rss)}${each((x) => x.rss)} | ≤ 2 |`,
    `| heap after GC per added device | ${kb(g.heapPerAddedDeviceBytes)} | ${kb(b.heapPerAddedDeviceBytes)} | | |`,
    `| RSS after GC per device of the whole fleet (start-up growth included) | ${kb(g.rssPerDeviceBytes)} | ${kb(b.rssPerDeviceBytes)} | ${r.rssWholeFleet} | |`,
    `| heap after GC per device of the whole fleet | ${kb(g.heapPerDeviceBytes)} | ${kb(b.heapPerDeviceBytes)} | | |`,
    `| CPU per steady-state Update | ${g.cpuUsPerUpdate} µs | ${b.cpuUsPerUpdate} µs | ${r.cpuPerUpdate}${mark(report.targets.cpuPerUpdate)}${each((x) => x.cpuPerUpdate)} | ≤ 2 |`,
    `| restart to all sockets bound | ${g.restartMs} ms (${g.restartSocketsBound} bound, ${g.restartPending} waiting${waiting(g.restartUnboundBy)}; ${g.emptyStartMs} ms with no devices) | | | |`,
    `| restart: registrations read, sockets bound, the rest | ${phase(g.restartPhasesMs, 'registrations read')} / ${phase(g.restartPhasesMs, 'sockets bound')} / ${round(g.restartMs - phase(g.restartPhasesMs, 'registrations read') - phase(g.restartPhasesMs, 'sockets bound'), 0)} ms | | | |`,
    `| restart CPU time | ${g.restartCpuMs} ms (${g.emptyStartCpuMs} ms with no devices) | | | |`,
    `| restart scaled to 100k devices: wall (CPU) | ${report.restartMsPer100k} ms${mark(report.targets.restart)} (${report.restartCpuMsPer100k} ms) | | | < 5000 ms |`,
    `| RSS per device after the restart (vs. an empty gateway) | ${kb(g.rssPerDeviceAfterRestartBytes)} | | | |`,
    `| failed registrations / Updates | ${g.registerFailures} / ${g.updateFailures} | ${b.registerFailures} / ${b.updateFailures} | | 0 |`,
  ].join('\n');
}

/** The line saying what was measured, under the machine line. */
export function optionsLine(report: DeviceScaleReport, gatewayBindHosts: string): string {
  const o = report.options;
  return `${o.devices} UDP devices on ${o.deviceHosts} addresses, at most ${o.window} waiting; gateway sockets on ${gatewayBindHosts.replace(',', ' and ')}; ${o.pairs} pair${o.pairs === 1 ? '' : 's'} of runs (bare and gateway, the order alternating), medians`;
}

/** The report as docs/benchmarks.md shows it (see bench/support/results-doc.ts). */
export function deviceScaleResults(report: DeviceScaleReport, gatewayBindHosts: string): ResultsEntry {
  const r = report.ratios;
  return runResults(report, {
    summary: `${optionsLine(report, gatewayBindHosts)}. Targets: ${report.pass ? '**pass**' : '**FAIL**'}.`,
    body: deviceScaleTable(report),
    figures: `${report.options.devices} devices, ${report.options.pairs} pairs (medians): reg/s ${report.gateway.registrationsPerSec} vs ${report.bare.registrationsPerSec} (${r.registrationRate}; CPU/Register with Redis ${r.cpuPerRegisterWithRedis}×); RSS/added device ${report.gateway.rssPerAddedDeviceBytes} vs ${report.bare.rssPerAddedDeviceBytes} B (${r.rss}; whole fleet ${r.rssWholeFleet}); `
      + `CPU/Update ${report.gateway.cpuUsPerUpdate} vs ${report.bare.cpuUsPerUpdate} µs (${r.cpuPerUpdate}); restart ${report.gateway.restartMs} ms`,
    outcome: report.pass ? 'pass' : 'FAIL',
  });
}
