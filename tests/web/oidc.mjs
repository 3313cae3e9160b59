// "Sign in with eid" through an unmodified OpenID Connect library: the hotel's
// web site is played by openid-client (npm, as any relying party would use it)
// and a small HTTP server for its redirect URI; the resident signs in with the
// real pages in headless Chromium, on the same device or with the phone
// scanning the sign-in page's QR code. Called by e2e.mjs with its set-up.
import { createServer } from 'node:http';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import * as client from 'openid-client';

// The relying party's redirect URI: remembers where the browser arrived.
function callbackServer() {
  const hits = [];
  const server = createServer((req, res) => {
    if (req.url.startsWith('/cb')) hits.push(req.url); // (not the favicon)
    res.writeHead(200, { 'Content-Type': 'text/html; charset=utf-8' });
    res.end('<!doctype html><title>Ticket shop</title><p>Signing you in…</p>');
  });
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve({ server, hits, port: server.address().port })));
}

export async function oidcScenarios(t) {
  const { ok, platform, eid, data, tmp } = t;
  const rp = await callbackServer();
  const redirect = `http://127.0.0.1:${rp.port}/cb`;
  t.allow(`http://127.0.0.1:${rp.port}`);
  try {
    // the administrator registers two services: a shared secret, and a key pair
    const shop = JSON.parse(eid('platform', 'add-oidc-client', '--name', 'Ticket Shop', '--redirect-uri', redirect,
      '--level', 'lightweight', '--data', data));
    const pair = await crypto.subtle.generateKey({ name: 'ECDSA', namedCurve: 'P-256' }, false, ['sign', 'verify']);
    const jwk = await crypto.subtle.exportKey('jwk', pair.publicKey);
    writeFileSync(join(tmp, 'portal.jwks'), JSON.stringify({ keys: [{ kty: jwk.kty, crv: jwk.crv, x: jwk.x, y: jwk.y }] }));
    const portal = JSON.parse(eid('platform', 'add-oidc-client', '--name', 'City Portal', '--redirect-uri', redirect,
      '--level', 'lightweight', '--auth', 'private_key_jwt', '--jwks', join(tmp, 'portal.jwks'), '--data', data));
    ok('oidc: clients registered', shop.client_id && shop.client_secret && portal.client_id && !portal.client_secret);

    const insecure = { execute: [client.allowInsecureRequests] }; // loopback test: http
    const shopConfig = await client.discovery(new URL(platform), shop.client_id, undefined,
      client.ClientSecretBasic(shop.client_secret), insecure);
    const shopPost = await client.discovery(new URL(platform), shop.client_id, shop.client_secret, undefined, insecure);
    const portalConfig = await client.discovery(new URL(platform), portal.client_id, undefined,
      client.PrivateKeyJwt(pair.privateKey), insecure);
    ok('oidc: discovery by the library', shopConfig.serverMetadata().issuer === platform);

    // One sign-in: the library's URL, the resident's answer, the library's checks.
    // `lands`: the page that ends on the redirect URI (the one that started)
    const signIn = async (config, how, name, lands) => {
      const verifier = client.randomPKCECodeVerifier();
      const nonce = client.randomNonce(), state = client.randomState();
      const url = client.buildAuthorizationUrl(config, {
        redirect_uri: redirect, scope: 'openid', nonce, state,
        code_challenge: await client.calculatePKCECodeChallenge(verifier), code_challenge_method: 'S256',
      });
      const before = rp.hits.length;
      await how(url.href);
      const deadline = Date.now() + 60000;
      while (rp.hits.length === before && Date.now() < deadline) await new Promise((r) => setTimeout(r, 200));
      const back = new URL(rp.hits[rp.hits.length - 1] || '/none', redirect);
      ok(`oidc ${name}: the browser comes back with a code`, back.searchParams.has('code'),
        back.search);
      // the browser has arrived before the next sign-in navigates it again
      await lands().waitForURL((u) => u.href.startsWith(redirect), { timeout: 20000 });
      const tokens = await client.authorizationCodeGrant(config, back, {
        pkceCodeVerifier: verifier, expectedNonce: nonce, expectedState: state, idTokenExpected: true,
      });
      const claims = tokens.claims();
      const info = await client.fetchUserInfo(config, tokens.access_token, claims.sub);
      ok(`oidc ${name}: ID token says face, lightweight or more`,
        claims.acr && claims.amr.includes('face') && claims.auth_time > 0, JSON.stringify(claims));
      ok(`oidc ${name}: userinfo has the same subject`, info.sub === claims.sub);
      ok(`oidc ${name}: no personal data`, !('name' in claims) && !('birthdate' in claims) && !('email' in claims));
      return claims;
    };

    // 1. on the phone itself: sign-in page, the app, back to the shop
    const phone = t.phone;
    const onThisDevice = async (url) => {
      await phone.goto(url);
      await phone.locator('#ask').waitFor({ state: 'visible' });
      await t.shot(phone, 'signin-phone');
      await phone.click('#ask-here');
      await phone.locator('#consent').waitFor({ state: 'visible' });
      ok('oidc: the consent screen names the service', await t.visibleText(phone, '#consent-title', 'Ticket Shop asks'));
      await phone.click('#consent-yes');
      await phone.locator('#verify').waitFor({ state: 'visible' });
      await phone.waitForFunction(() => document.querySelector('#verify-cam video').videoWidth > 0);
      await phone.click('#verify-submit');
    };
    const first = await signIn(shopConfig, onThisDevice, 'same device', () => phone);

    // 2. on a computer, the phone scanning the sign-in page's QR code
    const desktop = await t.open(t.browser, platform, t.DESKTOP, 'sign-in desktop');
    const withPhone = async (url) => {
      await desktop.goto(url);
      const link = await t.readQr(desktop, '#ask-qr');
      ok('oidc: the sign-in QR opens the app', link && link.startsWith(platform + '/app#verify='), link);
      await t.shot(desktop, 'signin-desktop');
      await phone.goto(link);
      await phone.locator('#consent').waitFor({ state: 'visible' });
      await phone.click('#consent-yes');
      await phone.locator('#verify').waitFor({ state: 'visible' });
      await phone.waitForFunction(() => document.querySelector('#verify-cam video').videoWidth > 0);
      await phone.click('#verify-submit');
    };
    const second = await signIn(shopPost, withPhone, 'with the phone (client_secret_post)', () => desktop);
    ok('oidc: one service always gets the same subject', first.sub === second.sub);
    const third = await signIn(portalConfig, withPhone, 'private_key_jwt', () => desktop);
    ok('oidc: another service gets another subject', third.sub !== first.sub);

    // 3. declined on the phone: the service hears access_denied
    const verifier = client.randomPKCECodeVerifier();
    const url = client.buildAuthorizationUrl(shopConfig, {
      redirect_uri: redirect, scope: 'openid', state: 'declined-state',
      code_challenge: await client.calculatePKCECodeChallenge(verifier), code_challenge_method: 'S256',
    });
    const before = rp.hits.length;
    await phone.goto(url.href);
    await phone.click('#ask-here');
    await phone.locator('#consent').waitFor({ state: 'visible' });
    await phone.click('#consent-no');
    const deadline = Date.now() + 20000;
    while (rp.hits.length === before && Date.now() < deadline) await new Promise((r) => setTimeout(r, 200));
    const back = new URL(rp.hits[rp.hits.length - 1] || '/none', redirect);
    ok('oidc: declined -> access_denied with the state', back.searchParams.get('error') === 'access_denied' &&
      back.searchParams.get('state') === 'declined-state', back.search);
    await desktop.close();
  } finally {
    rp.server.close();
  }
}
