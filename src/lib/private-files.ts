import { chmodSync, closeSync, constants, fchmodSync, mkdirSync, openSync, statSync } from 'node:fs';
import { chmod, mkdir } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';

/**
 * Keyward's files hold private signing keys, cookie secrets, the client-secret hash key,
 * password hashes and mail with one-time links: owner only, whatever the umask. A mode given
 * to mkdir/open is narrowed by the umask but never widened, and a umask of 0 is common in
 * containers, so every file and directory Keyward creates is chmod-ed explicitly as well.
 */
export const PRIVATE_DIRECTORY_MODE = 0o700;
export const PRIVATE_FILE_MODE = 0o600;

/** The directories from `first` (the outermost one mkdir created) down to `directory`. */
function createdChain(first: string | undefined, directory: string): string[] {
  if (!first) return [];
  const chain: string[] = [];
  for (let current = resolve(directory); ; current = dirname(current)) {
    chain.push(current);
    if (current === resolve(first) || dirname(current) === current) return chain;
  }
}

/** mkdir -p; every directory it creates is 0700. Returns true when `directory` was created. */
export function makePrivateDirectorySync(directory: string): boolean {
  const created = createdChain(mkdirSync(directory, { recursive: true, mode: PRIVATE_DIRECTORY_MODE }), directory);
  for (const path of created) chmodSync(path, PRIVATE_DIRECTORY_MODE);
  return created.length > 0;
}

export async function makePrivateDirectory(directory: string): Promise<boolean> {
  const created = createdChain(await mkdir(directory, { recursive: true, mode: PRIVATE_DIRECTORY_MODE }), directory);
  for (const path of created) await chmod(path, PRIVATE_DIRECTORY_MODE);
  return created.length > 0;
}

/** Creates an empty 0600 file unless `path` exists; returns true when it created it. */
export function createPrivateFileSync(path: string): boolean {
  let fd: number;
  try {
    fd = openSync(path, constants.O_CREAT | constants.O_EXCL | constants.O_WRONLY, PRIVATE_FILE_MODE);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'EEXIST') return false;
    throw error;
  }
  try {
    fchmodSync(fd, PRIVATE_FILE_MODE);
  } finally {
    closeSync(fd);
  }
  return true;
}

/** chmod 0600 when `path` exists (e.g. SQLite's -wal and -shm, created by SQLite itself). */
export function restrictFileSync(path: string): void {
  try {
    chmodSync(path, PRIVATE_FILE_MODE);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
  }
}

/**
 * The mode, as octal text, of an existing file or directory that group or others may access
 * (any of the 0o077 bits); undefined when it is private or does not exist.
 */
export function widerThanPrivate(path: string): string | undefined {
  try {
    const mode = statSync(path).mode & 0o777;
    return (mode & 0o077) === 0 ? undefined : mode.toString(8).padStart(4, '0');
  } catch {
    return undefined;
  }
}
