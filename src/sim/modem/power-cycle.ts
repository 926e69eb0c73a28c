/**
 * Power-up of the simulated modem: the profile's boot banner, the SIM becoming readable (late
 * when `lateSimMs` > 0), registration, and the periodic URCs some firmware emits. Operates on
 * the engine's context; all timing goes through its timers, which a reboot cancels.
 */
import type { EngineContext } from './engine-context.ts';
import { cpinText, powerOnState, settledSimState } from './modem-state.ts';

/** The engine side of a power cycle. */
export interface PowerHost {
  readonly ctx: EngineContext;
  /** Replaces the whole modem state (what a power cycle resets). */
  replaceState(state: ReturnType<typeof powerOnState>): void;
}

/**
 * Powers on: fresh state (the SIM card kept), the banner when `banner` (a reboot; not at the
 * first start, where the host opens the port of a modem already running), the SIM settling,
 * then registration once the SIM is ready.
 */
export function powerOn(host: PowerHost, banner: boolean): void {
  const { ctx } = host;
  const { options, profile } = ctx;
  host.replaceState(powerOnState(options, ctx.state.card));
  if (banner) {
    for (const line of profile.bootUrcs) ctx.setTimer(line.afterMs, () => bootLine(ctx, line.text));
  }
  const settle = (late: boolean): void => {
    ctx.state.sim = settledSimState(options, ctx.state.card);
    const text = cpinText(ctx.state.sim);
    // A SIM that appears after the banner announces itself the way the banner would have.
    if (late && banner && text !== null && profile.bootUrcs.some((l) => l.text.includes('{cpin}'))) ctx.emitUrc(`+CPIN: ${text}`);
    if (ctx.state.sim === 'ready') simReady(ctx, false);
  };
  if (options.lateSimMs > 0) ctx.setTimer(options.lateSimMs, () => settle(true));
  else settle(false);
  scheduleRssi(ctx);
}

/** The SIM is ready: SMS usable after `simInitMs`, profile URCs (after a PIN), registration. */
export function simReady(ctx: EngineContext, emitUrcs: boolean): void {
  ctx.state.sim = 'ready';
  ctx.state.smsReadyAtMs = ctx.nowMs() + ctx.options.simInitMs;
  if (emitUrcs) for (const urc of ctx.profile.simReadyUrcs) ctx.emitUrc(urc);
  ctx.registration.attach();
}

function bootLine(ctx: EngineContext, text: string): void {
  if (!text.includes('{cpin}')) {
    ctx.emitUrc(text);
    return;
  }
  // A busy SIM has no +CPIN line yet; settle() prints it when the SIM appears.
  const cpin = ctx.state.sim === 'absent' ? 'NOT INSERTED' : cpinText(ctx.state.sim);
  if (cpin !== null) ctx.emitUrc(text.replace('{cpin}', cpin));
}

/** Huawei `^RSSI: <n>` every `rssiUrcIntervalMs` while `AT^CURC=1` and the radio is on. */
function scheduleRssi(ctx: EngineContext): void {
  const interval = ctx.profile.rssiUrcIntervalMs;
  if (interval <= 0) return;
  ctx.setTimer(interval, () => {
    if (ctx.state.curc && ctx.state.cfun === 1) ctx.emitUrc(`^RSSI: ${ctx.state.rssi}`);
    scheduleRssi(ctx);
  });
}
