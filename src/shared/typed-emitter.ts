/**
 * A small typed event emitter (the shape of BullMQ's `WorkerListener` maps): each event name
 * maps to the tuple of its listener's arguments. Listener errors are not caught here.
 */
import { EventEmitter } from 'node:events';

/** Event name → listener argument tuple. */
export type EventMap = { [event: string]: unknown[] };

/** Emits typed events; subclasses call {@link TypedEmitter.emit}. */
export class TypedEmitter<Events extends EventMap> {
  private readonly emitter = new EventEmitter({ captureRejections: false });

  constructor() {
    // Many components may watch one modem; a leak shows up in tests, not as a warning.
    this.emitter.setMaxListeners(0);
  }

  /** Adds a listener; returns a function that removes it. */
  on<E extends keyof Events & string>(event: E, listener: (...args: Events[E]) => void): () => void {
    this.emitter.on(event, listener as (...args: unknown[]) => void);
    return () => this.emitter.off(event, listener as (...args: unknown[]) => void);
  }

  /** Adds a listener for the next event only; returns a function that removes it. */
  once<E extends keyof Events & string>(event: E, listener: (...args: Events[E]) => void): () => void {
    this.emitter.once(event, listener as (...args: unknown[]) => void);
    return () => this.emitter.off(event, listener as (...args: unknown[]) => void);
  }

  /** Resolves with the arguments of the next `event`. */
  next<E extends keyof Events & string>(event: E): Promise<Events[E]> {
    return new Promise((resolve) => this.once(event, (...args) => resolve(args)));
  }

  /** Number of listeners of `event`. */
  listenerCount<E extends keyof Events & string>(event: E): number {
    return this.emitter.listenerCount(event);
  }

  protected emit<E extends keyof Events & string>(event: E, ...args: Events[E]): void {
    this.emitter.emit(event, ...args);
  }
}
