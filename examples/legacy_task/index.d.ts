type Callback = (err: (Error & { code?: string }) | null, count?: number) => void

/** Primes below n, written in the deprecated struct-of-callbacks style. */
export function countPrimesOld(n: number, callback: Callback): undefined
/** The same job written with the builder; node-style callback. */
export function countPrimes(n: number, callback: Callback): undefined
/** The same job with the builder, as a Promise; aborts with an AbortError. */
export function countPrimesPromise(n: number, signal?: AbortSignal): Promise<number>
