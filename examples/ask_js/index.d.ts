/**
 * A root of f in [lo, hi] by bisection on the threadpool; f(lo) and f(hi)
 * must have opposite signs. f runs on the JS thread, once per evaluation.
 * Rejects with whatever f throws.
 */
export function bisect(f: (x: number) => number, lo: number, hi: number): Promise<{ root: number, calls: number }>
