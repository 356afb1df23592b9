import { AppError, notFound } from '../errors.ts';
import type { Scope } from '../tokens/repository.ts';
import type { Caller } from './caller.ts';

/*
 * What a caller may reach (DESIGN.md §5). Outside their rights, callers get 404 for what
 * they may not know exists (another workspace, another user's token) and 403 for what they
 * know exists but may not do (an admin's view, someone else's listing).
 */

const NO_SUCH_WORKSPACE = 'There is no such workspace.';

/** The tokens `caller` may see and act on in `workspaceId`. */
export function tokenScope(caller: Caller, workspaceId: string): Scope {
  if (caller.type === 'operator') return { workspaceId };
  if (caller.workspaceId !== workspaceId) throw notFound(NO_SUCH_WORKSPACE);
  return caller.admin ? { workspaceId } : { workspaceId, userId: caller.userId };
}

/** Workspace admins of `workspaceId` and operators only. */
export function requireAdmin(caller: Caller, workspaceId: string): void {
  if (caller.type === 'operator') return;
  if (caller.workspaceId !== workspaceId) throw notFound(NO_SUCH_WORKSPACE);
  if (!caller.admin) throw forbidden('Only workspace admins and operators may do this.');
}

export function requireOperator(caller: Caller): void {
  if (caller.type !== 'operator') throw forbidden('Only operators may do this; present an operator key.');
}

export const forbidden = (message: string) => new AppError(403, 'forbidden', message);
