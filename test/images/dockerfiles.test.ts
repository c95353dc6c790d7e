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

    it('keeps the agent\'s files root\'s, gives the user agent only the work and diagnostic folders, and starts start.sh', () => {
      assert.match(dockerfile, /useradd [^\n]*\bagent\b/);
      assert.match(dockerfile, /tar --no-same-owner --no-same-permissions -xzf \/tmp\/agent\.tar\.gz -C \/azp\/agent/);
      assert.match(dockerfile, /chown -R root:root \/azp\/agent \\\n\s+&& chmod -R go-w \/azp\/agent/);
      assert.match(dockerfile, /chown agent:agent \/azp\/agent\/_diag \/azp\/_work$/m);
      // No other ownership change may hand the agent's files to the job's user.
      assert.deepEqual(dockerfile.match(/chown[^\n]*/g), ['chown -R root:root /azp/agent \\', 'chown agent:agent /azp/agent/_diag /azp/_work']);
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

    it('runs the job as ContainerUser, who can add to the agent folder but not change its files', () => {
      assert.match(dockerfile, /^USER ContainerUser$/m);
      const grants = dockerfile.match(/icacls\.exe [^;]*/g) ?? [];
      assert.equal(grants.length, 2);
      // Administrators and SYSTEM full, Users read and execute, ContainerUser only "add file" on the folder itself.
      assert.match(grants[0], /C:\\azp\\agent \/inheritance:r \/grant:r '\*S-1-5-32-544:\(OI\)\(CI\)F' '\*S-1-5-18:\(OI\)\(CI\)F' '\*S-1-5-32-545:\(OI\)\(CI\)RX' '\*S-1-3-0:\(OI\)\(IO\)M' '\*S-1-5-93-2-2:\(WD\)'$/);
      assert.match(grants[1], /C:\\azp\\agent\\_diag C:\\azp\\_work \/grant '\*S-1-5-93-2-2:\(OI\)\(CI\)M'$/);
    });
  });
});
