/**
 * Reads a JWT's `exp` claim, in milliseconds since the epoch, or `undefined` when the token
 * is not a JWT with a numeric `exp` (an opaque or malformed token simply has no expiry).
 *
 * The signature is not checked: a client cannot verify it, and only uses the claim to know
 * when to refresh. The server remains the judge of the token.
 */
export function jwtExpiry(token: string): number | undefined {
  return jwtTime(token, 'exp');
}

/** A JWT's `iat` claim (when it was issued), in milliseconds since the epoch, or `undefined`. */
export function jwtIssuedAt(token: string): number | undefined {
  return jwtTime(token, 'iat');
}

/** A numeric-date claim of a JWT's payload, in milliseconds, or `undefined`. */
function jwtTime(token: string, claim: 'exp' | 'iat'): number | undefined {
  const parts = token.split('.');
  if (parts.length !== 3) return undefined;
  // base64url as RFC 7519 says, but also padded or plain base64 as some servers send.
  const payload = (parts[1] as string).replace(/=+$/, '');
  if (payload.length === 0 || /[^A-Za-z0-9_\-+/]/.test(payload)) return undefined;
  try {
    const base64 = payload.replace(/-/g, '+').replace(/_/g, '/');
    const claims = JSON.parse(atob(base64 + '='.repeat((4 - (base64.length % 4)) % 4))) as unknown;
    const value = typeof claims === 'object' && claims !== null ? (claims as Record<string, unknown>)[claim] : undefined;
    return typeof value === 'number' && value >= 0 && Number.isFinite(value * 1000) ? value * 1000 : undefined;
  } catch {
    return undefined;
  }
}
