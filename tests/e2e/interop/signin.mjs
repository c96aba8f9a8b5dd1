// Signs in to CivicID as a third-party relying party would, with panva's openid-client 6.x:
// discovery → authorization URL (PKCE S256, state, nonce) → [the browser step, driven by the
// test, which writes the callback URL to our stdin] → code exchange (the library validates the ID
// token: signature against the JWKS, iss, aud, exp, nonce) → userinfo.
// Configuration from the environment: ISSUER, CLIENT_ID, CLIENT_SECRET, REDIRECT_URI, SCOPE.
// FAPI 2.0 instead of a secret: CLIENT_PRIVATE_JWK (private_key_jwt), and then the request is
// pushed (PAR, RFC 9126) and the tokens are DPoP-bound (RFC 9449, an ES256 key made here; the
// library retries on use_dpop_nonce and sends the proof with ath to userinfo).
// Output: one JSON line {"authorization_url"}, then one JSON line with what was received.
import * as client from "openid-client";
import { createInterface } from "node:readline";

const env = (name) => {
  const value = process.env[name];
  if (!value) throw new Error(`${name} is not set`);
  return value;
};

async function main() {
  const issuer = new URL(env("ISSUER"));
  const redirectUri = env("REDIRECT_URI");
  const scope = process.env.SCOPE || "openid age";
  const privateJwk = process.env.CLIENT_PRIVATE_JWK ? JSON.parse(process.env.CLIENT_PRIVATE_JWK) : null;
  const clientAuth = privateJwk
    ? client.PrivateKeyJwt({
        key: await crypto.subtle.importKey("jwk", privateJwk, { name: "ECDSA", namedCurve: "P-256" }, false, ["sign"]),
        kid: privateJwk.kid,
      })
    : client.ClientSecretBasic(env("CLIENT_SECRET"));
  const config = await client.discovery(
    issuer, env("CLIENT_ID"), undefined, clientAuth,
    { execute: [client.allowInsecureRequests] },  // the test issuer is http://localhost
  );
  const DPoP = privateJwk ? client.getDPoPHandle(config, await client.randomDPoPKeyPair("ES256")) : undefined;

  const codeVerifier = client.randomPKCECodeVerifier();
  const codeChallenge = await client.calculatePKCECodeChallenge(codeVerifier);
  const state = client.randomState();
  const nonce = client.randomNonce();
  const parameters = {
    redirect_uri: redirectUri, scope, code_challenge: codeChallenge, code_challenge_method: "S256", state, nonce,
  };
  const authorizationUrl = privateJwk
    ? await client.buildAuthorizationUrlWithPAR(config, parameters, { DPoP })  // binds the code (RFC 9449 §10)
    : client.buildAuthorizationUrl(config, parameters);
  console.log(JSON.stringify({ authorization_url: authorizationUrl.href }));

  const lines = createInterface({ input: process.stdin });
  const callback = await new Promise((resolve) => lines.once("line", resolve));
  lines.close();

  const tokens = await client.authorizationCodeGrant(config, new URL(callback.trim()), {
    pkceCodeVerifier: codeVerifier, expectedState: state, expectedNonce: nonce, idTokenExpected: true,
  }, undefined, { DPoP });
  const claims = tokens.claims();
  const userinfo = await client.fetchUserInfo(config, tokens.access_token, claims.sub, { DPoP });
  console.log(JSON.stringify({
    issuer: config.serverMetadata().issuer,
    id_token_claims: claims,
    userinfo,
    token_type: tokens.token_type,
    scope: tokens.scope,
    expires_in: tokens.expiresIn(),
  }));
}

main().catch((error) => {
  console.log(JSON.stringify({ error: error.name, code: error.code, message: error.message,
                               cause: error.cause && (error.cause.error_description || String(error.cause)) }));
  process.exit(1);
});
