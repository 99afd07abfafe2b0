// A real OpenID Connect provider (panva's oidc-provider) on loopback, for the
// tests of the OAuth 2.0 device authorization grant (RFC 8628) and of the
// browser login by authorization code with PKCE (RFC 7636).
//
//   node provider.mjs --port P --cert CERT --key KEY [--issuer URL] [--interval S]
//                     [--redirect-uri URI]... [--console-redirect-uri URI]...
//
// Clients: `securerelease-scout` (public, device grant only) always;
// with --redirect-uri (repeatable) also `securerelease-panel` (public,
// authorization code, PKCE with S256 required, exactly those redirect URIs)
// and `other-app` (the same, standing for another application at this
// provider: its codes must not log anyone in to securerelease); with
// --console-redirect-uri (repeatable) also `securerelease-console` (the
// cloud's web console, the same kind of client, exactly those redirect URIs).
//
// Accounts carry a `groups` claim (scope `groups`), which the console maps
// to roles: alice is in sr-admins, grace in sr-helpdesk, and any login name
// ending in -admin, -helpdesk or -readonly in sr-admins, sr-helpdesk or
// sr-readonly; everyone else in none.
//
// Serves HTTPS with the given PEM certificate and key on 127.0.0.1 only.
// --port 0 picks a free port. The issuer is https://localhost:<port> unless
// --issuer says otherwise. Prints one line, "issuer <url>", on stdout once it
// listens; everything the provider says besides goes to stderr. Exits 0 on
// SIGTERM or SIGINT.
//
// The user's side goes through the provider's own pages (device flow pages
// and devInteractions login and consent): see approve.sh and authorize.sh.
import { generateKeyPairSync, randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import https from 'node:https';
import { parseArgs } from 'node:util';

import Provider from 'oidc-provider';

// oidc-provider prints its notices with console.info; stdout carries only our
// "issuer" line.
console.info = (...args) => console.error(...args);

const CLIENT_ID = 'securerelease-scout';
const PANEL_CLIENT_ID = 'securerelease-panel';
const OTHER_CLIENT_ID = 'other-app';
const CONSOLE_CLIENT_ID = 'securerelease-console';

// login name -> account. Any other login name N is an account of its own:
// sub N, email N@example.com, name N.
const ACCOUNTS = {
  alice: {
    sub: 'alice-sub', email: 'alice@example.com', name: 'Alice Demo', groups: ['sr-admins'],
  },
  grace: {
    sub: 'grace-sub', email: 'grace@example.com', name: 'Grace Hopper', groups: ['sr-helpdesk'],
  },
};

// The groups of a login name not in ACCOUNTS, by its ending.
function groupsOf(id) {
  for (const [ending, group] of [['-admin', 'sr-admins'], ['-helpdesk', 'sr-helpdesk'],
    ['-readonly', 'sr-readonly']]) {
    if (id.endsWith(ending)) return [group];
  }
  return [];
}

// Accepts a login name or a sub (the provider looks accounts up by sub).
function accountFor(id) {
  for (const a of Object.values(ACCOUNTS)) {
    if (a.sub === id) return a;
  }
  return ACCOUNTS[id] || {
    sub: id, email: `${id}@example.com`, name: id, groups: groupsOf(id),
  };
}

function usage(msg) {
  process.stderr.write(`provider.mjs: ${msg}\n`
    + 'usage: node provider.mjs --port P --cert CERT --key KEY [--issuer URL] [--interval SECONDS]'
    + ' [--redirect-uri URI]... [--console-redirect-uri URI]...\n');
  process.exit(2);
}

let args;
try {
  ({ values: args } = parseArgs({
    options: {
      port: { type: 'string' },
      cert: { type: 'string' },
      key: { type: 'string' },
      issuer: { type: 'string' },
      interval: { type: 'string', default: '1' },
      'redirect-uri': { type: 'string', multiple: true, default: [] },
      'console-redirect-uri': { type: 'string', multiple: true, default: [] },
    },
    strict: true,
  }));
} catch (err) {
  usage(err.message);
}
if (args.port === undefined || !args.cert || !args.key) usage('--port, --cert and --key are required');
const port = Number(args.port);
if (!Number.isInteger(port) || port < 0 || port > 65535) usage(`bad port: ${args.port}`);
const interval = Number(args.interval);
if (!Number.isInteger(interval) || interval < 1) usage(`bad interval: ${args.interval}`);

const redirectUris = args['redirect-uri'];
const consoleRedirectUris = args['console-redirect-uri'];
for (const uri of [...redirectUris, ...consoleRedirectUris]) {
  let parsed;
  try {
    parsed = new URL(uri);
  } catch {
    usage(`bad redirect URI: ${uri}`);
  }
  if (parsed.protocol !== 'https:' || parsed.hash) usage(`a redirect URI is https:// without #: ${uri}`);
}

let tlsOptions;
try {
  tlsOptions = { cert: readFileSync(args.cert), key: readFileSync(args.key) };
} catch (err) {
  usage(err.message);
}

// The provider is made once the port is known (--port 0); until then nothing
// can reach the handler.
let handler = (req, res) => { res.statusCode = 503; res.end(); };
const server = https.createServer(tlsOptions, (req, res) => handler(req, res));

server.on('error', (err) => {
  process.stderr.write(`provider.mjs: ${err.message}\n`);
  process.exit(1);
});

await new Promise((resolve) => { server.listen(port, '127.0.0.1', resolve); });
const actualPort = server.address().port;
const issuer = args.issuer || `https://localhost:${actualPort}`;

// RS256 signing key, in memory only: new at every start.
const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
const signingKey = {
  ...privateKey.export({ format: 'jwk' }),
  kid: `rs256-${randomBytes(6).toString('hex')}`,
  alg: 'RS256',
  use: 'sig',
};

// A browser's client: public (no secret: it runs in the page), code flow.
function codeClient(clientId, name, uris = redirectUris) {
  return {
    client_id: clientId,
    client_name: name,
    application_type: 'web',
    token_endpoint_auth_method: 'none',
    grant_types: ['authorization_code'],
    response_types: ['code'],
    redirect_uris: uris,
    id_token_signed_response_alg: 'RS256',
  };
}

const clients = [{
  client_id: CLIENT_ID,
  client_name: 'SecureRelease print scout',
  token_endpoint_auth_method: 'none',
  grant_types: ['urn:ietf:params:oauth:grant-type:device_code'],
  response_types: [],
  redirect_uris: [],
  id_token_signed_response_alg: 'RS256',
}];
if (redirectUris.length > 0) {
  clients.push(codeClient(PANEL_CLIENT_ID, 'SecureRelease release page'));
  clients.push(codeClient(OTHER_CLIENT_ID, 'Another application'));
}
if (consoleRedirectUris.length > 0) {
  clients.push(codeClient(CONSOLE_CLIENT_ID, 'SecureRelease web console', consoleRedirectUris));
}

const configuration = {
  clients,
  // every code needs PKCE (oidc-provider takes only S256)
  pkce: { required: () => true },
  jwks: { keys: [signingKey] },
  cookies: { keys: [randomBytes(32).toString('base64url')] },
  scopes: ['openid', 'email', 'profile', 'groups'],
  claims: {
    openid: ['sub'],
    email: ['email', 'email_verified'],
    // groups also with profile: some providers send them with it, and
    // authorize.sh asks for "openid email profile"
    profile: ['name', 'groups'],
    groups: ['groups'],
  },
  // The ID token from /token carries the scopes' claims too (by default they
  // would be only at userinfo, since an access token comes with it).
  conformIdTokenClaims: false,
  features: {
    deviceFlow: { enabled: true },
    devInteractions: { enabled: true },
  },
  ttl: {
    DeviceCode: 600,
    AuthorizationCode: 60,
    AccessToken: 3600,
    IdToken: 3600,
    Interaction: 3600,
    Grant: 86400,
    Session: 86400,
  },
  async findAccount(ctx, id) {
    const a = accountFor(id);
    return {
      accountId: a.sub,
      async claims() {
        return {
          sub: a.sub, email: a.email, email_verified: true, name: a.name, groups: a.groups,
        };
      },
    };
  },
};

const provider = new Provider(issuer, configuration);

// devInteractions logs in with the login name as typed; the session's account
// (and so the sub) is the account's sub, e.g. alice -> alice-sub.
const interactionFinished = provider.interactionFinished.bind(provider);
provider.interactionFinished = (req, res, result, options) => {
  if (result?.login?.accountId !== undefined) {
    result.login.accountId = accountFor(String(result.login.accountId)).sub;
  }
  return interactionFinished(req, res, result, options);
};

// oidc-provider does not put "interval" in the device authorization response
// (RFC 8628 3.2: the client then waits 5 s); say a short one so tests are
// fast. The provider itself does not enforce it (it never answers slow_down).
provider.use(async (ctx, next) => {
  await next();
  if (ctx.method === 'POST' && ctx.path === '/device/auth' && ctx.status === 200
      && ctx.body && typeof ctx.body === 'object' && ctx.body.device_code) {
    ctx.body.interval = interval;
  }
});

// Why a token request was refused (the client is told only "invalid_grant"):
// tests read it to know which check refused a code.
provider.on('grant.error', (ctx, err) => {
  process.stderr.write(`provider.mjs: grant.error: ${err.error}: ${err.error_detail || err.message}\n`);
});

provider.on('server_error', (ctx, err) => {
  process.stderr.write(`provider.mjs: server_error: ${err.stack || err}\n`);
});

handler = provider.callback();

function stop() {
  server.close(() => process.exit(0));
  server.closeAllConnections();
  setTimeout(() => process.exit(0), 2000).unref();
}
process.on('SIGTERM', stop);
process.on('SIGINT', stop);

process.stdout.write(`issuer ${issuer}\n`);
