// Typed, validated reading of task inputs. Every failure is an InputError whose message names the
// input, says what is wrong and how to fix it, and shows the value received (never for secrets).
import { InputError } from '../errors';
import type { TaskIO } from '../task-io';

export interface NumberRule {
  min: number;
  max: number;
  integer?: boolean;
  /** Why the bounds are what they are, e.g. "ACI limit". */
  reason?: string;
}

export class InputReader {
  constructor(private readonly io: Pick<TaskIO, 'getInput' | 'getSecretInput' | 'getVariable' | 'setSecret'>) {}

  optional(name: string): string | undefined {
    return this.io.getInput(name);
  }

  required(name: string, hint?: string): string {
    const value = this.io.getInput(name);
    if (value === undefined) throw new InputError(name, `Input '${name}' is required${hint ? `: ${hint}` : ''}`);
    return value;
  }

  /** A secret input: read without being logged, masked before anything else happens with it. */
  secret(name: string): string | undefined {
    return this.io.getSecretInput(name);
  }

  number(name: string, fallback: number, rule: NumberRule): number {
    const raw = this.io.getInput(name);
    if (raw === undefined) return fallback;
    const value = Number(raw);
    const kind = rule.integer ? 'a whole number' : 'a number';
    const ok = /^[+-]?(\d+(\.\d*)?|\.\d+)$/.test(raw) && Number.isFinite(value) && value >= rule.min && value <= rule.max &&
      (!rule.integer || Number.isInteger(value));
    if (!ok) {
      throw new InputError(name,
        `Input '${name}' must be ${kind} between ${rule.min} and ${rule.max}${rule.reason ? ` (${rule.reason})` : ''}; got '${raw}'`);
    }
    return value;
  }

  /** One of `allowed` (matched case-insensitively, returned in its canonical spelling). */
  choice<T extends string>(name: string, allowed: readonly T[], fallback: T): T {
    const raw = this.io.getInput(name);
    if (raw === undefined) return fallback;
    const hit = allowed.find((a) => a.toLowerCase() === raw.toLowerCase());
    if (!hit) throw new InputError(name, `Input '${name}' must be one of ${allowed.map((a) => `'${a}'`).join(', ')}; got '${raw}'`);
    return hit;
  }

  boolean(name: string, fallback: boolean): boolean {
    const raw = this.io.getInput(name);
    if (raw === undefined) return fallback;
    if (/^(true|yes|1)$/i.test(raw)) return true;
    if (/^(false|no|0)$/i.test(raw)) return false;
    throw new InputError(name, `Input '${name}' must be true or false; got '${raw}'`);
  }

  /** `name=value` lines (blank lines and lines starting with '#' skipped), in order. */
  pairs(name: string): Array<[string, string]> {
    const raw = this.io.getInput(name);
    if (raw === undefined) return [];
    const pairs: Array<[string, string]> = [];
    raw.split(/\r?\n/).forEach((line, i) => {
      const text = line.trim();
      if (!text || text.startsWith('#')) return;
      const eq = text.indexOf('=');
      if (eq <= 0) {
        throw new InputError(name, `Input '${name}' line ${i + 1} must have the form name=value; got '${text}'`);
      }
      pairs.push([text.slice(0, eq).trim(), text.slice(eq + 1).trim()]);
    });
    return pairs;
  }

  /** A comma- or newline-separated list, trimmed, without empty entries. */
  list(name: string): string[] | undefined {
    const raw = this.io.getInput(name);
    if (raw === undefined) return undefined;
    return raw.split(/[,\r\n]+/).map((s) => s.trim()).filter(Boolean);
  }

  url(name: string, raw: string | undefined, hint: string): string | undefined {
    if (raw === undefined) return undefined;
    let parsed: URL;
    try {
      parsed = new URL(raw);
    } catch {
      throw new InputError(name, `Input '${name}' must be an absolute URL such as ${hint}; got '${raw}'`);
    }
    // Only https: credentials (keys, tokens) are sent to these URLs.
    if (parsed.protocol !== 'https:') {
      throw new InputError(name, `Input '${name}' must be an https URL such as ${hint}, because credentials are sent to it; got '${raw}'`);
    }
    return raw.replace(/\/+$/, '');
  }
}
