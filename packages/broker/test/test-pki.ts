/**
 * Real certificates for TLS tests, made with the `openssl` command in a temporary directory: a CA, and server
 * certificates it issues for 127.0.0.1 and localhost. Reusable by other packages' tests.
 */
import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);

/** A certificate and its key, as files and as PEM text. */
export interface TestCertificate {
  readonly certPath: string;
  readonly keyPath: string;
  readonly cert: string;
  readonly key: string;
}

/** A test CA in its own temporary directory. */
export interface TestPki {
  readonly dir: string;
  /** The CA certificate: its file (for `--tls-ca`, `--ca`, `NODE_EXTRA_CA_CERTS`) and its PEM text. */
  readonly caPath: string;
  readonly ca: string;
  /** Issues a server certificate for `IP:127.0.0.1, DNS:localhost` (or `altNames`). */
  issue(name: string, altNames?: string): Promise<TestCertificate>;
  /** Removes the directory. */
  cleanup(): Promise<void>;
}

async function openssl(dir: string, args: string[]): Promise<void> {
  try {
    await run('openssl', args, { cwd: dir });
  } catch (error) {
    const stderr = (error as { stderr?: string }).stderr ?? '';
    throw new Error(`openssl ${args[0]} failed: ${stderr.trim() || String(error)}`);
  }
}

// EC keys: generated in milliseconds, so each test can make its own CA.
const KEY_ARGS = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes'];

/** Makes a CA named `name` (two days valid) in a fresh temporary directory. */
export async function createTestPki(name = 'lambda-debug test CA'): Promise<TestPki> {
  const dir = await mkdtemp(join(tmpdir(), 'lambda-debug-pki-'));
  const caPath = join(dir, 'ca.pem');
  await openssl(dir, [
    'req',
    '-x509',
    ...KEY_ARGS,
    '-keyout',
    'ca.key',
    '-out',
    caPath,
    '-days',
    '2',
    '-subj',
    `/CN=${name}`,
  ]);
  const ca = await readFile(caPath, 'utf8');
  let serial = 0;
  return {
    dir,
    caPath,
    ca,
    async issue(certName, altNames = 'IP:127.0.0.1,DNS:localhost') {
      serial += 1;
      const base = join(dir, `${certName}-${serial}`);
      const extPath = `${base}.ext`;
      await writeFile(
        extPath,
        `subjectAltName=${altNames}\nbasicConstraints=CA:FALSE\nkeyUsage=digitalSignature\nextendedKeyUsage=serverAuth\n`,
      );
      await openssl(dir, [
        'req',
        ...KEY_ARGS,
        '-keyout',
        `${base}.key`,
        '-out',
        `${base}.csr`,
        '-subj',
        `/CN=${certName}`,
      ]);
      await openssl(dir, [
        'x509',
        '-req',
        '-in',
        `${base}.csr`,
        '-CA',
        caPath,
        '-CAkey',
        'ca.key',
        '-set_serial',
        String(1000 + serial),
        '-days',
        '2',
        '-extfile',
        extPath,
        '-out',
        `${base}.pem`,
      ]);
      return {
        certPath: `${base}.pem`,
        keyPath: `${base}.key`,
        cert: await readFile(`${base}.pem`, 'utf8'),
        key: await readFile(`${base}.key`, 'utf8'),
      };
    },
    cleanup: () => rm(dir, { recursive: true, force: true }),
  };
}
