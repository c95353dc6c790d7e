// The agent images cannot be built here (no Docker engine): lint both Dockerfiles with
// dockerfile-utils and check the promises they make (pinned, checksum-verified agent; entrypoint).
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { validate } from 'dockerfile-utils';

const repoRoot = path.resolve(__dirname, '../../..');
const read = (file: string) => readFileSync(path.join(repoRoot, file), 'utf8');

describe('agent image Dockerfiles', () => {
  it('dockerfile-utils reports a broken Dockerfile (the lint is live)', () => {
    assert.notDeepEqual(validate('FROM ubuntu:24.04\nRUNN echo hi\n'), []);
  });

  describe('images/linux/Dockerfile', () => {
    const dockerfile = read('images/linux/Dockerfile');

    it('builds with the classic builder of az acr build: no BuildKit-only syntax', () => {
      const instructions = dockerfile.split('\n').filter((line) => !line.trimStart().startsWith('#'));
      const buildKitOnly = instructions.filter((line) => /^\s*(COPY|ADD)\s[^\n]*--(chmod|link|parents|exclude)\b|^\s*RUN\s[^\n]*--(mount|network|security)=|<<[A-Z-]*EOF/.test(line));
      assert.deepEqual(buildKitOnly, []);
      assert.doesNotMatch(dockerfile, /^# syntax=/m);
    });

    it('has no lint problems', () => {
      assert.deepEqual(validate(dockerfile), []);
    });

    it('bakes in the agent at a pinned version, checked against its SHA-256', () => {
      assert.match(dockerfile, /^FROM ubuntu:24\.04$/m);
      assert.match(dockerfile, /^ARG AGENT_VERSION$/m);
      assert.match(dockerfile, /^ARG AGENT_SHA256$/m);
      assert.ok(
        dockerfile.includes('https://download.agent.dev.azure.com/agent/${AGENT_VERSION}/vsts-agent-linux-x64-${AGENT_VERSION}.tar.gz'),
      );
      assert.match(dockerfile, /echo "\$\{AGENT_SHA256\} {2}\/tmp\/agent\.tar\.gz" \| sha256sum --check/);
      assert.match(dockerfile, /\/azp\/agent\/bin\/installdependencies\.sh/);
    });

    it('gives the agent and work directories to the unprivileged user agent and starts start.sh', () => {
      assert.match(dockerfile, /useradd [^\n]*\bagent\b/);
      assert.match(dockerfile, /chown -R agent:agent \/azp\/agent \/azp\/_work/);
      assert.match(dockerfile, /^COPY [^\n]*start\.sh \/azp\/start\.sh$/m);
      assert.match(dockerfile, /^ENTRYPOINT \["\/azp\/start\.sh"\]$/m);
    });
  });

  describe('images/windows/Dockerfile', () => {
    const dockerfile = read('images/windows/Dockerfile');

    it('has no lint problems', () => {
      assert.deepEqual(validate(dockerfile), []);
    });

    it('bakes in the agent at a pinned version, checked against its SHA-256, and starts start.ps1', () => {
      assert.match(dockerfile, /^FROM mcr\.microsoft\.com\/windows\/servercore:ltsc2022$/m);
      assert.match(dockerfile, /^ARG AGENT_VERSION$/m);
      assert.match(dockerfile, /^ARG AGENT_SHA256$/m);
      assert.ok(dockerfile.includes("'https://download.agent.dev.azure.com/agent/{0}/vsts-agent-win-x64-{0}.zip' -f $env:AGENT_VERSION"));
      assert.match(dockerfile, /Get-FileHash -Path C:\\agent\.zip -Algorithm SHA256/);
      assert.match(dockerfile, /if \(\$actual -ne \$env:AGENT_SHA256\) \{ `\n\s+throw/);
      assert.match(dockerfile, /^ENTRYPOINT \[.*"-File", "C:\\\\azp\\\\start\.ps1"\]$/m);
    });
  });
});
