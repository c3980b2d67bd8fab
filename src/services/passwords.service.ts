import argon2, { type HashOptions } from 'argon2';

export interface Argon2Cost {
  memoryKiB: number;
  timeCost: number;
  parallelism: number;
}

export interface PasswordHasher {
  hash(password: string): Promise<string>;
  /** True when `password` matches `hash`. Never throws on a malformed hash. */
  verify(hash: string, password: string): Promise<boolean>;
  /** True when `hash` was made with other parameters than the configured ones. */
  needsRehash(hash: string): boolean;
  /** Spends the time of one verification, for unknown accounts (no user enumeration by timing). */
  verifyDummy(password: string): Promise<void>;
}

/** argon2id at the configured cost; the default is OWASP's (19 MiB, t=2, p=1). */
export async function createPasswordHasher(cost: Argon2Cost): Promise<PasswordHasher> {
  const options: HashOptions & { raw?: false } = { type: argon2.argon2id, memoryCost: cost.memoryKiB, timeCost: cost.timeCost, parallelism: cost.parallelism };
  const dummyHash = await argon2.hash('keyward-dummy-password', options);
  const verify = async (hash: string, password: string): Promise<boolean> => {
    try {
      return await argon2.verify(hash, password);
    } catch {
      return false;
    }
  };
  return {
    hash: (password) => argon2.hash(password, options),
    verify,
    needsRehash: (hash) => argon2.needsRehash(hash, options),
    async verifyDummy(password) {
      await verify(dummyHash, password);
    },
  };
}
