# A relying party with the openid_connect gem (nov's, on rack-oauth2; Debian's ruby-openid-connect)
# for test/interop/ruby-openid-connect.test.ts.
#
# Speaks the JSON-lines protocol of test/interop/support/script-client.ts: discovery, PKCE S256,
# client_secret_basic, the ID token decoded and signature-checked against the JWKS by json-jwt and
# verified (exp, iss, aud, nonce) by the gem, UserInfo, refresh, and revocation (rack-oauth2's
# revoke!). The gem builds discovery URLs with https; SWD.url_builder = URI::HTTP is its documented
# switch for a development issuer on http (loopback here). Every request has a timeout.
require 'base64'
require 'json'
require 'openid_connect'
require 'securerandom'

def say(message)
  $stdout.puts JSON.generate(message)
  $stdout.flush
end

OpenIDConnect.http_config do |http|
  http.connect_timeout = 10
  http.send_timeout = 10
  http.receive_timeout = 10
end
SWD.url_builder = URI::HTTP

def refresh(client, refresh_token)
  client.refresh_token = refresh_token
  client.access_token!(:basic)
end

begin
  issuer = ENV.fetch('KEYWARD_ISSUER')
  client_id = ENV.fetch('CLIENT_ID')
  config = OpenIDConnect::Discovery::Provider::Config.discover!(issuer)
  client = OpenIDConnect::Client.new(
    identifier: client_id,
    secret: ENV.fetch('CLIENT_SECRET'),
    redirect_uri: ENV.fetch('REDIRECT_URI'),
    authorization_endpoint: config.authorization_endpoint,
    token_endpoint: config.token_endpoint,
    userinfo_endpoint: config.userinfo_endpoint,
    revocation_endpoint: config.raw['revocation_endpoint']
  )
  verifier = SecureRandom.urlsafe_base64(48)
  state = SecureRandom.urlsafe_base64(24)
  nonce = SecureRandom.urlsafe_base64(24)
  url = client.authorization_uri(
    scope: ENV.fetch('SCOPE').split,
    state: state,
    nonce: nonce,
    code_challenge: Base64.urlsafe_encode64(OpenSSL::Digest::SHA256.digest(verifier), padding: false),
    code_challenge_method: 'S256'
  )
  say(authorization_url: url)

  callback = URI.parse($stdin.gets.to_s.strip)
  query = URI.decode_www_form(callback.query.to_s).to_h
  raise 'state mismatch' unless query['state'] == state

  client.authorization_code = query.fetch('code')
  token = client.access_token!(:basic, code_verifier: verifier)
  id_token = OpenIDConnect::ResponseObject::IdToken.decode(token.id_token, config.jwks)
  id_token.verify!(issuer: issuer, client_id: client_id, nonce: nonce)
  userinfo = token.userinfo!
  raise 'UserInfo sub differs from the ID token' unless userinfo.sub == id_token.sub

  refreshed = refresh(client, token.refresh_token)
  say(signed_in: {
    idTokenClaims: id_token.raw_attributes,
    userinfo: userinfo.raw_attributes,
    accessToken: token.access_token,
    refreshToken: token.refresh_token,
    scope: Array(token.scope).join(' '),
    refreshed: { accessToken: refreshed.access_token, refreshToken: refreshed.refresh_token }
  })

  raise 'expected revoke' unless $stdin.gets.to_s.strip == 'revoke'

  client.revoke!(:basic, refresh_token: refreshed.refresh_token)
  outcome = begin
    refresh(client, refreshed.refresh_token)
    'accepted'
  rescue Rack::OAuth2::Client::Error => e
    e.response.is_a?(Hash) ? e.response[:error].to_s : e.message
  end
  say(revoked: { refreshAfterRevocation: outcome })
rescue StandardError => e
  say(error: "#{e.class}: #{e.message}")
  warn e.full_message
  exit 1
end
