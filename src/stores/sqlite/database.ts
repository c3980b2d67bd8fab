import { accessSync, constants } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { DatabaseSync } from 'node:sqlite';
import { StartupError } from '../../errors/app-error.ts';
import { createPrivateFileSync, makePrivateDirectorySync, restrictFileSync, widerThanPrivate } from '../../lib/private-files.ts';

export interface SqliteOptions {
  /** A file path, or ':memory:' for a private in-memory database (tests). */
  location: string;
  busyTimeoutMs: number;
  /** Told when an existing data directory or database file is open to group or others. */
  warn?: (message: string) => void;
}

/** SQLite's companion files in WAL mode (https://sqlite.org/tempfiles.html): copies of database pages. */
const COMPANIONS = ['-wal', '-shm'];

/**
 * Opens the embedded database in WAL mode (readers never block the writer, and several
 * Keyward processes can share one file) with a busy timeout, so a writer waits for a
 * lock instead of failing at once. https://sqlite.org/wal.html
 */
export function openSqlite({ location, busyTimeoutMs, warn }: SqliteOptions): DatabaseSync {
  const inMemory = location === ':memory:';
  if (!inMemory) prepareFiles(location, warn);
  let db: DatabaseSync;
  try {
    db = new DatabaseSync(location, { timeout: busyTimeoutMs });
  } catch (error) {
    throw new StartupError(`Cannot open the database ${location}: ${describe(error)}`, error);
  }
  try {
    // Reading the schema first detects a file that is not a database before any write.
    db.prepare('SELECT count(*) FROM sqlite_schema').get();
    if (!inMemory) db.exec('PRAGMA journal_mode = WAL');
    // NORMAL in WAL mode survives a process crash (SIGKILL) without losing a committed
    // transaction; only an OS crash or power loss may roll back the last ones.
    // https://sqlite.org/pragma.html#pragma_synchronous
    db.exec('PRAGMA synchronous = NORMAL');
    db.exec('PRAGMA foreign_keys = ON');
    // Deleted and overwritten rows are zeroed in the pages SQLite writes anyway, so re-encrypting
    // a private key (or removing a token) does not leave the old bytes in the file.
    // https://sqlite.org/pragma.html#pragma_secure_delete
    db.exec('PRAGMA secure_delete = FAST');
    if (!inMemory) restrictCompanions(db, location);
  } catch (error) {
    db.close();
    throw new StartupError(`Cannot use the database ${location}: ${describe(error)} (is it a Keyward SQLite file, and is its directory writable?)`, error);
  }
  return db;
}

/**
 * A new data directory is 0700 and a new database an empty 0600 file that SQLite adopts
 * (SQLite would create it 0644 less the umask); existing ones are left as the operator set
 * them, with a warning when group or others may read them.
 */
function prepareFiles(location: string, warn: SqliteOptions['warn']): void {
  const directory = dirname(resolve(location));
  const createdDirectory = createDataDirectory(directory);
  let createdFile: boolean;
  try {
    createdFile = createPrivateFileSync(location);
  } catch (error) {
    throw new StartupError(`Cannot create the database ${location}: ${describe(error)}`, error);
  }
  const existing = [...(createdDirectory ? [] : [directory]), ...(createdFile ? [] : [location, ...COMPANIONS.map((suffix) => location + suffix)])];
  for (const path of existing) {
    const mode = widerThanPrivate(path);
    if (mode) warn?.(`${path} has mode ${mode}: group or others may read Keyward's private keys, secrets and password hashes; chmod ${path === directory ? '700' : '600'} it`);
  }
}

/** SQLite gives -wal and -shm the database file's mode; they are made 0600 too, in case it did not. */
function restrictCompanions(db: DatabaseSync, location: string): void {
  // A read in WAL mode opens (creates) both companion files.
  db.prepare('SELECT count(*) FROM sqlite_schema').get();
  for (const suffix of COMPANIONS) {
    if (!widerThanPrivate(location + suffix)) continue;
    try {
      restrictFileSync(location + suffix);
    } catch {
      // Owned by another user (a shared database): the warning at start names it.
    }
  }
}

function createDataDirectory(directory: string): boolean {
  let created: boolean;
  try {
    created = makePrivateDirectorySync(directory);
  } catch (error) {
    throw new StartupError(`Cannot create the data directory ${directory}: ${describe(error)}`, error);
  }
  try {
    // SQLite needs to write the database and its WAL next to it.
    accessSync(directory, constants.W_OK);
  } catch (error) {
    throw new StartupError(`The data directory ${directory} is not writable: ${describe(error)}`, error);
  }
  return created;
}

function describe(error: unknown): string {
  const { code, message } = error as { code?: string; message?: string };
  if (code === 'EROFS') return 'read-only file system';
  if (code === 'EACCES' || code === 'EPERM') return 'permission denied';
  if (code === 'ENOTDIR' || code === 'EEXIST') return 'part of the path is a file, not a directory';
  if (code === 'ENOENT') return 'no such file or directory';
  return (message ?? String(error)).split('\n')[0] ?? 'unknown error';
}

/** Runs `work` in one write transaction; BEGIN IMMEDIATE takes the write lock up front. */
export function inWriteTransaction<T>(db: DatabaseSync, work: () => T): T {
  db.exec('BEGIN IMMEDIATE');
  try {
    const result = work();
    db.exec('COMMIT');
    return result;
  } catch (error) {
    if (db.isTransaction) db.exec('ROLLBACK');
    throw error;
  }
}

/** SQLite errors that mean the database cannot serve just now (busy, locked, I/O, full, closed). */
export function isSqliteUnavailable(error: unknown): boolean {
  const { errcode, message } = error as { errcode?: number; message?: string };
  // SQLITE_BUSY 5, SQLITE_LOCKED 6, SQLITE_IOERR 10, SQLITE_FULL 13, SQLITE_CANTOPEN 14, SQLITE_READONLY 8
  if (typeof errcode === 'number' && [5, 6, 8, 10, 13, 14].includes(errcode & 0xff)) return true;
  return typeof message === 'string' && /database is not open|statement has been finalized/.test(message);
}
