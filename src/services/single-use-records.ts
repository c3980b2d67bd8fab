import type { OidcPayload, OidcRecordStore } from '../stores/types.ts';

/**
 * Takes a record of Keyward's own from the OIDC record store once: consume() is atomic, so of
 * concurrent takers exactly one gets the payload; the record is then removed. Undefined when it
 * is absent, expired or already taken.
 */
export async function takeRecord(store: Pick<OidcRecordStore, 'consume' | 'find' | 'destroy'>, model: string, id: string): Promise<OidcPayload | undefined> {
  if (!(await store.consume(model, id))) return undefined;
  const record = await store.find(model, id);
  await store.destroy(model, id);
  return record;
}
