/**
 * The awake window of an LwM2M client in queue mode (LwM2M 1.1 Transport, "Queue Mode": after
 * sending, the client SHOULD stay awake at least MAX_TRANSMIT_WAIT, then it may stop listening).
 * Timers are the node ones; `close` clears them.
 */

/** Options of {@link AwakeWindow}. */
export interface AwakeWindowOptions {
  /** False: always awake, and {@link AwakeWindow.wake} does nothing. */
  readonly queueMode: boolean;
  /** Time awake after the last {@link AwakeWindow.wake}. */
  readonly awakeWindowMs: number;
  /** True while an exchange is open: the device does not fall asleep then (checked again later). */
  readonly busy: () => boolean;
  /** Called on every change between awake and asleep. */
  readonly onChange: (awake: boolean) => void;
}

/** Shortest re-check interval while {@link AwakeWindowOptions.busy} holds. */
const BUSY_RECHECK_MIN_MS = 50;

/**
 * Awake or asleep. A device in queue mode starts asleep, wakes on every exchange and falls
 * asleep `awakeWindowMs` after the last one; a device without queue mode is always awake.
 */
export class AwakeWindow {
  readonly #options: AwakeWindowOptions;
  #awake: boolean;
  #timer: NodeJS.Timeout | null = null;
  #closed = false;

  constructor(options: AwakeWindowOptions) {
    this.#options = options;
    this.#awake = !options.queueMode;
  }

  /** False while asleep. */
  get awake(): boolean {
    return this.#awake;
  }

  /** An exchange now: awake (again) for `awakeWindowMs`. */
  wake(): void {
    if (!this.#options.queueMode || this.#closed) return;
    if (this.#timer !== null) clearTimeout(this.#timer);
    this.#timer = setTimeout(() => this.#sleep(), this.#options.awakeWindowMs);
    if (!this.#awake) {
      this.#awake = true;
      this.#options.onChange(true);
    }
  }

  /** Clears the timer; {@link wake} does nothing afterwards. */
  close(): void {
    this.#closed = true;
    if (this.#timer !== null) clearTimeout(this.#timer);
    this.#timer = null;
  }

  #sleep(): void {
    if (this.#options.busy()) {
      this.#timer = setTimeout(() => this.#sleep(), Math.max(this.#options.awakeWindowMs, BUSY_RECHECK_MIN_MS));
      return;
    }
    this.#timer = null;
    this.#awake = false;
    this.#options.onChange(false);
  }
}
