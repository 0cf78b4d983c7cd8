/** The SHA-256 of a file as a 32-byte Buffer; rejects with a Node system error. */
export function hashFile(path: string): Promise<Buffer>
export function hashFile(path: string, callback: (err: NodeJS.ErrnoException | null, digest?: Buffer) => void): undefined
