/** n + 1, computed on the threadpool; node-style callback. Returns undefined. */
export function addOne(n: number, callback: (err: Error | null, value?: number) => void): undefined
/** n + 1, computed on the threadpool. */
export function addOnePromise(n: number): Promise<number>
