import type { Credentials, RefreshFunction } from 'rx-session';

/** Who is signed in. */
export interface User {
  readonly name: string;
}

/** What the API's `/api/login` and `/api/token` answer (OAuth 2.0's token response). */
export interface TokenResponse {
  readonly access_token: string;
  readonly refresh_token: string;
  readonly expires_in: number;
  readonly user?: User;
}

/** The store's credentials for a token response. */
export const credentials = (body: TokenResponse): Credentials<User> => ({
  token: body.access_token,
  refreshToken: body.refresh_token,
  expiresAt: Date.now() + body.expires_in * 1000,
  ...(body.user ? { user: body.user } : {}),
});

/** The store's refresh: one call to `/api/token` with the refresh token, which rotates. */
export const refresh: RefreshFunction<User> = async (session, { signal }) => {
  const res = await fetch('/api/token', { method: 'POST', body: session.refreshToken ?? '', signal });
  if (!res.ok) throw Object.assign(new Error(`refresh refused (${res.status})`), { response: { status: res.status } });
  return credentials((await res.json()) as TokenResponse);
};
