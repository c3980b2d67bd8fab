"""A relying party with Authlib (Debian's python3-authlib) for test/interop/authlib.test.ts.

Speaks the JSON-lines protocol of test/interop/support/script-client.ts: prints the authorization
URL, reads the callback URL, redeems the code (PKCE S256, client_secret_basic), validates the ID
token with authlib.jose against the JWKS (RS256 signature, iss, aud, exp, iat, nonce, at_hash),
reads UserInfo, refreshes, then on "revoke" revokes the refresh token and tries it once more.
Every request has a timeout; only the issuer in KEYWARD_ISSUER (loopback) is contacted.
"""
import json
import os
import sys

import authlib
from authlib.common.security import generate_token
from authlib.integrations.base_client.errors import OAuthError
from authlib.integrations.requests_client import OAuth2Session
from authlib.jose import JsonWebKey, JsonWebToken
from authlib.oidc.core import CodeIDToken

TIMEOUT = 10


def say(message):
    print(json.dumps(message), flush=True)


def main():
    issuer = os.environ["KEYWARD_ISSUER"]
    client_id = os.environ["CLIENT_ID"]
    session = OAuth2Session(
        client_id,
        os.environ["CLIENT_SECRET"],
        scope=os.environ["SCOPE"],
        redirect_uri=os.environ["REDIRECT_URI"],
        code_challenge_method="S256",
        token_endpoint_auth_method="client_secret_basic",
    )
    # The session sends a bearer token on every request; these two are public.
    meta = session.get(f"{issuer}/.well-known/openid-configuration", timeout=TIMEOUT, withhold_token=True).json()
    if meta["issuer"] != issuer:
        raise ValueError(f"discovery names issuer {meta['issuer']}")

    verifier = generate_token(48)
    nonce = generate_token(20)
    url, state = session.create_authorization_url(meta["authorization_endpoint"], code_verifier=verifier, nonce=nonce)
    say({"authorization_url": url})

    callback = sys.stdin.readline().strip()
    token = session.fetch_token(meta["token_endpoint"], authorization_response=callback, state=state, code_verifier=verifier, timeout=TIMEOUT)

    jwks = JsonWebKey.import_key_set(session.get(meta["jwks_uri"], timeout=TIMEOUT, withhold_token=True).json())
    claims = JsonWebToken(["RS256"]).decode(
        token["id_token"],
        jwks,
        claims_cls=CodeIDToken,
        claims_options={"iss": {"essential": True, "value": issuer}, "aud": {"essential": True, "value": client_id}},
        claims_params={"nonce": nonce, "client_id": client_id, "access_token": token["access_token"]},
    )
    claims.validate(leeway=30)

    userinfo = session.get(meta["userinfo_endpoint"], timeout=TIMEOUT)
    userinfo.raise_for_status()
    first = dict(token)
    refreshed = session.refresh_token(meta["token_endpoint"], refresh_token=first["refresh_token"], timeout=TIMEOUT)
    say({"signed_in": {
        "library": f"authlib {authlib.__version__}",
        "idTokenClaims": dict(claims),
        "userinfo": userinfo.json(),
        "accessToken": first["access_token"],
        "refreshToken": first["refresh_token"],
        "scope": first.get("scope", ""),
        "refreshed": {"accessToken": refreshed["access_token"], "refreshToken": refreshed["refresh_token"]},
    }})

    if sys.stdin.readline().strip() != "revoke":
        raise ValueError("expected revoke")
    revocation = session.revoke_token(meta["revocation_endpoint"], token=refreshed["refresh_token"], token_type_hint="refresh_token", timeout=TIMEOUT)
    revocation.raise_for_status()
    try:
        session.refresh_token(meta["token_endpoint"], refresh_token=refreshed["refresh_token"], timeout=TIMEOUT)
        outcome = "accepted"
    except OAuthError as error:
        outcome = error.error
    say({"revoked": {"refreshAfterRevocation": outcome}})


if __name__ == "__main__":
    try:
        main()
    except Exception as error:  # reported to the test, which shows it with stderr
        say({"error": f"{type(error).__name__}: {error}"})
        raise
