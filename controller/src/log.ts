// Structured logs: one JSON object per line on stdout (Azure Monitor and `kubectl logs` read them
// as they are). Every line goes through the secret masker first.
import { SecretMasker } from '../../tasks/common/src/secrets';

export type Level = 'debug' | 'info' | 'warning' | 'error';

export interface LogFields {
  /** What happened: 'pass', 'created', 'removed', 'swept', 'throttled', 'started', 'stopped'... */
  event?: string;
  pool?: string;
  message?: string;
  [field: string]: unknown;
}

export class JsonLog {
  readonly masker = new SecretMasker();

  constructor(
    private readonly write: (line: string) => void = (line) => process.stdout.write(line),
    private readonly now: () => number = Date.now,
    private readonly debugEnabled = false,
  ) {}

  line(level: Level, fields: LogFields): void {
    if (level === 'debug' && !this.debugEnabled) return;
    const record = { time: new Date(this.now()).toISOString(), level, ...fields };
    this.write(`${this.masker.mask(JSON.stringify(record))}\n`);
  }

  secret(value: string | undefined): void {
    this.masker.add(value);
  }
}
