import { badRequest } from '../errors.ts';
import type { TokenCursor } from '../tokens/repository.ts';

/* An opaque page cursor: where the previous page ended, as (created_at, id). */

export function encodeCursor(cursor: TokenCursor | null): string | null {
  return cursor && Buffer.from(JSON.stringify([cursor.createdAt.toISOString(), cursor.id])).toString('base64url');
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export function decodeCursor(text: string | undefined): TokenCursor | undefined {
  if (text === undefined) return undefined;
  try {
    const [createdAt, id] = JSON.parse(Buffer.from(text, 'base64url').toString('utf8')) as unknown[];
    const date = new Date(String(createdAt));
    if (typeof createdAt === 'string' && !Number.isNaN(date.getTime()) && typeof id === 'string' && UUID.test(id)) {
      return { createdAt: date, id };
    }
  } catch {
    // answered below
  }
  throw badRequest('cursor is not valid: pass the nextCursor of the page before, unchanged.');
}
