// Masks secrets in text the task shows (diagnoses, summaries): every secret it knows, plus anything
// shaped like a token, because a container log may echo credentials the task never saw.

const TOKEN_PATTERNS: RegExp[] = [
  /eyJ[\w-]{5,}\.[\w-]{5,}\.[\w-]*/g, // JWTs (Entra tokens, job tokens)
  /(--token|--password|--sasToken)(\s+|=)("[^"]*"|'[^']*'|\S+)/gi, // agent config arguments
  /\b(AZP_TOKEN|AccountKey|SharedKey|client_secret|password|pwd|sig)(\s*[=:]\s*)("[^"]*"|[^\s;&,]+)/gi,
];

export class SecretMasker {
  private readonly secrets = new Set<string>();

  add(secret: string | undefined): void {
    // Very short values would mask ordinary words; task-lib masks them in logs anyway.
    if (secret && secret.length >= 6) this.secrets.add(secret);
  }

  mask(text: string): string {
    let masked = text;
    for (const secret of [...this.secrets].sort((a, b) => b.length - a.length)) masked = masked.split(secret).join('***');
    masked = masked.replace(TOKEN_PATTERNS[0], '***');
    masked = masked.replace(TOKEN_PATTERNS[1], (_m, flag: string, sep: string) => `${flag}${sep}***`);
    masked = masked.replace(TOKEN_PATTERNS[2], (_m, key: string, sep: string) => `${key}${sep}***`);
    return masked;
  }
}
