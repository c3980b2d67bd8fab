// A relying party with github.com/coreos/go-oidc (v2, Debian's golang-github-coreos-go-oidc-dev)
// and golang.org/x/oauth2 (Debian's golang-golang-x-oauth2-dev), for test/interop/go-oidc.test.ts.
//
// Speaks the JSON-lines protocol of test/interop/support/script-client.ts. Built offline in
// GOPATH mode against /usr/share/gocode (GO111MODULE=off, GOPROXY=off). x/oauth2 0.3.0 predates
// its PKCE helpers and neither library revokes tokens, so the PKCE parameters are set as
// authorization/token parameters and the revocation (RFC 7009) is a plain request.
package main

import (
	"bufio"
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"strings"
	"time"

	oidc "github.com/coreos/go-oidc"
	"golang.org/x/oauth2"
)

func say(message interface{}) {
	line, _ := json.Marshal(message)
	fmt.Println(string(line))
}

func random() string {
	b := make([]byte, 32)
	if _, err := rand.Read(b); err != nil {
		panic(err)
	}
	return base64.RawURLEncoding.EncodeToString(b)
}

// oauthError is the OAuth "error" code of a failed token request.
func oauthError(err error) string {
	var retrieve *oauth2.RetrieveError
	if errors.As(err, &retrieve) {
		var body struct {
			Error string `json:"error"`
		}
		if json.Unmarshal(retrieve.Body, &body) == nil && body.Error != "" {
			return body.Error
		}
	}
	return err.Error()
}

func run() error {
	issuer := os.Getenv("KEYWARD_ISSUER")
	httpClient := &http.Client{Timeout: 10 * time.Second}
	ctx := oidc.ClientContext(context.Background(), httpClient)
	provider, err := oidc.NewProvider(ctx, issuer)
	if err != nil {
		return err
	}
	var extra struct {
		RevocationEndpoint string `json:"revocation_endpoint"`
	}
	if err := provider.Claims(&extra); err != nil {
		return err
	}
	endpoint := provider.Endpoint()
	// The example registers client_secret_basic; auto-detection would retry a refusal in the body.
	endpoint.AuthStyle = oauth2.AuthStyleInHeader
	config := oauth2.Config{
		ClientID:     os.Getenv("CLIENT_ID"),
		ClientSecret: os.Getenv("CLIENT_SECRET"),
		RedirectURL:  os.Getenv("REDIRECT_URI"),
		Endpoint:     endpoint,
		Scopes:       strings.Fields(os.Getenv("SCOPE")),
	}
	verifier := random()
	challenge := sha256.Sum256([]byte(verifier))
	state, nonce := random(), random()
	say(map[string]string{"authorization_url": config.AuthCodeURL(state, oidc.Nonce(nonce),
		oauth2.SetAuthURLParam("code_challenge", base64.RawURLEncoding.EncodeToString(challenge[:])),
		oauth2.SetAuthURLParam("code_challenge_method", "S256"))})

	stdin := bufio.NewReader(os.Stdin)
	line, err := stdin.ReadString('\n')
	if err != nil {
		return err
	}
	callback, err := url.Parse(strings.TrimSpace(line))
	if err != nil {
		return err
	}
	if callback.Query().Get("state") != state {
		return errors.New("state mismatch")
	}
	token, err := config.Exchange(ctx, callback.Query().Get("code"), oauth2.SetAuthURLParam("code_verifier", verifier))
	if err != nil {
		return fmt.Errorf("code exchange: %s", oauthError(err))
	}
	rawIDToken, _ := token.Extra("id_token").(string)
	idToken, err := provider.Verifier(&oidc.Config{ClientID: config.ClientID, SupportedSigningAlgs: []string{"RS256"}}).Verify(ctx, rawIDToken)
	if err != nil {
		return err
	}
	if idToken.Nonce != nonce {
		return errors.New("ID token nonce mismatch")
	}
	idClaims := map[string]interface{}{}
	if err := idToken.Claims(&idClaims); err != nil {
		return err
	}
	userinfo, err := provider.UserInfo(ctx, oauth2.StaticTokenSource(token))
	if err != nil {
		return err
	}
	if userinfo.Subject != idToken.Subject {
		return errors.New("UserInfo sub differs from the ID token's")
	}
	userinfoClaims := map[string]interface{}{}
	if err := userinfo.Claims(&userinfoClaims); err != nil {
		return err
	}
	refresh := func(refreshToken string) (*oauth2.Token, error) {
		return config.TokenSource(ctx, &oauth2.Token{RefreshToken: refreshToken}).Token()
	}
	refreshed, err := refresh(token.RefreshToken)
	if err != nil {
		return fmt.Errorf("refresh: %s", oauthError(err))
	}
	scope, _ := token.Extra("scope").(string)
	say(map[string]interface{}{"signed_in": map[string]interface{}{
		"idTokenClaims": idClaims,
		"userinfo":      userinfoClaims,
		"accessToken":   token.AccessToken,
		"refreshToken":  token.RefreshToken,
		"scope":         scope,
		"refreshed":     map[string]string{"accessToken": refreshed.AccessToken, "refreshToken": refreshed.RefreshToken},
	}})

	if line, _ := stdin.ReadString('\n'); strings.TrimSpace(line) != "revoke" {
		return errors.New("expected revoke")
	}
	form := url.Values{"token": {refreshed.RefreshToken}, "token_type_hint": {"refresh_token"}}
	request, err := http.NewRequestWithContext(ctx, http.MethodPost, extra.RevocationEndpoint, strings.NewReader(form.Encode()))
	if err != nil {
		return err
	}
	request.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	request.SetBasicAuth(url.QueryEscape(config.ClientID), url.QueryEscape(config.ClientSecret))
	response, err := httpClient.Do(request)
	if err != nil {
		return err
	}
	body, _ := io.ReadAll(response.Body)
	response.Body.Close()
	if response.StatusCode != http.StatusOK {
		return fmt.Errorf("revocation answered %d: %s", response.StatusCode, body)
	}
	outcome := "accepted"
	if _, err := refresh(refreshed.RefreshToken); err != nil {
		outcome = oauthError(err)
	}
	say(map[string]interface{}{"revoked": map[string]string{"refreshAfterRevocation": outcome}})
	return nil
}

func main() {
	if err := run(); err != nil {
		say(map[string]string{"error": err.Error()})
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
}
