import assert from 'node:assert/strict';
import { SecretMasker } from '../../tasks/common/src/secrets';

describe('secret masking', () => {
  it('masks known secrets and anything shaped like a token', () => {
    const masker = new SecretMasker();
    masker.add('my-known-secret');
    const text = [
      'known my-known-secret here',
      'jwt eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiIxMjMifQ.c2lnbmF0dXJl',
      './config.sh --url x --token abcdefghij --pool p',
      'AZP_TOKEN=xyz123 AccountKey=abc==;',
    ].join('\n');
    const masked = masker.mask(text);
    for (const secret of ['my-known-secret', 'eyJhbGci', 'abcdefghij', 'xyz123', 'abc==']) assert.ok(!masked.includes(secret), `${secret} leaked: ${masked}`);
    assert.match(masked, /--token \*\*\* --pool p/);
  });
});
