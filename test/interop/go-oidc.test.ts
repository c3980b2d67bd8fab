import { spawnSync } from 'node:child_process';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { tempDir } from '../helpers/temp-dir.ts';
import { describeRelyingParty } from './support/relying-party-suite.ts';
import { requireTool, ScriptDriver } from './support/script-client.ts';

/**
 * go-oidc (coreos, v2.1.0 from Debian) with golang.org/x/oauth2 (0.3.0 from Debian) as the
 * example's `web` client, in test/interop/clients/go-oidc/main.go: discovery, PKCE S256,
 * client_secret_basic, the ID token verified by go-oidc against the JWKS (RS256 signature, iss,
 * aud, exp) and its nonce, UserInfo, refresh by x/oauth2, revocation by a plain request.
 * Built offline in GOPATH mode from Debian's /usr/share/gocode (no module proxy, no internet).
 */
const INSTALL = 'apt-get install -y golang-go golang-github-coreos-go-oidc-dev golang-golang-x-oauth2-dev';
const binary = join(tempDir('keyward-interop-go-'), 'go-oidc-client');

function build(): void {
  requireTool(['go', 'version'], INSTALL);
  const result = spawnSync('go', ['build', '-o', binary, './test/interop/clients/go-oidc/main.go'], {
    encoding: 'utf8',
    timeout: 180_000,
    env: { ...process.env, GO111MODULE: 'off', GOPATH: '/usr/share/gocode', GOFLAGS: '', GOPROXY: 'off', GOTOOLCHAIN: 'local', GOCACHE: process.env.GOCACHE ?? join(tmpdir(), 'keyward-interop-gocache') },
  });
  if (result.error || result.status !== 0) {
    throw new Error(`building the go-oidc client failed (${result.error?.message ?? result.stderr.trim()}). It needs Debian's Go packages: ${INSTALL} (as .ci/run does)`);
  }
}

describeRelyingParty({
  library: 'go-oidc v2 with golang.org/x/oauth2 (Go)',
  kind: 'web',
  prepare: async () => build(),
  makeDriver: (context) => new ScriptDriver([binary], context),
});
