// Shared Key authentication of the Batch data plane: rebuilds the string to sign exactly as the
// service (and @azure/batch's BatchSharedKeyCredentials) computes it, and compares HMAC-SHA256s.
import { createHmac, timingSafeEqual } from 'node:crypto';
import type { EmuRequest } from '../context';

const STANDARD_HEADERS = [
  'content-encoding',
  'content-language',
  'content-length',
  'content-md5',
  'content-type',
  'date',
  'if-modified-since',
  'if-match',
  'if-none-match',
  'if-unmodified-since',
  'range',
];

function header(req: EmuRequest, name: string): string {
  const value = req.headers[name];
  return Array.isArray(value) ? value.join(',') : (value ?? '');
}

export function stringToSign(req: EmuRequest, accountName: string): string {
  const method = req.method.toUpperCase();
  let text = `${method}\n`;
  for (const name of STANDARD_HEADERS) {
    if (name === 'content-length') {
      // An empty body signs as '' except on POST, which signs as '0' (what the client sends).
      const length = req.body.length > 0 ? String(req.body.length) : method === 'POST' ? '0' : '';
      text += `${length}\n`;
    } else {
      text += `${header(req, name)}\n`;
    }
  }
  const ocpHeaders = Object.keys(req.headers)
    .map((n) => n.toLowerCase())
    .filter((n) => n.startsWith('ocp-'))
    .sort();
  for (const name of ocpHeaders) {
    const value = header(req, name);
    if (value) text += `${name}:${value}\n`;
  }
  text += `/${accountName}${req.url.pathname}`;
  const params = new Map<string, string>();
  for (const [name, value] of req.url.searchParams) params.set(name, value);
  for (const name of [...params.keys()].sort()) text += `\n${name}:${params.get(name)}`;
  return text;
}

export type SharedKeyResult = 'valid' | 'wrong-account' | 'bad-signature' | 'malformed';

export function checkSharedKey(req: EmuRequest, authorization: string, accountName: string, accountKey: string): SharedKeyResult {
  const match = /^SharedKey\s+([^:\s]+):(\S+)$/.exec(authorization.trim());
  if (!match) return 'malformed';
  if (match[1].toLowerCase() !== accountName.toLowerCase()) return 'wrong-account';
  const expected = createHmac('sha256', Buffer.from(accountKey, 'base64')).update(stringToSign(req, match[1]), 'utf8').digest();
  const given = Buffer.from(match[2], 'base64');
  return given.length === expected.length && timingSafeEqual(given, expected) ? 'valid' : 'bad-signature';
}
