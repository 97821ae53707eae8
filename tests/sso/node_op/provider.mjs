// A certified OpenID provider (panva/oidc-provider, OpenID Certified) on loopback for tests/sso
// (issue 23 point 9): PKCE S256 required, private_key_jwt and client_secret_basic client
// authentication, back-channel logout, no e-mail in ID tokens (claims only from userinfo).
//
//   node provider.mjs CONFIG.json
// CONFIG: {"clients": [client metadata ...], "accounts": {"sub": {claims}}}
// Prints "READY <issuer>" once listening on 127.0.0.1 (a free port). Test-only routes:
//   POST /interaction/<uid>/login  login=<sub>   the person logs in (no password: a test provider)
//   PUT  /test/accounts/<sub>      JSON claims   create or change an account
import { createPrivateKey, generateKeyPairSync, randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { createServer } from 'node:http';

import Provider from 'oidc-provider';

const config = JSON.parse(readFileSync(process.argv[2], 'utf8'));
const accounts = new Map(Object.entries(config.accounts || {}));

// The key pair as PEM, then a key object of its own for the JWK export. Exporting the generated key object itself
// could deadlock Node 20 (seen in a CI run): a garbage collection during the export runs the finished key-generation
// job's destructor, which waits for the lock the export holds on the same key data.
const { privateKey: pem } = generateKeyPairSync('rsa', {
  modulusLength: 2048, publicKeyEncoding: { type: 'spki', format: 'pem' },
  privateKeyEncoding: { type: 'pkcs8', format: 'pem' },
});
const signingKey = { ...createPrivateKey(pem).export({ format: 'jwk' }), kid: randomUUID(), use: 'sig', alg: 'RS256' };

function readBody(req) {
  return new Promise((resolve, reject) => {
    let data = '';
    req.setEncoding('utf8');
    req.on('data', (chunk) => { data += chunk; });
    req.on('end', () => resolve(data));
    req.on('error', reject);
  });
}

const server = createServer();
server.listen(0, '127.0.0.1', () => {
  const issuer = `http://127.0.0.1:${server.address().port}`;
  const provider = new Provider(issuer, {
    clients: config.clients,
    jwks: { keys: [signingKey] },
    cookies: { keys: [randomUUID()] },
    pkce: { required: () => true },
    clientAuthMethods: ['client_secret_basic', 'private_key_jwt'],
    scopes: ['openid', 'email', 'profile', 'groups'],
    claims: { openid: ['sub'], email: ['email', 'email_verified'], profile: ['name'], groups: ['groups'] },
    features: {
      devInteractions: { enabled: false },
      backchannelLogout: { enabled: true },
      rpInitiatedLogout: { enabled: true },
    },
    // Its SSRF guard refuses loopback addresses; everything here is on 127.0.0.1 (the test's recorder of
    // back-channel logout tokens included), so the test provider sends without that guard.
    fetch: (url, { dispatcher, ...options }) => globalThis.fetch(url, options),
    async findAccount(ctx, sub) {
      if (!accounts.has(sub)) return undefined;
      return { accountId: sub, claims: async () => ({ sub, ...accounts.get(sub) }) };
    },
    // Consent is implied (a first-party portal): every requested scope is granted.
    async loadExistingGrant(ctx) {
      const grant = new ctx.oidc.provider.Grant({
        clientId: ctx.oidc.client.clientId, accountId: ctx.oidc.session.accountId,
      });
      grant.addOIDCScope(ctx.oidc.requestParamScopes ? [...ctx.oidc.requestParamScopes].join(' ') : 'openid');
      await grant.save();
      return grant;
    },
  });
  provider.proxy = false;
  // The test log (stderr) says what the provider could not do, e.g. deliver a logout token.
  provider.on('backchannel.error', (ctx, error, client) => {
    process.stderr.write(`backchannel.error ${client.clientId}: ${error}\n`);
  });
  provider.on('backchannel.success', (ctx, client) => {
    process.stderr.write(`backchannel.success ${client.clientId}\n`);
  });
  provider.on('server_error', (ctx, error) => process.stderr.write(`server_error: ${error.stack}\n`));
  const callback = provider.callback();

  server.on('request', async (req, res) => {
    try {
      const url = new URL(req.url, issuer);
      const login = url.pathname.match(/^\/interaction\/([^/]+)\/login$/);
      if (login && req.method === 'POST') {
        const form = new URLSearchParams(await readBody(req));
        const sub = form.get('login') || '';
        if (!accounts.has(sub)) {
          res.writeHead(400, { 'content-type': 'text/plain' }).end('unknown account');
          return;
        }
        await provider.interactionFinished(req, res, { login: { accountId: sub } }, { mergeWithLastSubmission: false });
        return;
      }
      const account = url.pathname.match(/^\/test\/accounts\/([^/]+)$/);
      if (account && req.method === 'PUT') {
        accounts.set(decodeURIComponent(account[1]), JSON.parse(await readBody(req)));
        res.writeHead(204).end();
        return;
      }
      if (url.pathname.startsWith('/interaction/') && req.method === 'GET') {
        const details = await provider.interactionDetails(req, res);
        res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' }).end(
          `<form method="post" action="/interaction/${details.uid}/login"><input name="login"><button>login</button></form>`,
        );
        return;
      }
      callback(req, res);
    } catch (error) {
      res.writeHead(500, { 'content-type': 'text/plain' }).end(String(error));
    }
  });
  process.stdout.write(`READY ${issuer}\n`);
});

process.on('SIGTERM', () => server.close(() => process.exit(0)));
