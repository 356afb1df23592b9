import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';

/** SHA-256 of a secret: what the database keeps instead of it. */
export function hashSecret(secret: string): Buffer {
  return createHash('sha256').update(secret).digest();
}

export function sameHash(a: Uint8Array | null, b: Uint8Array): boolean {
  return a !== null && a.length === b.length && timingSafeEqual(a, b);
}

/** An operator key: a recognisable prefix (for secret scanners) and 256 random bits. */
export function newOperatorKey(): string {
  return `aacop_${randomBytes(32).toString('base64url')}`;
}
