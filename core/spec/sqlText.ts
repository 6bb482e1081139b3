// Text inside SQL quotes.

/** Backslash escapes ClickHouse reads inside `...` and '...' (every version since 18.16). */
export function escapeQuoted(text: string, quote: '`' | "'"): string {
  let out = '';
  for (const ch of text) {
    const code = ch.codePointAt(0)!;
    if (ch === '\\' || ch === quote) out += `\\${ch}`;
    else if (code < 0x20 || code === 0x7f) out += `\\x${code.toString(16).padStart(2, '0')}`;
    else out += ch;
  }
  return `${quote}${out}${quote}`;
}
