import type { Actor } from '../tokens/model.ts';

/** Who is calling a management route. */
export type Caller =
  | { type: 'operator'; keyId: string; name: string }
  | { type: 'user'; userId: string; workspaceId: string; admin: boolean };

export function actorOf(caller: Caller, ip: string): Actor {
  return caller.type === 'operator'
    ? { type: 'operator', id: caller.keyId, ip }
    : { type: 'user', id: caller.userId, ip };
}
