// A real OpenID Provider (panva/oidc-provider, OpenID Certified) for lexcloud's federation tests.
//
//   node server.mjs --port 0 --config op.json [--issuer http://127.0.0.1:PORT]
//
// Options may also come from the environment: OP_PORT, OP_ISSUER, OP_CONFIG. `--port 0` lets the kernel pick a
// free port; the issuer then defaults to http://127.0.0.1:<that port>. Listens on 127.0.0.1 only, plain http.
// Prints exactly one line on stdout, `READY <issuer>`, once it accepts connections; all logging goes to stderr.
//
// Config (JSON):
//   {"clients": [{"client_id", "client_secret", "redirect_uris": [...], "id_token_signed_response_alg": "RS256"|"ES256",
//                 ...any other client metadata, e.g. "token_endpoint_auth_method": "client_secret_post"}],
//    "users": {"<login>": {"password": "...", "claims": {"sub", "email", "email_verified", "given_name", ...}}}}
//
// Sign-in: GET /interaction/<uid> renders a plain form (fields `login`, `password`, a submit button) posting to
// /interaction/<uid>/login; a wrong login or password re-renders the form with an error. Consent is granted
// automatically for whatever scopes/claims the client asked for.
import { randomBytes, generateKeyPairSync, createHash, timingSafeEqual } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { createServer } from 'node:http';
import { parseArgs } from 'node:util';

import Provider, { errors } from 'oidc-provider';

const HOST = '127.0.0.1';
const CUSTOM_CLAIMS = ['badge', 'pin', 'department', 'costcenter', 'groups'];

const { values: argv } = parseArgs({
  options: {
    port: { type: 'string' },
    issuer: { type: 'string' },
    config: { type: 'string' },
  },
});

const log = (...args) => console.error('[oidc-op]', ...args);

function die(message) {
  log(message);
  process.exit(2);
}

const configFile = argv.config ?? process.env.OP_CONFIG;
const config = configFile ? JSON.parse(readFileSync(configFile, 'utf8')) : {};
const portArg = argv.port ?? process.env.OP_PORT ?? '0';
if (!/^\d+$/.test(portArg)) die(`invalid --port ${portArg}`);

// users: login -> {password, claims}; accounts: sub -> claims
const users = new Map();
const accounts = new Map();
for (const [login, user] of Object.entries(config.users ?? {})) {
  const claims = { ...(user.claims ?? {}) };
  claims.sub = String(claims.sub ?? login);
  users.set(login, { password: String(user.password ?? ''), claims });
  accounts.set(claims.sub, claims);
}

const digest = (value) => createHash('sha256').update(String(value)).digest();
const sameSecret = (a, b) => timingSafeEqual(digest(a), digest(b));

function signingKeys() {
  // one RSA (RS256) and one P-256 (ES256) key, fresh for every run; published at /jwks
  const rsa = generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey.export({ format: 'jwk' });
  const ec = generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey.export({ format: 'jwk' });
  return {
    keys: [
      { ...rsa, use: 'sig', alg: 'RS256', kid: `rs256-${randomBytes(6).toString('hex')}` },
      { ...ec, use: 'sig', alg: 'ES256', kid: `es256-${randomBytes(6).toString('hex')}` },
    ],
  };
}

const escapeHtml = (value) => String(value ?? '').replace(/[&<>"']/g, (c) => ({
  '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;',
})[c]);

function page(title, body) {
  return `<!DOCTYPE html>
<html lang="en">
<head><meta charset="utf-8"><title>${escapeHtml(title)}</title>
<meta name="viewport" content="width=device-width, initial-scale=1"></head>
<body>
${body}
</body>
</html>
`;
}

function loginForm({ action, clientId, login = '', error = '' }) {
  return page('Sign in', `<main>
<h1>Sign in</h1>
<p>to continue to <strong>${escapeHtml(clientId)}</strong></p>
${error ? `<p class="error" role="alert">${escapeHtml(error)}</p>` : ''}
<form method="post" action="${escapeHtml(action)}" autocomplete="off">
  <p><label for="login">Login</label>
     <input id="login" name="login" type="text" value="${escapeHtml(login)}" required autofocus></p>
  <p><label for="password">Password</label>
     <input id="password" name="password" type="password" required></p>
  <p><button type="submit">Sign in</button></p>
</form>
</main>`);
}

