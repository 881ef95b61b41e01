/**
 * `npm run --silent token -- --sub <sub> --role <role> [--role …] [--org <org>] [--ttl 8h]`
 * prints a JWT signed with the embedded mode's local key, the one the service created under
 * DATA_DIR. It never creates a key: a token signed with a key the service does not have would be
 * refused with no hint why. It says on stderr which DATA_DIR it used.
 * Local use only: there is deliberately no HTTP endpoint that issues tokens.
 */
import { parseArgs } from 'node:util';
import { SignJWT } from 'jose';
import { ConfigError, loadConfig } from '../config';
import { LOCAL_JWT_ALG, loadLocalSigningKey, MissingLocalSigningKeyError } from '../auth/local-signing-key';
import { ROLES, type Role } from '../auth/roles';

function usage(message: string): never {
  process.stderr.write(
    `${message}\nusage: npm run --silent token -- --sub <subject> --role <role> [--role <role> …] [--org <organisation>] [--ttl 8h]\n` +
      `roles: ${ROLES.join(', ')}\n`,
  );
  process.exit(2);
}

async function main() {
  let values;
  try {
    ({ values } = parseArgs({
      options: {
        sub: { type: 'string' },
        role: { type: 'string', multiple: true },
        org: { type: 'string' },
        name: { type: 'string' },
        ttl: { type: 'string', default: '8h' },
      },
      strict: true,
    }));
  } catch (err) {
    usage((err as Error).message);
  }
  if (!values.sub) usage('--sub is required');
  const roles = values.role ?? [];
  if (roles.length === 0) usage('at least one --role is required');
  for (const r of roles) if (!ROLES.includes(r as Role)) usage(`unknown role "${r}"`);
  if (!/^\d+[smhd]$/.test(values.ttl ?? '')) usage('--ttl must look like 30m, 8h or 7d');

  let config;
  try {
    config = loadConfig();
  } catch (err) {
    if (err instanceof ConfigError) usage(err.message);
    throw err;
  }
  if (config.jwt.oidcIssuer) {
    usage('OIDC_ISSUER is set: tokens come from that issuer, not from the local key');
  }
  let key;
  try {
    key = await loadLocalSigningKey(config.dataDir);
  } catch (err) {
    if (err instanceof MissingLocalSigningKeyError) {
      process.stderr.write(`token: ${err.message}\n`);
      process.exit(1);
    }
    throw err;
  }
  process.stderr.write(`token: signed with the key of DATA_DIR ${config.dataDir}\n`);
  const token = await new SignJWT({ roles, ...(values.org ? { org: values.org } : {}), ...(values.name ? { name: values.name } : {}) })
    .setProtectedHeader({ alg: LOCAL_JWT_ALG, kid: key.kid, typ: 'JWT' })
    .setSubject(values.sub)
    .setIssuer(config.jwt.issuer)
    .setAudience(config.jwt.audience)
    .setIssuedAt()
    .setNotBefore('0s')
    .setExpirationTime(values.ttl!)
    .sign(key.privateKey);
  process.stdout.write(`${token}\n`);
}

main().catch((err) => {
  process.stderr.write(`token: ${(err as Error).message}\n`);
  process.exit(1);
});
