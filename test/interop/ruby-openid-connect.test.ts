import { describeRelyingParty } from './support/relying-party-suite.ts';
import { requireTool, ScriptDriver } from './support/script-client.ts';

/**
 * openid_connect (Ruby, nov's gem on rack-oauth2 and json-jwt; Debian's ruby-openid-connect 1.2.0)
 * as the example's `web` client, in test/interop/clients/openid_connect_client.rb: discovery, PKCE
 * S256, client_secret_basic, the ID token's signature checked against the JWKS and its claims
 * verified, UserInfo, refresh, revocation.
 */
const SCRIPT = 'test/interop/clients/openid_connect_client.rb';
/** Debian's interpreter, which sees the gems apt installs. */
const RUBY = '/usr/bin/ruby';

describeRelyingParty({
  library: 'openid_connect (Ruby)',
  kind: 'web',
  prepare: async () => requireTool([RUBY, '-e', 'require "openid_connect"'], 'apt-get install -y ruby ruby-openid-connect'),
  makeDriver: (context) => new ScriptDriver([RUBY, SCRIPT], context),
});
