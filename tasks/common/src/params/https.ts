// Every endpoint a credential is sent to must be https: a token, key or PAT sent over http can be read
// by anyone on the way. Checked when the inputs are read, before any request.
import { InputError } from '../errors';

/** Returns `url` unchanged when it is https; otherwise an InputError naming `input` and what the URL is for. */
export function requireHttps(url: string, input: string, what: string): string {
  let protocol: string;
  try {
    protocol = new URL(url).protocol;
  } catch {
    throw new InputError(input, `${what} in '${input}' must be an absolute https URL; got '${url}'`);
  }
  if (protocol !== 'https:') {
    throw new InputError(input, `${what} in '${input}' must use https, because credentials are sent to it; got '${url}'`);
  }
  return url;
}
