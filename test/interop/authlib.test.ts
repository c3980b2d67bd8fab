import { describeRelyingParty } from './support/relying-party-suite.ts';
import { requireTool, ScriptDriver } from './support/script-client.ts';

/**
 * Authlib (Python; Debian's python3-authlib 1.2.0 with python3-requests) as the example's `web`
 * client, in test/interop/clients/authlib_client.py: PKCE S256, client_secret_basic, the ID token
 * validated by authlib.jose against the JWKS (signature, iss, aud, exp, nonce), UserInfo, refresh,
 * revocation. Debian's interpreter (/usr/bin/python3) runs it, where apt installs the packages.
 */
const PYTHON = '/usr/bin/python3';
const SCRIPT = 'test/interop/clients/authlib_client.py';

describeRelyingParty({
  library: 'Authlib (Python)',
  kind: 'web',
  prepare: async () => requireTool([PYTHON, '-c', 'import authlib, requests'], 'apt-get install -y python3-authlib python3-requests'),
  makeDriver: (context) => new ScriptDriver([PYTHON, SCRIPT], context),
});