function send(res, status, html) {
  const body = Buffer.from(html);
  res.statusCode = status;
  res.setHeader('Content-Type', 'text/html; charset=utf-8');
  res.setHeader('Content-Length', body.length);
  res.setHeader('Cache-Control', 'no-store');
  res.end(body);
}

async function readForm(req) {
  const chunks = [];
  let size = 0;
  for await (const chunk of req) {
    size += chunk.length;
    if (size > 64 * 1024) throw new Error('request body too large');
    chunks.push(chunk);
  }
  return new URLSearchParams(Buffer.concat(chunks).toString('utf8'));
}

function startProvider(issuer) {
  const { pathname } = new URL(issuer);
  const prefix = pathname.replace(/\/+$/, ''); // issuer path, e.g. "" or "/op"
  const cookieTag = `op${new URL(issuer).port || '80'}`; // cookies ignore ports: keep two OPs on 127.0.0.1 apart

  const clients = (config.clients ?? []).map((client) => ({
    grant_types: ['authorization_code'],
    response_types: ['code'],
    ...client,
  }));

  const provider = new Provider(issuer, {
    clients,
    jwks: signingKeys(),
    async findAccount(ctx, sub) {
      const claims = accounts.get(sub);
      if (!claims) return undefined;
      return {
        accountId: sub,
        async claims() {
          return { ...claims };
        },
      };
    },
    claims: {
      acr: null,
      auth_time: null,
      iss: null,
      sid: null,
      openid: ['sub'],
      email: ['email', 'email_verified'],
      profile: ['name', 'given_name', 'family_name', 'preferred_username', 'locale', ...CUSTOM_CLAIMS],
    },
    // scope-requested claims go into the ID token too, not only to userinfo (the RP reads the ID token)
    conformIdTokenClaims: false,
    responseTypes: ['code'],
    pkce: { methods: ['S256'], required: () => true },
    features: {
      devInteractions: { enabled: false },
      userinfo: { enabled: true },
      revocation: { enabled: true },
      rpInitiatedLogout: { enabled: true },
    },
    interactions: {
      url(ctx, interaction) {
        return `${prefix}/interaction/${interaction.uid}`;
      },
    },
    cookies: {
      names: {
        session: `${cookieTag}_session`,
        interaction: `${cookieTag}_interaction`,
        resume: `${cookieTag}_interaction_resume`,
      },
      keys: [randomBytes(32).toString('hex')],
      // plain http on loopback: never `Secure`, and SameSite=None (oidc-provider's default for the long cookie)
      // is refused by Chromium without Secure, so use Lax everywhere
      long: { signed: true, httpOnly: true, sameSite: 'lax', secure: false },
      short: { signed: true, httpOnly: true, sameSite: 'lax', secure: false },
    },
    async renderError(ctx, out) {
      ctx.type = 'html';
      ctx.body = page('Error', `<main><h1>Error</h1>${Object.entries(out).map(
        ([key, value]) => `<p><strong>${escapeHtml(key)}</strong>: <span id="${escapeHtml(key)}">${escapeHtml(value)}</span></p>`,
      ).join('\n')}</main>`);
    },
  });
  provider.proxy = false; // no reverse proxy: trust no X-Forwarded-* headers

  for (const event of ['server_error', 'authorization.error', 'grant.error', 'userinfo.error', 'end_session.error']) {
    provider.on(event, (ctx, err) => log(event, err?.message, err?.error_description ?? '', err?.error_detail ?? ''));
  }

  const oidcCallback = provider.callback();

  async function interaction(req, res, path) {
    // path: /interaction/<uid> or /interaction/<uid>/login
    const match = /^\/interaction\/([^/]+)(\/login)?$/.exec(path);
    if (!match) return send(res, 404, page('Not found', '<h1>Not found</h1>'));
    const [, uid, isLogin] = match;
    const action = `${prefix}/interaction/${encodeURIComponent(uid)}/login`;

    const details = await provider.interactionDetails(req, res);
    if (details.uid !== uid) return send(res, 400, page('Error', '<h1>Interaction mismatch</h1>'));
    const { prompt, params } = details;

    if (req.method === 'GET' && !isLogin) {
      if (prompt.name === 'login') {
        return send(res, 200, loginForm({ action, clientId: params.client_id }));
      }
      if (prompt.name === 'consent') {
        return autoConsent(req, res, details);
      }
      return send(res, 400, page('Error', `<h1>Unsupported prompt ${escapeHtml(prompt.name)}</h1>`));
    }

    if (req.method === 'POST' && isLogin) {
      if (prompt.name !== 'login') return send(res, 400, page('Error', '<h1>No sign-in pending</h1>'));
      const form = await readForm(req);
      const login = form.get('login') ?? '';
      const user = users.get(login);
      const ok = user ? sameSecret(form.get('password') ?? '', user.password) : false;
      if (!ok) {
        log(`sign-in failed for ${JSON.stringify(login)}`);
        return send(res, 200, loginForm({
          action, clientId: params.client_id, login, error: 'Invalid login or password.',
        }));
      }
      return provider.interactionFinished(req, res, {
        login: { accountId: user.claims.sub, amr: ['pwd'] },
      }, { mergeWithLastSubmission: false });
    }

    res.setHeader('Allow', isLogin ? 'POST' : 'GET');
    return send(res, 405, page('Error', '<h1>Method not allowed</h1>'));
  }

  async function autoConsent(req, res, details) {
    const { prompt: { details: missing }, params, session } = details;
    let grant;
    if (details.grantId) {
      grant = await provider.Grant.find(details.grantId);
    } else {
      grant = new provider.Grant({ accountId: session.accountId, clientId: params.client_id });
    }
    if (missing.missingOIDCScope) grant.addOIDCScope(missing.missingOIDCScope.join(' '));
    if (missing.missingOIDCClaims) grant.addOIDCClaims(missing.missingOIDCClaims);
    if (missing.missingResourceScopes) {
      for (const [indicator, scopes] of Object.entries(missing.missingResourceScopes)) {
        grant.addResourceScope(indicator, scopes.join(' '));
      }
    }
    const grantId = await grant.save();
    const consent = details.grantId ? {} : { grantId };
    return provider.interactionFinished(req, res, { consent }, { mergeWithLastSubmission: true });
  }

  return async (req, res) => {
    const url = new URL(req.url, 'http://op.invalid');
    if (prefix && !(url.pathname === prefix || url.pathname.startsWith(`${prefix}/`))) {
      return send(res, 404, page('Not found', '<h1>Not found</h1>'));
    }
    const path = url.pathname.slice(prefix.length) || '/';
    if (path.startsWith('/interaction/')) {
      try {
        return await interaction(req, res, path);
      } catch (err) {
        if (err instanceof errors.SessionNotFound) {
          return send(res, 400, page('Error', `<h1>Sign-in session expired</h1><p>${escapeHtml(err.message)}: ${
            escapeHtml(err.error_description)}</p>`));
        }
        log('interaction error', err);
        if (!res.headersSent) return send(res, 500, page('Error', '<h1>Internal error</h1>'));
        return res.end();
      }
    }
    if (prefix) {
      // mounted like connect/express would: oidc-provider derives its mount path from originalUrl vs url
      req.originalUrl = req.url;
      req.url = req.url.slice(prefix.length) || '/';
    }
    return oidcCallback(req, res);
  };
}

const server = createServer();
server.on('error', (err) => die(`cannot listen: ${err.message}`));
server.listen(Number(portArg), HOST, () => {
  const { port } = server.address();
  const issuer = (argv.issuer ?? process.env.OP_ISSUER ?? `http://${HOST}:${port}`).replace(/\/+$/, '');
  let handler;
  try {
    handler = startProvider(issuer);
  } catch (err) {
    die(`cannot configure the provider: ${err.stack ?? err}`);
  }
  server.on('request', handler);
  process.stdout.write(`READY ${issuer}\n`);
});

for (const signal of ['SIGTERM', 'SIGINT']) {
  process.on(signal, () => {
    server.close(() => process.exit(0));
    server.closeAllConnections();
    setTimeout(() => process.exit(0), 2000).unref();
  });
}
