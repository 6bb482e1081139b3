// API tokens. SLUICE_API_TOKENS="token1:admin,token2:read" (role defaults to admin). With no
// tokens configured the API is open (the local demo), and says so when it starts.
export type Role = 'admin' | 'read';
export type AuthResult = { ok: true; role: Role } | { ok: false; code: 'UNAUTHENTICATED'; message: string };

export function parseTokens(text: string | undefined): Map<string, Role> {
  const tokens = new Map<string, Role>();
  for (const item of (text ?? '').split(',').map((s) => s.trim()).filter(Boolean)) {
    const [token, role = 'admin'] = item.split(':');
    if (role !== 'admin' && role !== 'read') throw new Error(`SLUICE_API_TOKENS: role "${role}" is neither admin nor read`);
    tokens.set(token, role);
  }
  return tokens;
}

export function authenticate(authorization: string | null | undefined, tokens: ReadonlyMap<string, Role>): AuthResult {
  if (tokens.size === 0) return { ok: true, role: 'admin' };
  const m = /^Bearer\s+(\S+)$/i.exec(authorization ?? '');
  if (!m) return { ok: false, code: 'UNAUTHENTICATED', message: 'missing bearer token (Authorization: Bearer <token>)' };
  const role = tokens.get(m[1]);
  return role ? { ok: true, role } : { ok: false, code: 'UNAUTHENTICATED', message: 'invalid token' };
}
