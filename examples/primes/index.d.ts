export interface CountPrimesOptions {
  /** Aborting it rejects the promise with an AbortError (code 'ABORT_ERR'). */
  signal?: AbortSignal
  /** The fraction done, 0..1; coalesced: always ends with the newest value. */
  onProgress?: (fraction: number) => void
}

/** The number of primes below `limit` (an integer from 0 to 2^53). */
export function countPrimes(limit: number, options?: CountPrimesOptions): Promise<number>
