/**
 * Reads a numeric-date claim of a JWT's payload (`exp`: when it expires; `iat`: when it was
 * issued), in milliseconds since the epoch, or `undefined` when the token is not a JWT with
 * that claim as a number (an opaque or malformed token simply has no expiry).
 *
 * The signature is not checked: a client cannot verify it, and only uses the claims to know
 * when to refresh. The server remains the judge of the token.
 */
export function jwtTime(token: string, claim: 'exp' | 'iat'): number | undefined {
  const parts = token.split('.');
  if (parts.length !== 3) return undefined;
  // base64url as RFC 7519 says, but also padded or plain base64 as some servers send.
  const payload = (parts[1] as string).replace(/=+$/, '');
  // `atob` would skip whitespace; an empty payload fails in `JSON.parse`.
  if (/[^\w+/-]/.test(payload)) return undefined;
  try {
    // `atob` takes base64 without its padding (and throws on a length no base64 has).
    const claims = JSON.parse(atob(payload.replace(/-/g, '+').replace(/_/g, '/'))) as Record<string, unknown> | null;
    // A primitive's prototype has no `exp` or `iat`: only an object's own claim counts.
    const value = claims?.[claim];
    return typeof value === 'number' && value >= 0 && Number.isFinite(value * 1000) ? value * 1000 : undefined;
  } catch {
    return undefined;
  }
}
