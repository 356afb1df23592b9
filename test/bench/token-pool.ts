/**
 * The live refresh tokens one target may present, first in first out. A token leaves the
 * pool when a request takes it and only its successor comes back, so no value is ever
 * presented twice; a token whose answer never arrives (an error, or a request cut off when
 * a run stops) is simply gone.
 */
export class TokenPool {
  readonly #slots: (string | undefined)[];
  #head = 0;
  #size = 0;

  constructor(tokens: readonly string[]) {
    this.#slots = [...tokens];
    this.#size = tokens.length;
  }

  get size(): number {
    return this.#size;
  }

  take(): string | undefined {
    if (this.#size === 0) return undefined;
    const token = this.#slots[this.#head];
    this.#slots[this.#head] = undefined;
    this.#head = (this.#head + 1) % this.#slots.length;
    this.#size--;
    return token;
  }

  /** Returns a successor; there is always room, since it replaces a token taken earlier. */
  put(token: string): void {
    if (this.#size === this.#slots.length) throw new Error('TokenPool: more tokens returned than taken');
    this.#slots[(this.#head + this.#size) % this.#slots.length] = token;
    this.#size++;
  }
}
