/**
 * The simulated modem: an AT command interpreter (ITU-T V.250, 3GPP TS 27.007 / 27.005) on a
 * real pseudo-terminal, attached to the simulated SMS network. The entry point other folders
 * import.
 */
export { SimModem, type SimModemOptions, type SimModemFaults, type SimModemStats, type SimModemEvents, type InjectedAck, type GarbageKind } from './sim-modem.ts';
export { AtEngine, type AtEngineIo } from './at-engine.ts';
export type { AtEngineStats, AtEngineStatus, StoredMessageView } from './engine-status.ts';
export type { IncomingSms, SimEngineNetwork, SubmitResult } from './engine-context.ts';
export { REG_STAT, type AtEngineOptions, type RegistrationOutcome, type SimState } from './modem-state.ts';
export { SIM_PROFILES, type SimModemProfile, type SimProfileName, type SmsMemory } from './profiles.ts';
export { PtyLink, type PtyLinkOptions } from './pty-link.ts';
export { lockLink, type LinkLock } from './link-lock.ts';
export { systemScheduler, type SimScheduler } from './scheduler.ts';
export { SMS_STAT, DEFAULT_STORAGE_CAPACITY, type SmsStat, type StorageCapacity } from './sms-storage.ts';
export { RP_CAUSE } from './sms-incoming.ts';
