import { createPrivateKey, type KeyObject, X509Certificate } from 'node:crypto';
import { isIP } from 'node:net';
import { createSecureContext, type SecureContextOptions } from 'node:tls';
import { BrokerConfigError } from './errors.js';

/** The broker's own certificate, as PEM text (the CLI reads it from `--tls-cert`, `--tls-key`, `--tls-ca`). */
export interface BrokerTlsOptions {
  /** The broker's certificate first, then any intermediates, PEM. */
  readonly cert: string | Buffer;
  /** The certificate's private key, PEM, unencrypted. */
  readonly key: string | Buffer;
  /**
   * Certificates of the issuing CA (or intermediates), PEM, sent with the certificate so that clients which
   * trust the root can complete the chain. The certificate must be issued by one of them.
   */
  readonly ca?: string | Buffer;
}

/** A checked certificate, ready for `tls.createServer` or `server.setSecureContext`. */
export interface CheckedTls {
  readonly secureContext: SecureContextOptions;
  /** For the start-up log line: whom the certificate names and until when it is valid. */
  readonly subject: string;
  readonly validTo: string;
  readonly fingerprint256: string;
}

function invalidTls(message: string, cause?: unknown): BrokerConfigError {
  return new BrokerConfigError('invalid-tls', message, cause === undefined ? undefined : { cause });
}

/** OpenSSL's reason without its library prefix, for a one-line message. */
function reason(error: unknown): string {
  const message = error instanceof Error ? error.message : String(error);
  return message.replace(/^error:[0-9A-Fa-f]+:[^:]*:[^:]*:/, '').trim();
}

/** Every certificate in a PEM bundle, in order. */
function certificatesIn(pem: string | Buffer, what: string): X509Certificate[] {
  const text = pem.toString();
  const blocks = text.match(/-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g) ?? [];
  if (blocks.length === 0)
    throw invalidTls(`the ${what} holds no PEM certificate (-----BEGIN CERTIFICATE-----)`);
  return blocks.map((block) => {
    try {
      return new X509Certificate(block);
    } catch (error) {
      throw invalidTls(`the ${what} holds a certificate that cannot be parsed (${reason(error)})`, error);
    }
  });
}

function privateKeyOf(pem: string | Buffer): KeyObject {
  try {
    return createPrivateKey(pem);
  } catch (error) {
    throw invalidTls(
      `the TLS key is not a readable unencrypted PEM private key (${reason(error)}); pass the key that belongs to the certificate`,
      error,
    );
  }
}

/**
 * Checks a certificate, its key and its CA before anything listens, so a wrong file is one clear error at
 * start (or a refused reload) rather than handshakes that fail one by one later: the certificate and the key
 * must parse and belong together, the certificate must be issued by `ca` when one is given, and OpenSSL must
 * accept the whole context.
 */
export function checkTls(tls: BrokerTlsOptions): CheckedTls {
  const [leaf] = certificatesIn(tls.cert, 'TLS certificate');
  if (leaf === undefined) throw invalidTls('the TLS certificate is empty');
  const key = privateKeyOf(tls.key);
  if (!leaf.checkPrivateKey(key)) {
    throw invalidTls(
      `the TLS key does not belong to the certificate for ${leaf.subject.replace(/\n/g, ', ')}; pass the key it was issued for`,
    );
  }
  if (tls.ca !== undefined) {
    const authorities = certificatesIn(tls.ca, 'TLS CA file');
    if (!authorities.some((ca) => leaf.checkIssued(ca) && leaf.verify(ca.publicKey))) {
      throw invalidTls(
        `the TLS certificate was not issued by any certificate in the CA file (its issuer is ${leaf.issuer.replace(/\n/g, ', ')})`,
      );
    }
  }
  const secureContext: SecureContextOptions = {
    cert: tls.cert,
    key: tls.key,
    ...(tls.ca === undefined ? {} : { ca: tls.ca }),
  };
  try {
    createSecureContext(secureContext);
  } catch (error) {
    throw invalidTls(`OpenSSL refused the TLS certificate or key (${reason(error)})`, error);
  }
  return {
    secureContext,
    subject: leaf.subject.replace(/\n/g, ', '),
    validTo: leaf.validTo,
    fingerprint256: leaf.fingerprint256,
  };
}

/** True for addresses only this machine can reach: `localhost`, 127.0.0.0/8 (also IPv4-mapped) and `::1`. */
export function isLoopbackHost(host: string): boolean {
  const bare = host.replace(/^\[(.*)\]$/, '$1').toLowerCase();
  if (bare === 'localhost') return true;
  if (isIP(bare) === 4) return bare.startsWith('127.');
  if (bare.startsWith('::ffff:')) return isLoopbackHost(bare.slice('::ffff:'.length));
  return bare === '::1' || bare === '0:0:0:0:0:0:0:1';
}
