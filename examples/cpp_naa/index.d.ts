export interface TopWordsOptions {
  /** Called with 25, 50, 75, 100 as the count progresses. */
  onProgress?: (percent: number) => void
  signal?: AbortSignal
}
/** The n most frequent words of text, counted on the threadpool. */
export function topWords(text: string, n: number, options?: TopWordsOptions): Promise<Array<[string, number]>>
