import { z } from 'zod';
import { ApiError } from '../errors.js';
import { defineRoute, type Route } from '../http/route.js';
import type { DeviceSessions } from './session-cookie.js';

const SignInBody = z.strictObject({ token: z.string().min(1).max(512) });

/**
 * POST exchanges a token for the device cookie; GET tells a new tab who it is (and its CSRF token
 * and a sync ticket); DELETE signs the device out. All three are `public`: they authenticate by
 * the token in the body or by the cookie itself.
 */
export function deviceSessionRoutes(devices: DeviceSessions): Route[] {
  return [
    defineRoute({
      method: 'POST',
      pattern: '/api/auth/session',
      access: 'public',
      body: SignInBody,
      handle(ctx) {
        const signIn = devices.create(ctx.body.token);
        if (!signIn) throw new ApiError('UNAUTHENTICATED', 'the token is not valid (revoked, mistyped, or from another runtime)');
        return {
          status: 200,
          body: { user: signIn.principal, csrfToken: signIn.csrfToken, syncTicket: signIn.syncTicket },
          headers: { 'set-cookie': devices.cookieHeader(signIn.cookie) },
        };
      },
    }),
    defineRoute({
      method: 'GET',
      pattern: '/api/auth/session',
      access: 'public',
      handle(ctx) {
        const found = devices.lookup(ctx.headers.cookie);
        if (!found) throw new ApiError('UNAUTHENTICATED', 'this device is not signed in');
        return { status: 200, body: { user: found.principal, csrfToken: found.session.csrfToken, syncTicket: devices.newSyncTicket(found.session) } };
      },
    }),
    defineRoute({
      method: 'DELETE',
      pattern: '/api/auth/session',
      access: 'public',
      handle(ctx) {
        // The principal was resolved (and the CSRF header checked) by the HTTP layer.
        const found = devices.lookup(ctx.headers.cookie);
        if (found && ctx.principal) devices.remove(found.session.idHash);
        return { status: 200, body: { signedOut: found !== null && ctx.principal !== null }, headers: { 'set-cookie': devices.clearedCookieHeader() } };
      },
    }),
  ];
}
