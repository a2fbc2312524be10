/**
 * Which certificates the CLI trusts when it connects to a `wss://`/`https://` broker: Node's own store (which
 * includes `NODE_EXTRA_CA_CERTS`), plus the CA given with `--ca FILE` for a broker whose certificate a private CA
 * issued. Nothing here turns verification off.
 */
import { X509Certificate } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { rootCertificates } from 'node:tls';
import type { BrokerAddress } from './broker-address.js';
import { systemErrorCode, UsageError } from './errors.js';

/** Largest `--ca` file read, in bytes: a CA bundle is a few kilobytes. */
export const MAX_CA_FILE_BYTES = 1024 * 1024;

/** The help text of `--ca`, the same for every command that takes it. */
export const CA_OPTION_HELP =
  "PEM file of the CA that issued a wss:// broker's certificate, trusted besides the system's (and NODE_EXTRA_CA_CERTS)";

/** Reads and checks a `--ca FILE`: it must hold at least one PEM certificate. */
export async function readCaFile(path: string): Promise<string> {
  let text: string;
  try {
    const buffer = await readFile(path);
    if (buffer.length > MAX_CA_FILE_BYTES) {
      throw new UsageError(
        `--ca ${path} is ${buffer.length} bytes, more than a CA bundle (at most ${MAX_CA_FILE_BYTES})`,
        'Pass the PEM file of the CA',
      );
    }
    text = buffer.toString('utf8');
  } catch (error) {
    if (error instanceof UsageError) throw error;
    throw new UsageError(`cannot read --ca ${path} (${systemErrorCode(error)})`, 'Check the path', {
      cause: error,
    });
  }
  const blocks = text.match(/-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g) ?? [];
  if (blocks.length === 0) {
    throw new UsageError(
      `--ca ${path} holds no PEM certificate`,
      'Pass the CA certificate (-----BEGIN CERTIFICATE-----), not a key or a DER file',
    );
  }
  for (const block of blocks) {
    try {
      new X509Certificate(block);
    } catch (error) {
      throw new UsageError(
        `--ca ${path} holds a certificate that cannot be parsed`,
        'Pass a PEM CA certificate',
        {
          cause: error,
        },
      );
    }
  }
  return text;
}

/** The address with `--ca`'s certificate attached (read once, used by every connection of the command). */
export async function withCa(broker: BrokerAddress, caPath: string | undefined): Promise<BrokerAddress> {
  if (caPath === undefined) return broker;
  return { ...broker, ca: await readCaFile(caPath) };
}

/**
 * TLS options for a connection to `broker`: none (Node's store) without `--ca`; with it, Node's bundled roots
 * plus that CA, since a `ca` option replaces the default store rather than adding to it.
 */
export function tlsOptionsFor(broker: BrokerAddress): { ca?: string[] } {
  return broker.ca === undefined ? {} : { ca: [...rootCertificates, broker.ca] };
}

/**
 * OpenSSL's verification failures as Node reports them, plus Node's host name check: the broker answered but
 * could not prove who it is.
 */
const CERTIFICATE_ERRORS = new Set([
  'CERT_HAS_EXPIRED',
  'CERT_NOT_YET_VALID',
  'CERT_UNTRUSTED',
  'CERT_REJECTED',
  'CERT_SIGNATURE_FAILURE',
  'DEPTH_ZERO_SELF_SIGNED_CERT',
  'SELF_SIGNED_CERT_IN_CHAIN',
  'UNABLE_TO_GET_ISSUER_CERT',
  'UNABLE_TO_GET_ISSUER_CERT_LOCALLY',
  'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
  'INVALID_CA',
  'HOSTNAME_MISMATCH',
  'ERR_TLS_CERT_ALTNAME_INVALID',
]);

/** True when `code` says the broker's certificate did not verify. */
export function isCertificateError(code: string): boolean {
  return CERTIFICATE_ERRORS.has(code);
}
