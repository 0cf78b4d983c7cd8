export interface Stats {
  count: number
  mean: number
  min: number
  max: number
}
/** Count, mean, min and max, computed on the threadpool; node-style callback. Returns undefined. */
export function summarize(numbers: number[], callback: (err: Error | null, stats?: Stats) => void): undefined
/** The same as a Promise; an aborted signal rejects with an AbortError. */
export function summarizeAsync(numbers: number[], signal?: AbortSignal): Promise<Stats>
