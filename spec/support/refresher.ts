import { AxiosError, AxiosHeaders, type InternalAxiosRequestConfig } from 'axios';
import type { AuthenticatedSession, Credentials, RefreshContext } from '../../lib';

/** One call of the app's refresh function, answered by the test. */
export interface RefreshCall {
  readonly session: AuthenticatedSession;
  readonly ctx: RefreshContext;
  resolve(result: string | Credentials): void;
  reject(error: unknown): void;
}

/** A refresh function whose calls a test answers one by one. */
export function refresher(): {
  fn: (session: AuthenticatedSession, ctx: RefreshContext) => Promise<string | Credentials>;
  calls: RefreshCall[];
} {
  const calls: RefreshCall[] = [];
  const fn = (session: AuthenticatedSession, ctx: RefreshContext): Promise<string | Credentials> =>
    new Promise((resolve, reject) => calls.push({ session, ctx, resolve, reject }));
  return { fn, calls };
}

/** A JWT (unsigned: the client never checks signatures) whose `exp` is `expMs`, rounded to seconds. */
export function jwt(expMs: number, claims: Record<string, unknown> = {}): string {
  const part = (value: unknown): string => Buffer.from(JSON.stringify(value)).toString('base64url');
  return `${part({ alg: 'HS256', typ: 'JWT' })}.${part({ sub: 'u1', ...claims, exp: Math.floor(expMs / 1000) })}.c2ln`;
}

const config = { headers: new AxiosHeaders() } as InternalAxiosRequestConfig;

/** What axios rejects with when the server answered `status`. */
export function httpError(status: number, data: unknown = {}): AxiosError {
  return new AxiosError(
    `Request failed with status code ${status}`,
    'ERR_BAD_REQUEST',
    config,
    {},
    {
      status,
      statusText: String(status),
      data,
      headers: {},
      config,
    },
  );
}

/** What axios rejects with when no response came back. */
export function networkError(code = 'ECONNREFUSED'): AxiosError {
  return new AxiosError('connect ECONNREFUSED 127.0.0.1:9', code, config, {});
}
