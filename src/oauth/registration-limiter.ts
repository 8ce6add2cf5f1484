/**
 * Counts dynamic client registrations per client address in fixed one-minute windows, in this
 * instance's memory (registrations are rare; a shared counter would cost a write per attempt).
 * The map is bounded: past `maxAddresses` it starts afresh.
 */
export class RegistrationLimiter {
  readonly #perMinute: number;
  readonly #now: () => number;
  readonly #maxAddresses: number;
  #window = -1;
  readonly #counts = new Map<string, number>();

  constructor(options: { perMinute: number; now?: () => number; maxAddresses?: number }) {
    this.#perMinute = options.perMinute;
    this.#now = options.now ?? Date.now;
    this.#maxAddresses = options.maxAddresses ?? 10_000;
  }

  /** Counts one attempt from `address`; false when it is over the limit. */
  admit(address: string): boolean {
    const window = Math.floor(this.#now() / 60_000);
    if (window !== this.#window || this.#counts.size >= this.#maxAddresses) {
      this.#window = window;
      this.#counts.clear();
    }
    const count = (this.#counts.get(address) ?? 0) + 1;
    this.#counts.set(address, count);
    return count <= this.#perMinute;
  }
}
